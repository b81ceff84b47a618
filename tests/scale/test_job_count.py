"""The job list's count: exact through queues, cancels, requeues and the clock's moves.

A list filtered by final statuses and job types is counted from a tally kept beside the jobs; these tests hold
its count against the jobs the full list shows, whose statuses are derived from the jobs themselves.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import product

import sqlalchemy as sa

from mockingjob.packs.scale.tables import TABLES
from tests.conftest import TOKEN
from tests.scale.helpers import INGEST, NDVI, PARSE, TILER, ids, job, jobs, queue

STATUS_SETS = (["COMPLETED"], ["FAILED"], ["CANCELED"], ["FAILED", "CANCELED"], ["PENDING", "BLOCKED", "COMPLETED"])
JOB_TYPE_SETS = ([], [INGEST], [NDVI, TILER], [NDVI, NDVI], [99])


def counted(client, statuses, job_types):
    """The count a one-job page reports: the count can't be the page's length."""
    params = [("page_size", 1), *(("status", s) for s in statuses), *(("job_type_id", t) for t in job_types)]
    response = client.get("/v6/jobs/", params=params)
    assert response.status_code == 200, response.text
    return response.json()["count"]


def assert_counts_match_the_jobs(client):
    every_job = jobs(client)
    for statuses, job_types in product(STATUS_SETS, JOB_TYPE_SETS):
        expected = sum(1 for j in every_job
                       if j["status"] in statuses and (not job_types or j["job_type"]["id"] in job_types))
        assert counted(client, statuses, job_types) == expected, (statuses, job_types)


def post(client, path, body):
    response = client.post(path, json=body, headers=TOKEN)
    assert response.status_code == 202, response.text


def test_counts_by_final_status_and_job_type_follow_every_change(mock, client):
    assert_counts_match_the_jobs(client)
    queued = [queue(client, NDVI)["id"], queue(client, NDVI)["id"], queue(client, INGEST)["id"],
              queue(client, TILER)["id"]]
    completed_before = counted(client, ["COMPLETED"], [])
    assert_counts_match_the_jobs(client)  # jobs in flight are not counted by the outcome they will have
    mock.clock.advance(timedelta(seconds=70))
    assert {job(client, i)["status"] for i in queued} == {"FAILED", "COMPLETED"}
    assert counted(client, ["COMPLETED"], []) == completed_before + 1  # the ingest job
    assert_counts_match_the_jobs(client)
    post(client, "/v6/jobs/cancel/", {"job_ids": [queue(client, PARSE)["id"], queued[3]]})  # queued, failed
    assert_counts_match_the_jobs(client)
    failed_before = counted(client, ["FAILED"], [NDVI])
    post(client, "/v6/jobs/requeue/", {"job_ids": queued[:2]})
    assert counted(client, ["FAILED"], [NDVI]) == failed_before - 2
    assert_counts_match_the_jobs(client)
    mock.clock.advance(timedelta(minutes=5))  # the second attempts complete
    assert_counts_match_the_jobs(client)


def test_counts_follow_changes_to_the_seeded_jobs(mock, client):
    failed = ids(jobs(client, {"status": "FAILED"}))
    canceled = ids(jobs(client, {"status": "CANCELED"}))
    assert len(failed) >= 2 and canceled
    mock.clock.advance(timedelta(minutes=1))
    post(client, "/v6/jobs/cancel/", {"job_ids": failed[:1]})
    assert job(client, failed[0])["status"] == "CANCELED"
    assert_counts_match_the_jobs(client)
    post(client, "/v6/jobs/requeue/", {"job_ids": [failed[1], canceled[0]]})
    assert {job(client, i)["status"] for i in (failed[1], canceled[0])} == {"QUEUED"}
    assert_counts_match_the_jobs(client)
    mock.clock.advance(timedelta(hours=1))
    assert_counts_match_the_jobs(client)


def test_counts_hold_when_the_clock_is_set_back(mock, client):
    queue(client, INGEST)
    queue(client, TILER)
    mock.clock.advance(timedelta(minutes=10))
    mock.reset()  # the jobs are seeded again, relative to the clock's now
    queue(client, INGEST)
    mock.clock.advance(timedelta(minutes=2))
    assert_counts_match_the_jobs(client)
    for back in (timedelta(seconds=30), timedelta(hours=1), timedelta(days=2)):
        mock.clock.set(mock.clock.now() - back)  # jobs that had ended are in flight again
        assert_counts_match_the_jobs(client)


def test_a_store_without_a_tally_is_counted_from_its_jobs_until_reset(mock, client):
    queue(client, INGEST)
    mock.clock.advance(timedelta(seconds=30))
    with mock.store.begin() as conn:  # as a store written before the tally existed
        conn.execute(TABLES.job_tally.delete())
    assert_counts_match_the_jobs(client)
    queue(client, TILER)
    mock.clock.advance(timedelta(seconds=60))
    assert_counts_match_the_jobs(client)
    mock.reset()
    with mock.store.begin() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(TABLES.job_tally)).scalar_one() > 0
    assert_counts_match_the_jobs(client)
