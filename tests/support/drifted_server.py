"""A Scale service that has drifted from our spec, for `mockingjob verify` to find: mockingjob's own Scale behind
a proxy that spoils the answers of a few operations, one drift each, and records every request it gets."""

from __future__ import annotations

import threading
import time
from types import TracebackType

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockingjob.core.config import Config
from mockingjob.live import LiveServer

__all__ = ["DRIFTS", "DriftedScale"]

# The operation each spoiled answer belongs to, and the drift verify should report for it (kind, and a part of
# what it says).
DRIFTS = {
    "GET /v6/version/": ("Response violates schema", "/version"),  # a string sent as a number
    "GET /v6/scheduler/": ("Response violates schema", "queue_mode"),  # a required field left out
    "GET /v6/job-type-names/": ("Undocumented status code", "418"),  # a status the spec does not give
    "GET /v6/nodes/{node_id}/": ("Response violates schema", "detail"),  # a documented 404 in another shape
    "GET /v6/workspaces/": ("Error answer in another shape", "not JSON"),  # an undocumented 503, as a page
}
# An undocumented status is also told as such: the spoiled 503 is two drifts.
ALSO = {"GET /v6/workspaces/": ("Undocumented status code", "503")}


class DriftedScale:
    """``with DriftedScale() as url:``; `requests` holds (method, path) of every request it got."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self._upstream = LiveServer(Config(apis=["scale"], speed=0, access_log=False))
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def _app(self, upstream: str) -> Starlette:
        async def proxy(request: Request) -> Response:
            self.requests.append((request.method, request.url.path))
            path = request.url.path
            if path == "/v6/nodes/" or not path.startswith("/v6/nodes/"):
                # Forwarded as received (its encoding kept); a target httpx refuses (a probe's) is not Scale's.
                target = request.scope["raw_path"].decode("latin-1")
                if request.scope["query_string"]:
                    target += "?" + request.scope["query_string"].decode("latin-1")
                try:
                    async with httpx.AsyncClient(base_url=upstream, timeout=10) as client:
                        answer = await client.request(request.method, target, content=await request.body(),
                                                      headers={k: v for k, v in request.headers.items() if k != "host"})
                except httpx.InvalidURL:
                    return JSONResponse({"detail": "Bad request."}, 400)
            if path == "/v6/version/":
                return JSONResponse({"version": 7})
            if path == "/v6/scheduler/":
                return JSONResponse({k: v for k, v in answer.json().items() if k != "queue_mode"}, answer.status_code)
            if path == "/v6/job-type-names/":
                return JSONResponse({"detail": "I'm a teapot"}, 418)
            if path.startswith("/v6/nodes/") and path != "/v6/nodes/":
                # The credentials echoed back: no report may show them.
                return JSONResponse({"error": f"no such node for {request.headers.get('authorization')}"}, 404)
            if path == "/v6/workspaces/":
                return Response("<html><body>Service Unavailable</body></html>", 503, media_type="text/html")
            headers = {k: v for k, v in answer.headers.items()
                       if k not in ("content-length", "content-encoding", "transfer-encoding", "connection")}
            return Response(answer.content, answer.status_code, headers=headers)

        methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
        return Starlette(routes=[Route("/{path:path}", proxy, methods=methods)])

    def __enter__(self) -> str:
        upstream = self._upstream.start()
        server = uvicorn.Server(uvicorn.Config(self._app(upstream), host="127.0.0.1", port=0, log_level="warning",
                                               lifespan="off", loop="asyncio"))
        self._server = server
        self._thread = threading.Thread(target=server.run, name="drifted-scale", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the drifted Scale did not start")
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        return self.url

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._upstream.stop()
