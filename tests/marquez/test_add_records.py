"""Adding records of the fixture kinds to a running Marquez mock (`MockApp.add_records`): served as fixtures are,
naming the built-in records, and refused, with one line per problem and nothing added, when Marquez would
not have them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from mockingjob.core.config import Config
from mockingjob.http.app import MockApp
from mockingjob.kit import FixtureConflict, FixtureError, load_fixtures
from mockingjob.packs.marquez import seed
from tests.support import EPOCH

PRODUCER = "https://github.com/example/producer"
RUN_EVENT = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
RUN = "5f1e0c2a-9b1d-4c3e-8a7f-0d6b2e4c8a10"
EVENT_RUN = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
DAG_RUN = "0193a1c0-0000-7000-8000-000000000020"  # a fixture run, started six minutes before the epoch


def _team() -> dict[str, list[dict[str, Any]]]:
    """A namespace of its own with two datasets, a job reading one of them and a built-in one, with a finished
    run; and a run of another job told by its events."""
    return {
        "namespaces": [{"name": "team", "owner": "me", "description": "Ours.", "created": "-P2D"}],
        "datasets": [
            {"namespace": "team", "name": "raw.visits", "fields": [{"name": "id", "type": "INTEGER"}],
             "created": "-P2D"},
            {"namespace": "team", "name": "clean.visits", "created": "-P1D"},
        ],
        "jobs": [{
            "namespace": "team", "name": "clean_visits", "type": "BATCH", "created": "-P1D",
            "location": "https://github.com/example/team/blob/main/clean_visits.py",
            "inputs": [{"namespace": "team", "name": "raw.visits"},
                       {"namespace": "food_delivery", "name": "public.orders"}],
            "outputs": [{"namespace": "team", "name": "clean.visits"}],
            "runs": [{"id": RUN, "state": "COMPLETED", "created": "-PT2H", "started": "-PT2H", "ended": "-PT1H",
                      "args": {"retries": 1}}],
        }],
        "events": [
            _event("START", "-PT10M", EVENT_RUN, "report_visits", inputs=["clean.visits"], outputs=["report"]),
            _event("COMPLETE", "-PT5M", EVENT_RUN, "report_visits", inputs=["clean.visits"], outputs=["report"]),
        ],
    }


def _event(kind: str, at: str, run_id: str, job: str, *, namespace: str = "team", inputs: Sequence[str] = (),
           outputs: Sequence[str] = ()) -> dict[str, Any]:
    def datasets(names: Sequence[str]) -> list[dict[str, Any]]:
        return [{"namespace": namespace, "name": name} for name in names]
    return {"eventType": kind, "eventTime": at, "run": {"runId": run_id}, "job": {"namespace": namespace, "name": job},
            "inputs": datasets(inputs), "outputs": datasets(outputs), "producer": PRODUCER, "schemaURL": RUN_EVENT}


def _refused(mock: MockApp, records: dict[str, Any]) -> tuple[type[FixtureError], list[str]]:
    with pytest.raises(FixtureError) as refused:
        mock.add_records("marquez", records)
    return type(refused.value), str(refused.value).splitlines()


def _names(client: TestClient, path: str, key: str) -> list[str]:
    return [item["name"] for item in client.get(path).json()[key]]


# --- added, then served ------------------------------------------------------------------------------------

def test_added_records_are_served_like_fixtures(client: TestClient, mock: MockApp) -> None:
    added = mock.add_records("marquez", _team())
    assert added == {
        "namespaces": ["team"],
        "datasets": [{"namespace": "team", "name": "raw.visits"}, {"namespace": "team", "name": "clean.visits"}],
        "jobs": [{"namespace": "team", "name": "clean_visits"}],
        "events": [EVENT_RUN, EVENT_RUN],
    }
    namespace = client.get("/api/v1/namespaces/team").json()
    assert namespace["ownerName"] == "me" and namespace["createdAt"] == "2026-02-28T12:00:00Z"
    assert "team" in _names(client, "/api/v1/namespaces", "namespaces")
    # Times are relative to the clock's now; the run's job version is recorded, as for a fixture job's.
    job = client.get("/api/v1/namespaces/team/jobs/clean_visits").json()
    assert job["createdAt"] == "2026-03-01T12:00:00Z"
    assert job["inputs"] == [{"namespace": "food_delivery", "name": "public.orders"},
                             {"namespace": "team", "name": "raw.visits"}]
    assert job["latestRun"]["id"] == RUN and job["latestRun"]["state"] == "COMPLETED"
    assert job["latestRun"]["durationMs"] == 3_600_000 and job["latestRun"]["args"] == {"retries": "1"}
    assert job["currentVersion"] is not None
    versions = client.get("/api/v1/namespaces/team/jobs/clean_visits/versions").json()["versions"]
    assert [v["version"] for v in versions] == [job["latestRun"]["jobVersion"]["version"]]
    runs = client.get("/api/v1/namespaces/team/jobs/clean_visits/runs").json()
    assert [run["id"] for run in runs["runs"]] == [RUN] and runs["totalCount"] == 1
    assert client.get(f"/api/v1/jobs/runs/{RUN}").json()["endedAt"] == "2026-03-02T11:00:00Z"
    dataset = client.get("/api/v1/namespaces/team/datasets/raw.visits").json()
    assert dataset["fields"] == [{"name": "id", "type": "INTEGER", "tags": [], "description": None}]
    assert dataset["createdAt"] == "2026-02-28T12:00:00Z"
    # The events' run went as a lineage client's would: its job, its output dataset, its state.
    assert client.get(f"/api/v1/jobs/runs/{EVENT_RUN}").json()["state"] == "COMPLETED"
    assert set(_names(client, "/api/v1/namespaces/team/datasets", "datasets")) == {
        "raw.visits", "clean.visits", "report"}
    assert set(_names(client, "/api/v1/namespaces/team/jobs", "jobs")) == {"clean_visits", "report_visits"}
    assert len([e for e in client.get("/api/v1/events/lineage").json()["events"]
                if e["run"]["runId"] == EVENT_RUN]) == 2
    # The lineage graph joins the added records to each other and to the built-in dataset.
    graph = client.get("/api/v1/lineage", params={"nodeId": "job:team:clean_visits"}).json()["graph"]
    edges = {node["id"]: sorted(edge["destination"] for edge in node["outEdges"]) for node in graph}
    assert edges["dataset:food_delivery:public.orders"] == ["job:food_delivery:etl_delivery_7_days",
                                                            "job:team:clean_visits"]
    assert edges["job:team:clean_visits"] == ["dataset:team:clean.visits"]
    assert edges["dataset:team:clean.visits"] == ["job:team:report_visits"]
    found = client.get("/api/v1/search", params={"q": "visits"}).json()
    assert {result["nodeId"] for result in found["results"]} >= {"job:team:clean_visits", "dataset:team:raw.visits"}


def test_records_name_built_in_ones(client: TestClient, mock: MockApp) -> None:
    added = mock.add_records("marquez", {
        "datasets": [{"namespace": "food_delivery", "name": "public.refunds"}],
        "jobs": [{"namespace": "food_delivery", "name": "etl_refunds", "type": "BATCH", "created": "-PT1H",
                  "inputs": [{"namespace": "food_delivery", "name": "public.orders"}],
                  "outputs": [{"namespace": "food_delivery", "name": "public.refunds"}]}],
        # The built-in DAG run, running since six minutes ago, completes.
        "events": [{"eventType": "COMPLETE", "eventTime": "-PT1M", "run": {"runId": DAG_RUN},
                    "job": {"namespace": "food_delivery", "name": "delivery_report_dag"}, "producer": PRODUCER}],
    })
    assert added["events"] == [DAG_RUN]
    run = client.get(f"/api/v1/jobs/runs/{DAG_RUN}").json()
    assert run["state"] == "COMPLETED" and run["endedAt"] == "2026-03-02T11:59:00Z"
    job = client.get("/api/v1/namespaces/food_delivery/jobs/etl_refunds").json()
    # As JobDao answers for a job that has not run: the inputs it was given, no outputs (as fixture feature_stream).
    assert job["inputs"] == [{"namespace": "food_delivery", "name": "public.orders"}] and job["outputs"] == []
    assert job["latestRun"] is None
    assert "etl_refunds" in _names(client, "/api/v1/namespaces/food_delivery/jobs?limit=100", "jobs")


def test_an_event_makes_the_namespace_and_datasets_it_names_as_marquez_does(client: TestClient,
                                                                            mock: MockApp) -> None:
    # OpenLineageDao makes a namespace it has not heard of, owned by "anonymous": so do added events.
    mock.add_records("marquez", {"events": [
        _event("START", "-PT1M", "new-run", "ingest", namespace="elsewhere", outputs=["landing.files"])]})
    assert client.get("/api/v1/namespaces/elsewhere").json()["ownerName"] == "anonymous"
    assert _names(client, "/api/v1/namespaces/elsewhere/datasets", "datasets") == ["landing.files"]
    assert client.get("/api/v1/namespaces/elsewhere/jobs/ingest").json()["latestRun"]["state"] == "RUNNING"


# --- refused -----------------------------------------------------------------------------------------------

def test_a_dataset_or_job_naming_what_does_not_exist_is_refused(client: TestClient, mock: MockApp) -> None:
    # As Marquez's PUT endpoints answer 404 for a namespace or an input it does not have.
    kind, lines = _refused(mock, {
        "datasets": [{"namespace": "nowhere", "name": "d"}],
        "jobs": [{"namespace": "food_delivery", "name": "j", "type": "BATCH", "created": "-P1D",
                  "inputs": [{"namespace": "food_delivery", "name": "public.nothing"}]}],
    })
    assert kind is FixtureError
    assert lines == [
        "datasets: record 1 (nowhere/d): namespace: no namespace nowhere among the namespaces given or in the store",
        "jobs: record 1 (food_delivery/j): inputs[0]: no dataset food_delivery/public.nothing among the datasets "
        "given or in the store",
    ]
    assert client.get("/api/v1/namespaces/food_delivery/jobs/j").status_code == 404


def test_an_identity_already_taken_is_a_conflict(client: TestClient, mock: MockApp) -> None:
    kind, lines = _refused(mock, {
        "namespaces": [{"name": "food_delivery", "owner": "someone", "created": "-P1D"}],
        "datasets": [{"namespace": "food_delivery", "name": "public.orders"}],
        "jobs": [{"namespace": "ml-platform", "name": "new_job", "type": "BATCH", "created": "-P1D",
                  "runs": [{"id": "6D30FE40-F527-456E-B960-218A256B72E1", "state": "NEW", "created": "-P1D"}]}],
    })
    assert kind is FixtureConflict
    assert lines == [
        "namespaces: record 1 (food_delivery): name: food_delivery is already taken",
        "datasets: record 1 (food_delivery/public.orders): name: food_delivery/public.orders is already taken",
        "jobs: record 1 (ml-platform/new_job): runs[0].id: run 6d30fe40-f527-456e-b960-218a256b72e1 is already taken",
    ]
    assert client.get("/api/v1/namespaces/food_delivery").json()["ownerName"] == "analytics"
    assert client.get("/api/v1/namespaces/ml-platform/jobs/new_job").status_code == 404


def test_the_same_identity_twice_in_one_request_is_a_conflict(client: TestClient, mock: MockApp) -> None:
    job = {"namespace": "team", "name": "j", "type": "BATCH", "created": "-P1D"}
    kind, lines = _refused(mock, {
        "namespaces": [{"name": "team", "owner": "a", "created": "-P1D"},
                       {"name": "team", "owner": "b", "created": "-P1D"}],
        "jobs": [{**job, "runs": [{"id": RUN, "state": "NEW", "created": "-P1D"}]},
                 {**job, "name": "k", "runs": [{"id": RUN, "state": "NEW", "created": "-P1D"}]}, job],
    })
    assert kind is FixtureConflict
    assert lines == [
        "namespaces: record 2 (team): name: team is already taken by record 1",
        f"jobs: record 2 (team/k): runs[0].id: run {RUN} is already taken by record 1",
        "jobs: record 3 (team/j): name: team/j is already taken by record 1",
    ]
    assert client.get("/api/v1/namespaces/team").status_code == 404


def test_every_problem_is_told_at_once_and_nothing_is_added(client: TestClient, mock: MockApp) -> None:
    records = _team()
    records["namespaces"].append({"name": "has space", "owner": "me", "created": "2026-02-30T00:00:00Z"})
    records["datasets"].append({"namespace": "food_delivery", "name": "public.orders"})
    records["events"].append({**_event("START", "-PT1M", "r", "j"),
                              "run": {"runId": "r", "facets": {"parent": {"job": {"namespace": "team"}}}}})
    kind, lines = _refused(mock, records)
    assert kind is FixtureError  # not only conflicts
    assert lines == [
        "namespaces: record 2 (has space): name: 'has space' is no namespace name Marquez takes (letters, digits "
        "and _ - . : ; = @ + / only)",
        "namespaces: record 2 (has space): created: bad time '2026-02-30T00:00:00Z': day is out of range for month",
        "datasets: record 3 (food_delivery/public.orders): name: food_delivery/public.orders is already taken",
        "events: record 3: run.facets.parent.run.runId: missing (required)",
        "events: record 3: run.facets.parent.job: needs a namespace and a name",
    ]
    assert client.get("/api/v1/namespaces/team").status_code == 404
    assert client.get(f"/api/v1/jobs/runs/{EVENT_RUN}").status_code == 404


def test_an_identity_taken_meanwhile_by_another_request_is_a_conflict(
        client: TestClient, mock: MockApp, monkeypatch: pytest.MonkeyPatch) -> None:
    # The check reads the store before anything is inserted; another request may commit the same name after it.
    # Here the first check sees nothing of the store, as if the namespace were made just after it.
    read = seed._Stored.read
    calls: list[int] = []

    def blind_at_first(conn: Any, records: Any) -> seed._Stored:
        calls.append(1)
        return seed._Stored() if len(calls) == 1 else read(conn, records)

    monkeypatch.setattr(seed._Stored, "read", staticmethod(blind_at_first))
    kind, lines = _refused(mock, {"namespaces": [{"name": "team", "owner": "me", "created": "-P1D"},
                                                 {"name": "default", "owner": "me", "created": "-P1D"}]})
    assert kind is FixtureConflict
    assert lines == ["namespaces: record 2 (default): name: default is already taken"]
    assert client.get("/api/v1/namespaces/team").status_code == 404
    assert client.get("/api/v1/namespaces/default").json()["ownerName"] == "anonymous"


# --- the same as seeding -----------------------------------------------------------------------------------

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def seeded_and_added(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MockApp, MockApp]]:
    """Two servers in memory at the same instant: one seeded with the fixtures, one started empty (the user's
    fixtures replace them with none) and given the same fixtures through add_records."""
    empty = tmp_path_factory.mktemp("fixtures")
    (empty / "marquez").mkdir()
    (empty / "marquez" / "_fixtures.yaml").write_text("mode: replace\n")
    seeded = MockApp(Config(apis=["marquez"], speed=0, validate_responses=True))
    added = MockApp(Config(apis=["marquez"], speed=0, validate_responses=True, fixtures=[str(empty)]))
    try:
        for app in (seeded, added):
            app.reset(control=True, at=EPOCH)
        pack = added.engine.packs["marquez"]
        added.add_records("marquez", load_fixtures(pack.fixtures_path, seed.KINDS))
        yield seeded, added
    finally:
        seeded.close()
        added.close()


def _paths(client: TestClient) -> list[str]:
    """A GET of every read endpoint, for every namespace, job, dataset and run the server has."""
    paths = ["/api/v1/namespaces", "/api/v1/jobs?limit=100", "/api/v1/sources", "/api/v1/tags",
             "/api/v1/events/lineage?limit=100", "/api/v1/search?q=e", "/api/v1/search?q=delivery&filter=DATASET"]
    paths += [f"/api/v1/stats/{kind}?period={period}" for kind in ("lineage-events", "jobs", "datasets", "sources")
              for period in ("DAY", "WEEK&timezone=UTC")]
    for ns in _names(client, "/api/v1/namespaces", "namespaces"):
        base = f"/api/v1/namespaces/{quote(ns, safe='')}"
        paths += [base, f"{base}/jobs?limit=100", f"{base}/datasets?limit=100"]
        for job in _names(client, f"{base}/jobs?limit=100", "jobs"):
            paths += [f"{base}/jobs/{quote(job, safe='')}{tail}" for tail in ("", "/runs?limit=100", "/versions")]
            paths.append(f"/api/v1/lineage?nodeId={quote(f'job:{ns}:{job}')}")
            for run in client.get(f"{base}/jobs/{quote(job, safe='')}/runs?limit=100").json()["runs"]:
                paths += [f"/api/v1/jobs/runs/{run['id']}", f"/api/v1/jobs/runs/{run['id']}/facets?type=job",
                          f"/api/v1/runlineage/upstream?runId={run['id']}"]
        for dataset in _names(client, f"{base}/datasets?limit=100", "datasets"):
            named = f"{base}/datasets/{quote(dataset, safe='')}"
            paths += [named, f"{named}/versions", f"/api/v1/lineage?nodeId={quote(f'dataset:{ns}:{dataset}')}",
                      f"/api/v1/column-lineage?nodeId={quote(f'dataset:{ns}:{dataset}')}"]
    return paths


def _canonical(body: Any, known: set[str]) -> str:
    """The answer with each id made at random (a version's row id) named by its first place in it."""
    text, names = json.dumps(body, sort_keys=True), {}

    def rename(match: re.Match[str]) -> str:
        return match[0] if match[0] in known else names.setdefault(match[0], f"<random {len(names)}>")

    return _UUID.sub(rename, text)


def test_records_added_to_an_empty_server_are_served_as_the_same_fixtures_seeded(
        seeded_and_added: tuple[MockApp, MockApp]) -> None:
    seeded, added = seeded_and_added
    fixtures = seeded.engine.packs["marquez"].fixtures_path
    known = set(_UUID.findall("".join(path.read_text() for path in Path(fixtures).glob("*.yaml"))))
    with seeded.asgi.test_client() as one, added.asgi.test_client() as other:
        paths = _paths(one)
        assert len(paths) > 100 and _paths(other) == paths
        for path in paths:
            first, second = one.get(path), other.get(path)
            assert (second.status_code, _canonical(second.json(), known)) == (
                first.status_code, _canonical(first.json(), known)), path
