"""One verification from start to end: the options checked and turned into a `Plan` (credentials as the spec
says), the service reached once before anything is generated, the run, and its reports."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import yaml

from ..core import registry
from ..core.errors import PackError
from .credentials import CredentialsError, credential_headers, parse_header
from .plan import CannotRun, Plan

__all__ = ["prepare", "run"]


def prepare(api: str, *, base_url: str, token: str | None, headers: Iterable[str], allow_writes: bool,
            max_examples: int, max_time: int | None, rate: int | None, request_timeout: float,
            seed: int | None = None) -> Plan:
    """The plan of the run the options ask for; CannotRun says in one line what is wrong with them."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CannotRun(f"--base-url {base_url!r} is not an http:// or https:// URL")
    if token is not None and not token.strip():
        raise CannotRun("--token must not be empty (an unset shell variable?)")
    try:
        spec_path = registry.load(api).spec_path
    except PackError as exc:
        raise CannotRun(str(exc)) from None
    sent: dict[str, str] = {}
    if token is not None:
        try:
            sent.update(credential_headers(yaml.safe_load(spec_path.read_text()), token.strip()))
        except CredentialsError as exc:
            raise CannotRun(str(exc)) from None
    for header in headers:
        try:
            name, value = parse_header(header)
        except ValueError as exc:
            raise CannotRun(f"--header {exc}") from None
        # The user's header wins over the one the token makes, whatever its case.
        sent = {key: kept for key, kept in sent.items() if key.lower() != name.lower()}
        sent[name] = value
    return Plan(api=api, spec_path=spec_path, base_url=base_url.rstrip("/"), headers=sent,
                secrets=frozenset({token.strip()} if token else set()), allow_writes=allow_writes,
                max_examples=max_examples, max_time=max_time, rate=rate, request_timeout=request_timeout,
                seed=random.randrange(2**32) if seed is None else seed)


def reach(plan: Plan) -> None:
    """One request to the API's root, so that a wrong URL is told in one line before any test is generated."""
    try:
        httpx.get(plan.base_url + "/", headers=plan.headers, timeout=plan.request_timeout)
    except httpx.TransportError as exc:
        reason = str(exc) or type(exc).__name__
        raise CannotRun(f"cannot reach {_shown(plan.base_url)}: {reason}") from None


def _shown(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"


def run(plan: Plan, *, echo: Callable[[str], object], junit_xml: Path | None, html_file: Path | None) -> bool:
    """Verify, echo the console summary, write the reports asked for; True if anything drifted."""
    reach(plan)
    from .report_console import console_lines
    from .report_html import html_report
    from .report_junit import junit_report
    from .runner import verify

    report = verify(plan)
    for line in console_lines(report):
        echo(line)
    if junit_xml is not None:
        _write(junit_xml, junit_report(report))
    if html_file is not None:
        _write(html_file, html_report(report))
    return bool(report.drifts)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CannotRun(f"cannot write {path}: {exc.strerror}") from None
