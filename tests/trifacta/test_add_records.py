"""Adding records of the fixture kinds to a running Trifacta mock (`MockApp.add_records`): served, run and
progressing on the clock as the fixtures are, naming built-in records, and refused with one line per problem
and nothing added when they are wrong."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
import yaml

from mockingjob.core.resources import fixtures_dir
from mockingjob.kit import FixtureConflict, FixtureError
from mockingjob.packs.trifacta import seed
from tests.trifacta.helpers import AUTH, POS_R01, REGIONAL_SUMMARY, group, jobs, run, status, wait_until_done

CSV = {"path": "gs://orders/out/orders.csv", "action": "create", "format": "csv", "header": True}
NOT_FOUND = "none among these records or the server's"


def get(client: Any, path: str, expected: int = 200, **params: Any) -> Any:
    response = client.get(path, params=params, headers=AUTH)
    assert response.status_code == expected, response.text
    return response.json()


def post(client: Any, path: str, body: Any, expected: int = 201) -> Any:
    response = client.post(path, json=body, headers=AUTH)
    assert response.status_code == expected, response.text
    return response.json()


def _orders(**recipe: Any) -> dict[str, list[dict[str, Any]]]:
    """A flow of its own: an imported file, a recipe reading it, and the recipe's output object (a file and a
    table)."""
    return {
        "flows": [{"id": 100, "name": "orders", "description": "Orders of the shop.", "created": "-P1D"}],
        "imported_datasets": [{"id": 100, "name": "orders.csv", "uri": "gs://orders/in/orders.csv",
                               "created": "-P1D"}],
        "wrangled_datasets": [{"id": 100, "flow": 100, "name": "orders clean", "importedDataset": 100,
                               "created": "-PT20H", "plan": {"queued": 2, "wrangle": 10, "filewriter": 4}, **recipe}],
        "output_objects": [{"id": 100, "wrangledDataset": 100, "execution": "photon", "profiler": False,
                            "created": "-PT20H", "writeSettings": [CSV],
                            "publications": [{"path": ["shop"], "tableName": "orders", "targetType": "bigquery",
                                              "action": "create"}]}],
    }


def _fixture_group(ident: int) -> dict[str, Any]:
    """Job group `ident` of fixtures/trifacta/job_groups.yaml, as written there."""
    with (fixtures_dir() / "trifacta" / "job_groups.yaml").open(encoding="utf-8") as handle:
        return copy.deepcopy(next(g for g in yaml.safe_load(handle) if g["id"] == ident))


def _without_ids(document: Any) -> Any:
    """A document with what differs between two job groups alike taken out: their ids and session ids."""
    if isinstance(document, dict):
        return {key: _without_ids(value) for key, value in document.items()
                if key not in ("id", "sessionId", "jobGroup", "writeSetting")}
    if isinstance(document, list):
        return [_without_ids(item) for item in document]
    return document


def _refused(mock: Any, records: dict[str, Any]) -> tuple[type[FixtureError], list[str]]:
    with pytest.raises(FixtureError) as refused:
        mock.add_records("trifacta", records)
    return type(refused.value), str(refused.value).splitlines()


# --- added, then served and run ------------------------------------------------------------------------------

def test_added_records_are_answered_by_kind_and_served(client, mock):
    added = mock.add_records("trifacta", _orders())
    assert added == {"flows": [100], "imported_datasets": [100], "wrangled_datasets": [100], "output_objects": [100]}
    flow = get(client, "/v4/flows/100", embed="flowNodes")
    assert flow["name"] == "orders" and [node["id"] for node in flow["flowNodes"]["data"]] == [100]
    assert get(client, "/v4/importedDatasets/100")["uri"] == "gs://orders/in/orders.csv"
    assert get(client, "/v4/wrangledDatasets/100")["name"] == "orders clean"
    output = get(client, "/v4/outputObjects/100", embed="writeSettings,publications")
    assert output["execution"] == "photon"
    assert [s["path"] for s in output["writeSettings"]["data"]] == [CSV["path"]]
    assert [p["tableName"] for p in output["publications"]["data"]] == ["orders"]


def test_an_added_recipe_runs_with_its_output_object_and_progresses_with_the_clock(client, mock):
    mock.add_records("trifacta", _orders())
    created = run(client, 100)
    assert [job["jobType"] for job in jobs(client, created["id"])] == ["wrangle", "filewriter"]
    assert status(client, created["id"]) == "Created"
    mock.clock.advance(timedelta(seconds=3))  # queued 2 s, then the 10 s wrangle job
    assert status(client, created["id"]) == "InProgress"
    mock.clock.advance(timedelta(seconds=13))
    assert status(client, created["id"]) == "Complete"
    outputs = get(client, f"/v4/jobGroups/{created['id']}/outputs")
    assert [f["uri"] for f in outputs["files"]] == [CSV["path"]]
    assert [t["tableName"] for t in outputs["tables"]] == ["orders"]


def test_an_added_flow_runs_its_recipe_with_an_output_object(client, mock):
    mock.add_records("trifacta", _orders())
    started = post(client, "/v4/flows/100/run", {})
    [created] = started["data"]
    assert get(client, f"/v4/flowRuns/{started['flowRunId']}/status") == "Created"
    assert wait_until_done(client, mock, created["id"], step=2)[0] == "Complete"
    assert get(client, f"/v4/flowRuns/{started['flowRunId']}/status") == "Complete"


def test_an_added_job_group_is_the_same_as_the_fixture_one_it_copies(client, mock):
    in_flight, canceled = _fixture_group(8), _fixture_group(7)
    mock.add_records("trifacta", {"job_groups": [{**in_flight, "id": 908}, {**canceled, "id": 907}]})
    for fixture, added in ((8, 908), (7, 907)):
        assert _without_ids(group(client, added, embed="jobs,wrangledDataset")) == \
            _without_ids(group(client, fixture, embed="jobs,wrangledDataset"))
        assert _without_ids(jobs(client, added)) == _without_ids(jobs(client, fixture))
    assert status(client, 907) == "Canceled"
    assert status(client, 908) == status(client, 8) == "InProgress"
    mock.clock.advance(timedelta(minutes=5))
    assert status(client, 908) == status(client, 8) == "Complete"
    assert _without_ids(jobs(client, 908)) == _without_ids(jobs(client, 8))


def test_an_added_job_group_is_listed_completes_and_can_be_canceled(client, mock):
    writes = [{"path": "/out/summary.csv", "action": "overwrite", "format": "csv"}]
    mock.add_records("trifacta", {"job_groups": [
        {"id": 900, "wrangledDataset": REGIONAL_SUMMARY, "created": "-PT1S", "ranfrom": "cli",
         "execution": "photon", "profiler": True, "writeSettings": writes},
        {"id": 901, "wrangledDataset": POS_R01, "created": "-PT1S", "execution": "spark", "profiler": False,
         "writeSettings": writes},
    ]})
    listed = [g["id"] for g in get(client, "/v4/jobGroups", limit=2)["data"]]
    assert sorted(listed) == [900, 901]  # the most recent ones come first
    assert get(client, "/v4/jobGroups", flowNodeId=REGIONAL_SUMMARY)["data"][0]["id"] == 900
    # Recipe 7 depends on 2, which depends on 1: those run first, then the file writer and the profile.
    assert [job["jobType"] for job in jobs(client, 900)] == ["wrangle", "wrangle", "wrangle", "filewriter",
                                                             "profile"]
    assert post(client, "/v4/jobGroups/901/cancel", {}, 200)["jobgroupId"] == 901
    assert status(client, 901) == "Canceled"
    assert wait_until_done(client, mock, 900)[0] == "Complete"
    assert {job["status"] for job in jobs(client, 900)} == {"Complete"}


def test_added_records_name_built_in_ones(client, mock):
    mock.add_records("trifacta", {
        "wrangled_datasets": [{"id": 200, "flow": 1, "name": "POS by store", "dependsOn": [POS_R01],
                               "created": "-PT1H"}],
        "output_objects": [{"id": 200, "wrangledDataset": 200, "execution": "photon", "profiler": False,
                            "created": "-PT1H", "writeSettings": [CSV]}],
    })
    nodes = get(client, "/v4/flows/1", embed="flowNodes")["flowNodes"]["data"]
    assert 200 in [node["id"] for node in nodes]
    created = run(client, 200)
    # The built-in recipe it reads runs first.
    assert [job["jobType"] for job in jobs(client, created["id"])] == ["wrangle", "wrangle", "filewriter"]
    inputs = get(client, f"/v4/jobGroups/{created['id']}/inputs")["data"]
    assert [dataset["id"] for dataset in inputs] == [1]  # recipe 1's file
    assert wait_until_done(client, mock, created["id"])[0] == "Complete"


def test_a_job_group_of_an_added_recipe_is_planned_from_its_plan(client, mock):
    records = _orders(plan={"wrangle": 20, "fails": {"job": "filewriter", "error": "Bucket gone"}})
    records["job_groups"] = [{"id": 300, "wrangledDataset": 100, "created": "-PT1M", "execution": "photon",
                              "profiler": False, "writeSettings": [CSV]}]
    mock.add_records("trifacta", records)
    assert status(client, 300) == "Failed"
    assert [(j["jobType"], j["status"]) for j in jobs(client, 300)] == [("wrangle", "Complete"),
                                                                       ("filewriter", "Failed")]


# --- ids ---------------------------------------------------------------------------------------------------------

def test_the_api_numbers_after_records_added_with_high_ids(client, mock):
    mock.add_records("trifacta", {**_orders(), "job_groups": [
        {"id": 5000, "wrangledDataset": 100, "created": "-PT1M", "execution": "photon", "profiler": False,
         "writeSettings": [CSV]}]})
    assert post(client, "/v4/flows", {"name": "next"})["id"] == 101
    assert post(client, "/v4/importedDatasets", {"uri": "gs://orders/in/more.csv"})["id"] == 101
    assert run(client, 100)["id"] == 5001
    setting = post(client, "/v4/writeSettings", {"outputObjectId": 100, **CSV})
    assert setting["id"] > max(job["id"] for job in jobs(client, 5000))


def test_what_an_added_record_brings_is_numbered_after_what_the_api_created(client, mock):
    first = run(client, POS_R01)
    mock.add_records("trifacta", {"job_groups": [
        {"id": 700, "wrangledDataset": POS_R01, "created": "-PT1M", "execution": "photon", "profiler": True,
         "writeSettings": [CSV]}]})
    added = [job["id"] for job in jobs(client, 700)]
    assert min(added) > max(first["jobGraph"]["vertices"])
    later = run(client, POS_R01)["jobGraph"]["vertices"]
    assert min(later) > max(added)


# --- refused -----------------------------------------------------------------------------------------------------

def test_an_unknown_reference_is_refused_in_one_line(client, mock):
    kind, lines = _refused(mock, {"job_groups": [
        {"id": 900, "wrangledDataset": 77, "created": "-PT1M", "execution": "photon", "profiler": False,
         "writeSettings": [CSV]}]})
    assert kind is FixtureError
    assert lines == [f"job_groups: record 1 (id 900): wrangledDataset: unknown wrangled dataset 77 ({NOT_FOUND})"]
    get(client, "/v4/jobGroups/900", 404)


def test_an_id_taken_in_the_store_is_a_conflict(client, mock):
    kind, lines = _refused(mock, {"flows": [{"id": 1, "name": "again", "created": "-P1D"}]})
    assert kind is FixtureConflict
    assert lines == ["flows: record 1 (id 1): id: 1 is already taken"]
    assert get(client, "/v4/flows/1")["name"] == "2013 POS"


def test_an_id_given_twice_is_a_conflict_and_adds_neither(client, mock):
    kind, lines = _refused(mock, {"flows": [{"id": 50, "name": "a", "created": "-P1D"},
                                            {"id": 50, "name": "b", "created": "-P1D"}]})
    assert kind is FixtureConflict
    assert lines == ["flows: record 2 (id 50): id: 50 is given twice: record 1 has it too"]
    get(client, "/v4/flows/50", 404)


def test_every_problem_is_told_at_once_and_nothing_is_added(client, mock):
    records = _orders(flow=404, dependsOn=[101, 100])
    records["flows"].append({"id": 2, "name": "taken", "created": "-P1D"})
    records["output_objects"].append({"id": 1, "wrangledDataset": 1, "execution": "photon", "profiler": False,
                                      "created": "-P1D"})
    kind, lines = _refused(mock, records)
    assert kind is FixtureError  # not only conflicts
    assert lines == [
        "flows: record 2 (id 2): id: 2 is already taken",
        f"wrangled_datasets: record 1 (id 100): flow: unknown flow 404 ({NOT_FOUND})",
        f"wrangled_datasets: record 1 (id 100): dependsOn[0]: unknown dataset 101 ({NOT_FOUND})",
        "wrangled_datasets: record 1 (id 100): dependsOn: depends on itself in a cycle: 100 → 100",
        "output_objects: record 2 (id 1): id: 1 is already taken",
        "output_objects: record 2 (id 1): wrangledDataset: wrangled dataset 1 has an output object already (a "
        "recipe has one at most)",
    ]
    get(client, "/v4/flows/100", 404)
    get(client, "/v4/importedDatasets/100", 404)


def test_recipes_depending_on_each_other_in_a_cycle_are_refused(mock):
    _, lines = _refused(mock, {"wrangled_datasets": [
        {"id": 400, "flow": 1, "name": "a", "dependsOn": [401], "created": "-P1D"},
        {"id": 401, "flow": 1, "name": "b", "dependsOn": [400], "created": "-P1D"}]})
    assert lines == ["wrangled_datasets: record 1 (id 400): dependsOn: depends on itself in a cycle: 400 → 401 → 400"]


def test_a_reference_to_a_deleted_record_is_refused(client, mock):
    assert client.delete("/v4/flows/3", headers=AUTH).status_code == 204
    _, lines = _refused(mock, {"wrangled_datasets": [{"id": 400, "flow": 3, "name": "late", "created": "-P1D"}]})
    assert lines == ["wrangled_datasets: record 1 (id 400): flow: flow 3 has been deleted"]


def test_a_time_that_is_no_instant_is_refused_and_only_where_it_is_written(mock):
    _, lines = _refused(mock, {
        "flows": [{"id": 60, "name": "x", "created": "2026-13-01T00:00:00Z"}],
        "wrangled_datasets": [{"id": 60, "flow": 60, "name": "y", "created": "-P1D"}]})
    assert len(lines) == 1 and lines[0].startswith("flows: record 1 (id 60): created: bad time '2026-13-01T00:00:00Z'")


def test_an_id_taken_by_another_writer_while_adding_is_a_conflict(client, mock, monkeypatch):
    """The check passes (the other writer has not committed yet); the insert then meets its row."""
    looked = []

    def before_the_other_writer(conn: Any, entries: Any) -> seed.Stored:
        looked.append(True)
        return seed.NOTHING_STORED if len(looked) == 1 else real(conn, entries)

    real = seed.read_stored
    monkeypatch.setattr(seed, "read_stored", before_the_other_writer)
    kind, lines = _refused(mock, {"flows": [{"id": 70, "name": "new", "created": "-P1D"},
                                            {"id": 1, "name": "again", "created": "-P1D"}]})
    assert kind is FixtureConflict
    assert lines == ["flows: record 2 (id 1): id: 1 is already taken"]
    get(client, "/v4/flows/70", 404)


def test_the_fixtures_are_checked_as_added_records_are(tmp_path):
    folder = tmp_path / "trifacta"
    folder.mkdir()
    for kind in seed.FILES:
        (folder / f"{kind}.yaml").write_text("[]\n", encoding="utf-8")
    (folder / "output_objects.yaml").write_text(yaml.safe_dump([
        {"id": 1, "wrangledDataset": 9, "execution": "photon", "profiler": False, "created": "-P1D"}]))
    with pytest.raises(FixtureError) as refused:
        seed.load(folder)
    assert str(refused.value) == (f"{folder}/output_objects.yaml: record 1 (id 1): wrangledDataset: unknown "
                                  "wrangled dataset 9 (none among the fixtures)")
