"""Scenario and fault documents: checked against the APIs being served, stored, and read back.

The same documents come from the admin API (validated by its spec first) and from start-up configuration
(``--scenarios FILE``, ``--latency``, ``--error-rate``), validated here against the same schemas.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from jsonschema import Draft4Validator
from sqlalchemy.engine import Connection

from ..core.errors import ApiError, UsageError
from ..core.fixtures import yaml_problem
from ..core.pack import Pack
from ..core.resources import load_spec, specs_dir
from ..core.store import inserted_id
from .scenarios import Effect, normalise, state_seconds
from .tables import ControlTables

__all__ = ["Rules", "fault_json", "scenario_json"]

SPEC_NAME = "_mockingjob"


@cache
def _schemas() -> dict[str, Any]:
    return dict(load_spec(specs_dir() / f"{SPEC_NAME}.yaml")["components"]["schemas"])


def _validate(kind: str, doc: Any, where: str) -> None:
    schemas = _schemas()
    schema = {**schemas[kind], "definitions": schemas}
    text = json.dumps(schema).replace("#/components/schemas/", "#/definitions/")
    validator = Draft4Validator(json.loads(text))
    error = next(iter(sorted(validator.iter_errors(doc), key=lambda e: list(e.path))), None)
    if error is not None:
        path = "/".join(str(p) for p in error.path)
        raise UsageError(f"{where}: {path + ': ' if path else ''}{error.message}")


def _iso_seconds(seconds: float) -> str:
    return f"PT{seconds:g}S"


def scenario_json(row: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": row.id, "api": row.api}
    if row.operation is not None:
        doc["operation"] = row.operation
    if row.match:
        doc["match"] = row.match
    effect = dict(row.effect)
    if "durations" in effect:
        effect["durations"] = {state: _iso_seconds(s) for state, s in effect["durations"].items()}
    doc.update(effect)
    doc["origin"] = row.origin
    doc["remaining"] = row.remaining
    return doc


def fault_json(row: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": row.id}
    if row.api is not None:
        doc["api"] = row.api
    if row.operation is not None:
        doc["operation"] = row.operation
    doc.update(row.spec)
    doc["origin"] = row.origin
    doc["remaining"] = row.remaining
    return doc


class Rules:
    """Checks and stores scenarios and faults for the packs being served."""

    def __init__(self, tables: ControlTables, packs: Mapping[str, Pack], specs: Mapping[str, dict[str, Any]],
                 operations: Mapping[str, frozenset[str]]):
        self.tables = tables
        self.packs = packs
        self.specs = specs
        self.operations = operations

    def _check_match(self, api: str, operation: str | None, match: Mapping[str, Any]) -> None:
        """Every matched field must be one the requests can carry: a typo would match nothing, silently."""
        pack = self.packs[api]
        operations = [operation] if operation else sorted(self.operations[api])
        known = set(pack.scenario_names) | request_field_roots(self.specs[api], operations)
        for name in match:
            if name.split(".", 1)[0] not in known:
                raise ApiError(400, f"match: {api} requests carry no field {name!r}; they have: "
                                    f"{', '.join(sorted(known))} (dotted paths go into a body)")

    def _target(self, api: str | None, operation: str | None) -> None:
        if api is not None and api not in self.packs:
            raise ApiError(400, f"no API {api!r} is served here; served: {', '.join(self.packs)}")
        if operation is not None:
            if api is None:
                raise ApiError(400, "an operation needs its api")
            if operation not in self.operations[api]:
                raise ApiError(400, f"{api} has no operation {operation!r}; it has: "
                               f"{', '.join(sorted(self.operations[api]))}")

    def add_scenario(self, conn: Connection, doc: Mapping[str, Any], origin: str, now: datetime) -> int:
        api, operation = doc["api"], doc.get("operation")
        _check_header_names((doc.get("respond") or {}).get("headers"), "respond.headers")
        self._target(api, operation)
        pack = self.packs[api]
        self._check_match(api, operation, doc.get("match") or {})
        durations: dict[str, float] = {}
        for state, text in (doc.get("durations") or {}).items():
            try:
                durations[state] = state_seconds(text)
            except ValueError as exc:
                raise ApiError(400, f"durations.{state}: {exc}") from exc
        effect = normalise(
            Effect.from_json({**doc, "durations": durations}), pack.outcomes, pack.states, api,
            pack.failure_outcome)
        runs_only = effect.outcome or effect.failure or effect.durations
        if runs_only and not pack.run_operations:
            raise ApiError(400, f"{api} runs nothing by itself (its clients report every change), so outcome, "
                                "failure and durations cannot apply; a scenario can still respond with an error")
        if runs_only and operation is not None and operation not in pack.run_operations:
            raise ApiError(400, f"{operation} starts no run, so outcome, failure and durations cannot apply to it; "
                           f"{api}'s run operations: {', '.join(sorted(pack.run_operations))}")
        table = self.tables.scenarios
        _check_room(conn, table, "scenarios")
        result = conn.execute(table.insert().values(
            api=api, operation=operation, match=dict(doc.get("match") or {}), effect=effect.to_json(),
            remaining=doc.get("times"), origin=origin, created=now,
        ))
        return inserted_id(result)

    def add_fault(self, conn: Connection, doc: Mapping[str, Any], origin: str, now: datetime) -> int:
        api, operation = doc.get("api"), doc.get("operation")
        _check_header_names((doc.get("error") or {}).get("headers"), "error.headers")
        self._target(api, operation)
        latency = doc.get("latency") or {}
        uniform = latency.get("uniform")
        if uniform and uniform["lower"] > uniform["upper"]:
            raise ApiError(400, "latency.uniform: lower must not exceed upper")
        spec = {key: doc[key] for key in ("latency", "error", "drop") if key in doc}
        if "error" in spec:
            spec["error"] = {"rate": 1, "status": 503, **spec["error"]}
        if "drop" in spec:
            spec["drop"] = {"rate": 1, "after": False, **spec["drop"]}
        table = self.tables.faults
        _check_room(conn, table, "faults")
        result = conn.execute(table.insert().values(
            api=api, operation=operation, spec=spec, remaining=doc.get("times"), origin=origin, created=now,
        ))
        return inserted_id(result)

    def clear(self, conn: Connection, table: sa.Table, api: str | None = None) -> None:
        conn.execute(table.delete() if api is None else table.delete().where(table.c.api == api))


MAX_RULES = 1000
"""How many scenarios, and how many faults, may be stored at once: every API request looks through them."""


def _check_room(conn: Connection, table: sa.Table, what: str) -> None:
    if conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() >= MAX_RULES:
        raise ApiError(409, f"there are already {MAX_RULES} {what}, the most kept at once; delete some first")


# RFC 9110's token: what a header name may be. A name outside it would be refused by the HTTP server only when
# the answer is sent, closing the client's connection without a word.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _check_header_names(headers: Mapping[str, Any] | None, where: str) -> None:
    for name in headers or {}:
        if not _HEADER_NAME.match(name):
            raise ApiError(400, f"{where}: {name[:64]!r} is not a header name (letters, digits and !#$%&'*+.^_`|~-)")
        if name.lower() in ("content-length", "transfer-encoding", "connection"):
            raise ApiError(400, f"{where}: {name!r} is the server's to set")


def request_field_roots(spec: dict[str, Any], operation_ids: list[str]) -> set[str]:
    """Names of the parameters and top-level body fields of these operations of `spec`."""
    components = spec.get("components", {})

    def resolve(node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            kind, name = node["$ref"].split("/")[-2:]
            node = components.get(kind, {}).get(name, {})
        return node

    def properties(schema: Any) -> set[str]:
        schema = resolve(schema)
        if not isinstance(schema, dict):
            return set()
        names = set(schema.get("properties", {}))
        for key in ("allOf", "oneOf", "anyOf"):
            for part in schema.get(key, []):
                names |= properties(part)
        return names

    roots: set[str] = set()
    for item in spec.get("paths", {}).values():
        shared = item.get("parameters", [])
        for op in item.values():
            if not isinstance(op, dict) or op.get("operationId") not in operation_ids:
                continue
            roots |= {resolve(p).get("name", "") for p in [*shared, *op.get("parameters", [])]}
            for media in resolve(op.get("requestBody", {})).get("content", {}).values():
                roots |= properties(media.get("schema", {}))
    roots.discard("")
    return roots


# --- start-up configuration ---------------------------------------------------------------------------

def parse_latency_option(text: str) -> dict[str, Any]:
    """``150`` (ms) or ``100..300`` (uniform) → a Latency document."""
    low, sep, high = text.partition("..")
    try:
        if sep:
            return {"uniform": {"lower": float(low), "upper": float(high)}}
        return {"fixed": float(low)}
    except ValueError as exc:
        raise UsageError(f"--latency: expected milliseconds (150) or a range (100..300), not {text!r}") from exc


def startup_documents(latency: str | None, error_rate: float | None, error_status: int,
                      scenarios_file: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The scenarios and faults a server starts with (and returns to on reset), validated."""
    scenarios: list[dict[str, Any]] = []
    faults: list[dict[str, Any]] = []
    if latency:
        faults.append({"latency": parse_latency_option(latency)})
    if error_rate:
        faults.append({"error": {"rate": error_rate, "status": error_status}})
    if scenarios_file:
        path = Path(scenarios_file)
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise UsageError(f"--scenarios {scenarios_file}: {yaml_problem(exc)}") from exc
        if not isinstance(loaded, dict) or set(loaded) - {"scenarios", "faults"}:
            raise UsageError(f"--scenarios {scenarios_file}: expected a mapping with 'scenarios' and/or 'faults'")
        for kind, target, schema in (("scenarios", scenarios, "ScenarioInput"), ("faults", faults, "FaultInput")):
            items = loaded.get(kind) or []
            if not isinstance(items, list):
                raise UsageError(f"--scenarios {scenarios_file}: '{kind}' must be a list")
            for index, item in enumerate(items):
                _validate(schema, item, f"--scenarios {scenarios_file}: {kind}[{index}]")
                target.append(item)
    for index, fault in enumerate(faults):
        _validate("FaultInput", fault, f"fault {index}")
    return scenarios, faults
