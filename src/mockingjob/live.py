"""A real server in a background thread, for tests: ``with LiveServer(Config(...)) as url: ...``.

It serves over TCP like ``mockingjob serve`` (so clients, timeouts and dropped connections behave as they
will in production), on a free port by default, and stops when the block ends.
"""

from __future__ import annotations

import threading
import time
import warnings
from dataclasses import replace
from types import TracebackType

from .core.config import Config

__all__ = ["LiveServer"]


class LiveServer:
    """One mockingjob server on loopback, run by uvicorn in a daemon thread."""

    def __init__(self, config: Config | None = None, *, port: int = 0, start_timeout: float = 30.0) -> None:
        """`port` 0 takes a free port (the config's own port is not used)."""
        self.config = replace(config or Config(), port=port)
        self.start_timeout = start_timeout
        self.url = ""
        self._server: object | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Start serving; return the base URL (``http://127.0.0.1:PORT``)."""
        with warnings.catch_warnings():
            # The libraries the server is built on warn about their own deprecations on import; that is
            # not the business of the test suite using the server (which may well turn warnings into errors).
            warnings.simplefilter("ignore")
            import uvicorn

            from .http.app import MockApp
            from .http.server import uvicorn_options

            mock = MockApp(self.config)
        options = {**uvicorn_options(self.config.loop, access_log=False, header_timeout=self.config.header_timeout,
                                     keep_alive=self.config.keep_alive), "log_level": "warning"}
        server = uvicorn.Server(uvicorn.Config(mock.asgi, host=self.config.host, port=self.config.port,
                                               lifespan="on", **options))
        self._server = server
        self._thread = threading.Thread(target=server.run, name="mockingjob-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"mockingjob did not start on {self.config.host}:{self.config.port}")
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        host = self.config.host if self.config.host not in ("0.0.0.0", "::") else "127.0.0.1"
        self.url = f"http://{host}:{port}"
        return self.url

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True  # type: ignore[attr-defined]
        thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
