"""GET /api/v1/runs: defaults, the summary and detail documents, filters, and paging with startingFrom."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.coalesce.helpers import BASIC, DAILY_ORDERS, PRODUCTION, TOKEN, error, runs, start
from tests.conftest import EPOCH
from tests.support import at

SUMMARY_FIELDS = {"id", "reRunID", "runStartTime", "runEndTime", "runType", "runStatus", "environmentID",
                  "runFailureReason", "version", "runHistory", "userID"}
STATUSES = ["canceled", "completed", "failed", "initializing", "rendering", "running", "waitingToRun"]
FIXTURE_RUNS = 23


def everything(client, **params):
    """Every run the list gives in one page."""
    return runs(client, limit=1000, **params)["data"]


def test_defaults_are_echoed_25_runs_newest_first(client):
    page = runs(client)
    assert (page["limit"], page["orderBy"], page["orderByDirection"]) == (25, "id", "desc")
    ids = [r["id"] for r in page["data"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == FIXTURE_RUNS
    assert "next" not in page


def test_without_detail_runs_are_summaries(client):
    for item in everything(client):
        assert set(item) <= SUMMARY_FIELDS
        assert {"id", "runType", "runStatus", "runStartTime", "environmentID", "version", "runHistory",
                "userID"} <= set(item)
        assert ("runEndTime" in item) == (item["runStatus"] in ("completed", "failed", "canceled"))
        assert ("runFailureReason" in item) == (item["runStatus"] == "failed")


def test_with_detail_runs_carry_run_details_parameters_and_credentials(client):
    items = {item["id"]: item for item in everything(client, detail="true")}
    deploy, refresh = items[1], items[3]
    assert set(deploy["runDetails"]) == {"canceled", "deployCommit", "deployCommitMessage", "environmentID",
                                         "parallelism", "nodesInRun"}
    assert deploy["runDetails"]["nodesInRun"] == 9 and deploy["runDetails"]["parallelism"] == 8
    assert set(refresh["runDetails"]) == {"canceled", "environmentID", "includeNodesSelector", "jobID", "jobName",
                                          "parallelism", "nodesInRun", "forceIgnoreEnvironmentStatus",
                                          "refreshDescription", "nodesForRefresh"}
    assert refresh["runTimeParameters"] == {"TARGET_DB": "ANALYTICS_PROD", "LOAD_MODE": "incremental"}
    assert refresh["userCredentials"] == {"snowflakeAccount": "acme-prod.us-east-1", "snowflakeAuthType": "Basic",
                                          "snowflakeUsername": "ANALYST", "snowflakeRole": "TRANSFORMER",
                                          "snowflakeWarehouse": "TRANSFORM_WH"}
    assert items[8]["runDetails"]["canceled"] is True and items[5]["reRunID"] == "4"


@pytest.mark.parametrize("run_type", ["deploy", "refresh"])
def test_the_fixtures_have_runs_of_each_type_in_every_status(client, run_type):
    seen = {item["runStatus"] for item in everything(client, runType=run_type)}
    assert seen == set(STATUSES)


@pytest.mark.parametrize("status", STATUSES)
def test_run_status_filters(client, status):
    items = everything(client, runStatus=status)
    assert items and {item["runStatus"] for item in items} == {status}


def test_the_status_filter_follows_the_clock(mock, client):
    before = {item["id"] for item in everything(client, runStatus="running")}
    mock.clock.advance(timedelta(hours=1))
    assert everything(client, runStatus="running") == []
    completed = {item["id"] for item in everything(client, runStatus="completed")}
    assert before <= completed


def test_type_and_environment_filters_combine(client):
    items = everything(client, runType="deploy", environmentID="3")
    assert [item["id"] for item in items] == [9, 2]
    assert everything(client, environmentID="nope") == []


@pytest.mark.parametrize(("params", "message"), [
    ({"limit": 1001}, "limit must be at most 1000."),
    ({"limit": -1}, "limit must be at least 0."),
    ({"limit": "x"}, "limit must be of type integer."),
    ({"orderBy": "name"}, "orderBy must be one of: id, runStartTime, runEndTime."),
    ({"orderByDirection": "up"}, "orderByDirection must be one of: asc, desc."),
    ({"runStatus": "queued"}, "runStatus must be one of: canceled, completed, failed, initializing, rendering, "
                              "running, waitingToRun."),
    ({"startingFrom": "yesterday"}, "startingFrom must be a run ID or an ISO-8601 date-time with a timezone."),
    ({"startingFrom": "2026-03-01T00:00:00"}, "startingFrom must be a run ID or an ISO-8601 date-time with a "
                                              "timezone."),
    ({"detail": "maybe"}, "detail must be of type boolean."),
    ({"status": "failed"}, "Unknown query parameter(s): status"),
])
def test_bad_parameters_are_400s(client, params, message):
    response = client.get("/api/v1/runs", params=params, headers=TOKEN)
    assert error(response, 400) == message


def test_limit_zero_gives_no_runs(client):
    page = runs(client, limit=0)
    assert page["data"] == [] and page["limit"] == 0


# --- paging ------------------------------------------------------------------------------------------------

def _field(order_by):
    return {"id": "id", "runStartTime": "runStartTime", "runEndTime": "runEndTime"}[order_by]


def _walk(client, **params):
    """Follow `next` from the first page to the last; return the ids seen and the number of pages."""
    seen, pages, cursor = [], 0, None
    while True:
        query = dict(params, **({"startingFrom": cursor} if cursor is not None else {}))
        page = runs(client, **query)
        pages += 1
        seen += [item["id"] for item in page["data"]]
        if "next" not in page:
            return seen, pages
        cursor = page["next"]
        assert pages < 50


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("order_by", ["id", "runStartTime", "runEndTime"])
def test_paging_with_next_lists_every_run_once_in_order(mock, client, order_by, direction):
    # Runs started in the same instant, and a run canceled when another ends, still page correctly.
    start(client, jobID=DAILY_ORDERS)
    start(client, jobID=DAILY_ORDERS)
    mock.clock.advance(timedelta(minutes=5))
    expected = everything(client, orderBy=order_by, orderByDirection=direction)
    seen, pages = _walk(client, orderBy=order_by, orderByDirection=direction, limit=4)
    assert seen == [item["id"] for item in expected]
    assert pages == -(-len(expected) // 4)  # a full last page has no `next`
    values = [item.get(_field(order_by)) for item in expected]
    if order_by != "id":
        values = [at(v) for v in values]
    assert values == sorted(values, reverse=direction == "desc")


def test_ordering_by_end_time_lists_only_runs_that_have_ended(client):
    ended = everything(client, orderBy="runEndTime")
    assert {item["runStatus"] for item in ended} <= {"completed", "failed", "canceled"}
    assert len(ended) == len(everything(client)) - 8  # eight runs are in flight at the start


def test_starting_from_is_exclusive_in_both_directions(client):
    assert [r["id"] for r in runs(client, startingFrom=10, limit=3)["data"]] == [9, 8, 7]
    assert [r["id"] for r in runs(client, startingFrom=10, limit=3, orderByDirection="asc")["data"]] == [11, 12, 13]


def test_starting_from_a_time_pages_by_that_time(client):
    one_day_ago = (EPOCH - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    older = runs(client, startingFrom=one_day_ago, orderBy="runStartTime", limit=1000)["data"]
    assert [r["id"] for r in older] == [9, 8, 7, 6, 5, 4, 3, 2, 1]  # run 10 started exactly a day ago
    # With orderBy=id a date-time pages by start time too (IDs follow start times).
    assert runs(client, startingFrom=one_day_ago, limit=1000)["data"] == older
    newer = runs(client, startingFrom=one_day_ago, orderBy="runStartTime", orderByDirection="asc", limit=2)["data"]
    assert [r["id"] for r in newer] == [11, 12]


def test_a_run_id_cursor_with_end_time_order_pages_from_that_runs_end(client):
    ended = [r["id"] for r in everything(client, orderBy="runEndTime")]
    after = runs(client, orderBy="runEndTime", startingFrom=ended[2], limit=1000)["data"]
    assert [r["id"] for r in after] == ended[3:]
    # A run that has not ended (or does not exist yet) ends after every run that has.
    for in_flight in (23, 999):
        page = runs(client, orderBy="runEndTime", startingFrom=in_flight, limit=1000)
        assert [r["id"] for r in page["data"]] == ended
        assert runs(client, orderBy="runEndTime", startingFrom=in_flight, orderByDirection="asc")["data"] == []


def test_a_new_run_comes_first_and_the_next_page_continues_after_it(client):
    run_id = start(client)
    page = runs(client, limit=1)
    assert [r["id"] for r in page["data"]] == [run_id] and page["next"] == run_id
    assert runs(client, limit=1, startingFrom=page["next"])["data"][0]["id"] == run_id - 1


def test_detail_of_a_new_run_shows_only_the_public_part_of_its_credentials(client):
    run_id = start(client, credentials=BASIC)
    item = runs(client, limit=1, detail="true")["data"][0]
    assert item["id"] == run_id
    assert item["userCredentials"] == {"snowflakeAccount": "acme-prod.us-east-1", "snowflakeAuthType": "Basic",
                                       "snowflakeUsername": "ANALYST"}
    assert item["environmentID"] == PRODUCTION


def test_a_time_cursor_on_29_february_pages_in_a_leap_year(mock, client):
    mock.clock.set(datetime(2028, 2, 29, 12, 0, tzinfo=UTC))
    first, second = start(client), start(client)
    page = runs(client, orderBy="runStartTime", orderByDirection="asc", startingFrom="2028-02-29T00:00:00Z")
    assert [r["id"] for r in page["data"]] == [first, second]
    one = runs(client, orderBy="runStartTime", orderByDirection="asc", limit=1,
               startingFrom="2028-02-29T00:00:00.000000000Z")
    assert [r["id"] for r in one["data"]] == [first] and one["next"].startswith("2028-02-29T12:00:00")
    following = runs(client, orderBy="runStartTime", orderByDirection="asc", limit=1, startingFrom=one["next"])
    assert [r["id"] for r in following["data"]] == [second]


def test_29_february_of_a_common_year_is_refused(client):
    response = client.get("/api/v1/runs", params={"startingFrom": "2027-02-29T00:00:00Z"}, headers=TOKEN)
    assert "startingFrom 2027-02-29T00:00:00Z is not a date in the calendar." in error(response, 400)


@pytest.mark.parametrize("starting_from", ["9999-12-31T23:59:59-23:59", "9999-12-31T23:00:00-01:00"])
def test_a_start_just_past_the_last_representable_instant_pages_like_any_later_one(client, starting_from):
    # In UTC these fall in the year 10000: later than every run, as a client means them.
    later = runs(client, startingFrom=starting_from, orderByDirection="desc", limit=100)
    assert len(later["data"]) == FIXTURE_RUNS
    assert runs(client, startingFrom=starting_from, orderByDirection="asc")["data"] == []
