"""Scenarios: rules that decide what happens to the runs a request creates, or answer it with an error.

A scenario names an API, optionally an operation, and fields the request must carry (``match``): a pack's
friendly names (``job_type``, ``environment``, ``dataset``) or dotted paths into the parameters and body
(``runDetails.environmentID``). Its `Effect` says what to do: settle the run in a given ``outcome`` with a
``failure`` reason, make states last given ``durations``, or answer at once with an HTTP ``status`` in the
API's own error shape. The newest matching scenario applies (so a test overrides what was configured at
start-up, or added before); one with ``remaining`` set applies that many more times. A request can also ask
for an effect itself, with a ``Prefer`` header.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..core.effect import Effect, flatten
from ..core.errors import ApiError
from ..core.store import Store
from ..core.timeutil import parse_duration
from .tables import ControlTables, claim

__all__ = ["Effect", "flatten", "matches", "normalise", "parse_prefer", "pick", "state_seconds"]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def matches(match: Mapping[str, Any], fields: Mapping[str, Any]) -> bool:
    """Every matched field is present with the given value (or one of the given values, for a list)."""
    for name, expected in match.items():
        if name not in fields:
            return False
        accepted = expected if isinstance(expected, list) else [expected]
        if _text(fields[name]) not in {_text(value) for value in accepted}:
            return False
    return True


def pick(store: Store, conn: Connection, tables: ControlTables, api: str, operation: str,
         fields: Callable[[], Mapping[str, Any]], *, starts_run: bool = True) -> Effect | None:
    """The effect of the first stored scenario matching this request, consuming one of its uses.

    A request that starts no run matches only scenarios that answer with an error: a scenario about runs is
    kept for the request that starts one (a client polling in between must not use it up). The request's
    `fields` (which may take queries to name) are worked out only if some scenario could match.
    """
    table = tables.scenarios
    rows = store.cached(conn, "scenarios", (table,),
                        lambda c: c.execute(sa.select(table).order_by(table.c.id.desc())).all())
    known: Mapping[str, Any] | None = None
    for row in rows:
        if row.api != api or row.operation not in (None, operation):
            continue
        if not starts_run and "respond" not in row.effect:
            continue
        if row.match and known is None:
            known = fields()
        if matches(row.match, known or {}) and claim(conn, table, row):
            return Effect.from_json(row.effect, scenario=row.id)
    return None


def has_scenarios(store: Store, conn: Connection, tables: ControlTables, api: str) -> bool:
    """Whether `api` has stored scenarios (used up or not: the table keeps only those with uses left)."""
    table = tables.scenarios
    rows = store.cached(conn, "scenarios", (table,),
                        lambda c: c.execute(sa.select(table).order_by(table.c.id.desc())).all())
    return any(row.api == api for row in rows)


# --- the Prefer header --------------------------------------------------------------------------------

# One preference: a token, optionally "=" and a token or quoted string (which may hold "," and ";"),
# optionally followed by parameters, up to the "," that separates preferences (RFC 7240).
_PREFERENCE = re.compile(
    r'\s*([A-Za-z][\w.-]*)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^,;"]*))?\s*((?:;\s*[^,;"]*(?:"(?:[^"\\]|\\.)*")?\s*)*)(?:,|$)'
)
MAX_SECONDS = 3650 * 86400.0
"""The longest a state may be made to last (ten years): beyond it a schedule could leave the calendar."""


def state_seconds(text: str) -> float:
    """How long a state lasts, from an ISO-8601 duration; ValueError unless it is one, from 0 to 3650 days."""
    seconds = parse_duration(text).total_seconds()
    if not 0 <= seconds <= MAX_SECONDS:
        raise ValueError("must be between 0 and 3650 days")
    return seconds


def parse_prefer(header: str | None) -> Effect | None:
    """The effect a request asks for in its ``Prefer`` header, or None.

    ``Prefer: outcome=FAILED, failure="disk full", duration.RUNNING=PT10S`` or ``Prefer: code=503`` (as Prism
    spells it; ``status`` works too). Preferences this server does not know are ignored, as RFC 7240 asks.
    Raises ApiError (400) for a known preference with a malformed value.
    """
    if not header:
        return None
    outcome = failure = message = None
    status: int | None = None
    durations: dict[str, float] = {}
    for found in _PREFERENCE.finditer(header):
        if found.group(2) is None:
            continue
        name, value = found.group(1).lower(), found.group(2).strip()
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        if name == "outcome":
            outcome = value
        elif name == "failure":
            failure = value
        elif name == "message":
            message = value
        elif name in ("code", "status"):
            if not value.isdigit() or not 400 <= int(value) <= 599:
                raise ApiError(400, f"Prefer: {name} must be an HTTP error status (400-599), not {value!r}")
            status = int(value)
        elif name.startswith("duration."):
            try:
                durations[found.group(1)[len("duration."):]] = state_seconds(value)
            except ValueError as exc:
                raise ApiError(400, f"Prefer: {name} {value!r}: {exc}") from exc
    effect = Effect(outcome=outcome, failure=failure, durations=durations, status=status, message=message)
    return effect if effect else None


def normalise(effect: Effect, outcomes: Sequence[str], states: Sequence[str], api: str,
              failure_outcome: str | None = None) -> Effect:
    """Spell the outcome and states as the API does (case-insensitively); ApiError (400) for unknown ones.
    A failure reason without an outcome implies the API's failed outcome."""
    def spelled(value: str, known: Sequence[str], what: str) -> str:
        if not known:
            return value
        for name in known:
            if name.lower() == value.lower():
                return name
        raise ApiError(400, f"{what} {value!r} is not one of {api}'s: {', '.join(known)}")

    outcome = spelled(effect.outcome, outcomes, "outcome") if effect.outcome else None
    if outcome is None and effect.failure:
        outcome = failure_outcome
    durations = {spelled(state, states, "state"): seconds for state, seconds in effect.durations.items()}
    return replace(effect, outcome=outcome, durations=durations)
