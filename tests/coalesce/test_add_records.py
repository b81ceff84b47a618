"""Adding records to a running Coalesce mock (`MockApp.add_records`): what is added is served like the fixtures,
a run added is a fixture run in every way, and what cannot be added is told one line per problem, adding nothing."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from mockingjob.core.config import Config
from mockingjob.core.errors import FixtureConflict, FixtureError
from mockingjob.core.resources import fixtures_dir, read_yaml
from mockingjob.http.app import MockApp
from tests.coalesce.helpers import (
    BASIC,
    DAILY_ORDERS,
    FAILED_FINANCE_RUN,
    PRODUCTION,
    TOKEN,
    error,
    poll_until_final,
    results,
    run,
    runs,
    start,
    status,
)
from tests.conftest import EPOCH
from tests.support import STATE, Meanwhile, at

FIRST_USER = "3Yq0dKpLw8ZfR2mNcT5vXa1bE7u9"  # the first of users.yaml: who started a fixture run naming no one
RETAIL_WORKSPACE = "1"
SANDBOX = "50"
FIXTURE_RUNS = 23


def sandbox(**run: Any) -> dict[str, list[dict[str, Any]]]:
    """An environment of two nodes, a job of it, and (with `run`'s fields) a refresh run of that job, id 500."""
    records: dict[str, list[dict[str, Any]]] = {
        "environments": [{"id": SANDBOX, "name": "Sandbox", "project": "1", "connectionAccount": "acme-sandbox",
                          "createdAt": "-P1D", "createdBy": FIRST_USER, "runTimeParameters": {"TARGET_DB": "SANDBOX"},
                          "plan": {"waitingToRun": 1, "initializing": 2, "rendering": 3, "perBatch": 10}}],
        "nodes": [{"id": f"sandbox-{name.lower()}", "environment": SANDBOX, "name": name, "location": location,
                   "nodeType": kind, "database": "SANDBOX", "schema": location}
                  for name, location, kind in [("STG_LEADS", "STG", "Stage"), ("FCT_LEADS", "FCT", "Fact")]],
        "jobs": [{"id": 40, "environment": SANDBOX, "workspace": RETAIL_WORKSPACE, "name": "Sandbox Leads"}],
    }
    if run:
        records["runs"] = [{"id": 500, "runType": "refresh", "environment": SANDBOX, "job": 40, **run}]
    return records


def get(client: Any, path: str, **params: Any) -> Any:
    response = client.get(path, params=params, headers=TOKEN)
    assert response.status_code == 200, response.text
    return response.json()


def listed_ids(client: Any) -> list[int]:
    return [item["id"] for item in runs(client, limit=1000)["data"]]


def refused(mock: Any, records: dict[str, Any], kind: type[FixtureError] = FixtureError) -> list[str]:
    """The lines of the error adding `records` raises, after checking that nothing was added."""
    before = listed_state(mock)
    with pytest.raises(kind) as raised:
        mock.add_records("coalesce", records)
    assert listed_state(mock) == before
    return str(raised.value).splitlines()


def listed_state(mock: Any) -> Any:
    with mock.asgi.test_client() as client:
        return (listed_ids(client), get(client, "/api/v1/environments"),
                get(client, f"/api/v1/environments/{PRODUCTION}/nodes"),
                get(client, f"/api/v1/workspaces/{RETAIL_WORKSPACE}/jobs"))


# --- what is added is served ---------------------------------------------------------------------------------

def test_an_added_environment_job_and_run_are_listed_and_the_run_progresses_with_the_clock(mock, client):
    added = mock.add_records("coalesce", sandbox(started="PT0S"))
    assert added == {"environments": [SANDBOX], "nodes": ["sandbox-stg_leads", "sandbox-fct_leads"],
                     "jobs": ["40"], "runs": [500]}
    environment = get(client, f"/api/v1/environments/{SANDBOX}")
    assert (environment["name"], environment["status"]) == ("Sandbox", "Refreshing")
    assert environment["createdBy"] == {"id": FIRST_USER, "firstName": "Dana", "lastName": "Whitfield"}
    assert [node["name"] for node in get(client, f"/api/v1/environments/{SANDBOX}/nodes", detail="true")["data"]] \
        == ["FCT_LEADS", "STG_LEADS"]  # listed by ID
    assert get(client, f"/api/v1/environments/{SANDBOX}/jobs/40")["name"] == "Sandbox Leads"
    assert "40" in [job["id"] for job in get(client, f"/api/v1/workspaces/{RETAIL_WORKSPACE}/jobs")["data"]]
    assert listed_ids(client)[0] == 500
    assert poll_until_final(mock, client, 500) == ["waitingToRun", "initializing", "rendering", "running",
                                                    "completed"]
    detail = run(client, 500)
    assert at(detail["runEndTime"]) == EPOCH + timedelta(seconds=1 + 2 + 3 + 10)  # one batch of both nodes
    assert detail["runDetails"]["jobName"] == "Sandbox Leads" and detail["userID"] == FIRST_USER
    assert detail["runTimeParameters"] == {"TARGET_DB": "SANDBOX"}
    assert [(r["name"], r["queryResults"][0]["status"]) for r in results(client, 500)] == [
        ("STG_LEADS", "Success"), ("FCT_LEADS", "Success")]
    assert get(client, f"/api/v1/environments/{SANDBOX}")["status"] == "Waiting"


def test_an_added_run_in_flight_can_be_canceled_then_rerun(mock, client):
    mock.add_records("coalesce", sandbox(started="-PT8S", parallelism=1))
    assert status(client, 500) == "running"  # its first node for two seconds
    response = client.post("/scheduler/cancelRun", json={"runID": 500, "environmentID": SANDBOX}, headers=TOKEN)
    assert response.status_code == 204, response.text
    assert [r["queryResults"][0]["status"] for r in results(client, 500)] == ["Canceled"]
    response = client.post("/scheduler/rerun", json={"runDetails": {"runID": "500"}, "userCredentials": BASIC},
                           headers=TOKEN)
    assert response.status_code == 200, response.text
    again = response.json()["runCounter"]
    assert again == 501
    assert poll_until_final(mock, client, again)[-1] == "completed"
    detail = run(client, again)
    assert (detail["reRunID"], detail["runHistory"], detail["runDetails"]["nodesForRefresh"]) == ("500", [500], 2)
    assert [r["name"] for r in results(client, again)] == ["STG_LEADS", "FCT_LEADS"]


def test_an_added_failed_run_fails_as_planned_and_its_rerun_completes(mock, client):
    records = sandbox(started="-PT1M", outcome="failed", plan={"failNode": "STG_LEADS", "failureReason": "No leads."})
    mock.add_records("coalesce", records)
    detail = run(client, 500)
    assert (detail["runStatus"], detail["runFailureReason"]) == ("failed", "No leads.")
    assert [(r["name"], r["queryResults"][0]["status"]) for r in results(client, 500)] == [
        ("STG_LEADS", "Failed"), ("FCT_LEADS", "Success")]  # one batch: the other node ran beside it
    response = client.post("/scheduler/rerun", json={"runDetails": {"runID": "500"}, "userCredentials": BASIC},
                           headers=TOKEN)
    assert poll_until_final(mock, client, response.json()["runCounter"])[-1] == "completed"


def test_a_canceled_run_can_be_added_with_canceled_after(mock, client):
    mock.add_records("coalesce", sandbox(started="-PT50S", outcome="canceled", canceledAfter=4))
    detail = run(client, 500)
    assert detail["runStatus"] == "canceled" and detail["runDetails"]["canceled"] is True
    assert at(detail["runEndTime"]) - at(detail["runStartTime"]) == timedelta(seconds=4)
    assert results(client, 500) == []  # canceled while initializing


def test_records_refer_to_the_built_in_ones(mock, client):
    added = mock.add_records("coalesce", {
        "nodes": [{"id": "prod-fct-leads", "environment": PRODUCTION, "name": "FCT_LEADS", "location": "FCT",
                   "nodeType": "Fact", "database": "ANALYTICS_PROD", "schema": "FCT"}],
        "jobs": [{"id": 41, "environment": PRODUCTION, "workspace": RETAIL_WORKSPACE, "name": "Leads",
                  "include": "FCT_LEADS"}],
        "runs": [{"id": 600, "runType": "refresh", "environment": PRODUCTION, "job": 41, "started": "-PT1H"},
                 {"id": 601, "runType": "refresh", "environment": PRODUCTION, "job": 2, "started": "-PT30M",
                  "rerunOf": FAILED_FINANCE_RUN, "attempt": 2, "user": "Hc4sU6jWq1oN8xBz0rLf5KeT2ym3"}],
    })
    assert added == {"nodes": ["prod-fct-leads"], "jobs": ["41"], "runs": [600, 601]}
    assert [r["name"] for r in results(client, 600)] == ["FCT_LEADS"]
    rerun = run(client, 601)
    assert (rerun["reRunID"], rerun["runHistory"], rerun["userID"]) == (
        str(FAILED_FINANCE_RUN), [FAILED_FINANCE_RUN], "Hc4sU6jWq1oN8xBz0rLf5KeT2ym3")
    # A rerun's selection is its first run's.
    assert rerun["runDetails"]["nodesForRefresh"] == run(client, FAILED_FINANCE_RUN)["runDetails"]["nodesForRefresh"]
    # The node added comes after the environment's own: a run of every node processes it last.
    every_node = start(client)
    mock.clock.advance(timedelta(minutes=5))
    assert [r["name"] for r in results(client, every_node)][-1] == "FCT_LEADS"


def test_a_new_api_run_of_a_built_in_job_picks_an_added_node_its_selector_matches(mock, client):
    mock.add_records("coalesce", {"nodes": [
        {"id": "prod-stg-leads", "environment": PRODUCTION, "name": "STG_LEADS", "location": "STG",
         "nodeType": "Stage", "database": "ANALYTICS_PROD", "schema": "STG"}]})
    run_id = start(client, jobID=DAILY_ORDERS)  # { location: STG } OR …
    assert run(client, run_id)["runDetails"]["nodesInRun"] == 7  # six of its own, and the new one
    mock.clock.advance(timedelta(minutes=5))
    assert results(client, run_id)[-1]["name"] == "STG_LEADS"


def test_an_api_started_run_after_an_added_high_id_does_not_collide(mock, client):
    mock.add_records("coalesce", {"runs": [
        {"id": 5000, "runType": "deploy", "environment": PRODUCTION, "started": "-PT1S"}]})
    new_id = start(client)
    assert new_id == 5001
    assert listed_ids(client)[:2] == [5001, 5000]
    assert run(client, 5000)["runType"] == "deploy" and run(client, new_id)["runType"] == "refresh"


def test_a_reset_removes_what_was_added(mock, client):
    mock.add_records("coalesce", sandbox(started="-PT1M"))
    mock.reset("coalesce")
    assert len(listed_ids(client)) == FIXTURE_RUNS
    assert error(client.get(f"/api/v1/environments/{SANDBOX}", headers=TOKEN), 404) == "Environment 50 not found."
    assert mock.add_records("coalesce", sandbox(started="-PT1M"))["runs"] == [500]  # its ids are free again


# --- an added run is a fixture run ---------------------------------------------------------------------------

SHIFT = 1000  # the ids of the copies: each fixture run's, plus this


def fixture_runs() -> list[dict[str, Any]]:
    return copy.deepcopy(read_yaml(fixtures_dir() / "coalesce" / "runs.yaml"))


def shown(document: dict[str, Any]) -> dict[str, Any]:
    """What a run document shows beyond the ids of runs and its instants (a copy starts a millisecond after the
    original, as no two runs start at the same instant)."""
    shown = {key: value for key, value in document.items()
             if key not in ("id", "reRunID", "runHistory", "runStartTime", "runEndTime")}
    details = shown["runDetails"] = dict(shown["runDetails"])
    if "refreshDescription" in details:  # "Rerun of run 1004 (…)"
        details["refreshDescription"] = details["refreshDescription"].replace(str(SHIFT + 4), "4")
    return shown


def node_states(client: Any, run_id: int) -> list[tuple[str, str]]:
    return [(r["name"], r["queryResults"][0]["status"]) for r in results(client, run_id)]


def test_every_fixture_run_added_again_is_served_as_the_fixture_run_is(mock, client):
    copies = fixture_runs()
    for record in copies:
        record["id"] += SHIFT
        if record.get("rerunOf") is not None:
            record["rerunOf"] += SHIFT
    mock.add_records("coalesce", {"runs": copies})
    for moment in range(3):  # now, and as the runs in flight move on and end
        for original in fixture_runs():
            ours, theirs = run(client, original["id"] + SHIFT), run(client, original["id"])
            assert shown(ours) == shown(theirs), original["id"]
            assert [i - SHIFT for i in ours["runHistory"]] == theirs["runHistory"]
            started, ended = at(ours["runStartTime"]) - at(theirs["runStartTime"]), ours.get("runEndTime")
            assert timedelta(0) < started <= timedelta(milliseconds=5)
            assert (ended is None) == (theirs.get("runEndTime") is None)
            assert node_states(client, original["id"] + SHIFT) == node_states(client, original["id"])
        mock.clock.advance(timedelta(minutes=15 * moment + 7))


# --- what cannot be added ------------------------------------------------------------------------------------

def test_an_unknown_reference_is_told_in_one_line_and_nothing_is_added(mock):
    records = sandbox(started="-PT1M")
    records["jobs"][0]["workspace"] = "77"
    records["runs"] = [{"id": 500, "runType": "refresh", "environment": "99", "started": "-PT1M"},
                       {"id": 501, "runType": "refresh", "environment": SANDBOX, "job": 41, "started": "-PT1M",
                        "user": "nobody"}]
    assert refused(mock, records) == [
        "jobs: record 1 (id 40): workspace: no workspace 77 among these records or the server's",
        "runs: record 1 (id 500): environment: no environment 99 among these records or the server's",
        "runs: record 2 (id 501): job: no job 41 among these records or the server's",
        "runs: record 2 (id 501): user: no user nobody among these records or the server's",
    ]


def test_a_taken_id_is_a_conflict(mock):
    records = sandbox(started="-PT1M")
    records["environments"][0]["id"] = PRODUCTION
    for node in records["nodes"]:
        node["environment"] = PRODUCTION
    records["jobs"][0].update(id=1, environment=PRODUCTION)
    records["runs"][0].update(id=1, environment=PRODUCTION, job=1)
    assert refused(mock, records, FixtureConflict) == [
        "environments: record 1 (id 2): id: 2 is already taken",
        "jobs: record 1 (id 1): id: 1 is already taken",
        "runs: record 1 (id 1): id: 1 is already taken",
    ]


def test_the_same_id_twice_in_one_request_is_a_conflict(mock):
    records = sandbox(started="-PT1M")
    records["runs"].append({**records["runs"][0], "started": "-PT30S"})
    records["nodes"][1]["id"] = records["nodes"][0]["id"]
    assert refused(mock, records, FixtureConflict) == [
        "nodes: record 2 (id sandbox-stg_leads): id: the same id as record 1",
        "runs: record 2 (id 500): id: the same id as record 1",
    ]


def test_a_conflict_beside_other_problems_is_told_with_them_as_a_fixture_error(mock):
    lines = refused(mock, {"runs": [{"id": 1, "runType": "deploy", "environment": "99", "started": "-PT1M"}]})
    assert lines == ["runs: record 1 (id 1): id: 1 is already taken",
                     "runs: record 1 (id 1): environment: no environment 99 among these records or the server's"]


@pytest.mark.parametrize(("run_fields", "line"), [
    ({"nodes": ["STG_LEADS", "NOPE"]}, "nodes: no node named NOPE in environment 50"),
    ({"include": "{ colour: red }"},
     "include: Unknown node selector key(s) colour: use name, location, nodeType or id."),
    ({"started": "-P99999999D"}, "started: bad time '-P99999999D': date value out of range"),
    ({"rerunOf": 700}, "rerunOf: run 700 is not an earlier run: a rerun's ID comes after the run it reruns"),
    ({"plan": {"perBatch": 1e15}}, "plan: its durations take the run past the year 9999"),
    ({"deployCommit": "f" * 65}, "deployCommit: longer than 64 characters"),
    ({"parallelism": 2**40}, "parallelism: 1099511627776 is greater than the maximum of 2147483647"),
])
def test_a_run_that_cannot_be_planned_is_told_by_its_field(mock, run_fields, line):
    records = sandbox(**{"started": "-PT1M", **run_fields})
    records["runs"].append({"id": 700, "runType": "refresh", "environment": SANDBOX, "started": "-PT1M"})
    assert refused(mock, records) == [f"runs: record 1 (id 500): {line}"]


def test_a_job_with_a_selector_that_does_not_parse_is_refused(mock):
    records = sandbox()
    records["jobs"][0]["exclude"] = "{ location: STG"
    assert refused(mock, records) == [
        "jobs: record 1 (id 40): exclude: Node selector has an unmatched brace."]


def test_a_field_against_the_schema_is_told_before_anything_else(mock):
    records = sandbox()
    records["environments"][0]["createdAt"] = "2026-02-30T00:00:00Z"
    records["nodes"][0]["nodeType"] = 7
    assert refused(mock, records) == ["nodes: record 1 (id sandbox-stg_leads): nodeType: 7 is not of type 'string'"]


def test_a_time_the_calendar_does_not_have_is_told(mock):
    records = sandbox()
    records["environments"][0]["createdAt"] = "2026-02-30T00:00:00Z"  # the schema's pattern admits it
    assert refused(mock, records) == [
        "environments: record 1 (id 50): createdAt: bad time '2026-02-30T00:00:00Z': day is out of range for month"]


def test_every_line_names_the_kind_the_record_and_the_field(mock):
    records = sandbox(started="-PT1M", job=77, user="nobody")
    records["environments"][0]["createdBy"] = "nobody"
    for line in refused(mock, records):
        kind, record, field, what = line.split(": ", 3)
        assert kind in records and record.startswith("record ") and field and what


@pytest.fixture(params=["file", *(["database"] if STATE and "://" in STATE else [])])
def two_instances(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[MockApp, MockApp]]:
    """Two instances on one store (as two workers are): a SQLite file, and the test database when the suite runs
    on one (PostgreSQL)."""
    state = str(tmp_path / "state.sqlite") if request.param == "file" else STATE
    first = MockApp(Config(apis=["coalesce"], state=state, speed=0))
    second = MockApp(Config(apis=["coalesce"], state=state, speed=0))
    first.reset(control=True, at=EPOCH)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def _outcome(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except FixtureConflict as exc:
        return exc


def test_an_id_another_writer_takes_meanwhile_is_a_conflict(two_instances):
    ours, theirs = two_instances
    records = {"runs": [{"id": 700, "runType": "deploy", "environment": PRODUCTION, "started": "-PT1S"}]}
    # Theirs adds the same run after ours has checked that its id is free, just before ours inserts it.
    elsewhere = Meanwhile(ours, "INSERT INTO coalesce_runs",
                          lambda: _outcome(lambda: theirs.add_records("coalesce", records)))
    mine = _outcome(lambda: ours.add_records("coalesce", records))
    # Whichever goes second (on a SQLite file, theirs: it waits for our write lock) is told the id is taken.
    first, second = (elsewhere.result(), mine) if isinstance(mine, FixtureConflict) else (mine, elsewhere.result())
    assert first == {"runs": [700]}
    assert isinstance(second, FixtureConflict)
    assert str(second) == "runs: record 1 (id 700): id: 700 is already taken"
