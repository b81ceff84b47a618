"""Where one request's time goes: each benchmarked operation driven in process, without sockets, through the
whole ASGI stack (control plane, connexion's middlewares, validation, the handler, SQL), then profiled.

    .venv/bin/python bench/profile_request.py [--requests 500] [--only "scale detail"] [--server floor]

For each operation it prints the CPU time per request, then the share of it spent in each layer (by the
package whose code was running): connexion, starlette, sqlalchemy, mockingjob itself, the standard library.
With ``--server floor`` (or ``stock-floor``) it profiles the connexion floor instead (connexion_floor.py:
connexion as mockingjob tunes it, or as shipped, on the same specs, each operation answering mockingjob's
body): connexion's own cost per request, which no handler can take back. ``--no-memo`` answers every GET anew
(a poll answered from memory costs a fraction of one computed); ``--no-plans`` runs every statement through
SQLAlchemy, as before the store ran statements from their plans (run both ways to see what plans save).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import time
import warnings
from collections import defaultdict
from typing import Any

from connexion_floor import build_app as build_floor
from operations import OPERATIONS, Operation

warnings.filterwarnings("ignore")

from mockingjob.core.config import Config  # noqa: E402
from mockingjob.http.app import MockApp  # noqa: E402

LAYERS = ("connexion", "starlette", "sqlalchemy", "mockingjob", "jsonschema", "werkzeug", "uvicorn", "yaml")


async def send_request(app: Any, op: Operation, answer: dict[str, Any] | None = None) -> int:
    """One request through the ASGI app; its status (and in `answer`, what a client would have received)."""
    path, _, query = f"/{op.api}{op.path}".partition("?")
    body = (op.body or "").encode()
    headers = [(b"host", b"127.0.0.1:8080"), *((k.lower().encode(), v.encode()) for k, v in op.headers.items())]
    if body:
        headers.append((b"content-length", str(len(body)).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": op.method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
             "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8080)}
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects
        raise AssertionError

    status = 0

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            if answer is not None:
                answer["headers"] = dict(message.get("headers", []))
        elif message["type"] == "http.response.body" and answer is not None:
            answer["body"] = answer.get("body", b"") + message.get("body", b"")

    await app(scope, receive, send)
    return status


def layer_of(filename: str) -> str:
    if "site-packages/" in filename:
        package = filename.split("site-packages/", 1)[1].split("/", 1)[0]
        return package if package in LAYERS else "other packages"
    if "/mockingjob/" in filename:
        return "mockingjob"
    return "standard library"


async def floor_app(stock: bool) -> Any:
    """The connexion floor answering, for each operation, what a new mockingjob answers to it."""
    mock = MockApp(Config(speed=1.0))
    captured = []
    for op in OPERATIONS:  # in order on one server, as compare.py captures them
        answer: dict[str, Any] = {}
        status = await send_request(mock.asgi, op, answer)
        headers = answer.get("headers", {})
        location = headers.get(b"location")
        captured.append(op.captured(status, headers.get(b"content-type", b"").decode(),
                                    location.decode() if location else None, answer.get("body", b"")))
    mock.close()
    return build_floor(captured, tuned=not stock)


async def measure(op: Operation, requests: int, floor: Any | None, state: str | None = None, top: int = 0,
                  sort: str = "tottime", memo: bool = True, plans: bool = True) -> None:
    """Profile `op` on a new mockingjob (on the shared store `state`, if given), or on `floor` when given.
    Without `memo`, every GET is answered anew; without `plans`, every statement goes through SQLAlchemy."""
    mock = MockApp(Config(speed=1.0, state=state, answer_memo=memo)) if floor is None else None
    if mock is not None and not plans:
        from sqlalchemy.engine import Connection

        mock.store.engine._connection_cls = Connection  # what Store(plan_statements=False) makes
    app = mock.asgi if mock else floor
    status = await send_request(app, op)
    for _ in range(20):  # warm caches (SQL statements, validators, decorators)
        await send_request(app, op)
    started = time.process_time()
    for _ in range(requests):
        await send_request(app, op)
    cpu_us = (time.process_time() - started) / requests * 1e6

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        await send_request(app, op)
    profile.disable()
    by_layer: dict[str, float] = defaultdict(float)
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    for (filename, _line, _name), (_cc, _nc, own_time, _cum, _callers) in stats.items():
        by_layer[layer_of(filename)] += own_time
    total = sum(by_layer.values()) or 1.0
    shares = ", ".join(f"{name} {100 * t / total:.0f}%" for name, t in
                       sorted(by_layer.items(), key=lambda item: -item[1]) if t / total >= 0.02)
    print(f"| {op.label} | {status} | {cpu_us:,.0f} µs | {shares} |")
    if top:
        pstats.Stats(profile).sort_stats(sort).print_stats(top)
    if mock:
        mock.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--only", help="one operation, e.g. 'scale detail'")
    parser.add_argument("--server", choices=("mockingjob", "floor", "stock-floor"), default="mockingjob",
                        help="what to profile (default mockingjob)")
    parser.add_argument("--state", metavar="FILE", help="serve from this SQLite file (a shared store, as workers "
                        "use) rather than memory")
    parser.add_argument("--top", type=int, default=0, help="also print the N functions that took the most time")
    parser.add_argument("--no-memo", action="store_true", help="answer every GET anew (no answer memo)")
    parser.add_argument("--no-plans", action="store_true", help="run every statement through SQLAlchemy "
                        "(no statements run from their plans)")
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"),
                        help="how --top orders functions: by their own time (default) or with their callees'")
    args = parser.parse_args()
    print(f"# {' '.join(sys.argv)}")
    print("| operation | status | CPU per request | where it goes (profiled) |")
    print("|---|---|---|---|")
    asyncio.run(measure_all(args.requests, args.only, args.server, args.state, args.top, args.sort,
                            not args.no_memo, not args.no_plans))


async def measure_all(requests: int, only: str | None, server: str, state: str | None = None, top: int = 0,
                      sort: str = "tottime", memo: bool = True, plans: bool = True) -> None:
    floor = None if server == "mockingjob" else await floor_app(stock=server == "stock-floor")
    for op in OPERATIONS:
        if not only or op.label == only:
            await measure(op, requests, floor, state, top, sort, memo, plans)


if __name__ == "__main__":
    main()
