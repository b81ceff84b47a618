"""The connexion floor: connexion's AsyncApp on our four specs, each operation answering a canned response.

It does what connexion itself does for every request mockingjob serves (its middleware stack, routing, the
parsing and strict validation of parameters and bodies against the same specs) and nothing else: no SQL, no
clock, no control plane, no journal. Its throughput is therefore the most any application built on connexion,
served the same way, can reach on these requests; mockingjob's throughput divided by it is the share left by
mockingjob's own work. By default connexion is set up as mockingjob sets it up (its validators, and the
validators, URI parsers and decorated handlers built once per operation rather than per request); `--stock`
serves connexion as shipped. It is served by uvicorn as ``mockingjob serve`` serves.

    python bench/connexion_floor.py --port 8000 --responses captured.json [--workers 2] [--stock]

Each API is mounted under ``/<api>`` like ``mockingjob serve`` mounts them. The responses file is the one the
ceiling serves (what mockingjob answered to each benchmarked request; an operation captured for several paths or
queries answers each request with its own); other operations, and every one when no file is given (to time its
start), answer 200 with ``{}``. Security schemes get a check that accepts any
credentials of the right form (connexion calls it for every secured request, as it would call an
application's own).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gc
import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # started as `mockingjob serve` starts: no collections during start-up (see main).
    gc.disable()  # Only when run: a process importing this module (a worker, a profile) keeps its collector.

import uvicorn

warnings.filterwarnings("ignore", category=DeprecationWarning)

import connexion  # noqa: E402
from connexion.context import _scope  # noqa: E402
from connexion.resolver import Resolution, Resolver  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.routing import compile_path  # noqa: E402
from starlette.types import ASGIApp, Scope  # noqa: E402

from mockingjob.core.resources import load_spec, specs_dir  # noqa: E402
from mockingjob.http import connexion_app, trusted_specs  # noqa: E402
from mockingjob.http.server import uvicorn_options  # noqa: E402
from mockingjob.http.validation import VALIDATORS  # noqa: E402

APIS = ("scale", "coalesce", "marquez", "trifacta")


def _accept_any_token(token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    return {"sub": "bench"}


def _with_security_checks(spec: dict[str, Any]) -> dict[str, Any]:
    """Give each security scheme the check connexion expects of an application, accepting any token."""
    for scheme in spec.get("components", {}).get("securitySchemes", {}).values():
        if scheme.get("type") == "http" and scheme.get("scheme") == "bearer":
            scheme["x-bearerInfoFunc"] = f"{__name__}._accept_any_token"
        elif scheme.get("type") == "apiKey":
            scheme["x-apikeyInfoFunc"] = f"{__name__}._accept_any_token"
    return spec


class _CannedResolver(Resolver):
    """Every operationId resolves to a handler returning what mockingjob answered to the requests it routes."""

    def __init__(self, api: str, responses: list[dict[str, Any]]) -> None:
        super().__init__()
        self._api = api
        self._responses = responses

    def resolve(self, operation: Any) -> Resolution:
        pattern = compile_path(f"/{self._api}{operation.path}")[0]
        captured = [c for c in self._responses if c["method"].upper() == operation.method.upper()
                    and pattern.match(c["path"])]
        return Resolution(_handler(captured), operation.operation_id)


def _handler(captured: list[dict[str, Any]]) -> Any:
    if not captured:
        async def not_benchmarked(*args: Any, **kwargs: Any) -> Response:
            return Response(b"{}", 200, media_type="application/json")

        return not_benchmarked
    answers = {(c["path"], c.get("query", "").encode()): _response_parts(c) for c in captured}
    if len(answers) == 1:
        body, status, headers = _response_parts(captured[0])

        async def canned(*args: Any, **kwargs: Any) -> Response:
            return Response(body, status, headers)

        return canned
    fallback = _response_parts(captured[0])

    async def canned_by_request(*args: Any, **kwargs: Any) -> Response:
        # Several paths or queries of this operation were captured (the varied workload): answer each with
        # its own, looked up as a real handler reads its request. connexion keeps the request's scope here.
        scope = _scope.get()
        body, status, headers = answers.get((scope["path"], scope["query_string"]), fallback)
        return Response(body, status, headers)

    return canned_by_request


def _response_parts(captured: dict[str, Any]) -> tuple[bytes, int, dict[str, str]]:
    headers = {"Content-Type": captured["content_type"]}
    if captured.get("location"):
        headers["Location"] = captured["location"]
    return base64.b64decode(captured["body_b64"]), int(captured["status"]), headers


def _as_is(app: ASGIApp) -> ASGIApp:
    return app


def _any_credentials(scope: Scope) -> None:
    """What connexion's security middleware does with an accept-all check: look for the header."""
    any(name == b"authorization" for name, _ in scope["headers"])


def _plain_error(scope: Scope, exc: BaseException) -> Response:
    status = getattr(exc, "status_code", None) or getattr(exc, "status", None) or 500
    return Response(b'{"detail":"error"}', int(status), media_type="application/json")


def build_app(responses: list[dict[str, Any]], tuned: bool = True) -> connexion.AsyncApp:
    """With `tuned`, connexion as mockingjob configures it (`mockingjob.http.connexion_app`: its validators,
    the per-operation caching of validators, URI parsers and decorated handlers, errors rendered on the event
    loop, and the specs trusted at start-up as mockingjob trusts them), with no request pipeline, no store and
    canned answers. Without, connexion as shipped."""
    if tuned:
        app = connexion_app(outermost=_as_is, authenticate=_any_credentials, render=_plain_error,
                            validator_map=VALIDATORS, validate_responses=False)
    else:
        app = connexion.AsyncApp(__name__, strict_validation=True, validate_responses=False)
    with trusted_specs() if tuned else contextlib.nullcontext():
        for api in APIS:
            spec = load_spec(specs_dir() / f"{api}.yaml")
            if not tuned:
                spec = _with_security_checks(spec)
            app.add_api(spec, base_path=f"/{api}", name=api, resolver=_CannedResolver(api, responses))
    return app


def app_from_environment() -> connexion.AsyncApp:
    """uvicorn factory for worker processes: the options travel in environment variables."""
    logging.getLogger("connexion").setLevel(logging.ERROR)
    path = os.environ.get("CONNEXION_FLOOR_RESPONSES")
    responses = json.loads(Path(path).read_text()) if path else []
    return build_app(responses, tuned=os.environ.get("CONNEXION_FLOOR_STOCK") != "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--responses", type=Path, help="JSON written by compare.py (without: every operation "
                        "answers 200 {})")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--stock", action="store_true", help="connexion as shipped, without mockingjob's tuning")
    parser.add_argument("--loop", default="asyncio", choices=("asyncio", "uvloop", "auto"),
                        help="uvicorn's event loop (default: asyncio, as `mockingjob serve`)")
    parser.add_argument("--no-access-log", action="store_true", help="drop uvicorn's per-request log line")
    args = parser.parse_args()
    os.environ["CONNEXION_FLOOR_RESPONSES"] = str(args.responses.resolve()) if args.responses else ""
    os.environ["CONNEXION_FLOOR_STOCK"] = "1" if args.stock else "0"
    # The same way `mockingjob serve` runs: one process, or a factory imported by each worker process.
    app: Any = "connexion_floor:app_from_environment"
    if args.workers == 1:
        app = app_from_environment()
    gc.freeze()  # what start-up made lives as long as the server, as in mockingjob.cli.run
    gc.enable()
    uvicorn.run(app, host="127.0.0.1", port=args.port, workers=args.workers, factory=args.workers > 1,
                **uvicorn_options(args.loop, not args.no_access_log))


if __name__ == "__main__":
    main()
