"""The pack kit: everything a pack author uses, and the only part of mockingjob a pack imports.

A pack is a spec, a fixtures folder and a package built from these names (see docs/writing-a-pack.md).
"""

from __future__ import annotations

from ..core.auth import TokenAuth
from ..core.effect import Effect
from ..core.errors import ApiError, FixtureConflict, FixtureError, RequestInvalid, Violation
from ..core.fixture_schemas import record_label
from ..core.fixtures import RelativeTimes, insert_rows, load_fixtures
from ..core.lifecycle import NOW, Phase, Plan, Timeline, sql_last_change, sql_state
from ..core.pack import Answer, Call, Handler, Mentioned, Operations, Reply, RunTimeline, Sample
from ..core.store import (
    JSONText,
    PortableString,
    PortableText,
    UtcDateTime,
    insert_all_returning_ids,
    insert_racing,
    inserted_id,
    seconds_between,
)
from ..core.timeutil import UTC, format_duration, format_iso, parse_duration, parse_iso, relative_time, to_utc
from .answers import instant_of, integer_of, list_of, mapping_of, number_of, text_of
from .errors import leaf, media_type_of, unknown_fields
from .pack import Pack
from .tables import TableSet

__all__ = [
    "NOW",
    "UTC",
    "Answer",
    "ApiError",
    "Call",
    "Effect",
    "FixtureConflict",
    "FixtureError",
    "Handler",
    "JSONText",
    "Mentioned",
    "Operations",
    "Pack",
    "Phase",
    "Plan",
    "PortableString",
    "PortableText",
    "RelativeTimes",
    "Reply",
    "RequestInvalid",
    "RunTimeline",
    "Sample",
    "TableSet",
    "Timeline",
    "TokenAuth",
    "UtcDateTime",
    "Violation",
    "format_duration",
    "format_iso",
    "insert_all_returning_ids",
    "insert_racing",
    "insert_rows",
    "inserted_id",
    "instant_of",
    "integer_of",
    "leaf",
    "list_of",
    "load_fixtures",
    "mapping_of",
    "media_type_of",
    "number_of",
    "parse_duration",
    "parse_iso",
    "record_label",
    "relative_time",
    "seconds_between",
    "sql_last_change",
    "sql_state",
    "text_of",
    "to_utc",
    "unknown_fields",
]
