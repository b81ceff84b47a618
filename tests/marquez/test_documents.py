"""The documents the Marquez API serves: each validates against our spec (the server checks every answer it
gives against it), and our schemas carry every field Marquez's own spec gives its documents."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from mockingjob.core.config import Config
from mockingjob.core.resources import load_spec, specs_dir
from mockingjob.http.app import MockApp
from tests.conftest import STATE

# The properties of each document in Marquez's spec/openapi.yml (MarquezProject/marquez, components/schemas),
# by the name our spec gives the document.
MARQUEZ_FIELDS = {
    "Namespace": ["createdAt", "description", "name", "ownerName", "updatedAt"],
    "Source": ["connectionUrl", "createdAt", "description", "name", "type", "updatedAt"],
    "Dataset": ["createdAt", "currentVersion", "deleted", "description", "facets", "fields", "id",
                "lastLifecycleState", "lastModifiedAt", "name", "namespace", "physicalName", "sourceName", "tags",
                "type", "updatedAt"],
    "DatasetList": ["datasets", "totalCount"],
    "DatasetVersion": ["createdAt", "createdByRun", "description", "facets", "fields", "id", "name", "namespace",
                       "physicalName", "sourceName", "tags", "type", "version"],
    "DatasetVersionList": ["versions"],
    "Tag": ["description", "name"],
    "Job": ["createdAt", "currentVersion", "description", "facets", "id", "inputs", "latestRun", "latestRuns",
            "location", "name", "namespace", "outputs", "parentJobName", "parentJobUuid", "simpleName", "type",
            "updatedAt"],
    "JobList": ["jobs", "totalCount"],
    "JobVersion": ["createdAt", "id", "inputs", "latestRun", "location", "name", "namespace", "outputs",
                   "version"],
    "JobVersionList": ["versions"],
    "Run": ["args", "createdAt", "durationMs", "endedAt", "facets", "id", "nominalEndTime", "nominalStartTime",
            "startedAt", "state", "updatedAt", "jobVersion", "inputDatasetVersions", "outputDatasetVersions"],
    "RunDatasetVersion": ["datasetVersionId", "facets"],
    "LineageGraph": ["graph"],
    "LineageNode": ["data", "id", "inEdges", "outEdges", "type"],
    "Edge": ["destination", "origin"],
    "UpstreamRunLineage": ["runs"],
    "SearchResults": ["results", "totalCount"],
    "SearchResult": ["name", "namespace", "nodeId", "type", "updatedAt"],
    "LineageEventList": ["events", "totalCount"],
}
# Fields Marquez's spec lists that its server never writes (its JobMapper and JobVersionMapper leave them out):
# we follow the server. Kept here so that the list above stays a faithful copy of the spec.
NEVER_SERVED = {"Job": {"context"}, "JobVersion": {"context", "facets"}}


def _schemas() -> dict[str, Any]:
    return dict(load_spec(specs_dir() / "marquez.yaml")["components"]["schemas"])


def _properties(schema: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    if "$ref" in schema:
        return _properties(schemas[schema["$ref"].rsplit("/", 1)[-1]], schemas)
    found = set(schema.get("properties") or {})
    for part in schema.get("allOf") or []:
        found |= _properties(part, schemas)
    return found


@pytest.mark.parametrize("name", sorted(MARQUEZ_FIELDS))
def test_our_schema_carries_every_field_marquez_gives(name: str) -> None:
    schemas = _schemas()
    assert name in schemas
    assert set(MARQUEZ_FIELDS[name]) - _properties(schemas[name], schemas) == set()
    assert NEVER_SERVED.get(name, set()).isdisjoint(_properties(schemas[name], schemas))


@pytest.fixture(scope="module")
def checked() -> Iterator[TestClient]:
    # validate_responses: an answer that does not match the spec is a 500, never a 200.
    mock = MockApp(Config(apis=["marquez"], speed=0, validate_responses=True, state=STATE))
    try:
        with TestClient(mock.asgi) as client:
            yield client
    finally:
        mock.close()


def _get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, (path, response.text)
    return response.json()


def test_every_document_served_over_the_fixtures_matches_the_spec(checked: TestClient) -> None:
    served = 0
    for ns in _get(checked, "/api/v1/namespaces")["namespaces"]:
        name = quote(ns["name"], safe="")
        _get(checked, f"/api/v1/namespaces/{name}")
        for dataset in _get(checked, f"/api/v1/namespaces/{name}/datasets")["datasets"]:
            path = f"/api/v1/namespaces/{name}/datasets/{quote(dataset['name'], safe='')}"
            _get(checked, path)
            versions = _get(checked, f"{path}/versions")["versions"]
            for version in versions:
                _get(checked, f"{path}/versions/{version['version']}")
            node = f"dataset:{dataset['namespace']}:{dataset['name']}"
            _get(checked, "/api/v1/lineage", nodeId=node, depth=2)
            if any(version["fields"] for version in versions):  # else no field to start from: a 404
                _get(checked, "/api/v1/column-lineage", nodeId=node, withDownstream="true")
            served += 1
        for job in _get(checked, f"/api/v1/namespaces/{name}/jobs")["jobs"]:
            path = f"/api/v1/namespaces/{name}/jobs/{quote(job['name'], safe='')}"
            _get(checked, path)
            for version in _get(checked, f"{path}/versions")["versions"]:
                _get(checked, f"{path}/versions/{version['version']}")
            _get(checked, "/api/v1/lineage", nodeId=f"job:{job['namespace']}:{job['name']}")
            for run in _get(checked, f"{path}/runs")["runs"]:
                _get(checked, f"/api/v1/jobs/runs/{run['id']}")
                _get(checked, "/api/v1/runlineage/upstream", runId=run["id"])
                for kind in ("run", "job"):
                    _get(checked, f"/api/v1/jobs/runs/{run['id']}/facets", type=kind)
            served += 1
    for path in ("/api/v1/jobs", "/api/v1/sources", "/api/v1/tags", "/api/v1/events/lineage"):
        _get(checked, path)
    _get(checked, "/api/v1/search", q="delivery")
    for kind in ("lineage-events", "jobs", "datasets", "sources"):
        _get(checked, f"/api/v1/stats/{kind}", period="DAY")
        _get(checked, f"/api/v1/stats/{kind}", period="WEEK", timezone="Asia/Kolkata")
    assert served >= 20  # the fixtures' datasets and jobs, seeded and from their lineage events
