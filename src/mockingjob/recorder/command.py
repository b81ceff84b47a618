"""``mockingjob record API --upstream URL --out DIR``: a proxy in front of the real service whose answers become a
fixture folder that ``mockingjob serve API --fixtures DIR`` serves. Only options are read here; the heavy
imports (uvicorn, httpx) wait until the command runs."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import click

from ..core import registry
from ..core.errors import UsageError
from ..core.timeutil import parse_iso
from ..option_types import ApiName
from . import EXCHANGES_FOLDER

__all__ = ["HeaderLine", "Instant", "record"]

HEADERS_VARIABLE = "MOCKINGJOB_RECORD_HEADERS"
"""``--header`` lines from the environment, one a line: a token given so stays out of ``ps``."""

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # a header name (RFC 9110 §5.1)


class HeaderLine(click.ParamType):
    """``Name: value``, as a request would carry it."""

    name = "header"
    envvar_list_splitter = "\n"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> tuple[str, str]:
        if isinstance(value, tuple):
            return value
        name, colon, text = str(value).partition(":")
        if not colon or not _TOKEN.match(name.strip()) or "\r" in text or "\n" in text:
            self.fail("expected 'Name: value', such as 'Authorization: Token abc'", param, ctx)
        return name.strip(), text.strip()


class Instant(click.ParamType):
    """An ISO-8601 date-time with its timezone."""

    name = "instant"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_iso(str(value))
        except ValueError:
            self.fail(f"{value!r} is not an ISO-8601 date-time with a timezone (2026-03-01T12:00:00Z)", param, ctx)


@click.command()
@click.argument("api", type=ApiName())
@click.option("--upstream", required=True, metavar="URL",
              help="The real service's base URL (https://scale.example.com): each request goes to it, its path "
              "appended.")
@click.option("--out", "folder", required=True, metavar="DIR", type=click.Path(file_okay=False),
              help="Where the fixtures go (DIR/<api>/<kind>.yaml), with the raw exchanges in DIR/_exchanges/.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to bind.")
@click.option("--header", "headers", multiple=True, type=HeaderLine(), metavar="'NAME: VALUE'",
              envvar=HEADERS_VARIABLE,
              help="Add this header to every request to the real service (a token the client does not send). "
              f"Repeatable; or in ${HEADERS_VARIABLE}, one a line, to keep it out of `ps`. Never written down.")
@click.option("--upstream-now", "answered_at", type=Instant(), metavar="INSTANT",
              help="Take every answer as given at this instant rather than when it arrived: for a service whose "
              "clock stands still (a mockingjob served with --speed 0).")
@click.option("--force", is_flag=True, help="Replace a recording of this API already in DIR.")
def record(api: str, upstream: str, folder: str, host: str, port: int, headers: tuple[tuple[str, str], ...],
           answered_at: datetime | None, force: bool) -> None:
    """Record the real API: serve a proxy that forwards each request to --upstream and answers with its answer,
    and keep what it answered as fixtures. Point your client at the proxy, use it, stop with Ctrl-C, then serve
    the folder with `mockingjob serve API --fixtures DIR`. Credentials are redacted from every file."""
    os.environ.pop(HEADERS_VARIABLE, None)  # read once; no process started later needs it
    try:
        origin, password = _upstream(upstream)
        target = Path(folder)
        _clear_previous(target, api, force)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from exc
    from .running import run_recorder

    run_recorder(registry.load(api), target, upstream, origin, host=host, port=port, added_headers=list(headers),
                 known_secrets=[password] if password else [], answered_at=answered_at)


def _upstream(url: str) -> tuple[str, str | None]:
    """The URL fit for files and messages (without its credentials, if it has any), and its password."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--upstream {url!r}: expected an http:// or https:// URL with a host")
    if parts.query or parts.fragment:
        raise UsageError("--upstream takes a base URL, without a query or fragment")
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=netloc)).rstrip("/"), parts.password


def _clear_previous(folder: Path, api: str, force: bool) -> None:
    """Refuse to mix a new recording with one already in `folder` (its records would stay); --force removes it."""
    previous = [*sorted((folder / api).glob("*.yaml")), folder / EXCHANGES_FOLDER / f"{api}.jsonl"]
    previous = [path for path in previous if path.is_file()]
    if not previous:
        return
    if not force:
        raise UsageError(f"{folder / api} holds a recording already ({len(previous)} files; --force replaces it)")
    for path in previous:
        path.unlink()

