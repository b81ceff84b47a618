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


def _endpoint(by_method: dict[str, dict[str, Any]]) -> Any:
    answers = {method: _response_parts(captured) for method, captured in by_method.items()}

    async def endpoint(request: Request) -> Response:
        await request.body()  # a real handler reads what it is sent
        body, status, headers = answers[request.method]
        return Response(body, status, headers)

    return endpoint


def _response_parts(captured: dict[str, Any]) -> tuple[bytes, int, dict[str, str]]:
    headers = {"Content-Type": captured["content_type"]}
    if captured.get("location"):
        headers["Location"] = captured["location"]
    return base64.b64decode(captured["body_b64"]), int(captured["status"]), headers


def build_app(responses: list[dict[str, Any]]) -> Starlette:
    """One route per captured path, answering each captured method with its captured response."""
    by_path: dict[str, dict[str, dict[str, Any]]] = {}
    for captured in responses:
        by_path.setdefault(captured["path"], {})[captured["method"]] = captured
    return Starlette(routes=[Route(path, _endpoint(methods), methods=list(methods))
                             for path, methods in by_path.items()])


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
