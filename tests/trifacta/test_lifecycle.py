"""Job groups and their jobs on the clock: Created → InProgress → Complete, Failed or Canceled."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import EPOCH
from tests.support import at
from tests.trifacta.helpers import (
    AUTH,
    CSV,
    INVENTORY_FORECAST,
    INVENTORY_SNAPSHOT,
    POS_CLEANED,
    POS_R01,
    REGIONAL_SUMMARY,
    STOCK_EXPORT,
    group,
    jobs,
    recipe_plans,
    run,
    status,
    wait_until_done,
)

PLANS = recipe_plans()
# Recipe 7 runs recipes 1 and 2 first, then itself, two file writers and a profile job (its last settings).
SUMMARY_STEPS = [PLANS[POS_R01]["wrangle"], PLANS[POS_CLEANED]["wrangle"], PLANS[REGIONAL_SUMMARY]["wrangle"],
                 PLANS[REGIONAL_SUMMARY]["filewriter"], PLANS[REGIONAL_SUMMARY]["filewriter"],
                 PLANS[REGIONAL_SUMMARY]["profile"]]
SUMMARY_QUEUED = PLANS[REGIONAL_SUMMARY]["queued"]


def test_client_workflow_run_poll_until_complete_then_list_jobs(client, mock):
    created = run(client, REGIONAL_SUMMARY)
    assert status(client, created["id"]) == "Created"
    final, polls = wait_until_done(client, mock, created["id"], step=5)
    assert final == "Complete"
    # The whole run takes the queue time plus every job's duration, one job after the other.
    assert (polls - 1) * 5 >= SUMMARY_QUEUED + sum(SUMMARY_STEPS) > (polls - 2) * 5
    listed = jobs(client, created["id"])
    assert [job["id"] for job in listed] == created["jobGraph"]["vertices"]
    assert all(job["status"] == "Complete" and job["percentComplete"] == 100 for job in listed)
    assert all(job["errorMessage"] is None for job in listed)


def test_the_group_is_created_then_in_progress_then_complete_at_the_planned_instants(client, mock):
    created = run(client, REGIONAL_SUMMARY)
    mock.clock.advance(timedelta(seconds=SUMMARY_QUEUED - 1))
    assert status(client, created["id"]) == "Created"
    mock.clock.advance(timedelta(seconds=1))
    assert status(client, created["id"]) == "InProgress"
    mock.clock.advance(timedelta(seconds=sum(SUMMARY_STEPS) - 1))
    assert status(client, created["id"]) == "InProgress"
    mock.clock.advance(timedelta(seconds=1))
    assert status(client, created["id"]) == "Complete"
    document = group(client, created["id"])
    assert at(document["createdAt"]) == EPOCH
    assert at(document["updatedAt"]) == EPOCH + timedelta(seconds=SUMMARY_QUEUED + sum(SUMMARY_STEPS))


def test_each_job_has_its_own_status_and_progress(client, mock):
    created = run(client, REGIONAL_SUMMARY)
    # Half way through the second job.
    mock.clock.advance(timedelta(seconds=SUMMARY_QUEUED + SUMMARY_STEPS[0] + SUMMARY_STEPS[1] / 2))
    listed = jobs(client, created["id"])
    assert [job["status"] for job in listed] == ["Complete", "InProgress", "Created", "Created", "Created",
                                                 "Created"]
    assert [job["percentComplete"] for job in listed] == [100, 50, 0, 0, 0, 0]
    assert listed[1]["lastHeartbeatAt"] is not None and listed[2]["lastHeartbeatAt"] is None
    assert group(client, created["id"])["status"] == "InProgress"
    mock.clock.advance(timedelta(seconds=SUMMARY_STEPS[1] / 4))
    assert jobs(client, created["id"])[1]["percentComplete"] == 75


def test_embedded_jobs_match_the_jobs_endpoint(client, mock):
    created = run(client, REGIONAL_SUMMARY)
    mock.clock.advance(timedelta(seconds=60))
    embedded = group(client, created["id"], embed="jobs")["jobs"]["data"]
    assert embedded == jobs(client, created["id"])


def test_cancel_mid_run_stops_the_running_job_and_the_waiting_ones(client, mock):
    created = run(client, REGIONAL_SUMMARY)
    mock.clock.advance(timedelta(seconds=SUMMARY_QUEUED + SUMMARY_STEPS[0] + SUMMARY_STEPS[1] / 2))
    response = client.post(f"/v4/jobGroups/{created['id']}/cancel", headers=AUTH)
    assert response.status_code == 200
    vertices = created["jobGraph"]["vertices"]
    assert response.json() == {"jobIds": vertices[1:], "jobgroupId": created["id"]}
    assert status(client, created["id"]) == "Canceled"
    mock.clock.advance(timedelta(hours=1))  # nothing moves any more
    assert status(client, created["id"]) == "Canceled"
    listed = jobs(client, created["id"])
    assert [job["status"] for job in listed] == ["Complete"] + ["Canceled"] * 5
    assert [job["percentComplete"] for job in listed] == [100, 50, 0, 0, 0, 0]


def test_cancel_before_any_job_started_cancels_them_all(client):
    created = run(client, REGIONAL_SUMMARY)
    canceled = client.post(f"/v4/jobGroups/{created['id']}/cancel", json={}, headers=AUTH).json()
    assert canceled["jobIds"] == created["jobGraph"]["vertices"]
    assert {job["status"] for job in jobs(client, created["id"])} == {"Canceled"}
    assert all(job["lastHeartbeatAt"] is None for job in jobs(client, created["id"]))


def test_cancelling_an_ended_group_changes_nothing(client, mock):
    created = run(client, REGIONAL_SUMMARY)
    mock.clock.advance(timedelta(hours=1))
    before = jobs(client, created["id"])
    response = client.post(f"/v4/jobGroups/{created['id']}/cancel", headers=AUTH)
    assert response.json() == {"jobIds": [], "jobgroupId": created["id"]}
    assert status(client, created["id"]) == "Complete"
    assert jobs(client, created["id"]) == before


def test_cancelling_twice_cancels_nothing_the_second_time(client, mock):
    created = run(client, REGIONAL_SUMMARY)
    mock.clock.advance(timedelta(seconds=SUMMARY_QUEUED + 1))
    assert client.post(f"/v4/jobGroups/{created['id']}/cancel", headers=AUTH).json()["jobIds"]
    assert client.post(f"/v4/jobGroups/{created['id']}/cancel", headers=AUTH).json()["jobIds"] == []


def test_a_failing_preceding_recipe_fails_the_group_and_the_rest_never_runs(client, mock):
    # Recipe 21 reads recipe 20, whose recipe fails.
    created = run(client, INVENTORY_FORECAST)
    final, _ = wait_until_done(client, mock, created["id"])
    assert final == "Failed"
    listed = jobs(client, created["id"])
    assert [job["status"] for job in listed] == ["Failed", "Canceled", "Canceled"]
    assert "Column 'sku' not found" in listed[0]["errorMessage"]
    assert listed[0]["percentComplete"] < 100
    assert [job["errorMessage"] for job in listed[1:]] == [None, None]


def test_a_failing_recipe_fails_at_the_end_of_its_own_job(client, mock):
    created = run(client, INVENTORY_SNAPSHOT)
    plan = PLANS[INVENTORY_SNAPSHOT]
    mock.clock.advance(timedelta(seconds=plan["queued"] + plan["wrangle"] - 1))
    assert status(client, created["id"]) == "InProgress"
    mock.clock.advance(timedelta(seconds=1))
    assert status(client, created["id"]) == "Failed"


def test_a_failing_file_writer_fails_the_group_after_the_recipe_ran(client, mock):
    created = run(client, STOCK_EXPORT)  # its last run had profiling on
    final, _ = wait_until_done(client, mock, created["id"])
    assert final == "Failed"
    listed = jobs(client, created["id"])
    assert [(job["jobType"], job["status"]) for job in listed] == [
        ("wrangle", "Complete"), ("filewriter", "Failed"), ("profile", "Canceled")]
    assert listed[1]["errorMessage"].startswith("Access denied")


def test_an_unknown_running_environment_is_accepted_and_the_job_fails(client, mock):
    created = run(client, POS_R01, overrides={"execution": "quantum", "profiler": False, "writeSettings": [CSV]})
    assert wait_until_done(client, mock, created["id"])[0] == "Failed"
    first = jobs(client, created["id"])[0]
    assert first["status"] == "Failed" and "quantum" in first["errorMessage"]


def test_a_new_run_shows_first_in_the_list_and_moves_there_too(client, mock):
    created = run(client, REGIONAL_SUMMARY)
    first = client.get("/v4/jobGroups", params={"limit": 1}, headers=AUTH).json()["data"][0]
    assert (first["id"], first["status"]) == (created["id"], "Created")
    mock.clock.advance(timedelta(hours=1))
    first = client.get("/v4/jobGroups", params={"limit": 1}, headers=AUTH).json()["data"][0]
    assert (first["id"], first["status"]) == (created["id"], "Complete")
