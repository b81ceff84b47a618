"""Lint findings: what a request got away with only because the real service is lenient.

The real services ignore fields they do not read, coerce ``"4"`` to 4, read enums in any case, take ``null``
for "not given". A client relying on that works in production, but a misspelt optional field silently does
nothing there. The mock accepts such requests as the real service does and reports each leniency as a finding:
in the answer's `HEADER`, in the journal entry and in the log. With ``--strict`` a finding is the API's own 400.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Protocol

__all__ = ["HEADER", "Finding", "bounded", "scrubbed"]

HEADER = "Mockingjob-Lint"
"""The response header carrying the findings, one header line per finding."""


@dataclass(frozen=True)
class Finding:
    """One leniency a request relied on.

    `where` names what the client sent (``body.url``, ``query.order``); `rule` is the kind of leniency
    (``unknown-field``, ``coerced``, ``case-folded``, ``deprecated``, …: the README's *Lint* lists them all);
    `message` says what the real service does with it.
    """

    where: str
    rule: str
    message: str

    def header_value(self) -> str:
        """``rule "where" "message"``, both as JSON strings (ASCII, escaped): `where` may hold anything a client
        named a field, and entries a client joined with commas stay apart."""
        return f"{self.rule} {json.dumps(self.where)} {json.dumps(self.message)}"

    def to_json(self) -> dict[str, str]:
        return {"where": self.where, "rule": self.rule, "message": self.message}


def bounded(findings: list[Finding], limit: int) -> list[Finding]:
    """At most `limit` findings: the first ``limit - 1`` and one that says how many more there were."""
    if len(findings) <= limit:
        return list(findings)
    more = len(findings) - (limit - 1)
    return [*findings[:limit - 1], Finding("", "more", f"{more} more findings like these")]


class _Scrubber(Protocol):
    def scrub_text(self, text: str) -> str: ...


def scrubbed(findings: list[Finding], secrets: _Scrubber) -> list[Finding]:
    """`findings` without the secrets their request carried (a finding may quote a value it read)."""
    return [replace(finding, where=secrets.scrub_text(finding.where), message=secrets.scrub_text(finding.message))
            for finding in findings]
