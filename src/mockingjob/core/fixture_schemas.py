"""JSON Schemas of the fixture files, and the field-level errors of records checked against them.

Each kind of fixture file (``fixtures/<api>/<kind>.yaml``) has a draft 2020-12 schema at
``fixtures/_schemas/<api>/<kind>.schema.json``: a list of records, each record's fields as the pack's seed code
reads them. Editors use them through a ``# yaml-language-server: $schema=...`` comment; `record_errors` reports
what is wrong with records in one line per problem, naming the file, the record and the field.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match, relevance

from .resources import fixtures_dir

__all__ = ["SCHEMAS_FOLDER", "record_errors", "record_label", "schema_path"]

SCHEMAS_FOLDER = "_schemas"
"""The folder of ``fixtures/`` holding the schemas; no pack is named so, and no pack reads it."""


def schema_path(api: str, kind: str) -> Path | None:
    """The schema of the fixture files ``<kind>.yaml`` of `api`, or None when there is none."""
    path = fixtures_dir() / SCHEMAS_FOLDER / api / f"{kind}.schema.json"
    return path if path.is_file() else None


def record_errors(api: str, kind: str, records: Any, file_label: str) -> list[str]:
    """One line for each problem of `records` (the parsed ``<kind>.yaml`` of `api`) against its schema.

    A line names `file_label`, the record (``record 3`` is the third, counted from 1, then its ``id`` or its
    name when it has one) and the field path (``attempts[0].queued``, list items counted from 0), e.g.
    ``scale/job_types.yaml: record 3 (id 12): manifest.job.jobVersion: 'x' is not a valid semantic version``.
    No schema for the kind: no lines (nothing can be checked). Dates and times that YAML parsed into Python
    objects are checked as the ISO-8601 text they were written as.
    """
    path = schema_path(api, kind)
    if path is None:
        return []
    if not isinstance(records, list):
        return [f"{file_label}: expected a list of records, not {_type_name(records)}"]
    validator = _validator(str(path))
    plain = [_plain(record) for record in records]
    lines: list[str] = []
    for error in sorted(validator.iter_errors(plain), key=_order):
        where = list(error.absolute_path)
        if not where:  # the list itself (the file-level schema allows any list, so this is unexpected)
            lines.append(f"{file_label}: {error.message}")
            continue
        index = where[0]
        record = plain[index] if isinstance(index, int) and index < len(plain) else None
        label = f"{file_label}: {record_label(index, record)}"
        lines.extend(f"{label}: {line}" for line in _describe(error, where[1:]))
    return list(dict.fromkeys(lines))  # each line once, in order


@lru_cache(maxsize=64)
def _validator(path: str) -> Draft202012Validator:
    schema = json.loads(Path(path).read_text(encoding="utf-8"))
    return Draft202012Validator(_bounded(schema))


INTEGER_RANGE = (-(2**31), 2**31 - 1)
"""What an integer field holds unless its schema says otherwise: the stores' INTEGER columns (PostgreSQL's are 32
bits); a larger number would be refused by the database, not by a line naming the field."""
NUMBER_RANGE = (-(2**63), 2**63 - 1)
"""What a number field holds unless its schema says otherwise: beyond it SQLite cannot even bind the value."""


def _bounded(schema: Any) -> Any:
    """`schema` with the stores' ranges on every integer and number it leaves unbounded."""
    if isinstance(schema, list):
        return [_bounded(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    bounded = {key: _bounded(value) for key, value in schema.items()}
    types = schema.get("type")  # a type's name, or names; under "properties", a field may be called "type"
    names = {types} if isinstance(types, str) else {t for t in types if isinstance(t, str)} \
        if isinstance(types, list) else set()
    low, high = INTEGER_RANGE if "integer" in names and "number" not in names else NUMBER_RANGE
    if names & {"integer", "number"}:
        bounded.setdefault("minimum", low)
        bounded.setdefault("maximum", high)
    return bounded


def _order(error: ValidationError) -> tuple[Any, ...]:
    """Errors by record, then by field path, the most relevant first."""
    path = list(error.absolute_path)
    return ([(0, p) if isinstance(p, int) else (1, str(p)) for p in path], relevance(error))


def record_label(index: Any, record: Any) -> str:
    """``record 3`` (counted from 1), with the record's identity when it has one: ``record 3 (id 12)``,
    ``record 2 (namespace/name)``."""
    number = index + 1 if isinstance(index, int) else index
    label = f"record {number}"
    if isinstance(record, dict):
        if record.get("id") is not None:
            return f"{label} (id {record['id']})"
        if record.get("name") is not None:
            name = f"{record['namespace']}/{record['name']}" if record.get("namespace") else record["name"]
            return f"{label} ({name})"
    return label


def _field_path(parts: Sequence[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(error: ValidationError, path: list[Any]) -> Iterable[str]:
    """The lines for one error at `path` inside its record: the field first, then what is wrong with it."""
    if error.validator == "required":
        given = error.instance if isinstance(error.instance, dict) else {}
        for name in error.validator_value:
            if name not in given:
                yield f"{_field_path([*path, name])}: missing (required)"
        return
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = sorted(error.schema.get("properties") or {})
        patterns = error.schema.get("patternProperties") or {}
        for name in error.instance:
            if name in known or any(re.search(pattern, str(name)) for pattern in patterns):
                continue
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known fields: {', '.join(known)}"
            yield f"{_field_path([*path, name])}: unknown field{hint}"
        return
    if error.context:  # anyOf / oneOf: the most relevant error of an alternative that takes the value's type
        fitting = [e for e in error.context if e.validator != "type"]
        deeper = best_match(fitting or error.context)
        if deeper is not None and (list(deeper.absolute_path) != list(error.absolute_path)
                                   or deeper.validator != "type"):
            yield from _describe(deeper, list(deeper.absolute_path)[1:])
            return
    field = _field_path(path)
    yield f"{field}: {_message(error)}" if field else _message(error)


def _message(error: ValidationError) -> str:
    title = error.schema.get("title") if isinstance(error.schema, dict) else None
    if error.validator == "pattern" and title:
        return f"{error.instance!r} is not a valid {title}"
    if error.validator == "anyOf" and title:
        return f"{error.instance!r} is not a valid {title}"
    return error.message


def _plain(value: Any) -> Any:
    """`value` with the dates and times YAML parsed turned back into ISO-8601 text (JSON has neither)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _type_name(value: Any) -> str:
    return {dict: "a mapping", str: "a string", type(None): "nothing"}.get(type(value), type(value).__name__)
