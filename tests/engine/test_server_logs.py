"""What the server logs: secrets in URLs redacted, and a message repeated in a storm written once in a while."""

from __future__ import annotations

import logging
import logging.config

import pytest

from mockingjob.http.server import AdminReadsDropped, RedactedAccessLog, RepeatsDropped, uvicorn_options


def _access_record(path: str) -> logging.LogRecord:
    # The record uvicorn's access logger makes: client, method, path with query, HTTP version, status.
    return logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                             ("127.0.0.1:5000", "GET", path, "1.1", 200), None)


@pytest.mark.parametrize("path", ["/v6/jobs/?token=abc123", "/x?password=pa55word&page=2", "/x?api_key=k3y-value",
                                  "/x?client_secret=s3cr3t&token="])
def test_secrets_in_a_logged_query_string_are_redacted(path: str) -> None:
    record = _access_record(path)
    assert RedactedAccessLog().filter(record)
    line = record.getMessage()
    for secret in ("abc123", "pa55word", "k3y-value", "s3cr3t"):
        assert secret not in line
    assert "REDACTED" in line and line.startswith("127.0.0.1:5000 - \"GET /")


def test_a_logged_path_without_secrets_is_left_as_it_was() -> None:
    record = _access_record("/v6/jobs/?page=2&status=RUNNING")
    RedactedAccessLog().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /v6/jobs/?page=2&status=RUNNING HTTP/1.1" 200'


def test_a_message_repeated_in_a_storm_is_written_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr("mockingjob.http.server.time.monotonic", lambda: now[0])
    repeats = RepeatsDropped()

    def record() -> logging.LogRecord:
        return logging.LogRecord("asyncio", logging.ERROR, __file__, 1, "socket.accept() out of system resource",
                                 None, None)

    written = [repeats.filter(record()) for _ in range(10_000)]
    assert written.count(True) == 1
    now[0] += RepeatsDropped.interval + 1
    later = record()
    assert repeats.filter(later)
    assert "9999 more like it" in later.getMessage()
    # Another message is not held back by the first one's storm.
    assert repeats.filter(logging.LogRecord("asyncio", logging.ERROR, __file__, 1, "something else", None, None))


def test_the_servers_log_configuration_installs_both() -> None:
    config = uvicorn_options()["log_config"]
    made = {name: logging.config.DictConfigurator({}).resolve(spec["()"]) for name, spec in config["filters"].items()}
    assert made == {"admin-reads": AdminReadsDropped, "redacted": RedactedAccessLog, "repeats": RepeatsDropped}
    assert config["loggers"]["uvicorn.access"]["filters"] == ["admin-reads", "redacted"]
    assert config["loggers"]["uvicorn.error"]["filters"] == ["repeats"]
    assert config["loggers"]["asyncio"]["filters"] == ["repeats"]


def test_a_worker_whose_parent_is_gone_before_it_looks_is_orphaned_at_once() -> None:
    import subprocess
    import sys

    from mockingjob.http.server import die_with_parent

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    orphaned: list[bool] = []
    die_with_parent(int(gone.stdout), on_orphaned=lambda: orphaned.append(True))
    assert orphaned == [True]


@pytest.mark.parametrize(("method", "path", "status", "logged"), [
    ("GET", "/_mockingjob/runs?limit=20", 200, False),   # what an open dashboard polls
    ("GET", "/_mockingjob/journal", 304, False),
    ("GET", "/_mockingjob/journal", 403, True),           # a refusal is worth a line
    ("POST", "/_mockingjob/clock/advance", 200, True),    # a write too
    ("GET", "/scale/v6/jobs/", 200, True),                # and every API request
    ("GET", "/_mockingjobs/x", 200, True),
])
def test_the_admin_apis_successful_reads_stay_out_of_the_access_log(method: str, path: str, status: int,
                                                                     logged: bool) -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", method, path, "1.1", status), None)
    assert AdminReadsDropped().filter(record) is logged


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/scale/v6/jobs/", 200), ("GET", "/x?password=pa55word&page=2", 404), ("POST", "/coalesce/x", 201),
    ("GET", "/_mockingjob/runs?limit=20", 200), ("GET", "/_mockingjob/journal", 403), ("GET", "/y", 599),
])
def test_a_quick_access_line_is_the_line_logging_would_write(method: str, path: str, status: int) -> None:
    import io

    from mockingjob.http.server import BatchedStreamHandler, QuickAccessLog

    logger = logging.getLogger("uvicorn.access")
    logger.filters.clear()  # configuring logging again adds its filters again: as a server starts, once
    logging.config.dictConfig(uvicorn_options()["log_config"])
    (handler,) = logger.handlers
    assert isinstance(handler, BatchedStreamHandler)
    args = ("127.0.0.1:5000", method, path, "1.1", status)
    written = []
    for quick in (True, False):
        handler.stream = io.StringIO()
        if quick:
            log = QuickAccessLog(logger)
            assert log.handler is handler  # the server's own configuration: lines made without logging
            log.info('%s - "%s %s HTTP/%s" %d', *args)
        else:
            logger.info('%s - "%s %s HTTP/%s" %d', *args)
        handler.flush()
        written.append(handler.stream.getvalue())
    assert written[0] == written[1]
    assert ("pa55word" not in written[0]) and (written[0] == "") == path.startswith("/_mockingjob/runs")


def test_an_access_log_configured_otherwise_goes_through_logging() -> None:
    import io

    from mockingjob.http.server import QuickAccessLog

    logger = logging.getLogger("test.access")
    logger.setLevel(logging.INFO)
    stream = io.StringIO()
    logger.addHandler(logging.StreamHandler(stream))
    log = QuickAccessLog(logger)
    assert log.handler is None
    log.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/x", "1.1", 200)
    assert stream.getvalue() == '127.0.0.1:5000 - "GET /x HTTP/1.1" 200\n'


@pytest.mark.parametrize("access_log", [True, False])
def test_the_servers_protocol_writes_its_access_lines_the_quick_way(access_log: bool) -> None:
    import asyncio

    import uvicorn

    from mockingjob.http.server import QuickAccessLog

    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("not called")

    logging.getLogger("uvicorn.access").filters.clear()
    options = uvicorn_options(access_log=access_log)
    config = uvicorn.Config(app, **options)
    config.load()  # configures logging as the server does

    async def protocol() -> object:
        return options["http"](config=config, server_state=uvicorn.server.ServerState(), app_state={})

    made = asyncio.run(protocol())
    if access_log:
        assert isinstance(made.access_logger, QuickAccessLog)  # type: ignore[attr-defined]
        assert made.access_logger.handler is not None  # type: ignore[attr-defined]
    else:
        assert not made.access_log  # type: ignore[attr-defined]


def test_a_closed_access_log_writes_what_waits_and_stops_its_thread() -> None:
    # logging closes a handler when it is configured anew and when the process ends: no thread may outlive it
    # (one left writing as the interpreter ends fills the output with tracebacks).
    import io
    import threading
    import time

    from mockingjob.http.server import BatchedStreamHandler

    def threads() -> int:
        return sum(thread.name == "access-log" for thread in threading.enumerate())

    before = threads()
    stream = io.StringIO()
    handler = BatchedStreamHandler(stream)
    assert threads() == before + 1
    handler.emit("INFO:     a line\n")
    handler.close()
    deadline = time.monotonic() + 5
    while threads() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stream.getvalue() == "INFO:     a line\n"
    assert threads() == before
