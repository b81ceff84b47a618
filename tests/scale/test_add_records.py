"""Records added to a running, seeded Scale mock (`MockApp.add_records`): served like the fixtures' own, through
every endpoint, or refused as a whole with one line per problem."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from mockingjob.kit import FixtureConflict, FixtureError
from mockingjob.packs.scale import seed
from mockingjob.packs.scale.tables import TABLES
from tests.conftest import EPOCH, TOKEN
from tests.scale.helpers import INGEST, INPUTS, executions, ids, job, jobs, queue
from tests.support import at

# A job type of the test's own: queued 5 s and run 30 s when queued through the API; writes two tiles per run.
TILE_MAKER: dict[str, Any] = {
    "id": 900, "name": "tile-maker", "version": "1.0.0", "title": "Tile Maker", "description": "Cuts tiles",
    "is_active": True, "is_system": False, "is_paused": False, "is_published": False, "max_tries": 3,
    "timeout": 600, "revision_id": 900, "revision_num": 1, "docker_image": "tile-maker:1.0.0",
    "manifest": {
        "seedVersion": "1.0.0",
        "job": {
            "name": "tile-maker", "jobVersion": "1.0.0", "packageVersion": "1.0.0", "title": "Tile Maker",
            "description": "Cuts tiles", "maintainer": {"name": "Jo", "email": "jo@example.com"}, "timeout": 600,
            "interface": {"inputs": {"files": [{"name": "INPUT_FILE"}]},
                          "outputs": {"files": [{"name": "tiles", "pattern": "*.png", "multiple": True}]}},
        },
    },
    "configuration": {"version": "6", "priority": 30, "output_workspaces": {"default": "products"}},
    "resources": {"cpus": 1.0, "mem": 256.0},
    "plan": {"queued": 5, "running": 30, "log": [{"at": 0, "message": "Cutting tiles"}]},
    "created": "-P1D",
}
# A job of it, queued a minute ago: it started 30 s ago and completes in 90 s.
RUNNING_TILES: dict[str, Any] = {
    "id": 900, "job_type": 900, "event": 101, "input": {"files": {"INPUT_FILE": [61]}, "json": {}},
    "attempts": [{"queued": "-PT1M", "wait": "PT30S", "run": "PT2M", "node": 2}],
}


def record(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(base), **changes}


def files(client: Any, params: Any) -> list[dict[str, Any]]:
    response = client.get("/v6/files/", params=[*params, ("page_size", 1000)])
    assert response.status_code == 200, response.text
    return response.json()["results"]


def cancel_or_requeue(client: Any, what: str, job_ids: list[int]) -> None:
    response = client.post(f"/v6/jobs/{what}/", json={"job_ids": job_ids}, headers=TOKEN)
    assert response.status_code == 202, response.text


def counted(client: Any, status: str, job_type_id: int) -> int:
    """The count of a one-job page filtered by a final status and a job type (kept apart, as a tally)."""
    response = client.get("/v6/jobs/", params={"status": status, "job_type_id": job_type_id, "page_size": 1})
    assert response.status_code == 200, response.text
    return int(response.json()["count"])


def refused(mock: Any, records: dict[str, Any], error: type[FixtureError] = FixtureError) -> list[str]:
    """The lines of the error adding `records` raises: a FixtureConflict when each is an identity taken, else a
    FixtureError."""
    with pytest.raises(FixtureError) as raised:
        mock.add_records("scale", records)
    assert type(raised.value) is error
    return str(raised.value).splitlines()


# --- added records are served ----------------------------------------------------------------------------------

def test_an_added_job_type_and_its_job_are_served_like_the_fixtures(mock, client):
    added = mock.add_records("scale", {"job_types": [TILE_MAKER], "jobs": [RUNNING_TILES]})
    assert added == {"job_types": [900], "jobs": [900]}
    running = job(client, 900)
    assert running["status"] == "RUNNING" and running["job_type"]["name"] == "tile-maker"
    assert running["job_type_rev"]["id"] == 900 and running["event"]["id"] == 101
    assert at(running["started"]) == EPOCH - timedelta(seconds=30) and running["ended"] is None
    assert running["node"]["id"] == 2 and running["execution"]["exe_num"] == 1
    assert running["input_files"] == {"INPUT_FILE": ["my-file.file"]}
    assert running["output"] == {"files": {}, "json": {}}
    assert 900 in ids(jobs(client, {"job_type_id": 900, "status": "RUNNING"}))
    assert client.get("/v6/job-types/tile-maker/1.0.0/").json()["id"] == 900
    [exe] = executions(client, 900)
    assert exe["status"] == "RUNNING" and exe["timeout"] == 600
    log = client.get(f"/v6/job-executions/{exe['id']}/logs/combined/")
    assert [line["message"] for line in log.json()] == ["Cutting tiles"]
    assert files(client, [("job_id", 900)]) == []  # its products exist once it has completed

    mock.clock.advance(timedelta(seconds=90))
    done = job(client, 900)
    assert done["status"] == "COMPLETED" and at(done["ended"]) == EPOCH + timedelta(seconds=90)
    products = files(client, [("job_id", 900)])
    assert sorted(f["id"] for f in products) == done["output"]["files"]["tiles"]
    assert [f["file_name"] for f in products] == ["tile-maker_0900_1_tiles_1.png", "tile-maker_0900_1_tiles_2.png"]
    assert all(f["workspace"]["name"] == "products" and f["job_exe"] == {"id": exe["id"]} for f in products)
    assert client.get("/v6/jobs/900/executions/1/").json()["status"] == "COMPLETED"


def test_records_may_name_the_servers_own(client, mock):
    # Job type 1 (scale-ingest), event 103, node 3, the error "node-lost" and recipe 1 (of batch 1) are fixtures.
    old_job = {"id": 901, "job_type": INGEST, "event": 103, "recipe": 1,
               "input": {"files": {"INPUT_FILE": [61]}, "json": {}},
               "attempts": [{"queued": "-PT2H", "wait": "PT1M", "run": "PT5M", "outcome": "FAILED",
                             "error": "node-lost", "node": 3},
                            {"queued": "-PT1H", "wait": "PT1M", "run": "PT5M"}]}
    completed_before = counted(client, "COMPLETED", INGEST)
    mock.add_records("scale", {"jobs": [old_job]})
    done = job(client, 901)
    assert done["status"] == "COMPLETED" and done["num_exes"] == 2 and done["max_tries"] == 3
    assert done["recipe"]["id"] == 1 and done["batch"]["id"] == 1  # the batch of its recipe
    assert done["job_type_rev"]["id"] == 5  # scale-ingest's current revision
    assert [(x["exe_num"], x["status"]) for x in executions(client, 901)] == [(2, "COMPLETED"), (1, "FAILED")]
    assert executions(client, 901)[1]["error"]["name"] == "node-lost"
    assert executions(client, 901)[1]["node"]["id"] == 3
    [product] = files(client, [("job_id", 901)])
    assert done["output"]["files"] == {"output_file": [product["id"]]}
    assert product["recipe_type"]["name"] == "my-recipe-type" and product["batch"]["id"] == 1
    assert counted(client, "COMPLETED", INGEST) == completed_before + 1


def test_records_may_name_each_other_in_one_request(mock, client):
    added = mock.add_records("scale", {
        "nodes": [{"id": 50, "hostname": "gpu-1.scale.example.domain"}],
        "errors": [{"id": 50, "name": "gpu-lost", "category": "SYSTEM", "is_builtin": False,
                    "should_be_retried": True}],
        "workspaces": [{"id": 50, "name": "tiles", "base_url": "http://tiles.example.com"}],
        "events": [{"id": 500, "type": "USER", "occurred": "-PT3H"}],
        "files": [{"id": 500, "file_name": "scene.tif", "workspace_id": 50, "media_type": "image/tiff",
                   "file_type": "SOURCE", "file_size": 1024, "file_path": "in/scene.tif", "data_type_tags": [],
                   "countries": [], "created": "-PT3H", "last_modified": "-PT3H"}],
        "job_types": [record(TILE_MAKER, configuration={"version": "6", "priority": 30,
                                                         "output_workspaces": {"default": "tiles"}})],
        "jobs": [record(RUNNING_TILES, event=500, input={"files": {"INPUT_FILE": [500]}, "json": {}},
                        attempts=[{"queued": "-PT2H", "wait": 60, "run": 60, "outcome": "FAILED", "error": "gpu-lost",
                                   "node": 50}])],
    })
    assert added["files"] == [500] and added["nodes"] == [50]
    failed = job(client, 900)
    assert failed["status"] == "FAILED" and failed["error"]["name"] == "gpu-lost"
    assert failed["node"]["hostname"] == "gpu-1.scale.example.domain" and failed["event"]["id"] == 500
    assert failed["input_files"] == {"INPUT_FILE": ["scene.tif"]}
    assert client.get("/v6/files/500/").json()["workspace"]["name"] == "tiles"


def test_an_added_job_can_be_canceled_and_requeued(mock, client):
    mock.add_records("scale", {"job_types": [TILE_MAKER], "jobs": [RUNNING_TILES]})
    cancel_or_requeue(client, "cancel", [900])
    canceled = job(client, 900)
    assert canceled["status"] == "CANCELED" and canceled["ended"] is None
    [stopped] = executions(client, 900)
    assert stopped["status"] == "CANCELED" and at(stopped["ended"]) == EPOCH
    mock.clock.advance(timedelta(minutes=5))
    assert files(client, [("job_id", 900)]) == []  # the canceled run wrote nothing

    cancel_or_requeue(client, "requeue", [900])
    mock.clock.advance(timedelta(seconds=5 + 30))
    requeued = job(client, 900)
    assert requeued["status"] == "COMPLETED" and requeued["num_exes"] == 2
    second, first = executions(client, 900)
    assert second["exe_num"] == 2 and second["id"] > first["id"]
    assert sorted(f["id"] for f in files(client, [("job_id", 900)])) == requeued["output"]["files"]["tiles"]


def test_the_api_allocates_ids_past_the_added_ones(mock, client):
    mock.add_records("scale", {"job_types": [record(TILE_MAKER, id=5000, revision_id=7000)],
                               "jobs": [record(RUNNING_TILES, id=5000, job_type=5000)],
                               "files": [{"id": 8000, "file_name": "far.tif", "workspace_id": 1,
                                          "media_type": "image/tiff", "file_type": "SOURCE", "file_size": 1,
                                          "file_path": "far.tif", "data_type_tags": [], "countries": [],
                                          "created": "-P1D", "last_modified": "-P1D"}]})
    [added_exe] = executions(client, 5000)
    mock.clock.advance(timedelta(seconds=90))
    added_products = job(client, 5000)["output"]["files"]["tiles"]
    assert min(added_products) > 8000  # products come after every file, the added ones included
    new = queue(client, INGEST, INPUTS[INGEST])
    assert new["id"] == 5001
    mock.clock.advance(timedelta(seconds=25))
    done = job(client, new["id"])
    assert done["status"] == "COMPLETED" and done["execution"]["id"] > added_exe["id"]
    assert min(done["output"]["files"]["output_file"]) > max(added_products)
    registered = client.post("/v6/job-types/", headers=TOKEN, json={
        "icon_code": "f1c5", "docker_image": "tile-maker:2.0.0",
        "manifest": {**TILE_MAKER["manifest"], "job": {**TILE_MAKER["manifest"]["job"], "jobVersion": "2.0.0"}},
        "configuration": {"output_workspaces": {"default": "products"}, "priority": 30}})
    assert registered.status_code == 201, registered.text
    assert registered.json()["id"] == 5001 and registered.json()["revision_num"] == 1
    revisions = client.get("/v6/job-types/tile-maker/2.0.0/revisions/").json()["results"]
    assert revisions[0]["id"] == 7001


# --- refused records ---------------------------------------------------------------------------------------------

def assert_nothing_added(client: Any) -> None:
    assert client.get("/v6/jobs/900/").status_code == 404
    assert client.get("/v6/job-types/tile-maker/1.0.0/").status_code == 404


def test_an_unknown_reference_is_refused_naming_the_record_and_field(mock, client):
    lines = refused(mock, {"job_types": [TILE_MAKER], "jobs": [record(RUNNING_TILES, job_type=77)]})
    assert lines == ["jobs: record 1 (id 900): job_type: no job type 77 among these records or the server's"]
    assert_nothing_added(client)


def test_every_problem_is_told_at_once(mock, client):
    bad_job = record(RUNNING_TILES, event=9999, input={"files": {"INPUT_FILE": [61, 9999]}},
                     attempts=[{"queued": "2026-13-45T00:00:00Z", "node": 77, "error": "gremlins"}])
    lines = refused(mock, {"job_types": [record(TILE_MAKER, plan={"error": "oops"})], "jobs": [bad_job]})
    assert lines == [
        "job_types: record 1 (id 900): plan.error: no error named 'oops' among these records or the server's",
        "jobs: record 1 (id 900): event: no event 9999 among these records or the server's",
        "jobs: record 1 (id 900): input.files.INPUT_FILE[1]: no file 9999 among these records or the server's",
        "jobs: record 1 (id 900): attempts[0].node: no node 77 among these records or the server's",
        "jobs: record 1 (id 900): attempts[0].error: no error named 'gremlins' among these records or the server's",
        "jobs: record 1 (id 900): attempts[0].queued: '2026-13-45T00:00:00Z' is not a time the mock can hold "
        "(month must be in 1..12)",
    ]
    assert_nothing_added(client)


def test_an_id_already_taken_is_a_conflict(mock, client):
    before = job(client, 1)
    lines = refused(mock, {"job_types": [TILE_MAKER], "jobs": [record(RUNNING_TILES, id=1)]}, FixtureConflict)
    assert lines == ["jobs: record 1 (id 1): id: 1 is already taken"]
    assert job(client, 1) == before
    assert client.get("/v6/job-types/tile-maker/1.0.0/").status_code == 404


def test_an_identity_given_twice_is_a_conflict(mock, client):
    lines = refused(mock, {"job_types": [TILE_MAKER, record(TILE_MAKER, id=901, revision_id=901)],
                           "jobs": [RUNNING_TILES, RUNNING_TILES]}, FixtureConflict)
    assert lines == [
        "job_types: record 2 (id 901): version: tile-maker 1.0.0 is given twice (record 1 has it too)",
        "jobs: record 2 (id 900): id: 900 is given twice (record 1 has it too)",
    ]
    assert_nothing_added(client)


@pytest.mark.parametrize(("records", "line"), [
    ({"job_types": [record(TILE_MAKER, name="scale-ingest")]},
     "job_types: record 1 (id 900): version: scale-ingest 1.0.0 is already taken"),
    ({"job_types": [record(TILE_MAKER, revision_id=5)]},
     "job_types: record 1 (id 900): revision_id: revision id 5 is already taken"),
    ({"errors": [{"id": 60, "name": "unknown", "category": "SYSTEM", "is_builtin": True, "should_be_retried": False}]},
     "errors: record 1 (id 60): name: 'unknown' is already taken"),
], ids=["job type version", "revision id", "error name"])
def test_other_identities_already_taken_are_conflicts(mock, records, line):
    assert refused(mock, records, FixtureConflict) == [line]


def test_a_conflict_among_other_problems_is_told_with_them(mock):
    lines = refused(mock, {"jobs": [record(RUNNING_TILES, id=1)]})  # job type 900 is not there either: no conflict
    assert lines == ["jobs: record 1 (id 1): id: 1 is already taken",
                     "jobs: record 1 (id 1): job_type: no job type 900 among these records or the server's"]


def test_an_id_another_request_took_meanwhile_is_a_conflict(mock, client, monkeypatch):
    # The store is read before the rows are written; a writer elsewhere may take an id in between. Here the first
    # look at the jobs' ids misses job 1, as if it had been written after it.
    missed = [True]
    held, insert = seed._Stored.held, seed._insert

    def held_missing_job_ids(stored: Any, table: Any, column: str, values: Any) -> dict[Any, int]:
        return {} if missed[0] and table is TABLES.jobs and column == "id" else held(stored, table, column, values)

    def insert_after_the_look(conn: Any, rows: Any) -> None:
        missed[0] = False
        insert(conn, rows)

    monkeypatch.setattr(seed._Stored, "held", held_missing_job_ids)
    monkeypatch.setattr(seed, "_insert", insert_after_the_look)
    before = job(client, 1)
    lines = refused(mock, {"job_types": [TILE_MAKER], "jobs": [record(RUNNING_TILES, id=1)]}, FixtureConflict)
    assert lines == ["jobs: record 1 (id 1): id: 1 is already taken"]
    assert job(client, 1) == before
    assert client.get("/v6/job-types/tile-maker/1.0.0/").status_code == 404
