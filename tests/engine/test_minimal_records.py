"""Every record a fixture kind's JSON Schema accepts yields documents its API's spec accepts.

A user's record (``--fixtures DIR``, or added by a test: `MockApp.add_records`) is first held to its kind's schema
(``fixtures/_schemas/<api>/<kind>.schema.json``); what the schema lets through must then be served as the spec
says, or the user is told "fine" by one and "broken" by the other. So for every kind the records given here hold
only what the schema requires (each key of them is needed: `test_the_records_are_minimal`), with a few variants
giving an optional part in its own minimal form, and another with every optional field the schema lets be null
set to null. They are added to a fresh server, whose every document must pass the spec's schemas (what ``mockingjob
check`` holds the fixtures to) and whose endpoints showing them must answer 200 with responses validated.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from mockingjob.check import _schema_validator
from mockingjob.core import registry
from mockingjob.core.config import Config
from mockingjob.core.errors import FixtureError
from mockingjob.core.fixture_schemas import record_errors, schema_path
from mockingjob.core.fixtures import fixture_names
from mockingjob.http.app import MockApp

Record = dict[str, Any]

_BEARER = {"Authorization": "Bearer x"}
HEADERS: dict[str, dict[str, str]] = {"scale": {}, "marquez": {}, "coalesce": _BEARER, "trifacta": _BEARER}


@dataclass(frozen=True)
class Case:
    """Records of one kind (`records`), those of other kinds that show them where the kind has no endpoint of its
    own (`along`), and the paths whose answers show them."""

    api: str
    kind: str
    records: list[Record]
    paths: tuple[str, ...]
    along: dict[str, list[Record]] = field(default_factory=dict)
    optional: frozenset[str] = frozenset()
    """The fields (dotted paths, ``runs`` or ``manifest.job.interface``) given though the schema does not require
    them: a variant showing an optional part in its own minimal form."""
    variant: str = "minimal"

    @property
    def id(self) -> str:
        return f"{self.api}-{self.kind}-{self.variant}"

    def given(self) -> dict[str, list[Record]]:
        return copy.deepcopy({self.kind: self.records, **self.along})


# --- the records -------------------------------------------------------------------------------------------------

SCALE_JOB: Record = {"id": 900, "job_type": 1, "event": 1, "attempts": [{"queued": "-PT1M"}]}
# (A job still queued has had no execution yet: its first is shown once it has run.)
SCALE_JOB_PATHS = ("/v6/jobs/900/", "/v6/jobs/?page_size=1000", "/v6/jobs/900/executions/",
                   "/v6/jobs/900/input_files/")
SCALE_JOB_TYPE: Record = {
    "id": 900, "name": "minimal", "version": "1.0.0", "is_active": True, "is_system": False, "is_paused": False,
    "is_published": False, "max_tries": 1, "timeout": 60, "revision_id": 900, "revision_num": 1,
    "docker_image": "minimal:1.0.0",
    "manifest": {"seedVersion": "1.0.0", "job": {
        "name": "minimal", "jobVersion": "1.0.0", "packageVersion": "1.0.0", "title": "Minimal",
        "description": "Minimal", "maintainer": {"name": "Jo", "email": "jo@example.com"}, "timeout": 60}},
    "configuration": {}, "resources": {}, "plan": {}, "created": "-P1D",
}
SCALE_JOB_TYPE_PATHS = ("/v6/job-types/minimal/1.0.0/", "/v6/job-types/minimal/", "/v6/job-types/?page_size=1000",
                        "/v6/job-types/minimal/1.0.0/revisions/", "/v6/job-types/minimal/1.0.0/revisions/1/",
                        "/v6/job-type-names/", "/v6/job-types/status/", "/v6/job-types/running/",
                        "/v6/job-types/pending/", "/v6/job-types/system-failures/")


def _job_type_with(**job: Any) -> Record:
    """The minimal job type, its manifest's job given more: an optional part in its own minimal form."""
    manifest = SCALE_JOB_TYPE["manifest"]
    return _with(SCALE_JOB_TYPE, manifest={**manifest, "job": {**manifest["job"], **job}})


def _manifest_parts(*paths: str) -> frozenset[str]:
    """The optional keys down to each of `paths` of the manifest's job (``interface.outputs.files``)."""
    parts = set()
    for path in paths:
        steps = path.split(".")
        parts |= {"manifest.job." + ".".join(steps[:end]) for end in range(1, len(steps) + 1)}
    return frozenset(parts)


SCALE_RECIPE: Record = {"id": 900, "recipe_type_id": 208, "recipe_type_rev_id": 1, "event_id": 1, "created": "-P1D"}
SCALE_RECIPE_PATHS = ("/v6/recipes/900/", "/v6/recipes/?page_size=1000")

MARQUEZ_JOB: Record = {"namespace": "food_delivery", "name": "minimal", "type": "BATCH", "created": "-P1D"}
MARQUEZ_JOB_PATHS = ("/api/v1/namespaces/food_delivery/jobs/minimal", "/api/v1/namespaces/food_delivery/jobs",
                     "/api/v1/namespaces/food_delivery/jobs/minimal/runs",
                     "/api/v1/namespaces/food_delivery/jobs/minimal/versions", "/api/v1/jobs?limit=1000")
MARQUEZ_DATASET: Record = {"namespace": "food_delivery", "name": "minimal"}
MARQUEZ_DATASET_PATHS = ("/api/v1/namespaces/food_delivery/datasets/minimal",
                         "/api/v1/namespaces/food_delivery/datasets?limit=1000",
                         "/api/v1/namespaces/food_delivery/datasets/minimal/versions")
RUN_ID = "0193a1c0-0000-7000-8000-000000000900"
MARQUEZ_EVENT: Record = {"eventTime": "-PT1M", "producer": "https://example.com/minimal", "run": {"runId": RUN_ID},
                         "job": {"namespace": "food_delivery", "name": "minimal"}}
MARQUEZ_EVENT_PATHS = (f"/api/v1/jobs/runs/{RUN_ID}", f"/api/v1/jobs/runs/{RUN_ID}/facets?type=run",
                       *MARQUEZ_JOB_PATHS[:4], "/api/v1/events/lineage?limit=1000")

COALESCE_ENVIRONMENT: Record = {"id": "900", "name": "Minimal", "project": "1", "connectionAccount": "minimal",
                                "createdAt": "-P1D", "createdBy": "3Yq0dKpLw8ZfR2mNcT5vXa1bE7u9"}
COALESCE_ENVIRONMENT_PATHS = ("/api/v1/environments/900", "/api/v1/environments",
                              "/api/v1/environments?detail=true", "/api/v1/environments/900/nodes",
                              "/api/v1/environments/900/jobs")
COALESCE_RUN: Record = {"id": 900, "runType": "refresh", "environment": "2", "started": "-PT1H"}
COALESCE_RUN_PATHS = ("/api/v1/runs/900", "/api/v1/runs/900/results", "/api/v1/runs?limit=1000",
                      "/api/v1/runs?environmentID=2&limit=1000", "/scheduler/runStatus?runCounter=900")

TRIFACTA_JOB_GROUP: Record = {"id": 900, "wrangledDataset": 1, "created": "-PT1M", "execution": "photon",
                              "profiler": False, "writeSettings": []}
TRIFACTA_JOB_GROUP_PATHS = ("/v4/jobGroups/900", "/v4/jobGroups/900?embed=jobs,wrangledDataset",
                            "/v4/jobGroups/900/status", "/v4/jobGroups/900/jobs", "/v4/jobGroups/900/inputs",
                            "/v4/jobGroups/900/outputs", "/v4/jobGroups/900/publications",
                            "/v4/jobGroups?limit=1000")
TRIFACTA_OUTPUT_OBJECT: Record = {"id": 900, "wrangledDataset": 2, "execution": "photon", "profiler": False,
                                  "created": "-P1D"}
TRIFACTA_OUTPUT_OBJECT_PATHS = ("/v4/outputObjects/900", "/v4/outputObjects?limit=1000",
                                "/v4/writeSettings?limit=1000", "/v4/publications?limit=1000")
TRIFACTA_RECIPE: Record = {"id": 900, "flow": 1, "name": "minimal", "created": "-P1D"}
TRIFACTA_RECIPE_PATHS = ("/v4/wrangledDatasets/900", "/v4/wrangledDatasets?limit=1000", "/v4/flows/1")


def _with(record: Record, **changes: Any) -> Record:
    return {**copy.deepcopy(record), **changes}


CASES: list[Case] = [
    # --- Scale ---
    Case("scale", "errors", [{"id": 900, "name": "minimal", "category": "SYSTEM", "is_builtin": False,
                              "should_be_retried": False}], ("/v6/errors/900/", "/v6/errors/?page_size=1000")),
    Case("scale", "nodes", [{"id": 900, "hostname": "minimal.example.org"}], ("/v6/nodes/900/", "/v6/nodes/")),
    Case("scale", "workspaces", [{"id": 900, "name": "minimal"}], ("/v6/workspaces/900/", "/v6/workspaces/")),
    Case("scale", "workspaces", [{"id": 900, "name": "minimal", "json_config": {}}],
         ("/v6/workspaces/900/", "/v6/workspaces/"), optional=frozenset({"json_config"}), variant="json_config"),
    Case("scale", "files", [{"id": 900, "file_name": "minimal.txt", "workspace_id": 1, "media_type": "text/plain",
                             "file_type": "SOURCE", "file_size": 1, "file_path": "minimal/minimal.txt",
                             "data_type_tags": [], "countries": [], "created": "-P1D", "last_modified": "-P1D"}],
         ("/v6/files/900/", "/v6/files/?page_size=1000")),
    Case("scale", "events", [{"id": 900, "type": "USER", "occurred": "-P1D"}], SCALE_JOB_PATHS,
         along={"jobs": [_with(SCALE_JOB, event=900)]}),
    Case("scale", "recipe_types", [{"id": 900, "name": "minimal", "revision_num": 1, "is_active": True,
                                    "is_system": False, "definition": {}, "created": "-P2D", "last_modified": "-P2D"}],
         SCALE_RECIPE_PATHS, along={"recipes": [_with(SCALE_RECIPE, recipe_type_id=900)]}),
    Case("scale", "batches", [{"id": 900, "recipe_type_id": 208, "recipe_type_rev_id": 1, "event_id": 1,
                               "created": "-P1D"}], ("/v6/batches/900/", "/v6/batches/?page_size=1000")),
    Case("scale", "recipes", [SCALE_RECIPE], SCALE_RECIPE_PATHS),
    Case("scale", "recipes", [_with(SCALE_RECIPE, input={})], SCALE_RECIPE_PATHS, optional=frozenset({"input"}),
         variant="input"),
    Case("scale", "job_types", [SCALE_JOB_TYPE], SCALE_JOB_TYPE_PATHS),
    Case("scale", "job_types", [_job_type_with(interface={
        "inputs": {"files": [{"name": "in"}], "json": [{"name": "size", "type": "integer"}]},
        "outputs": {"files": [{"name": "out", "pattern": "*.txt"}], "json": [{"name": "count", "type": "integer"}]},
        "mounts": [{"name": "data", "path": "/data"}], "settings": [{"name": "MODE"}]})],
         SCALE_JOB_TYPE_PATHS, optional=_manifest_parts(
             "interface.inputs.files", "interface.inputs.json", "interface.outputs.files", "interface.outputs.json",
             "interface.mounts", "interface.settings"), variant="interface"),
    Case("scale", "job_types", [_job_type_with(resources={"scalar": [{"name": "cpus", "value": 1}]},
                                               errors=[{"code": 1, "name": "error-one"}])],
         SCALE_JOB_TYPE_PATHS, optional=_manifest_parts("resources.scalar", "errors"), variant="resources-errors"),
    Case("scale", "jobs", [_with(SCALE_JOB, job_type=900)], (*SCALE_JOB_PATHS, *SCALE_JOB_TYPE_PATHS),
         along={"job_types": [_job_type_with(interface={"outputs": {"files": [{"name": "out", "pattern": "*.txt"}]}})]},
         variant="of-a-job-type-with-outputs"),
    Case("scale", "jobs", [SCALE_JOB], SCALE_JOB_PATHS),
    Case("scale", "jobs", [_with(SCALE_JOB, input={}, source={})], SCALE_JOB_PATHS,
         optional=frozenset({"input", "source"}), variant="empty-objects"),
    Case("scale", "jobs", [_with(SCALE_JOB, job_type=900, attempts=[{"queued": "-PT2M", "wait": 10, "run": 20}])],
         (*SCALE_JOB_PATHS, "/v6/jobs/900/executions/1/", *SCALE_JOB_TYPE_PATHS),
         along={"job_types": [_job_type_with(interface={"outputs": {"files": [{"name": "out", "pattern": "*.txt"}]}})]},
         optional=frozenset({"attempts[0].wait", "attempts[0].run"}), variant="completed"),
    # --- Marquez ---
    Case("marquez", "namespaces", [{"name": "minimal", "owner": "me", "created": "-P1D"}],
         ("/api/v1/namespaces/minimal", "/api/v1/namespaces")),
    Case("marquez", "datasets", [MARQUEZ_DATASET], MARQUEZ_DATASET_PATHS),
    Case("marquez", "datasets", [_with(MARQUEZ_DATASET, fields=[{"name": "id"}])], MARQUEZ_DATASET_PATHS,
         optional=frozenset({"fields"}), variant="fields"),
    Case("marquez", "jobs", [MARQUEZ_JOB], MARQUEZ_JOB_PATHS),
    *(Case("marquez", "jobs", [_with(MARQUEZ_JOB, runs=[{"id": RUN_ID, "state": state, "created": "-PT1H"}])],
           (*MARQUEZ_JOB_PATHS, f"/api/v1/jobs/runs/{RUN_ID}"), optional=frozenset({"runs"}),
           variant=f"run-{state.lower()}")
      for state in ("NEW", "RUNNING", "COMPLETED", "FAILED", "ABORTED")),
    Case("marquez", "jobs", [_with(MARQUEZ_JOB, inputs=[{"namespace": "food_delivery", "name": "public.orders"}],
                                   outputs=[{"namespace": "food_delivery", "name": "public.delivery_7_days"}])],
         MARQUEZ_JOB_PATHS, optional=frozenset({"inputs", "outputs"}), variant="datasets"),
    Case("marquez", "events", [MARQUEZ_EVENT], MARQUEZ_EVENT_PATHS),  # a run event
    *(Case("marquez", "events", [_with(MARQUEZ_EVENT, eventType=kind)], MARQUEZ_EVENT_PATHS,
           optional=frozenset({"eventType"}), variant=f"run-event-{kind.lower()}")
      for kind in ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")),
    Case("marquez", "events", [_with(MARQUEZ_EVENT, eventType="COMPLETE", run={
        "runId": RUN_ID, "facets": {"nominalTime": {"nominalStartTime": "-PT1H"}}},
        inputs=[{"namespace": "food_delivery", "name": "minimal.in"}],
        outputs=[{"namespace": "food_delivery", "name": "minimal.out"}])],
         (*MARQUEZ_EVENT_PATHS, "/api/v1/namespaces/food_delivery/datasets/minimal.out",
          "/api/v1/namespaces/food_delivery/datasets/minimal.out/versions",
          "/api/v1/namespaces/food_delivery/datasets/minimal.in"),
         optional=frozenset({"eventType", "run.facets", "run.facets.nominalTime", "inputs", "outputs"}),
         variant="run-event-with-datasets"),
    Case("marquez", "events", [{"eventTime": "-PT1M", "producer": "https://example.com/minimal",
                                "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent",
                                "job": {"namespace": "food_delivery", "name": "minimal"}}],
         MARQUEZ_JOB_PATHS[:4], variant="job-event"),
    Case("marquez", "events", [{"eventTime": "-PT1M", "producer": "https://example.com/minimal",
                                "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
                                "dataset": {"namespace": "food_delivery", "name": "minimal"}}],
         MARQUEZ_DATASET_PATHS, variant="dataset-event"),
    # --- Coalesce ---
    Case("coalesce", "users", [{"id": "minimal-user"}], COALESCE_ENVIRONMENT_PATHS,
         along={"environments": [_with(COALESCE_ENVIRONMENT, createdBy="minimal-user")]}),
    Case("coalesce", "workspaces", [{"id": "900", "name": "Minimal", "project": "1"}],
         ("/api/v1/workspaces/900/jobs", "/api/v1/workspaces/900/jobs/900"),
         along={"jobs": [{"id": 900, "environment": "2", "workspace": "900", "name": "Minimal"}]}),
    Case("coalesce", "environments", [COALESCE_ENVIRONMENT], COALESCE_ENVIRONMENT_PATHS),
    Case("coalesce", "environments", [_with(COALESCE_ENVIRONMENT, tagColors={}, git={}, plan={})],
         COALESCE_ENVIRONMENT_PATHS, optional=frozenset({"tagColors", "git", "plan"}), variant="empty-objects"),
    Case("coalesce", "nodes", [{"id": "minimal-node", "environment": "900", "name": "MINIMAL", "location": "STG",
                                "nodeType": "Stage", "database": "DB", "schema": "STG"}],
         ("/api/v1/environments/900/nodes", "/api/v1/environments/900/nodes/minimal-node",
          *COALESCE_ENVIRONMENT_PATHS), along={"environments": [COALESCE_ENVIRONMENT]}),
    Case("coalesce", "jobs", [{"id": 900, "environment": "2", "workspace": "1", "name": "Minimal"}],
         ("/api/v1/environments/2/jobs", "/api/v1/environments/2/jobs/900", "/api/v1/workspaces/1/jobs",
          "/api/v1/workspaces/1/jobs/900")),
    Case("coalesce", "runs", [COALESCE_RUN], COALESCE_RUN_PATHS),  # a refresh
    Case("coalesce", "runs", [_with(COALESCE_RUN, runType="deploy")], COALESCE_RUN_PATHS, variant="deploy"),
    Case("coalesce", "runs", [_with(COALESCE_RUN, started="-PT1S")], COALESCE_RUN_PATHS, variant="in-flight"),
    Case("coalesce", "runs", [_with(COALESCE_RUN, credentials={}, plan={}, parameters={})], COALESCE_RUN_PATHS,
         optional=frozenset({"credentials", "plan", "parameters"}), variant="empty-objects"),
    Case("coalesce", "runs", [_with(COALESCE_RUN, environment="900")], (*COALESCE_RUN_PATHS,
                                                                         *COALESCE_ENVIRONMENT_PATHS),
         along={"environments": [COALESCE_ENVIRONMENT]}, variant="no-nodes"),
    # --- Trifacta ---
    Case("trifacta", "flows", [{"id": 900, "name": "Minimal", "created": "-P1D"}], ("/v4/flows/900", "/v4/flows")),
    Case("trifacta", "imported_datasets", [{"id": 900, "name": "minimal.csv", "uri": "/minimal.csv",
                                            "created": "-P1D"}],
         ("/v4/importedDatasets/900", "/v4/importedDatasets?limit=1000")),
    Case("trifacta", "wrangled_datasets", [TRIFACTA_RECIPE], TRIFACTA_RECIPE_PATHS),
    Case("trifacta", "wrangled_datasets", [_with(TRIFACTA_RECIPE, plan={})], TRIFACTA_RECIPE_PATHS,
         optional=frozenset({"plan"}), variant="plan"),
    Case("trifacta", "wrangled_datasets", [_with(TRIFACTA_RECIPE, plan={"fails": {"job": "wrangle"}})],
         TRIFACTA_RECIPE_PATHS, optional=frozenset({"plan", "plan.fails"}), variant="fails"),
    Case("trifacta", "output_objects", [TRIFACTA_OUTPUT_OBJECT], TRIFACTA_OUTPUT_OBJECT_PATHS),
    Case("trifacta", "output_objects", [_with(TRIFACTA_OUTPUT_OBJECT, writeSettings=[
        {"path": "/minimal.csv", "action": "create", "format": "csv"}], publications=[
        {"path": ["minimal"], "tableName": "minimal", "targetType": "hive", "action": "create"}])],
         TRIFACTA_OUTPUT_OBJECT_PATHS, optional=frozenset({"writeSettings", "publications"}), variant="outputs"),
    Case("trifacta", "job_groups", [TRIFACTA_JOB_GROUP], TRIFACTA_JOB_GROUP_PATHS),
    Case("trifacta", "job_groups", [_with(TRIFACTA_JOB_GROUP, created="-P1D")], TRIFACTA_JOB_GROUP_PATHS,
         variant="finished"),
    Case("trifacta", "job_groups", [_with(TRIFACTA_JOB_GROUP, writeSettings=[
        {"path": "/minimal.csv", "action": "create", "format": "csv"}],
        runParameters={"overrides": {"data": [{"key": "region", "value": "01"}]}})],
         TRIFACTA_JOB_GROUP_PATHS, optional=frozenset({"runParameters"}), variant="settings"),
]


# --- the variant with nulls --------------------------------------------------------------------------------------

def _nullable_fields(case: Case) -> list[str]:
    """The fields of the kind's schema the case's first record leaves out and the schema lets be null."""
    record = case.records[0]
    return [name for name in _schema_properties(case.api, case.kind)
            if name not in record and not record_errors(case.api, case.kind, [{**record, name: None}], case.kind)]


def _schema_properties(api: str, kind: str) -> list[str]:
    path = schema_path(api, kind)
    assert path is not None
    return list(json.loads(path.read_text())["items"]["properties"])


def _with_nulls(case: Case) -> Case | None:
    nullable = _nullable_fields(case)
    if not nullable:
        return None
    records = [{**case.records[0], **dict.fromkeys(nullable)}, *case.records[1:]]
    return Case(case.api, case.kind, records, case.paths, case.along, case.optional | set(nullable),
                f"{case.variant}-with-nulls")


ALL_CASES = CASES + [nulls for case in CASES if not case.optional if (nulls := _with_nulls(case)) is not None]


# --- the tests ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("api", sorted({case.api for case in CASES}))
def test_every_fixture_kind_has_its_minimal_records(api: str) -> None:
    kinds = fixture_names(registry.load(api).fixtures_path)
    assert sorted({case.kind for case in CASES if case.api == api and case.variant == "minimal"}) == kinds


def _keys(value: Any, path: str = "") -> Iterator[tuple[str, list[Any]]]:
    """Every key of every mapping in `value`: its dotted path (list items ``[n]``) and the steps to it."""
    if isinstance(value, dict):
        for key, inner in value.items():
            where = f"{path}.{key}" if path else key
            yield where, [key]
            for inner_path, steps in _keys(inner, where):
                yield inner_path, [key, *steps]
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            for inner_path, steps in _keys(inner, f"{path}[{index}]"):
                yield inner_path, [index, *steps]


def _without(record: Record, steps: list[Any]) -> Record:
    changed = copy.deepcopy(record)
    holder: Any = changed
    for step in steps[:-1]:
        holder = holder[step]
    del holder[steps[-1]]
    return changed


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.id)
def test_the_records_are_minimal(case: Case) -> None:
    """The schema accepts the records, and refuses each of the kind's without any key it holds but those named
    optional (those given along are some other case's records, or close to)."""
    for kind, records in case.given().items():
        assert record_errors(case.api, kind, records, kind) == []
    for record in case.records:
        for path, steps in _keys(record):
            if path not in case.optional:
                assert record_errors(case.api, case.kind, [_without(record, steps)], case.kind), \
                    f"{case.kind}: {path} is not required: leave it out"


def _served(case: Case) -> MockApp:
    mock = MockApp(Config(apis=[case.api], speed=0, validate_responses=True))
    mock.add_records(case.api, case.given())
    return mock


def _spec_problems(mock: MockApp, api: str) -> list[str]:
    """What `mockingjob check` would say of the documents the pack serves now."""
    spec = mock.specs[api]
    problems = []
    with mock.store.begin() as conn:
        now = mock.clock.now(conn)
        for sample in mock.packs[api].samples(conn, now):
            error = next(iter(_schema_validator(spec, sample.schema).iter_errors(sample.instance)), None)
            if error is not None:
                where = "/".join(str(part) for part in error.absolute_path)
                problems.append(f"{sample.label}: {error.message} (at /{where})")
    return problems


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.id)
def test_minimal_records_yield_documents_the_spec_accepts(case: Case) -> None:
    mock = _served(case)
    try:
        assert _spec_problems(mock, case.api) == []
        with mock.asgi.test_client() as client:
            for path in case.paths:
                response = client.get(path, headers=HEADERS[case.api])
                assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
    finally:
        mock.close()


# --- what has no sensible default is refused up front --------------------------------------------------------------

REFUSED = {
    "a batch without its recipe type": (
        "batches", {"id": 900, "recipe_type_rev_id": 1, "event_id": 1, "created": "-P1D"},
        "batches: record 1 (id 900): recipe_type_id: missing (required)"),
    "a file output without its pattern": (
        "job_types", _job_type_with(interface={"outputs": {"files": [{"name": "out"}]}}),
        "job_types: record 1 (id 900): manifest.job.interface.outputs.files[0].pattern: missing (required)"),
    "a Seed version the spec does not know": (
        "job_types", _with(SCALE_JOB_TYPE, manifest={**SCALE_JOB_TYPE["manifest"], "seedVersion": "1.2.0"}),
        "job_types: record 1 (id 900): manifest.seedVersion: '1.2.0' is not one of ['1.0.0']"),
    "a job version with a pre-release suffix": (
        "job_types", _job_type_with(jobVersion="1.0.0-rc.1"),
        "job_types: record 1 (id 900): manifest.job.jobVersion: '1.0.0-rc.1' is not a valid semantic version"),
    "a setting that is not text": (
        "job_types", _with(SCALE_JOB_TYPE, configuration={"settings": {"MODE": 1}}),
        "job_types: record 1 (id 900): configuration.settings.MODE: 1 is not of type 'string', 'null'"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_record_whose_documents_the_spec_would_refuse_is_refused_in_one_line_naming_the_field(case: str) -> None:
    kind, record, expected = REFUSED[case]
    mock = MockApp(Config(apis=["scale"], speed=0))
    try:
        with pytest.raises(FixtureError) as refused:
            mock.add_records("scale", {kind: [record]})
        lines = str(refused.value).splitlines()
        assert len(lines) == 1 and lines[0].startswith(expected), lines
    finally:
        mock.close()
