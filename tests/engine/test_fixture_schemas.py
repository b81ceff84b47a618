"""The JSON Schemas of the fixture files (fixtures/_schemas/<api>/<kind>.schema.json) and `record_errors`."""

from __future__ import annotations

import copy
import datetime
import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mockingjob.core.fixture_schemas import SCHEMAS_FOLDER, record_errors, schema_path
from mockingjob.core.resources import fixtures_dir, read_yaml

FIXTURES = fixtures_dir()
FILES = sorted(path for path in FIXTURES.glob("*/*.yaml") if path.parent.name != SCHEMAS_FOLDER)
SCHEMAS = sorted((FIXTURES / SCHEMAS_FOLDER).glob("*/*.schema.json"))


def _kind(path: Path) -> tuple[str, str]:
    return path.parent.name, path.stem


def _records(api: str, kind: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = read_yaml(FIXTURES / api / f"{kind}.yaml")
    return records


def test_the_fixture_files_are_found() -> None:
    assert {path.parent.name for path in FILES} >= {"scale", "marquez", "coalesce", "trifacta"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_fixture_file_kind_has_a_schema(path: Path) -> None:
    found = schema_path(*_kind(path))
    assert found is not None, f"no schema for {path.parent.name}/{path.name}: add {SCHEMAS_FOLDER}/" \
                              f"{path.parent.name}/{path.stem}.schema.json"


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_schema_is_valid_draft_2020_12_and_belongs_to_a_fixture_file(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    api, kind = path.parent.name, path.name.removesuffix(".schema.json")
    assert schema["$id"] == f"mockingjob/fixtures/{api}/{kind}.schema.json"
    assert schema["type"] == "array" and schema["items"]["type"] == "object"
    assert schema["items"]["title"] and schema["items"]["description"]
    assert (FIXTURES / api / f"{kind}.yaml").is_file(), f"{path.name} describes no fixture file"


def test_the_schemas_share_one_relative_time_pattern() -> None:
    patterns = {json.loads(path.read_text())["$defs"]["relativeTime"]["pattern"] for path in SCHEMAS}
    assert len(patterns) == 1
    pattern = re.compile(patterns.pop())
    for good in ("-P2DT3H", "PT5M", "+P1W", "-PT0.5S", "-P2DT23H45M12.250S", "2026-03-01T12:00:00Z",
                 "2026-03-01T12:00:00.5+02:00"):
        assert pattern.search(good), good
    for bad in ("P", "-PT", "P1Y", "P2M", "yesterday", "2026-03-01", "2026-03-01T12:00:00", "-P2X"):
        assert not pattern.search(bad), bad


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_built_in_fixture_file_validates(path: Path) -> None:
    api, kind = _kind(path)
    assert record_errors(api, kind, read_yaml(path), f"{api}/{path.name}") == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_built_in_fixture_file_points_editors_at_its_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    api, kind = _kind(path)
    assert first == f"# yaml-language-server: $schema=../{SCHEMAS_FOLDER}/{api}/{kind}.schema.json"
    assert (path.parent / first.split("=", 1)[1]).resolve() == schema_path(api, kind)


def _broken(api: str, kind: str, index: int, change: Any) -> list[str]:
    records = copy.deepcopy(_records(api, kind))
    change(records[index])
    return record_errors(api, kind, records, f"{api}/{kind}.yaml")


def _set(path: str, value: Any) -> Any:
    def change(record: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for part in parents:
            record = record[int(part)] if part.isdigit() else record[part]  # type: ignore[index]
        record[last] = value

    return change


def _rename(old: str, new: str) -> Any:
    def change(record: dict[str, Any]) -> None:
        record[new] = record.pop(old)

    return change


def _drop(name: str) -> Any:
    def change(record: dict[str, Any]) -> None:
        del record[name]

    return change


CASES = [
    # a typo'd field name, a wrong type, a bad relative time, a missing required field: per API
    ("scale", "job_types", 2, _rename("docker_image", "dockerimage"),
     "scale/job_types.yaml: record 3 (id 3): dockerimage: unknown field (did you mean 'docker_image'?)"),
    ("scale", "job_types", 2, _set("manifest.job.jobVersion", "x"),
     "scale/job_types.yaml: record 3 (id 3): manifest.job.jobVersion: 'x' is not a valid semantic version"),
    ("scale", "jobs", 0, _set("attempts.0.queued", "-P2X"),
     "scale/jobs.yaml: record 1 (id 1): attempts[0].queued: '-P2X' is not a valid relative time"),
    ("scale", "jobs", 0, _set("attempts.0.wait", "PT1X"),
     "scale/jobs.yaml: record 1 (id 1): attempts[0].wait: 'PT1X' is not a valid ISO-8601 duration"),
    ("scale", "errors", 4, _set("is_builtin", "no"),
     "scale/errors.yaml: record 5 (id 5): is_builtin: 'no' is not of type 'boolean'"),
    ("scale", "jobs", 1, _drop("event"), "scale/jobs.yaml: record 2 (id 2): event: missing (required)"),
    ("marquez", "jobs", 0, _rename("description", "desciption"),
     "marquez/jobs.yaml: record 1 (food_delivery/etl_delivery_7_days): desciption: unknown field "
     "(did you mean 'description'?)"),
    ("marquez", "jobs", 0, _set("runs.0.state", "DONE"),
     "marquez/jobs.yaml: record 1 (food_delivery/etl_delivery_7_days): runs[0].state: 'DONE' is not one of"),
    ("marquez", "events", 0, _set("eventTime", "two days ago"),
     "marquez/events.yaml: record 1: eventTime: 'two days ago' is not a valid relative time"),
    ("marquez", "events", 1, _drop("run"), "marquez/events.yaml: record 2: run: missing (required)"),
    ("marquez", "namespaces", 0, _drop("owner"), "marquez/namespaces.yaml: record 1 (default): owner: missing"),
    ("coalesce", "runs", 0, _rename("runType", "run_type"),
     "coalesce/runs.yaml: record 1 (id 1): run_type: unknown field (did you mean 'runType'?)"),
    ("coalesce", "runs", 0, _set("started", "2026-01-01T00:00:00Z"),
     "coalesce/runs.yaml: record 1 (id 1): started: '2026-01-01T00:00:00Z' is not a valid ISO-8601 duration"),
    ("coalesce", "runs", 0, _set("outcome", "canceled"),
     "coalesce/runs.yaml: record 1 (id 1): canceledAfter: missing (required)"),
    ("coalesce", "environments", 0, _set("plan.perBatch", "ten"),
     "coalesce/environments.yaml: record 1 (id 2): plan.perBatch: 'ten' is not of type 'number'"),
    ("coalesce", "environments", 0, _set("createdAt", "-P1Y"),
     "coalesce/environments.yaml: record 1 (id 2): createdAt: '-P1Y' is not a valid relative time"),
    ("coalesce", "nodes", 0, _drop("location"), "coalesce/nodes.yaml: record 1 (id 5ff8b844-"),
    ("trifacta", "job_groups", 0, _rename("writeSettings", "writesettings"),
     "trifacta/job_groups.yaml: record 1 (id 1): writesettings: unknown field (did you mean 'writeSettings'?)"),
    ("trifacta", "job_groups", 0, _set("writeSettings.0.header", "yes"),
     "trifacta/job_groups.yaml: record 1 (id 1): writeSettings[0].header: 'yes' is not of type 'boolean'"),
    ("trifacta", "flows", 1, _set("created", "P"),
     "trifacta/flows.yaml: record 2 (id 2): created: 'P' is not a valid relative time"),
    ("trifacta", "wrangled_datasets", 0, _drop("flow"),
     "trifacta/wrangled_datasets.yaml: record 1 (id 1): flow: missing (required)"),
]


@pytest.mark.parametrize(("api", "kind", "index", "change", "expected"), CASES,
                         ids=[f"{c[0]}-{c[1]}-{n}" for n, c in enumerate(CASES)])
def test_a_broken_record_gives_one_line_naming_file_record_and_field(api: str, kind: str, index: int, change: Any,
                                                                    expected: str) -> None:
    lines = _broken(api, kind, index, change)
    # One line for the problem; a required field spelled wrong is also missing, which makes a second line.
    assert len([line for line in lines if line.startswith(expected)]) == 1, lines
    assert len(lines) <= 2 and all(line.startswith(f"{api}/{kind}.yaml: record {index + 1}") for line in lines)
    assert all("\n" not in line for line in lines)


def test_several_problems_are_listed_by_record_and_field() -> None:
    records = copy.deepcopy(_records("scale", "nodes"))
    records[2]["hostnme"] = "x"
    records[0]["is_paused"] = "no"
    records[0]["created"] = "soon"
    lines = record_errors("scale", "nodes", records, "scale/nodes.yaml")
    assert lines == [
        "scale/nodes.yaml: record 1 (id 1): created: 'soon' is not a valid relative time (an ISO-8601 date-time "
        "with a timezone, or a signed duration such as -P2DT3H)",
        "scale/nodes.yaml: record 1 (id 1): is_paused: 'no' is not of type 'boolean'",
        "scale/nodes.yaml: record 3 (id 3): hostnme: unknown field (did you mean 'hostname'?)",
    ]


def test_times_yaml_parsed_are_checked_as_the_text_written() -> None:
    records = copy.deepcopy(_records("trifacta", "flows"))
    records[0]["created"] = datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)  # unquoted, with a timezone
    records[1]["created"] = datetime.datetime(2026, 3, 1, 12)  # no timezone: the seed code refuses it
    lines = record_errors("trifacta", "flows", records, "trifacta/flows.yaml")
    assert len(lines) == 1 and lines[0].startswith("trifacta/flows.yaml: record 2 (id 2): created: "), lines


def test_a_file_that_is_not_a_list_and_a_record_that_is_not_a_mapping() -> None:
    assert record_errors("trifacta", "flows", {"id": 1}, "flows.yaml") == \
        ["flows.yaml: expected a list of records, not a mapping"]
    assert record_errors("trifacta", "flows", ["x"], "flows.yaml") == \
        ["flows.yaml: record 1: 'x' is not of type 'object'"]


def test_a_kind_without_a_schema_has_no_errors_to_report() -> None:
    assert schema_path("scale", "no_such_kind") is None
    assert schema_path("no_such_api", "jobs") is None
    assert record_errors("scale", "no_such_kind", [{"anything": 1}], "scale/no_such_kind.yaml") == []
