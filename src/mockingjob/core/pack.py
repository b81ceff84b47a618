"""What an API pack is, and what its handlers see.

A pack mocks one real API: its spec (``specs/<name>.yaml``), its fixtures (``fixtures/<name>/``) and one
handlers module. The engine knows packs only through this interface; it never imports a pack module.

A handler is ``async def operation_id(call: Call) -> Reply``: it reads the validated request from `call`,
works on the store through ``call.conn`` (one transaction per request) and returns a `Reply`, or raises
`ApiError`, which the pack's `render_error` turns into its API's own error body.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from starlette.requests import Request

from .effect import Effect, flatten
from .errors import ApiError
from .lifecycle import Timeline
from .resources import fixtures_dir, specs_dir

__all__ = ["Answer", "Call", "Handler", "Mentioned", "Operations", "Pack", "Reply", "RunSegment", "RunTimeline",
           "Sample"]


@dataclass
class Reply:
    """A handler's answer. `body` is JSON-encoded unless it is bytes/str with a non-JSON media type."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = "application/json"


@dataclass
class Call:
    """One request, as a handler sees it."""

    operation_id: str
    params: dict[str, Any]
    body: Any
    request: Request
    conn: Connection
    now: datetime
    api_root: str
    """Absolute URL where this API is mounted, without a trailing slash (``http://host:8080/scale``)."""
    effect: Effect = field(default_factory=Effect)
    """What a scenario (or the request's ``Prefer`` header) asks of the run this request creates: apply it
    where the run's plan is made (``call.effect.apply(plan)``, ``call.effect.failure``)."""

    def url(self, path: str) -> str:
        """Absolute URL of `path`, a path of the real API (``/v6/jobs/3/``)."""
        return self.api_root + path

    @property
    def full_url(self) -> str:
        """The absolute URL of this request, with its query string, as the client addressed it."""
        url = urlsplit(str(self.request.url))
        return urlunsplit(url._replace(netloc=urlsplit(self.api_root).netloc))

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name)


Handler = Callable[[Call], Awaitable[Reply]]
H = TypeVar("H", bound=Handler)


class Operations(Mapping[str, Handler]):
    """operationId → handler: the one way a pack (and the admin API) registers its handlers.

    >>> operations = Operations()
    >>> @operations                        # the function's name is the operationId
    ... async def list_jobs(call: Call) -> Reply: ...
    >>> @operations.named("Jobs_initiateRun")
    ... async def start_run(call: Call) -> Reply: ...
    """

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def __call__(self, handler: H) -> H:
        self.add(handler.__name__, handler)
        return handler

    def named(self, operation_id: str) -> Callable[[H], H]:
        def register(handler: H) -> H:
            self.add(operation_id, handler)
            return handler
        return register

    def add(self, operation_id: str, handler: Handler) -> None:
        if operation_id in self._handlers:
            raise ValueError(f"operationId {operation_id!r} has a handler already")
        self._handlers[operation_id] = handler

    def __getitem__(self, operation_id: str) -> Handler:
        return self._handlers[operation_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._handlers)

    def __len__(self) -> int:
        return len(self._handlers)


@dataclass(frozen=True)
class Sample:
    """A document a pack would serve, paired with the spec schema it must satisfy (used by ``check``)."""

    schema: str
    instance: Any
    label: str


@dataclass(frozen=True)
class RunSegment:
    """A stretch of a run's life spent in one state: from `start` until `end` (None: it is in it still)."""

    state: str
    start: datetime
    end: datetime | None = None


@dataclass(frozen=True)
class RunTimeline:
    """One run as the dashboard draws it (`Pack.run_timelines`): which it is, the state it is in at the clock's
    now, and the states it went through until then, oldest first (the last one is `state`)."""

    api: str
    id: str
    label: str
    """What a person knows the run by (its job, environment or dataset)."""
    state: str
    segments: tuple[RunSegment, ...]
    final: bool = False
    """Whether `state` is one the run ends in."""

    @classmethod
    def derived(cls, api: str, run_id: object, label: str, timeline: Timeline, now: datetime,
                final_states: Collection[str]) -> RunTimeline:
        """A run's timeline by the rule its status is derived by (`Timeline.state_at`): the steps reached by `now`,
        in order, each lasting until the next (a step left at the instant it was reached is not shown). A run
        whose first step lies ahead is shown in that state."""
        reached = [(state, at) for state, at in timeline.steps if at is not None and at <= now]
        if not reached:
            first_state, first_at = timeline.steps[0]
            reached = [(first_state, first_at or now)]
        starts: list[tuple[str, datetime]] = []
        latest = reached[0][1]
        for state, at in reached:
            latest = at = max(at, latest)  # a step given an earlier instant than the one before comes after it
            if starts and at == starts[-1][1]:
                starts.pop()
            if starts and starts[-1][0] == state:
                continue  # entering the state it is in changes nothing
            starts.append((state, at))
        ends: list[datetime | None] = [at for _, at in starts[1:]]
        segments = tuple(RunSegment(state, at, end) for (state, at), end in zip(starts, [*ends, None], strict=True))
        state = segments[-1].state
        return cls(api, str(run_id), label, state, segments, state in final_states)


@dataclass(frozen=True)
class Answer:
    """One exchange with the real service that ``mockingjob record`` saw: a request and its JSON answer."""

    operation_id: str | None
    """The spec's operation the request matched; None when it matched none."""
    method: str
    path: str
    """The path of the real API (``/v6/jobs/3/``), without any mount prefix."""
    path_params: Mapping[str, str]
    query: Mapping[str, list[str]]
    request_body: Any
    """The request's JSON body, parsed; None when it had none (or not JSON)."""
    status: int
    body: Any
    """The answer's JSON body, parsed."""
    at: datetime
    """When it was answered (UTC): the instants it tells become fixture times relative to this."""


class Mentioned(dict[str, Any]):
    """A record that an answer only names (the job type a job shows), with neutral values where the answer tells
    nothing: the recorder puts it under what it already holds of that record, so that every field some answer
    told wins over it, whichever answer came first."""


class Pack:
    """Base class of an API pack. Subclasses set the class attributes and override the hooks they need."""

    name: str = ""
    """Short name, used in URLs (``/scale``), on the command line and for ``specs/<name>.yaml``."""
    title: str = ""
    handlers: Mapping[str, Handler] = {}
    """operationId → handler."""

    # --- what scenarios may steer ------------------------------------------------------------------
    run_operations: frozenset[str] = frozenset()
    """operationIds that start a run: only these take a scenario's outcome, failure and durations."""
    outcomes: tuple[str, ...] = ()
    """The final states a scenario may force, spelled as the API does."""
    states: tuple[str, ...] = ()
    """The states whose duration a scenario may set."""
    failure_outcome: str | None = None
    """The outcome a scenario's ``failure`` implies when it names no outcome."""
    scenario_names: tuple[str, ...] = ()
    """The friendly field names `scenario_fields` adds (``job_type``, ``environment``…)."""
    secret_fields: frozenset[str] = frozenset()
    """Field names (lower-case, without "_" or "-") that carry secrets here beyond the usual ones
    (password, token, private key…): the journal redacts them."""
    path_case_note: str | None = None
    """Set when the real service reads its paths' fixed parts in any case (``/v4/jobgroups`` for
    ``/v4/jobGroups``): such a request is served, reported as a ``case-folded`` finding saying this, and
    refused under ``--strict``. Path parameters keep their case."""
    request_encodings: frozenset[str] = frozenset()
    """The ``Content-Encoding`` of request bodies the real service decompresses (``gzip``): such a body is
    decompressed (within the body limit) before anything reads it. Others are read as they come."""

    spec_file: Path | None = None
    """The pack's OpenAPI 3.0 document. A pack shipped with mockingjob leaves it unset: ``specs/<name>.yaml``."""
    fixtures_folder: Path | None = None
    """The folder of the pack's fixture files. Unset: mockingjob's own ``fixtures/<name>/``."""

    @property
    def spec_path(self) -> Path:
        return self.spec_file or specs_dir() / f"{self.name}.yaml"

    @property
    def fixtures_path(self) -> Path:
        return self.fixtures_folder or fixtures_dir() / self.name

    # --- state -------------------------------------------------------------------------------------
    def tables(self) -> Sequence[sa.Table]:
        """This pack's tables, declared once (at import) on a MetaData of the pack's own.

        Every store of the process uses the same Table objects: it creates the missing ones, and a reset
        clears them. Declaring them again per store would cost start-up time for nothing, since Core tables
        are not tied to a database.
        """
        return ()

    def seed(self, conn: Connection, now: datetime) -> None:
        """Load the fixtures into the (empty) tables; fixture times are relative to `now`."""

    def add_records(self, conn: Connection, records: Mapping[str, list[dict[str, Any]]],
                    now: datetime) -> dict[str, list[Any]]:
        """Add records to a store already seeded (a test seeding what it needs): `records` maps a fixture kind
        (the name of a fixture file: ``jobs``) to records in that file's format, already checked against the
        kind's JSON Schema; their times are relative to `now`. Answer, per kind, the identities of the records
        added, in order: what the API addresses each by (an id; a name; ``{"namespace", "name"}``).

        A reference to a record of another kind is found among `records` first, then in the store. Raise
        `FixtureError` (`FixtureConflict` for an identity already taken), one line per problem naming the kind,
        the record and the field, and add nothing. A pack that cannot add records leaves this as it is.
        """
        raise NotImplementedError(f"the {self.name} API cannot add records to a running server")

    # --- requests ----------------------------------------------------------------------------------
    def authenticate(self, request: Request, security: list[dict[str, list[str]]], tokens: frozenset[str]) -> None:
        """Raise `ApiError` if the request may not proceed; called before the request is validated.

        `security` is the operation's (non-empty) spec entry; `tokens` the accepted tokens, empty for "any".
        """

    def render_error(self, error: ApiError) -> Reply:
        """The API's own error body and status for `error`.

        An error whose `code` is "fault" or "scenario" was asked for by a test: render it with exactly
        `error.status` (a 503 stays a 503), in the API's shape, with `error.detail` as the message.
        """
        return Reply({"detail": error.detail}, error.status, error.headers)

    def scenario_fields(self, call: Call) -> Mapping[str, Any]:
        """The fields a scenario's ``match`` can name: dotted paths into the parameters and body. Packs add
        friendly names (``job_type``, ``environment``, ``dataset``)."""
        return {**flatten(call.params), **flatten(call.body)}

    # --- recording the real service -------------------------------------------------------------------
    def records_from_answer(self, answer: Answer) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        """The fixture records that one answer of the real service describes, by fixture kind (``jobs``), in the
        fixture files' format, with instants relative to `answer.at` (`relative_time`) and ids kept: the
        records a fresh server needs to give the same answer. Records of the same kind and `record_key` from
        several answers are merged, the later answer's fields winning, except over a `Mentioned` record's, which
        give way to every told one. None (the default): the recorder keeps only the raw exchanges."""
        return {}

    def recorded_files(self, records: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        """The records merged so far, by kind, as they are to be written: in the order they must be seeded (events
        in time order), without the stand-ins nothing refers to any more. As they are, by default."""
        return records

    def record_key(self, kind: str, record: Mapping[str, Any]) -> Any:
        """What identifies a recorded record among those of its kind: its ``id`` (else its ``name``) by default."""
        return record.get("id", record.get("name"))

    # --- answering polls from memory ---------------------------------------------------------------------
    def clock_bound(self, operation_id: str, query: bytes) -> bool:
        """Whether the answer to this request (its operation, its raw query string) may move with every instant
        while the clock runs: a log that grows, a percentage, a window counted back from now. Such an answer is
        given again from memory only while the clock is stopped. None by default."""
        return False

    def steady_until(self, conn: Connection, now: datetime) -> datetime:
        """The next instant after `now` at which some answer of this API may change though nothing is written:
        when a run enters its next state (`next_instant` over the runs' stored instants), or `NEVER`. Until then,
        a GET asked again is answered with the bytes of last time. The default, `now`, answers every GET anew."""
        return now

    # --- the dashboard -----------------------------------------------------------------------------
    def run_timelines(self, conn: Connection, now: datetime, limit: int) -> Sequence[RunTimeline] | None:
        """The `limit` runs started last (newest first), each with the states it went through by `now`, derived
        from the stored instants as its status is (`RunTimeline.derived`), for the dashboard's timelines
        (``GET /_mockingjob/runs``). None: this pack does not tell (the default)."""
        return None

    # --- checks ------------------------------------------------------------------------------------
    def samples(self, conn: Connection, now: datetime) -> Iterable[Sample]:
        """Documents this pack serves from its fixtures, for validation against the spec."""
        return ()
