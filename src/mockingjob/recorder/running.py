"""Serving the recording proxy with uvicorn, in one process, until Ctrl-C or SIGTERM; then saying what it wrote."""

from __future__ import annotations

import contextlib
import copy
import shlex
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import uvicorn
from uvicorn.config import LOGGING_CONFIG

from ..core.pack import Pack
from .proxy import Proxy
from .recording import Recording, Written
from .secrets import RecordingSecrets

__all__ = ["run_recorder", "serve_command", "summary"]


def run_recorder(pack: Pack, folder: Path, upstream: str, origin: str, *, host: str, port: int,
                 added_headers: Sequence[tuple[str, str]], known_secrets: Sequence[str],
                 answered_at: datetime | None) -> None:
    """Record until stopped. `origin` is `upstream` as it may be shown (without credentials)."""
    secrets = RecordingSecrets(pack, added_headers, known_secrets)
    recording = Recording(pack, folder, origin, secrets, answered_at=answered_at)
    recording.start()

    def said_on_stop() -> None:
        recording.finish()
        for line in summary(pack.name, folder, origin, recording.written):
            click.echo(line)
        sys.stdout.flush()  # SIGTERM then ends the process by that signal, with no buffer flushed

    # The real service's own Date and Server headers are the ones passed on. No access log: a query may hold a
    # credential, and the exchanges file keeps every request, redacted.
    config = uvicorn.Config(Proxy(pack, upstream, recording, added_headers=added_headers, on_stop=said_on_stop),
                            host=host, port=port, lifespan="on", ws="none", access_log=False, server_header=False,
                            date_header=False, timeout_graceful_shutdown=30, log_config=_log_config())
    sock = config.bind_socket()  # bound (and listening) before the line below: a client may connect at once
    bound = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"Recording {pack.name}: listening on http://{shown_host}:{bound}, forwarding to {origin}, "
               f"writing {folder}")
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn raises Ctrl-C again once it has stopped
        uvicorn.Server(config).run(sockets=[sock])


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, with the recorder's own lines (an upstream that did not answer) where uvicorn's go."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["mockingjob"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def summary(api: str, folder: Path, origin: str, written: Written) -> list[str]:
    """What a recording wrote: each fixture file with its record count, the exchanges, how to serve it."""
    lines = [f"Recorded {written.exchange_count} exchange(s) with {origin}: {written.exchanges}"]
    for path, count in written.files.items():
        lines.append(f"  {path}: {count} record(s)")
    if not written.files:
        lines.append(f"  no records: no answer told the {api} pack of any (the exchanges are kept)")
    lines.append(f"Serve them: {serve_command(api, folder)}")
    return lines


def serve_command(api: str, folder: Path) -> str:
    """The command that serves a recorded folder."""
    return f"mockingjob serve {api} --fixtures {shlex.quote(str(folder))}"
