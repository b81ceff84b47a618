"""Trace one request through mockingjob's own code: which of its functions it passes and how often it changes
module, the figures ARCHITECTURE.md's request path is judged by.

    python bench/trace_request.py                       # POST /v6/jobs/ (queue a Scale job)
    python bench/trace_request.py GET /v6/jobs/3/
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import warnings
from collections import Counter
from itertools import pairwise
from types import FrameType
from typing import Any

import httpx

warnings.filterwarnings("ignore")

from mockingjob import Config, MockApp  # noqa: E402

QUEUE = {"job_type_id": 1, "input": {"files": {"INPUT_FILE": [61]}}}


def _layer(module: str) -> str:
    """mockingjob.<layer>.… (core, kit, control, http, packs); another library is "framework"."""
    if not module.startswith("mockingjob"):
        return "framework"
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("method", nargs="?", default="POST")
    parser.add_argument("path", nargs="?", default="/v6/jobs/")
    parser.add_argument("--api", default="scale")
    parser.add_argument("--body", default=json.dumps(QUEUE), help="JSON body of a POST or PUT")
    parser.add_argument("--list", action="store_true", help="print the functions in the order first called")
    args = parser.parse_args()

    mock = MockApp(Config(apis=[args.api], speed=0))
    headers = {"Authorization": "Token bench", "Content-Type": "application/json"}
    body = args.body.encode() if args.method in ("POST", "PUT", "PATCH") else None
    calls: list[tuple[str, str]] = []
    crossings: list[tuple[str, str]] = []

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        if event == "call":
            module = frame.f_globals.get("__name__", "")
            if module.startswith("mockingjob"):
                calls.append((module, frame.f_code.co_qualname))
                caller = frame.f_back.f_globals.get("__name__", "") if frame.f_back else ""
                if _layer(caller) != _layer(module):
                    crossings.append((_layer(caller), _layer(module)))

    async def exchange() -> httpx.Response:
        # In this thread (a test client would serve the app in another, out of the profiler's sight).
        transport = httpx.ASGITransport(app=mock.asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
            await client.request(args.method, args.path, content=body, headers=headers)  # warm: first-call set-ups
            sys.setprofile(profile)
            try:
                return await client.request(args.method, args.path, content=body, headers=headers)
            finally:
                sys.setprofile(None)

    response = asyncio.run(exchange())
    mock.close()

    modules = Counter(module for module, _ in calls)
    switches = sum(1 for before, after in pairwise(calls) if before[0] != after[0])
    functions = list(dict.fromkeys(calls))
    print(f"{args.method} {args.path} → {response.status_code}")
    print(f"mockingjob functions: {len(functions)} distinct, {len(calls)} calls, in {len(modules)} modules; "
          f"{switches} switches between modules")
    for module, count in modules.most_common():
        print(f"  {count:4d}  {module}")
    print(f"calls from one layer into another: {len(crossings)}")
    for (source, target), count in Counter(crossings).most_common():
        print(f"  {count:4d}  {source} → {target}")
    if args.list:
        for module, name in functions:
            print(f"  {module}.{name}")


if __name__ == "__main__":
    main()
