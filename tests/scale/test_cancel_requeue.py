"""POST /v6/jobs/cancel/ and POST /v6/jobs/requeue/: accepted with 202, applied to the jobs that match."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import EPOCH, TOKEN
from tests.scale.helpers import INGEST, NDVI, PARSE, TILER, executions, ids, job, jobs, queue
from tests.support import at


def cancel(client, body):
    response = client.post("/v6/jobs/cancel/", json=body, headers=TOKEN)
    assert response.status_code == 202, response.text
    assert response.content == b""
    return response


def requeue(client, body):
    response = client.post("/v6/jobs/requeue/", json=body, headers=TOKEN)
    assert response.status_code == 202, response.text
    assert response.content == b""
    return response


def statuses(client):
    return {j["id"]: j["status"] for j in jobs(client)}


def failed_ndvi_job(mock, client):
    new = queue(client, NDVI)
    mock.clock.advance(timedelta(seconds=70))
    assert job(client, new["id"])["status"] == "FAILED"
    return new["id"]


# --- cancel -----------------------------------------------------------------------------------------------------

def test_a_canceled_queued_job_never_runs(mock, client):
    new = queue(client, INGEST)["id"]
    mock.clock.advance(timedelta(seconds=1))
    cancel(client, {"job_ids": [new]})
    canceled = job(client, new)
    assert canceled["status"] == "CANCELED"
    assert canceled["execution"] is None and canceled["started"] is None
    assert at(canceled["last_status_change"]) == EPOCH + timedelta(seconds=1)
    mock.clock.advance(timedelta(minutes=5))
    later = job(client, new)
    assert later["status"] == "CANCELED" and later["started"] is None and later["node"] is None
    assert executions(client, new) == []
    assert new in ids(jobs(client, {"status": "CANCELED"}))


def test_cancel_stops_a_running_job(mock, client):
    new = queue(client, INGEST)["id"]
    mock.clock.advance(timedelta(seconds=10))
    exe = executions(client, new)[0]
    log_url = f"/v6/job-executions/{exe['id']}/logs/combined/"
    lines_before = client.get(log_url).json()
    cancel(client, {"job_ids": [new]})
    canceled = job(client, new)
    assert canceled["status"] == "CANCELED"
    # Scale's cancel changes the status and clears the node; a job that never finished has no `ended`.
    assert canceled["ended"] is None and canceled["node"] is None
    assert at(canceled["last_status_change"]) == EPOCH + timedelta(seconds=10)
    # Scale shows no latest execution for a canceled job; the execution itself says it was canceled.
    assert canceled["execution"] is None
    [stopped] = executions(client, new)
    assert stopped["status"] == "CANCELED" and at(stopped["ended"]) == EPOCH + timedelta(seconds=10)
    assert client.get(f"/v6/jobs/{new}/executions/1/").json()["status"] == "CANCELED"
    mock.clock.advance(timedelta(minutes=2))
    assert job(client, new)["status"] == "CANCELED"
    lines_after = client.get(log_url).json()
    messages = [line["message"] for line in lines_after]
    assert messages[:len(lines_before)] == [line["message"] for line in lines_before]
    assert "Registering file with Scale" not in messages  # logged 15 s in: never reached
    assert all(at(line["@timestamp"]) <= EPOCH + timedelta(seconds=10) for line in lines_after)
    assert client.get(log_url).json() == lines_after


def test_completed_and_canceled_jobs_are_not_canceled(mock, client):
    before = job(client, 3)
    assert before["status"] == "COMPLETED"
    cancel(client, {"job_ids": [3, 2]})
    assert job(client, 3) == before
    assert job(client, 2)["status"] == "CANCELED"
    assert job(client, 2)["last_modified"] == jobs(client, {"job_id": 2})[0]["last_modified"]


def test_a_failed_job_can_be_canceled(client):
    failed = job(client, 44)
    assert failed["status"] == "FAILED"
    cancel(client, {"job_ids": [44]})
    # It had finished: it keeps when (Scale's cancel leaves `ended` alone).
    assert job(client, 44)["ended"] == failed["ended"] is not None
    canceled = job(client, 44)
    assert canceled["status"] == "CANCELED" and canceled["error"] is None
    assert executions(client, 44)[0]["status"] == "FAILED"
    assert 44 not in ids(jobs(client, {"error_category": "DATA"}))


def test_cancel_by_job_type_ids_touches_only_those_types(client):
    before = statuses(client)
    cancel(client, {"job_type_ids": [INGEST]})
    after = {j["id"]: j for j in jobs(client)}
    changed = {i for i in before if after[i]["status"] != before[i]}
    assert changed == {i for i, s in before.items() if s in ("QUEUED", "RUNNING", "FAILED")
                       and after[i]["job_type"]["id"] == INGEST}
    assert changed
    assert all(after[i]["status"] == "CANCELED" for i in changed)


def test_cancel_with_a_status_cancels_only_jobs_in_that_status(client):
    before = statuses(client)
    cancel(client, {"status": "RUNNING"})
    after = statuses(client)
    assert {i for i in before if after[i] != before[i]} == {i for i, s in before.items() if s == "RUNNING"}
    assert "QUEUED" in after.values()
    assert "RUNNING" not in after.values()


def test_cancel_by_job_type_name_and_version(client):
    before = {j["id"]: j for j in jobs(client)}
    cancel(client, {"job_types": [{"name": "landsat8-parse", "version": "1.1.0"}], "status": "QUEUED"})
    after = statuses(client)
    changed = {i for i in before if after[i] != before[i]["status"]}
    assert changed and changed == {i for i, j in before.items() if j["status"] == "QUEUED"
                                   and j["job_type"]["id"] == PARSE}


@pytest.mark.parametrize(("name", "version"), [("landsat8-parse", "9.9.9"), ("no-such-type", "1.0.0")])
def test_cancel_by_an_unknown_job_type_is_a_400_and_cancels_nothing(client, name, version):
    before = statuses(client)
    response = client.post("/v6/jobs/cancel/", json={"job_types": [{"name": name, "version": version}]},
                           headers=TOKEN)
    assert response.status_code == 400
    assert response.json() == {"detail": f"Job Type with name: {name} and version: {version} does not exist"}
    assert statuses(client) == before


@pytest.mark.parametrize(("body", "matches"), [
    ({"job_type_names": ["scale-delete-files"]}, lambda j: j["job_type"]["name"] == "scale-delete-files"),
    ({"batch_ids": [2, 3]}, lambda j: (j["batch"] or {}).get("id") in (2, 3)),
    ({"recipe_ids": [2]}, lambda j: (j["recipe"] or {}).get("id") == 2),
    ({"error_categories": ["SYSTEM"]}, lambda j: (j["error"] or {}).get("category") == "SYSTEM"),
    ({"error_ids": ["7", 5]}, lambda j: (j["error"] or {}).get("id") in (5, 7)),
    ({"is_superseded": True}, lambda j: j["is_superseded"]),
    ({"started": "PT20M", "ended": "2026-03-02T11:55:00Z"},
     lambda j: EPOCH - timedelta(minutes=20) <= at(j["last_modified"]) <= EPOCH - timedelta(minutes=5)),
])
def test_cancel_filters_pick_the_jobs_they_name(client, body, matches):
    before = {j["id"]: j for j in jobs(client)}
    cancel(client, body)
    after = statuses(client)
    changed = {i for i in before if after[i] != before[i]["status"]}
    expected = {i for i, j in before.items() if matches(j) and j["status"] in ("QUEUED", "RUNNING", "FAILED")}
    assert changed and changed == expected
    assert all(after[i] == "CANCELED" for i in changed)


def test_cancel_without_filters_cancels_every_unfinished_job(client):
    before = statuses(client)
    cancel(client, {})
    after = statuses(client)
    assert set(after.values()) == {"COMPLETED", "CANCELED"}
    assert {i for i, s in after.items() if s == "COMPLETED"} == {i for i, s in before.items() if s == "COMPLETED"}


def test_cancel_with_bad_times_is_a_400(client):
    before = statuses(client)
    response = client.post("/v6/jobs/cancel/", json={"started": "P2D", "ended": "P3D"}, headers=TOKEN)
    assert response.status_code == 400
    assert response.json() == {"detail": "Start time must come before end time"}
    assert statuses(client) == before


# --- requeue ----------------------------------------------------------------------------------------------------

def test_a_failed_job_requeued_runs_again_and_completes(mock, client):
    job_id = failed_ndvi_job(mock, client)
    failed = job(client, job_id)
    requeue(client, {"job_ids": [job_id]})
    queued = job(client, job_id)
    assert queued["status"] == "QUEUED"
    assert queued["num_exes"] == 2
    assert queued["max_tries"] == failed["max_tries"] + 1
    assert queued["error"] is None and queued["started"] is None and queued["ended"] is None
    assert queued["execution"] is None  # the second execution does not exist until it is scheduled
    assert at(queued["queued"]) == EPOCH + timedelta(seconds=70)
    assert job_id in ids(jobs(client, {"status": "QUEUED"}))
    assert [x["exe_num"] for x in executions(client, job_id)] == [1]

    mock.clock.advance(timedelta(seconds=6))
    running = job(client, job_id)
    assert running["status"] == "RUNNING" and running["execution"]["exe_num"] == 2
    assert [(x["exe_num"], x["status"]) for x in executions(client, job_id)] == [(2, "RUNNING"), (1, "FAILED")]

    mock.clock.advance(timedelta(seconds=60))
    done = job(client, job_id)
    assert done["status"] == "COMPLETED" and done["error"] is None
    [product] = done["output"]["files"]["output_file"]
    [listed] = client.get("/v6/files/", params={"job_id": job_id}).json()["results"]
    assert listed["id"] == product and listed["job_exe"]["id"] == done["execution"]["id"]
    assert done["execution"]["exe_num"] == 2 and done["execution"]["status"] == "COMPLETED"
    exes = executions(client, job_id)
    assert [(x["exe_num"], x["status"]) for x in exes] == [(2, "COMPLETED"), (1, "FAILED")]
    assert exes[1]["error"]["name"] == "algorithm-error" and exes[0]["error"] is None


def test_requeue_applies_the_priority(mock, client):
    job_id = failed_ndvi_job(mock, client)
    other = failed_ndvi_job(mock, client)
    requeue(client, {"job_ids": [job_id], "priority": 1})
    requeue(client, {"job_ids": [other]})
    by_priority = ids(jobs(client, [("status", "QUEUED"), ("order", "priority"), ("order", "id")]))
    assert by_priority[0] == job_id
    assert other != by_priority[0]
    highest_last = ids(jobs(client, [("status", "QUEUED"), ("order", "-priority")]))
    assert highest_last[-1] == job_id


def test_completed_and_running_jobs_are_not_requeued(client):
    assert job(client, 3)["status"] == "COMPLETED" and job(client, 20)["status"] == "RUNNING"
    before = [job(client, 3), job(client, 20)]
    requeue(client, {"job_ids": [3, 20]})
    assert [job(client, 3), job(client, 20)] == before


def test_a_superseded_failed_job_is_not_requeued(client):
    before = job(client, 1)
    assert before["status"] == "FAILED" and before["is_superseded"]
    requeue(client, {"job_ids": [1]})
    assert job(client, 1) == before


def test_a_canceled_job_can_be_requeued(mock, client):
    assert job(client, 31)["status"] == "CANCELED"
    requeue(client, {"job_ids": [31]})
    again = job(client, 31)
    assert again["status"] == "QUEUED" and again["num_exes"] == 2
    mock.clock.advance(timedelta(minutes=2))
    assert job(client, 31)["status"] == "COMPLETED"
    assert [(x["exe_num"], x["status"]) for x in executions(client, 31)] == [(2, "COMPLETED"), (1, "CANCELED")]


def test_a_job_canceled_in_the_queue_can_be_requeued_and_run(mock, client):
    new = queue(client, INGEST)["id"]
    cancel(client, {"job_ids": [new]})
    requeue(client, {"job_ids": [new]})
    assert job(client, new)["status"] == "QUEUED"
    mock.clock.advance(timedelta(seconds=30))
    assert job(client, new)["status"] == "COMPLETED"
    assert [x["status"] for x in executions(client, new)] == ["COMPLETED"]


def test_requeue_by_error_category_requeues_only_those_failures(client):
    before = {j["id"]: j for j in jobs(client)}
    requeue(client, {"error_categories": ["DATA"]})
    after = {j["id"]: j for j in jobs(client)}
    changed = {i for i in before if after[i]["status"] != before[i]["status"]}
    assert changed and changed == {i for i, j in before.items() if (j["error"] or {}).get("category") == "DATA"
                                   and not j["is_superseded"]}
    assert all(after[i]["status"] == "QUEUED" and after[i]["num_exes"] == before[i]["num_exes"] + 1
               for i in changed)


def test_a_requeued_job_that_always_fails_fails_again(mock, client):
    new = queue(client, TILER)["id"]
    mock.clock.advance(timedelta(seconds=45))
    requeue(client, {"job_type_ids": [TILER], "status": "FAILED", "job_ids": [new]})
    assert job(client, new)["status"] == "QUEUED"
    mock.clock.advance(timedelta(seconds=45))
    again = job(client, new)
    assert again["status"] == "FAILED" and again["error"]["name"] == "data-corrupt" and again["num_exes"] == 2
    assert [x["status"] for x in executions(client, new)] == ["FAILED", "FAILED"]


def test_requeue_without_filters_requeues_every_failed_or_canceled_job(client):
    before = {j["id"]: j for j in jobs(client)}
    requeue(client, {})
    after = {j["id"]: j for j in jobs(client)}
    for i, j in before.items():
        if j["status"] in ("FAILED", "CANCELED") and not j["is_superseded"]:
            assert after[i]["status"] == "QUEUED", i
        else:
            assert after[i]["status"] == j["status"], i


def test_requeue_by_an_unknown_job_type_is_a_400(client):
    response = client.post("/v6/jobs/requeue/", json={"job_types": [{"name": "ndvi-calc", "version": "1.0.0"}]},
                           headers=TOKEN)
    assert response.status_code == 400
    assert response.json() == {"detail": "Job Type with name: ndvi-calc and version: 1.0.0 does not exist"}
