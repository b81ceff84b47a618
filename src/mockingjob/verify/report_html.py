"""The HTML report: one self-contained page (inline style, no script, nothing fetched) with every operation's
verdict and each drift with the request and the answer that show it. Every value is escaped."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from html import escape

from .drifts import Drift, Exchange, Report

__all__ = ["html_report"]

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; } h3 { font-size: 1em; margin: 1em 0 .3em; }
table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .2em .6em; vertical-align: top; }
tr:nth-child(even) { background: #f6f6f6; } code, pre { font: 12px/1.4 ui-monospace, monospace; }
pre { background: #f4f4f4; padding: .6em; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.verdict { font-weight: bold; } .DRIFT { color: #b00020; } .error { color: #a15c00; } .ok { color: #1b7a1b; }
.skipped, .untested { color: #777; }
.drift { border-left: 4px solid #b00020; padding: .2em 1em; margin: 1em 0; }
.exchange { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
"""


def html_report(report: Report) -> str:
    return "\n".join(["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                      f"<title>mockingjob verify {escape(report.api)}</title>", f"<style>{_STYLE}</style>",
                      "</head><body>", *_body(report), "</body></html>", ""])


def _body(report: Report) -> Iterator[str]:
    drifts = report.drifts
    yield f"<h1>mockingjob verify {escape(report.api)}: {escape(report.base_url)}</h1>"
    yield (f"<p>{len(drifts)} drift(s), {report.requests} request(s), {report.seconds:.1f} s.</p>" if drifts
           else f"<p>No drift: {report.requests} request(s), {report.seconds:.1f} s.</p>")
    yield from (f"<p>{escape(note)}</p>" for note in report.notes)
    yield "<table><tr><th>Operation</th><th>Verdict</th><th>Requests</th><th>Drifts</th></tr>"
    for result in report.operations.values():
        yield (f"<tr><td><code>{escape(result.label)}</code></td>"
               f'<td class="verdict {escape(result.verdict)}">{escape(result.verdict)}</td>'
               f"<td>{result.requests}</td><td>{len(result.drifts) or ''}</td></tr>")
    yield "</table>"
    for result in report.operations.values():
        if not result.drifts and not result.errors:
            continue
        yield f"<h2><code>{escape(result.label)}</code></h2>"
        for drift in result.drifts:
            yield from _drift(drift)
        for error in result.errors:
            yield f'<p class="error">Error: {escape(error)}</p>'


def _drift(drift: Drift) -> Iterator[str]:
    yield '<section class="drift">'
    yield f"<h3>{escape(drift.kind)}: {escape(drift.statement)}</h3>"
    yield f"<pre>{escape(drift.detail)}</pre>"
    if drift.exchange is not None:
        yield from _exchange(drift.exchange)
    yield "</section>"


def _exchange(exchange: Exchange) -> Iterator[str]:
    yield '<div class="exchange"><div>'
    yield f"<h3>Request</h3><p><code>{escape(exchange.method)} {escape(exchange.url)}</code></p>"
    yield from _headers(exchange.request_headers)
    yield f"<pre>{escape(exchange.request_body)}</pre>" if exchange.request_body else "<p>(no body)</p>"
    yield "</div><div>"
    yield f"<h3>Answer</h3><p><code>{exchange.status if exchange.status is not None else 'none'}</code></p>"
    yield from _headers(exchange.response_headers)
    yield f"<pre>{escape(exchange.response_body)}</pre>" if exchange.response_body else "<p>(no body)</p>"
    yield "</div></div>"


def _headers(headers: Mapping[str, str]) -> Iterator[str]:
    yield "<table>"
    yield from (f"<tr><td><code>{escape(name)}</code></td><td><code>{escape(value)}</code></td></tr>"
                for name, value in headers.items())
    yield "</table>"
