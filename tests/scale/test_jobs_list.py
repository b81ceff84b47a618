"""GET /v6/jobs/: filters, ordering and DRF pagination, checked against what the seeded jobs look like."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import EPOCH, TOKEN
from tests.scale.helpers import ids, jobs, query
from tests.support import at


def _error(j):
    return j["error"] or {}


# (query parameters, what every matching job must satisfy)
FILTERS = {
    "status": ([("status", "FAILED")], lambda j: j["status"] == "FAILED"),
    "several statuses": ([("status", "QUEUED"), ("status", "RUNNING")],
                         lambda j: j["status"] in ("QUEUED", "RUNNING")),
    "job_id": ([("job_id", 3), ("job_id", 7), ("job_id", 44)], lambda j: j["id"] in (3, 7, 44)),
    "job_type_id": ([("job_type_id", 4), ("job_type_id", 5)], lambda j: j["job_type"]["id"] in (4, 5)),
    "job_type_name": ([("job_type_name", "landsat8-parse")], lambda j: j["job_type"]["name"] == "landsat8-parse"),
    "batch_id": ([("batch_id", 1)], lambda j: (j["batch"] or {}).get("id") == 1),
    "recipe_id": ([("recipe_id", 3), ("recipe_id", 4)], lambda j: (j["recipe"] or {}).get("id") in (3, 4)),
    "error_category": ([("error_category", "DATA")],
                       lambda j: j["status"] == "FAILED" and _error(j).get("category") == "DATA"),
    "several error categories": ([("error_category", "DATA"), ("error_category", "ALGORITHM")],
                                 lambda j: _error(j).get("category") in ("DATA", "ALGORITHM")),
    "error_id": ([("error_id", 2), ("error_id", 7)], lambda j: _error(j).get("id") in (2, 7)),
    "is_superseded true": ([("is_superseded", "true")], lambda j: j["is_superseded"] is True),
    "is_superseded false": ([("is_superseded", "false")], lambda j: j["is_superseded"] is False),
    "source_sensor_class": ([("source_sensor_class", "classB"), ("source_sensor_class", "classC")],
                            lambda j: j["source_sensor_class"] in ("classB", "classC")),
    "source_sensor": ([("source_sensor", "4")], lambda j: j["source_sensor"] == "4"),
    "source_collection": ([("source_collection", "12345")], lambda j: j["source_collection"] == "12345"),
    "source_task": ([("source_task", "my-task")], lambda j: j["source_task"] == "my-task"),
    "source_tasks": ([("source_tasks", "my-task"), ("source_tasks", "sentinel-task")],
                     lambda j: j["source_task"] in ("my-task", "sentinel-task")),
    "started datetime": ([("started", "2026-03-01T00:00:00Z")],
                         lambda j: at(j["last_modified"]) >= at("2026-03-01T00:00:00Z")),
    "ended datetime": ([("ended", "2026-02-10T00:00:00Z")],
                       lambda j: at(j["last_modified"]) <= at("2026-02-10T00:00:00Z")),
    "started and ended datetimes with offset": (
        [("started", "2026-02-20T01:00:00+01:00"), ("ended", "2026-02-24T00:00:00Z")],
        lambda j: at("2026-02-20T00:00:00Z") <= at(j["last_modified"]) <= at("2026-02-24T00:00:00Z")),
    "started duration": ([("started", "PT3H0M0S")], lambda j: at(j["last_modified"]) >= EPOCH - timedelta(hours=3)),
    "ended duration": ([("ended", "P20D")], lambda j: at(j["last_modified"]) <= EPOCH - timedelta(days=20)),
    "started and ended durations": ([("started", "P10DT12H"), ("ended", "P5D")],
                                    lambda j: EPOCH - timedelta(days=10, hours=12) <= at(j["last_modified"])
                                    <= EPOCH - timedelta(days=5)),
    "source_started": ([("source_started", "2026-02-28T00:00:00Z")],
                       lambda j: at(j["source_started"]) >= at("2026-02-28T00:00:00Z")),
    "source_ended": ([("source_ended", "P25D")], lambda j: at(j["source_ended"]) <= EPOCH - timedelta(days=25)),
    "source_started and source_ended": (
        [("source_started", "P10D"), ("source_ended", "2026-02-25T00:00:00Z")],
        lambda j: at(j["source_started"]) >= EPOCH - timedelta(days=10)
        and at(j["source_ended"]) <= at("2026-02-25T00:00:00Z")),
    "filters combine": ([("status", "COMPLETED"), ("job_type_name", "scale-ingest"), ("batch_id", 1)],
                        lambda j: j["status"] == "COMPLETED" and j["job_type"]["name"] == "scale-ingest"
                        and (j["batch"] or {}).get("id") == 1),
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_each_filter_returns_exactly_the_jobs_that_match_it(client, name):
    params, matches = FILTERS[name]
    everything = jobs(client)
    expected = {j["id"] for j in everything if matches(j)}
    got = jobs(client, params)
    assert got, f"{name}: the seed should have matching jobs"
    assert all(matches(j) for j in got), f"{name}: a job that does not match came back"
    assert set(ids(got)) == expected
    assert len(expected) < len(everything), f"{name}: the filter should leave some jobs out"


def test_job_type_name_covers_every_version_of_the_type(client):
    got = jobs(client, {"job_type_name": "landsat8-parse"})
    assert {j["job_type"]["version"] for j in got} == {"1.0.0", "1.1.0"}


def test_source_task_and_source_tasks_are_the_same_filter(client):
    singular = ids(jobs(client, {"source_task": "landsat-task"}))
    plural = ids(jobs(client, {"source_tasks": "landsat-task"}))
    assert singular and singular == plural
    both = ids(jobs(client, [("source_task", "landsat-task"), ("source_tasks", "my-task")]))
    assert set(both) == set(singular) | set(ids(jobs(client, {"source_task": "my-task"})))


def test_unknown_filter_values_match_nothing(client):
    assert jobs(client, {"job_type_name": "no-such-type"}) == []
    assert jobs(client, {"job_id": 999999}) == []
    assert jobs(client, {"status": "PENDING"}) == []


def test_duration_filters_count_back_from_the_mock_clock(mock, client):
    recent = ids(jobs(client, {"started": "PT1H"}))
    assert recent
    mock.clock.advance(timedelta(days=2))
    # Two days on, what changed within the hour before the new now is only what ran to completion since.
    later = jobs(client, {"started": "PT1H"})
    assert all(at(j["last_modified"]) >= EPOCH + timedelta(days=2, hours=-1) for j in later)
    assert set(ids(later)).isdisjoint(recent)


def test_default_order_is_last_modified_ascending(client):
    got = jobs(client)
    stamps = [at(j["last_modified"]) for j in got]
    assert len(got) > 10
    assert stamps == sorted(stamps)
    assert stamps[0] < stamps[-1]


@pytest.mark.parametrize("field", ["id", "created", "source_started", "input_file_size", "num_exes", "queued"])
def test_order_by_one_field_both_ways(client, field):
    def key(j):
        value = j[field]
        return at(value) if isinstance(value, str) else value

    ascending = jobs(client, {"order": field})
    descending = jobs(client, {"order": f"-{field}"})
    up = [key(j) for j in ascending if key(j) is not None]
    down = [key(j) for j in descending if key(j) is not None]
    assert up == sorted(up) and up[0] != up[-1]
    assert down == sorted(down, reverse=True)


def test_order_by_job_type_sorts_by_its_name_alone(client):
    # Scale orders by job_type__name and drops the later keys (JobManager.filter_jobs): -id is not applied.
    got = jobs(client, [("order", "job_type"), ("order", "-id")])
    pairs = [(j["job_type"]["name"], j["id"]) for j in got]
    assert pairs == sorted(pairs)
    assert pairs[0][0] != pairs[-1][0]
    descending = [j["job_type"]["name"] for j in jobs(client, [("order", "-job_type"), ("order", "id")])]
    assert descending == sorted(descending, reverse=True)


def test_order_by_several_fields(client):
    got = jobs(client, [("order", "num_exes"), ("order", "-id")])
    pairs = [(j["num_exes"], j["id"]) for j in got]
    assert pairs == sorted(pairs, key=lambda p: (p[0], -p[1]))
    assert pairs[0][0] != pairs[-1][0]


def _duration(job):
    if job["started"] is None or job["ended"] is None:
        return None
    return at(job["ended"]) - at(job["started"])


@pytest.mark.parametrize("order", ["duration", "-duration"])
def test_order_by_duration_sorts_by_run_time_with_unrun_jobs_last(client, order):
    got = jobs(client, [("order", order), ("order", "-id")])
    durations = [_duration(j) for j in got]
    timed = [d for d in durations if d is not None]
    assert timed == sorted(timed, reverse=order.startswith("-"))
    assert durations[:len(timed)] == timed  # jobs that never ran (queued, running, canceled early) come last
    assert len(timed) < len(durations)
    untimed_ids = [j["id"] for j in got[len(timed):]]
    assert untimed_ids == sorted(untimed_ids)  # the later -id is dropped, as Scale drops it


def test_order_by_status_descending_then_created(client):
    got = jobs(client, [("order", "-status"), ("order", "created")])
    statuses = [j["status"] for j in got]
    assert statuses == sorted(statuses, reverse=True)
    for status in set(statuses):
        created = [at(j["created"]) for j in got if j["status"] == status]
        assert created == sorted(created)


def test_an_unknown_order_field_is_rejected(client):
    response = client.get("/v6/jobs/", params={"order": "flavour"})
    assert response.status_code == 400
    assert "detail" in response.json()


# --- pagination ------------------------------------------------------------------------------------------------

def test_a_page_has_the_drf_envelope_and_absolute_links_keeping_the_other_params(client):
    total = len(jobs(client, {"status": "COMPLETED"}))
    response = client.get("/v6/jobs/", params={"status": "COMPLETED", "page_size": 5})
    page = response.json()
    assert list(page) == ["count", "next", "previous", "results"]
    assert page["count"] == total > 10
    assert len(page["results"]) == 5
    assert page["previous"] is None
    assert page["next"].startswith("http://testserver/v6/jobs/?")
    assert query(page["next"]) == {"status": ["COMPLETED"], "page_size": ["5"], "page": ["2"]}


def test_page_two_links_back_to_a_url_without_a_page_param(client):
    page = client.get("/v6/jobs/", params={"page": 2, "page_size": 5, "job_type_id": [2, 3]}).json()
    assert page["previous"].startswith("http://testserver/v6/jobs/?")
    assert query(page["previous"]) == {"page_size": ["5"], "job_type_id": ["2", "3"]}
    assert query(page["next"])["page"] == ["3"]
    page3 = client.get("/v6/jobs/", params={"page": 3, "page_size": 5}).json()
    assert query(page3["previous"]) == {"page": ["2"], "page_size": ["5"]}


def test_following_next_links_visits_every_job_once_in_order(client):
    everything = ids(jobs(client))
    seen, url = [], "/v6/jobs/?page_size=7"
    while url:
        page = client.get(url).json()
        assert page["count"] == len(everything)
        seen += ids(page["results"])
        url = page["next"]
    assert seen == everything


def test_the_last_page_has_no_next_link(client):
    count = len(jobs(client))
    last = -(-count // 10)
    page = client.get("/v6/jobs/", params={"page": last, "page_size": 10}).json()
    assert page["next"] is None
    assert len(page["results"]) == count - (last - 1) * 10
    assert query(page["previous"])["page"] == [str(last - 1)]


def test_page_size_defaults_to_100_and_accepts_1_to_1000(client):
    seeded = client.get("/v6/jobs/").json()
    assert seeded["count"] == len(seeded["results"]) <= 100
    one = client.get("/v6/jobs/", params={"page_size": 1}).json()
    assert len(one["results"]) == 1 and one["count"] == seeded["count"]
    assert client.get("/v6/jobs/", params={"page_size": 1000}).status_code == 200


@pytest.mark.parametrize("size", [0, 1001, -3])
def test_page_size_out_of_bounds_is_a_400(client, size):
    response = client.get("/v6/jobs/", params={"page_size": size})
    assert response.status_code == 400
    assert "page_size" in response.json()["detail"]


def test_page_last_is_the_last_page_as_drf_serves_it(client):
    total = client.get("/v6/jobs/", params={"page_size": 1000}).json()["count"]
    last = client.get("/v6/jobs/", params={"page": "last", "page_size": 10})
    assert last.status_code == 200
    page = last.json()
    pages = -(-total // 10)
    assert page["count"] == total and len(page["results"]) == total - (pages - 1) * 10
    assert page["next"] is None
    assert query(page["previous"])["page"] == [str(pages - 1)]
    numbered = client.get("/v6/jobs/", params={"page": pages, "page_size": 10}).json()
    assert ids(numbered["results"]) == ids(page["results"])
    empty = client.get("/v6/jobs/", params={"page": "last", "job_id": 2147483647})
    assert empty.status_code == 200 and empty.json()["count"] == 0


@pytest.mark.parametrize("page", ["0", "99", "abc", "-1", "Last", "first"])
def test_a_page_that_does_not_exist_is_invalid(client, page):
    response = client.get("/v6/jobs/", params={"page": page, "page_size": 10})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_page_one_of_an_empty_result_is_fine_but_page_two_is_not(client):
    empty = client.get("/v6/jobs/", params={"job_type_name": "nothing"})
    assert empty.status_code == 200
    assert empty.json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert client.get("/v6/jobs/", params={"job_type_name": "nothing", "page": 2}).status_code == 404


def test_page_links_use_the_host_the_client_asked_for(client):
    page = client.get("/v6/jobs/", params={"page_size": 5}, headers={"Host": "scale.example.com"}).json()
    assert page["next"] == "http://scale.example.com/v6/jobs/?page=2&page_size=5"


def test_behind_a_proxy_links_use_the_first_forwarded_host(client):
    headers = {"X-Forwarded-Host": "scale.example.com:8443, proxy.internal"}
    page = client.get("/v6/jobs/", params={"page_size": 5, "page": 2}, headers=headers).json()
    assert page["next"] == "http://scale.example.com:8443/v6/jobs/?page=3&page_size=5"
    assert page["previous"] == "http://scale.example.com:8443/v6/jobs/?page_size=5"
    created = client.post("/v6/jobs/", json={"job_type_id": 1, "input": {"files": {"INPUT_FILE": [61]}}},
                          headers={**headers, **TOKEN})
    assert created.headers["location"] == f"http://scale.example.com:8443/v6/jobs/{created.json()['id']}/"


def test_is_superseded_accepts_true_and_false_in_any_case(client):
    assert ids(jobs(client, {"is_superseded": "TRUE"})) == ids(jobs(client, {"is_superseded": "true"}))
    assert ids(jobs(client, {"is_superseded": "False"})) == ids(jobs(client, {"is_superseded": "false"}))


@pytest.mark.parametrize(("value", "same_as"), [("t", "true"), ("1", "true"), ("f", "false"), ("0", "false")])
def test_is_superseded_accepts_scales_short_boolean_spellings(client, value, same_as):
    response = client.get("/v6/jobs/", params={"is_superseded": value, "page_size": 1000})
    assert response.status_code == 200
    assert ids(response.json()["results"]) == ids(jobs(client, {"is_superseded": same_as}))


def test_the_parameters_scales_web_ui_sends_are_accepted_and_ignored(client):
    plain = client.get("/v6/jobs/", params={"page_size": 1000}).json()
    with_ui_params = client.get("/v6/jobs/", params={"page_size": 1000, "include_superseded": "true",
                                                     "job_type_category": ["processing", "ingest"]})
    assert with_ui_params.status_code == 200
    assert ids(with_ui_params.json()["results"]) == ids(plain["results"])
    # Scale reads neither (job/views.py JobsView.list): a client relying on them is told.
    assert [value.split(" ")[:2] for value in with_ui_params.headers.get_list("Mockingjob-Lint")] == [
        ["unknown-parameter", '"query.include_superseded"'], ["unknown-parameter", '"query.job_type_category"']]


def test_drf_format_override_json_is_accepted_and_kept_in_page_links(client):
    page = client.get("/v6/jobs/", params={"format": "json", "page_size": 5})
    assert page.status_code == 200
    assert query(page.json()["next"]) == {"format": ["json"], "page": ["2"], "page_size": ["5"]}
    refused = client.get("/v6/jobs/", params={"format": "api"})
    assert refused.status_code == 404 and refused.json() == {"detail": "Not found."}
