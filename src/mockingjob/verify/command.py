"""The ``mockingjob verify`` command: options in, a `Plan` out to the runner, reports written, an exit status.

Only click and the standard library at import: ``mockingjob serve`` loads this module too, and schemathesis takes
a while to import."""

from __future__ import annotations

from pathlib import Path

import click

from ..option_types import ApiName
from .plan import CannotRun

__all__ = ["verify"]

EXIT_DRIFT = 1
EXIT_CANNOT_RUN = 2


class _CannotRun(click.ClickException):
    """A usage problem or a service out of reach, told in one line (``Error: …``), with status 2."""

    exit_code = EXIT_CANNOT_RUN


@click.command()
@click.argument("api", type=ApiName())
@click.option("--base-url", required=True, metavar="URL",
              help="The real service's API root: the spec's paths hang below it (URL/v6/jobs/ for scale).")
@click.option("--token", envvar="MOCKINGJOB_VERIFY_TOKEN", metavar="TOKEN",
              help="Your API token, sent as the spec's security scheme says (or MOCKINGJOB_VERIFY_TOKEN, which "
              "keeps it out of `ps`).")
@click.option("--header", "headers", multiple=True, metavar="'NAME: VALUE'",
              help="A header to send with every request (repeatable); wins over the one --token makes.")
@click.option("--allow-writes", is_flag=True,
              help="Also run the operations that change state (POST, PATCH…) and follow the spec's links through "
              "them: for a staging service only. Default: GET and HEAD alone.")
@click.option("--max-examples", default=10, show_default=True, type=click.IntRange(1, 1000),
              help="Requests generated per operation at most.")
@click.option("--max-time", type=click.IntRange(min=1), metavar="SECONDS", help="Stop the whole run after this long.")
@click.option("--rate", type=click.IntRange(min=1), metavar="N", help="At most N requests a second.")
@click.option("--timeout", "request_timeout", default=10.0, show_default=True,
              type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Give up on a request after this long.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), metavar="N",
              help="Generate the requests of an earlier run again (the console tells each run's seed). Default: a "
              "new one each run.")
@click.option("--junit-xml", type=click.Path(dir_okay=False, writable=True, path_type=Path), metavar="FILE",
              help="Write a JUnit XML report: one test case per operation, one failure per drift.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, writable=True, path_type=Path), metavar="FILE",
              help="Write one self-contained HTML page: each drift with the request and the answer that show it.")
def verify(api: str, base_url: str, token: str | None, headers: tuple[str, ...], allow_writes: bool,
           max_examples: int, max_time: int | None, rate: int | None, request_timeout: float, seed: int | None,
           junit_xml: Path | None, html_file: Path | None) -> None:
    """Check a real API service against mockingjob's spec for API: every documented operation's answers (status,
    content type, headers, body schema, error shape). Read-only unless --allow-writes.

    Exit status: 0 no drift, 1 drift found, 2 usage error or the service out of reach. Reports never show your
    token."""
    from .verification import prepare, run

    try:
        plan = prepare(api, base_url=base_url, token=token, headers=headers, allow_writes=allow_writes,
                       max_examples=max_examples, max_time=max_time, rate=rate, request_timeout=request_timeout,
                       seed=seed)
        drifted = run(plan, echo=click.echo, junit_xml=junit_xml, html_file=html_file)
    except CannotRun as exc:
        raise _CannotRun(str(exc)) from None
    if drifted:
        raise SystemExit(EXIT_DRIFT)
