"""A typed client of the admin API, for tests and scripts: ``Mockingjob("http://127.0.0.1:8080")``.

It speaks HTTP to ``/_mockingjob/`` with the standard library only, so it works against any running
mockingjob, local or remote (give the admin token for a remote one).

>>> mj = Mockingjob("http://127.0.0.1:8080")
>>> mj.scenarios.add("coalesce", operation="Jobs_initiateRun", failure="Warehouse suspended")
>>> mj.clock.advance("PT5M")
>>> [e.path for e in mj.journal.entries(api="coalesce")]
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

__all__ = ["AdminError", "Fault", "JournalEntry", "Mockingjob", "Scenario"]

_PREFIX = "/_mockingjob"


class AdminError(Exception):
    """The admin API refused a request (its problem document's status and detail)."""

    def __init__(self, status: int, detail: str, errors: Iterable[str] = ()) -> None:
        self.errors = list(errors) or [detail]
        """Every problem, one line each (the records `Mockingjob.add_records` was refused, say)."""
        super().__init__(f"{status}: {detail}" if len(self.errors) < 2 else f"{status}:\n  " + "\n  ".join(self.errors))
        self.status = status
        self.detail = detail


def _iso_duration(value: timedelta | str | float) -> str:
    """An ISO-8601 duration in seconds (``PT90S``, ``PT0.000001S``), never in exponent notation."""
    if isinstance(value, str):
        return value
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    text = f"{seconds:.6f}".rstrip("0").rstrip(".")
    return f"PT{text or '0'}S"


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Scenario:
    id: int
    api: str
    operation: str | None
    match: dict[str, Any]
    outcome: str | None
    failure: str | None
    durations: dict[str, str]
    respond: dict[str, Any] | None
    remaining: int | None
    origin: str

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Scenario:
        return cls(doc["id"], doc["api"], doc.get("operation"), dict(doc.get("match") or {}), doc.get("outcome"),
                   doc.get("failure"), dict(doc.get("durations") or {}), doc.get("respond"), doc.get("remaining"),
                   doc["origin"])


@dataclass(frozen=True)
class Fault:
    id: int
    api: str | None
    operation: str | None
    latency: dict[str, Any] | None
    error: dict[str, Any] | None
    drop: dict[str, Any] | None
    remaining: int | None
    origin: str

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Fault:
        return cls(doc["id"], doc.get("api"), doc.get("operation"), doc.get("latency"), doc.get("error"),
                   doc.get("drop"), doc.get("remaining"), doc["origin"])


@dataclass(frozen=True)
class JournalEntry:
    """One request a mocked API received, and its answer; secrets appear as ``[REDACTED]``."""

    id: int
    at: datetime
    api: str
    operation: str | None
    method: str
    path: str
    query: str
    status: int | None
    """None when a fault dropped the connection."""
    latency_ms: float
    request_headers: dict[str, str]
    request_body: str | None
    response_body: str | None
    fault: str | None
    scenario: int | None
    effect: dict[str, Any] | None = None
    """What a scenario or the request's Prefer header asked of it."""
    params: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[dict[str, str]] = field(default_factory=list)
    """Lint findings: what the request got away with only because the real service is lenient (each a
    ``{"where", "rule", "message"}``)."""

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> JournalEntry:
        return cls(doc["id"], _parse_time(doc["at"]), doc["api"], doc.get("operation"), doc["method"],
                   doc["path"], doc["query"], doc["status"], doc["latencyMs"], dict(doc["requestHeaders"]),
                   doc.get("requestBody"), doc.get("responseBody"), doc.get("fault"), doc.get("scenario"),
                   doc.get("effect"), urllib.parse.parse_qs(doc["query"], keep_blank_values=True),
                   list(doc.get("warnings") or []))

    def json(self) -> Any:
        """The request body, decoded (None when there was none)."""
        return None if self.request_body is None else json.loads(self.request_body)

    def response_json(self) -> Any:
        return None if self.response_body is None else json.loads(self.response_body)


class _Http:
    def __init__(self, base_url: str, admin_token: str | None, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.admin_token = admin_token
        self.timeout = timeout

    def __call__(self, verb: str, route: str, body: Any = None, /, **query: Any) -> Any:
        params = {k: v for k, v in query.items() if v is not None}
        url = f"{self.base_url}{_PREFIX}{route}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        if body is None and verb in ("POST", "PUT"):
            body = {}  # the admin API takes writes in JSON only (a web page cannot send that cross-site)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=verb)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.admin_token:
            request.add_header("Authorization", f"Bearer {self.admin_token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")
            try:
                problem = json.loads(text)
            except ValueError:
                problem = None
            if not isinstance(problem, dict):
                raise AdminError(exc.code, text) from None
            raise AdminError(exc.code, str(problem.get("detail", text)), problem.get("errors") or ()) from None
        return json.loads(payload) if payload else None


class Clock:
    def __init__(self, http: _Http) -> None:
        self._http = http

    def now(self) -> datetime:
        return _parse_time(self._http("GET", "/clock")["now"])

    @property
    def speed(self) -> float:
        return float(self._http("GET", "/clock")["speed"])

    def advance(self, by: timedelta | str | float) -> datetime:
        """Move time forward by a timedelta, an ISO-8601 duration or seconds; returns the new now."""
        return _parse_time(self._http("POST", "/clock/advance", {"by": _iso_duration(by)})["now"])

    def set(self, now: datetime) -> datetime:
        return _parse_time(self._http("PUT", "/clock", {"now": now.isoformat()})["now"])

    def set_speed(self, speed: float) -> None:
        """1 is real time, 60 makes a minute pass each second, 0 stops the clock (it moves only when told)."""
        self._http("PUT", "/clock", {"speed": speed})


class Scenarios:
    def __init__(self, http: _Http) -> None:
        self._http = http

    def add(self, api: str, *, operation: str | None = None, match: Mapping[str, Any] | None = None,
            outcome: str | None = None, failure: str | None = None,
            durations: Mapping[str, timedelta | str | float] | None = None, respond: int | None = None,
            message: str | None = None, headers: Mapping[str, str] | None = None,
            times: int | None = None) -> Scenario:
        """Decide what happens to the runs the matching requests start (`outcome`, `failure`, `durations`), or
        answer matching requests at once with HTTP status `respond` in the API's own error shape."""
        doc: dict[str, Any] = {"api": api}
        if operation:
            doc["operation"] = operation
        if match:
            doc["match"] = dict(match)
        if outcome:
            doc["outcome"] = outcome
        if failure:
            doc["failure"] = failure
        if durations:
            doc["durations"] = {state: _iso_duration(value) for state, value in durations.items()}
        if respond is not None:
            doc["respond"] = {"status": respond, **({"message": message} if message else {}),
                              **({"headers": dict(headers)} if headers else {})}
        if times is not None:
            doc["times"] = times
        return Scenario.from_json(self._http("POST", "/scenarios", doc))

    def list(self, api: str | None = None) -> list[Scenario]:
        return [Scenario.from_json(d) for d in self._http("GET", "/scenarios", api=api)["scenarios"]]

    def get(self, scenario_id: int) -> Scenario:
        return Scenario.from_json(self._http("GET", f"/scenarios/{scenario_id}"))

    def remove(self, scenario_id: int) -> None:
        self._http("DELETE", f"/scenarios/{scenario_id}")

    def clear(self, api: str | None = None) -> None:
        self._http("DELETE", "/scenarios", api=api)


class Faults:
    def __init__(self, http: _Http) -> None:
        self._http = http

    def add(self, api: str | None = None, *, operation: str | None = None,
            latency_ms: float | tuple[float, float] | Mapping[str, Any] | None = None, error: int | None = None,
            error_rate: float = 1.0, message: str | None = None, headers: Mapping[str, str] | None = None,
            drop: bool = False, drop_rate: float = 1.0, drop_after: bool = False,
            times: int | None = None) -> Fault:
        """Disturb requests (to one API or all, one operation or all): `latency_ms` (fixed, a uniform
        (low, high) range, or a Latency document such as ``{"lognormal": {"median": 80, "sigma": 0.5}}``), an
        `error` status answered at `error_rate` (with extra `headers`, e.g. Retry-After), or a dropped
        connection (`drop_after`: once the request has been handled)."""
        doc: dict[str, Any] = {}
        if api:
            doc["api"] = api
        if operation:
            doc["operation"] = operation
        if isinstance(latency_ms, Mapping):
            doc["latency"] = dict(latency_ms)
        elif isinstance(latency_ms, tuple):
            doc["latency"] = {"uniform": {"lower": latency_ms[0], "upper": latency_ms[1]}}
        elif latency_ms is not None:
            doc["latency"] = {"fixed": latency_ms}
        if error is not None:
            doc["error"] = {"status": error, "rate": error_rate, **({"message": message} if message else {}),
                            **({"headers": dict(headers)} if headers else {})}
        if drop:
            doc["drop"] = {"rate": drop_rate, "after": drop_after}
        if times is not None:
            doc["times"] = times
        return Fault.from_json(self._http("POST", "/faults", doc))

    def get(self, fault_id: int) -> Fault:
        return Fault.from_json(self._http("GET", f"/faults/{fault_id}"))

    def list(self, api: str | None = None) -> list[Fault]:
        return [Fault.from_json(d) for d in self._http("GET", "/faults", api=api)["faults"]]

    def remove(self, fault_id: int) -> None:
        self._http("DELETE", f"/faults/{fault_id}")

    def clear(self, api: str | None = None) -> None:
        self._http("DELETE", "/faults", api=api)


class Journal:
    def __init__(self, http: _Http) -> None:
        self._http = http

    def entries(self, api: str | None = None, *, operation: str | None = None, status: int | str | None = None,
                method: str | None = None, since: int | None = None, path: str | None = None, limit: int = 100,
                oldest_first: bool = False) -> list[JournalEntry]:
        """Recent requests, newest first (or oldest first). `status`: 404, "5xx" or "dropped"; `since`: an
        entry id (see `mark`); `path`: a path prefix."""
        docs = self._http("GET", "/journal", api=api, operation=operation, status=status, method=method,
                          since=since, path=path, limit=limit,
                          order="asc" if oldest_first else "desc")["entries"]
        return [JournalEntry.from_json(d) for d in docs]

    def count(self, api: str | None = None, *, operation: str | None = None, status: int | str | None = None,
              method: str | None = None, since: int | None = None, path: str | None = None) -> int:
        return int(self._http("GET", "/journal/count", api=api, operation=operation, status=status,
                              method=method, since=since, path=path)["count"])

    def mark(self) -> int:
        """The id of the newest entry (0 if none): pass it as `since` to see only what comes after."""
        newest = self.entries(limit=1)
        return newest[0].id if newest else 0

    def last(self, api: str | None = None, *, operation: str | None = None) -> JournalEntry | None:
        found = self.entries(api, operation=operation, limit=1)
        return found[0] if found else None

    def clear(self, api: str | None = None) -> None:
        self._http("DELETE", "/journal", api=api)

    def lint(self, api: str | None = None, *, since: int | None = None, ignore: Iterable[str] = ()) -> list[str]:
        """The lint findings of the recent requests (to `api`, after entry `since`), oldest first, each as
        ``METHOD path: rule where: message``: what the real service would only have tolerated. Findings whose
        rule is in `ignore` (``deprecated``, say) are left out."""
        ignored = set(ignore)
        found = []
        for entry in self.entries(api, since=since, limit=1000, oldest_first=True):
            for warning in entry.warnings:
                if warning["rule"] in ignored:
                    continue
                found.append(f"{entry.method} {entry.path}: {warning['rule']} {warning['where']}: "
                             f"{warning['message']}")
        return found


class Mockingjob:
    """A handle on a running mockingjob: its APIs' URLs, reset, clock, scenarios, faults and journal."""

    def __init__(self, base_url: str, *, admin_token: str | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = _Http(self.base_url, admin_token, timeout)
        self.clock = Clock(self._http)
        self.scenarios = Scenarios(self._http)
        self.faults = Faults(self._http)
        self.journal = Journal(self._http)
        self._apis: dict[str, str] | None = None

    @property
    def apis(self) -> dict[str, str]:
        """API name → the base URL of its real paths (``{"scale": "http://127.0.0.1:PORT/scale"}``)."""
        if self._apis is None:
            self._apis = {a["name"]: a["url"] for a in self._http("GET", "/apis")["apis"]}
        return dict(self._apis)

    def url(self, api: str) -> str:
        try:
            return self.apis[api]
        except KeyError:
            raise AdminError(404, f"no API {api!r} is served here; served: {', '.join(self.apis)}") from None

    def reset(self, api: str | None = None) -> None:
        """Every API (or one) back to its fixtures; without `api` also scenarios, faults, journal and clock."""
        self._http("POST", "/reset", {"api": api} if api else None)

    def add_records(self, api: str, records: Mapping[str, Iterable[Mapping[str, Any]]] | None = None, /,
                    **kinds: Iterable[Mapping[str, Any]]) -> dict[str, list[Any]]:
        """Add records to one API's state, by fixture kind, in the fixture files' format; answer their identities
        by kind, in order. Records may refer to each other and to those the server holds; times may be relative
        to the clock's now (``"-PT5M"``). The next reset returns to the configured fixtures.

        >>> mj.add_records("scale", job_types=[{...}], jobs=[{"id": 900, "job_type": 1, ...}])
        {'job_types': [...], 'jobs': [900]}

        AdminError (400, 409 for an identity already taken) lists every problem in ``errors``; nothing is added.
        """
        given = {**(records or {}), **kinds}
        for kind, items in given.items():
            if isinstance(items, Mapping | str | bytes):
                raise TypeError(f"{kind}: expected a list of records, not {type(items).__name__} "
                                f"(one record goes in a list: {kind}=[{{...}}])")
        body = {"api": api, "records": {kind: list(items) for kind, items in given.items()}}
        added: dict[str, list[Any]] = self._http("POST", "/records", body)["added"]
        return added
