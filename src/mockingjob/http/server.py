"""How uvicorn serves the app: the event loop, the HTTP protocol, its time limits, the logs and the workers.

asyncio's own event loop, not uvloop: under load uvloop left some requests waiting ten times longer than the
rest (on one benchmark, a p99 of 1.4 s beside a p50 of 94 ms, where asyncio's loop gave 77 ms beside 54 ms),
for a few per cent more throughput; see docs/performance.md.

asyncio turns off Nagle's algorithm only on sockets it created itself, and with several workers uvicorn binds
the listening socket in the parent process, so the workers' connections kept it: every answer then waited about
40 ms for the client's delayed ACK. The protocol below turns it off on every connection.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import copy
import functools
import http
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import AccessFormatter
from uvicorn.supervisors import Multiprocess

from ..control.redact import Secrets

try:  # httptools comes with uvicorn[standard]; h11 with any uvicorn
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _HttpProtocol
except ImportError:  # pragma: no cover - only without httptools
    from uvicorn.protocols.http.h11_impl import H11Protocol as _HttpProtocol  # type: ignore[assignment]

__all__ = ["HEADER_TIMEOUT", "KEEP_ALIVE", "AdminReadsDropped", "HttpProtocol", "NoDelayHttpProtocol",
           "RedactedAccessLog", "RepeatsDropped", "die_with_parent", "raise_open_files_limit", "serve_watching",
           "serve_workers", "stop_gracefully_on_hangup", "uvicorn_options"]

_HEADER_CALLBACKS = hasattr(_HttpProtocol, "on_headers_complete")

HEADER_TIMEOUT = 10.0
"""Seconds a connection has to send a request's headers, from its first byte (or from being opened), and then
each piece of its body."""
KEEP_ALIVE = 20.0
"""Seconds an idle connection is kept open. A server that closes an idle connection just as a client reuses it
resets that request, so this stays above the idle timeouts of common clients' pools (httpx 5 s, Node 4-5 s,
aiohttp 15 s): they close first. uvicorn's own default, 5 s, raced httpx's and lost about 1 request in 1,000."""


class NoDelayHttpProtocol(_HttpProtocol):
    """uvicorn's HTTP protocol (httptools, else h11), sending each answer at once (TCP_NODELAY) on every TCP
    connection, and closing a connection whose request headers take longer than `header_timeout` to arrive, or
    whose body then stops for as long (uvicorn waits for either forever, so slow or silent connections could
    hold every file descriptor)."""

    header_timeout: float = HEADER_TIMEOUT
    _wait_timer: asyncio.TimerHandle | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.access_log:
            self.access_logger = _quick_access_log()  # type: ignore[assignment]

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):  # the peer may already be gone: the protocol will see it
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
        self._start_waiting()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    # httptools' parser callbacks: a request starts, its headers are complete.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._wait_timer is None:
            self._start_waiting()

    def on_headers_complete(self) -> None:
        self._stop_waiting()
        super().on_headers_complete()
        if any(name in (b"content-length", b"transfer-encoding") and value.strip() not in (b"", b"0")
               for name, value in self.headers):
            self._start_waiting()  # the body now: each piece of it must come within the same time

    def on_body(self, body: bytes) -> None:
        self._stop_waiting()
        super().on_body(body)
        self._start_waiting()

    def on_message_complete(self) -> None:
        self._stop_waiting()
        super().on_message_complete()

    def _start_waiting(self) -> None:
        # The parser callbacks that end the wait are httptools'; without it (h11), there is no header timeout.
        if self.header_timeout > 0 and _HEADER_CALLBACKS:
            self._wait_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def _stop_waiting(self) -> None:
        if self._wait_timer is not None:
            self._wait_timer.cancel()
            self._wait_timer = None

    def _too_slow(self) -> None:
        self._wait_timer = None
        if not self.transport.is_closing():
            self.transport.close()


_QUICK_ACCESS_LOG: list[QuickAccessLog] = []


def _quick_access_log() -> QuickAccessLog:
    """The process's, made again whenever the access logger's handlers have changed (a server configures them
    as it starts; another server in the same process may configure them again)."""
    logger = logging.getLogger("uvicorn.access")
    if not _QUICK_ACCESS_LOG or _QUICK_ACCESS_LOG[0].handlers != logger.handlers:
        _QUICK_ACCESS_LOG[:] = [QuickAccessLog(logger)]
    return _QUICK_ACCESS_LOG[0]


class HttpProtocol:
    """What uvicorn is given as its HTTP protocol: it builds a `NoDelayHttpProtocol` with this server's header
    timeout. An object, not a name, so that the setting reaches worker processes with uvicorn's config."""

    alpn_protocols = None

    def __init__(self, header_timeout: float = HEADER_TIMEOUT) -> None:
        self.header_timeout = header_timeout

    def __call__(self, **kwargs: Any) -> NoDelayHttpProtocol:
        protocol = NoDelayHttpProtocol(**kwargs)
        protocol.header_timeout = self.header_timeout
        return protocol



def _redacted_path(path: str) -> str:
    if "?" not in path:
        return path
    path, _, query = path.partition("?")
    return f"{path}?{Secrets().redact_query(query)}"


def _an_admin_read(method: object, path: object, status: object) -> bool:
    return (method == "GET" and isinstance(path, str) and path.startswith(f"{_ADMIN_PREFIX}/")
            and isinstance(status, int) and status < 400)


class RedactedAccessLog(logging.Filter):
    """uvicorn's access log line, with secrets in the query string (``?token=…``) redacted as the journal
    redacts them."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], _redacted_path(args[2]), *args[3:])
        return True


class AdminReadsDropped(logging.Filter):
    """Leaves the admin API's successful reads out of the access log: an open dashboard polls several of them
    every second or two, which would bury the requests of the clients being tested. Its writes (reset, clock,
    scenarios) and refusals are still logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 5:
            return not _an_admin_read(args[1], args[2], args[4])
        return True


_ADMIN_PREFIX = "/_mockingjob"


class RepeatsDropped(logging.Filter):
    """Lets a message through once per `interval` seconds; the next one that passes says how many were dropped.

    When the process runs out of file descriptors, asyncio logs a traceback at every attempt to accept a
    connection: hundreds of megabytes a minute, which could fill the disk too.
    """

    interval = 10.0

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self._last: dict[tuple[str, object], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.msg)
        now = time.monotonic()
        with self._lock:
            last, dropped = self._last.get(key, (float("-inf"), 0))
            if now - last < self.interval:
                self._last[key] = (last, dropped + 1)
                return False
            if len(self._last) > 1000:
                self._last.clear()
            self._last[key] = (now, 0)
        if dropped:
            record.msg = f"{record.msg} ({dropped} more like it in the last {self.interval:g} s not logged)"
        return True


class BatchedStreamHandler(logging.StreamHandler):
    """A stream handler that writes its lines in batches, from a thread of its own: the access log costs the event
    loop a list append per request rather than a formatting and a write. Lines wait `interval` seconds at most, and
    are all written when the process ends (`logging.shutdown` flushes every handler)."""

    interval = 0.1
    batch = 512

    def __init__(self, stream: Any = None) -> None:
        super().__init__(stream)
        self._waiting: collections.deque[logging.LogRecord | str] = collections.deque()
        self._wake = threading.Event()
        self._closed = False
        threading.Thread(target=self._write_on, name="access-log", daemon=True).start()

    def emit(self, record: logging.LogRecord | str) -> None:
        self._waiting.append(record)  # a deque's append and popleft are thread-safe: no lock on the loop's side
        if len(self._waiting) >= self.batch:
            self._wake.set()

    def _write_on(self) -> None:
        while not self._closed:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # the stream is gone, or the interpreter is ending: nothing left to write to
                return

    def close(self) -> None:
        """Write what is waiting and stop the thread (logging closes a handler when it is configured anew, and
        when the process ends)."""
        self._closed = True
        self._wake.set()
        with contextlib.suppress(OSError, ValueError):
            self.flush()
        super().close()

    def flush(self) -> None:
        with self.lock or contextlib.nullcontext():
            lines = []
            while self._waiting:
                record = self._waiting.popleft()
                if isinstance(record, str):  # a line made already (`QuickAccessLog`)
                    lines.append(record)
                    continue
                try:
                    lines.append(self.format(record) + self.terminator)
                except Exception:
                    self.handleError(record)
            if lines:
                try:
                    self.stream.write("".join(lines))
                except Exception:
                    self.handleError(logging.makeLogRecord({"msg": f"{len(lines)} access log lines"}))
            super().flush()


class AccessLineFormatter(AccessFormatter):
    """uvicorn's access line (``INFO:     127.0.0.1:50000 - "GET /v6/jobs/ HTTP/1.1" 200 OK``), made in one
    f-string rather than through two record copies; in colour, for a terminal, as uvicorn makes it."""

    def format(self, record: logging.LogRecord) -> str:
        args = record.args
        if self.use_colors or self._fmt != _ACCESS_FORMAT or not (isinstance(args, tuple) and len(args) == 5):
            return super().format(record)
        client_addr, method, full_path, http_version, status = args
        return (f"{record.levelname}:{' ' * (8 - len(record.levelname))} {client_addr} - "
                f"\"{method} {full_path} HTTP/{http_version}\" {_status_line(status)}")


_ACCESS_FORMAT = LOGGING_CONFIG["formatters"]["access"]["fmt"]


class QuickAccessLog:
    """What uvicorn's HTTP protocol logs each request's line through, in place of the ``uvicorn.access`` logger
    itself (it calls only ``info``). Where that logger is as the server configures it (the two filters above, one
    `BatchedStreamHandler` with the plain `AccessLineFormatter`), the line is made here, as those would make it,
    and handed to the handler's thread: no log record and no trip through logging's machinery on the event loop
    (about four fifths of what a line cost there). Configured any other way (colours, for a terminal), every
    line goes through the logger as uvicorn sends it."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self.handlers = list(logger.handlers)  # as they were when this was made
        self.handler = self._plain_handler(logger)

    @staticmethod
    def _plain_handler(logger: logging.Logger) -> BatchedStreamHandler | None:
        filters = [type(f) for f in logger.filters]
        handler = logger.handlers[0] if len(logger.handlers) == 1 else None
        formatter = handler.formatter if handler is not None else None
        if (isinstance(handler, BatchedStreamHandler) and handler.level <= logging.INFO and not handler.filters
                and type(formatter) is AccessLineFormatter and not formatter.use_colors
                and formatter._fmt == _ACCESS_FORMAT and filters == [AdminReadsDropped, RedactedAccessLog]
                and logger.isEnabledFor(logging.INFO) and not logger.propagate):
            return handler
        return None

    def info(self, message: str, *args: Any) -> None:
        handler = self.handler
        if handler is None or len(args) != 5:
            self.logger.info(message, *args)
            return
        client_addr, method, full_path, http_version, status = args
        if _an_admin_read(method, full_path, status):
            return
        handler.emit(f"INFO:     {client_addr} - \"{method} {_redacted_path(full_path)} HTTP/{http_version}\" "
                     f"{_status_line(status)}\n")


@functools.lru_cache(maxsize=128)
def _status_line(status: object) -> str:
    try:
        return f"{status} {http.HTTPStatus(int(status)).phrase}"  # type: ignore[call-overload]
    except ValueError:
        return f"{status} "


def _log_config() -> dict[str, Any]:
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {
        "admin-reads": {"()": f"{__name__}.AdminReadsDropped"},
        "redacted": {"()": f"{__name__}.RedactedAccessLog"},
        "repeats": {"()": f"{__name__}.RepeatsDropped"},
    }
    config["loggers"]["uvicorn.access"]["filters"] = ["admin-reads", "redacted"]
    config["handlers"]["access"]["class"] = f"{__name__}.BatchedStreamHandler"
    config["formatters"]["access"]["()"] = f"{__name__}.AccessLineFormatter"
    config["loggers"]["uvicorn.error"]["filters"] = ["repeats"]
    config["loggers"]["asyncio"] = {"filters": ["repeats"]}
    # The mock's own lines (lint findings, unhandled errors) go where uvicorn's go.
    config["loggers"]["mockingjob"] = {"handlers": ["default"], "level": "INFO", "propagate": False,
                                       "filters": ["repeats"]}
    return config


def _lean_log_records() -> None:
    """No log line of the server names its caller's source line, thread or process: the logging module is told
    not to look them up for every record (what its documentation suggests for speed), which halves what an
    access-log line costs the event loop."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def uvicorn_options(loop: str = "asyncio", access_log: bool = True, *, header_timeout: float = HEADER_TIMEOUT,
                    keep_alive: float = KEEP_ALIVE) -> dict[str, Any]:
    """The options every uvicorn server of mockingjob (and of the benchmark's stand-ins for it) is given."""
    _lean_log_records()
    return {
        "loop": loop,
        "http": HttpProtocol(header_timeout),
        # No API here speaks WebSocket; "auto" would import a WebSocket library at every start (about 40 ms).
        "ws": "none",
        "log_level": "info",
        "log_config": _log_config(),
        "access_log": access_log,
        "timeout_keep_alive": keep_alive,
        # On SIGTERM, requests in flight are answered first, but a client holding one forever cannot stop it.
        "timeout_graceful_shutdown": 30,
    }


def raise_open_files_limit() -> None:
    """Let the process hold as many connections as the system allows it (the soft limit is often 1,024)."""
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        if soft != resource.RLIM_INFINITY and soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def die_with_parent(parent: int | None = None, on_orphaned: Callable[[], None] | None = None) -> None:
    """Stop this worker process when `parent` (the process that started it; by default its parent now) goes,
    even by ``kill -9``: an orphaned worker would go on serving the port, and a new server could not bind it.

    On Linux the kernel signals at once (PR_SET_PDEATHSIG); everywhere, a thread notices within a second. A
    parent gone before this is called is noticed too: `parent` is given by the parent itself.
    """
    parent = os.getppid() if parent is None else parent

    def orphaned() -> None:
        if on_orphaned is not None:
            on_orphaned()
        else:
            os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's own graceful shutdown

    if os.getppid() != parent:  # gone before this worker looked
        orphaned()
        return
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, signal.SIGTERM)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        orphaned()

    if os.getppid() != parent:  # gone while the kernel was being asked to tell
        orphaned()
        return
    threading.Thread(target=watch, name="mockingjob-parent-watch", daemon=True).start()


class _Supervisor(Multiprocess):
    """uvicorn's supervisor of worker processes, remembering the signal that stopped it."""

    stopped_by: signal.Signals | None = None

    def handle_int(self) -> None:
        self.stopped_by = signal.SIGINT
        super().handle_int()

    def handle_term(self) -> None:
        self.stopped_by = signal.SIGTERM
        super().handle_term()

    def handle_hup(self) -> None:
        # uvicorn would restart the workers, with the same code and state: nothing a mock would gain. A
        # hangup stops the server gracefully, as it does a single worker (`stop_gracefully_on_hangup`).
        self.handle_term()


class _WatchingServer(uvicorn.Server):
    """uvicorn's server, running a task beside it in its event loop (the reloader) for as long as it serves."""

    def __init__(self, config: uvicorn.Config, beside: Callable[[], Coroutine[Any, Any, None]]) -> None:
        super().__init__(config)
        self.beside = beside

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        task = asyncio.create_task(self.beside())
        try:
            await super().serve(sockets)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def serve_watching(config: uvicorn.Config, beside: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Serve in this process as ``uvicorn.run`` would, with `beside` running in the same event loop (where the
    requests are answered, so that it never changes the state while one is being answered)."""
    server = _WatchingServer(config, beside)
    server.run()
    if not server.started:
        sys.exit(3)  # uvicorn's own status when the server could not start (the port taken, say)


def serve_workers(config: uvicorn.Config) -> None:
    """Serve `config` (whose app is a factory object) with its worker processes until a signal stops them.

    What uvicorn.run does for workers, but with the factory as an object: it reaches each worker with uvicorn's
    config, over the pipe that starts it, not through the environment. Workers finish the requests in flight;
    then the process ends as one worker's would: on SIGTERM with that signal's status, on SIGINT normally.
    """
    supervisor = _Supervisor(config, sockets=[config.bind_socket()])
    supervisor.run()
    if supervisor.stopped_by == signal.SIGTERM:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)


def stop_gracefully_on_hangup() -> None:
    """Make SIGHUP (a closed terminal, say) stop a single-process server as SIGTERM does, finishing the requests
    in flight, rather than kill it where it stands. uvicorn handles only SIGINT and SIGTERM."""
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, lambda *_: os.kill(os.getpid(), signal.SIGTERM))
