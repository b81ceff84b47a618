"""The ceiling: a bare Starlette app answering each benchmarked request with the body and status mockingjob gave.

It does what any Python server on the same stack must do (parse HTTP, route, read the body, send bytes) and
nothing else, so mockingjob's throughput divided by the ceiling's is the share left by mockingjob's own work.
It is served by uvicorn as ``mockingjob serve`` serves (`mockingjob.http.server.uvicorn_options`: event loop, HTTP
protocol, log settings).

    python bench/ceiling.py --port 8000 --responses captured.json
"""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockingjob.http.server import uvicorn_options

Answer = tuple[bytes, int, dict[str, str]]


def _endpoint(by_method: dict[str, list[dict[str, Any]]]) -> Any:
    """One route's handler. A route captured once answers that; one captured for several paths or queries (a
    template's, in the workloads) looks the request up by its path and query, as a real handler reads them."""
    single = {method: _response_parts(found[0]) for method, found in by_method.items() if len(found) == 1}
    by_request = {method: {_request_key(c): _response_parts(c) for c in found}
                  for method, found in by_method.items() if len(found) > 1}

    async def endpoint(request: Request) -> Response:
        await request.body()  # a real handler reads what it is sent
        answer = single.get(request.method)
        if answer is None:
            answer = by_request[request.method][(request.scope["path"], request.scope["query_string"])]
        body, status, headers = answer
        return Response(body, status, headers)

    return endpoint


def _request_key(captured: dict[str, Any]) -> tuple[str, bytes]:
    return captured["path"], captured.get("query", "").encode()


def _response_parts(captured: dict[str, Any]) -> Answer:
    headers = {"Content-Type": captured["content_type"]}
    if captured.get("location"):
        headers["Location"] = captured["location"]
    return base64.b64decode(captured["body_b64"]), int(captured["status"]), headers


def build_app(responses: list[dict[str, Any]]) -> Starlette:
    """One route per captured path template (the path itself when none was captured), answering each captured
    method with its captured response. Literal routes come before those with parameters, as a router needs."""
    by_route: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for captured in responses:
        route = captured.get("template") or captured["path"]
        by_route.setdefault(route, {}).setdefault(captured["method"], []).append(captured)
    ordered = sorted(by_route.items(), key=lambda item: item[0].count("{"))
    return Starlette(routes=[Route(route, _endpoint(methods), methods=list(methods)) for route, methods in ordered])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--responses", type=Path, required=True, help="JSON written by compare.py")
    parser.add_argument("--loop", default="asyncio", choices=("asyncio", "uvloop", "auto"),
                        help="uvicorn's event loop (default: asyncio, as `mockingjob serve`)")
    parser.add_argument("--no-access-log", action="store_true", help="drop uvicorn's per-request log line")
    args = parser.parse_args()
    app = build_app(json.loads(args.responses.read_text()))
    uvicorn.run(app, host="127.0.0.1", port=args.port, **uvicorn_options(args.loop, not args.no_access_log))


if __name__ == "__main__":
    main()
