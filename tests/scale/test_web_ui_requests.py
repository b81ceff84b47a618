"""Scale's own web UI (ngageoint/scale-ui 0.17) against a running ``mockingjob serve scale``: the requests its
screens send, built the way the UI builds them, and what a user of those screens would see in the answers.

The UI is an Angular 8 application. Its services build query strings with ``HttpParams`` (keys in the order
the service declares them, arrays as repeated keys, values through ``encodeURIComponent`` with ``@:$,;+=?/``
put back), so dates go out literally (``started=2026-05-01T10:00:00.000Z``). Every request accepts
``application/json, text/plain, */*``; writes carry ``X-CSRFToken`` and never an ``Authorization`` header.

Screens replayed: the jobs list (``processing/jobs/component.ts``, ``processing/jobs/api.service.ts``), the
job details (``processing/jobs/details.component.ts``), cancel and requeue, the job types screens
(``configuration/job-types/component.ts``, ``configuration/job-types/api.service.ts``), running jobs
(``processing/running-jobs/component.ts``), the dashboard (``dashboard/component.ts``), job type history
(``processing/job-type-history/details.component.ts``), the footer (``footer/footer.component.ts``), the log
viewer (``common/components/log-viewer/``) and the lists and details of the linked screens (recipes, batches,
nodes, workspaces, files).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.support.processes import Server

pytestmark = pytest.mark.subprocess

# Angular's XHR backend sends this Accept header with every request.
ACCEPT = {"Accept": "application/json, text/plain, */*"}
# What the UI's writes carry: Angular's XSRF interceptor copies the csrftoken cookie into X-CSRFToken, and the
# browser sends Scale's Django session cookie, which is what authenticates the UI to a real Scale. mockingjob
# authenticates writes by DRF's token header instead, so each write here also carries a token, standing in
# for that session.
WRITE = {"Content-Type": "application/json", "X-CSRFToken": "csrftoken-cookie-value",
         "Authorization": "Token web-ui-session"}
# encodeURIComponent leaves these alone, and HttpUrlEncodingCodec puts @ : $ , ; + = ? / back.
_SAFE = "!*'()@:$,;+=?/"

# The fixtures' jobs, at the moment the state is reset (see fixtures/scale/jobs.yaml).
RUNNING = {20, 25, 35, 39, 51}
QUEUED = {9, 18, 23, 28, 34, 42}
LAST_DAY = RUNNING | QUEUED | {3}  # last modified less than 24 hours ago
CANCELED = {2, 11, 24, 31, 37, 43}
FAILED = {1, 8, 13, 16, 19, 32, 33, 44, 50, 52}
SYSTEM_FAILURES = {19, 32, 33, 50, 52}  # node-lost, timeout, database-error
NEVER_RAN = {2, 11, 24}  # canceled while queued
CANCELED_RUNNING = {31, 37, 43}  # canceled while running: never finished, so no `ended` (and no duration)
ALL_JOBS = 52
PARSE_11 = ("landsat8-parse", "1.1.0", 3)  # queues 5 s, runs 50 s, completes with red_band and nir_band
STATUSES = {"PENDING", "BLOCKED", "QUEUED", "RUNNING", "FAILED", "COMPLETED", "CANCELED"}


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    running = Server("scale", "--speed", "0")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def ui(server: Server) -> Iterator[httpx.Client]:
    """A browser session of the UI, on state freshly reset to the fixtures (the clock stopped at its now)."""
    with httpx.Client(base_url=server.url, headers=ACCEPT, timeout=10) as client:
        reset = client.post("/_mockingjob/reset", json={})
        assert reset.status_code == 200, reset.text
        yield client


# --- how the UI talks ----------------------------------------------------------------------------------


def query(*pairs: tuple[str, object]) -> str:
    """HttpParams.toString() of these pairs, in this order."""
    return "&".join(f"{quote(name, safe=_SAFE)}={quote(str(value), safe=_SAFE)}" for name, value in pairs)


def send(ui: httpx.Client, path: str, *pairs: tuple[str, object]) -> httpx.Response:
    return ui.get(f"{path}?{query(*pairs)}" if pairs else path)


def get(ui: httpx.Client, path: str, *pairs: tuple[str, object]) -> Any:
    response = send(ui, path, *pairs)
    assert response.status_code == 200, (response.request.url, response.status_code, response.text)
    return response.json()


def post(ui: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    return ui.post(path, json=body, headers=WRITE)


def patch(ui: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    return ui.patch(path, json=body, headers=WRITE)


def ui_time(moment: datetime) -> str:
    """A date as the temporal filter emits it: Date.toISOString() with the milliseconds zeroed."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def day_range(now: datetime) -> tuple[str, str]:
    """The jobs screen's default range: 24 hours back, to the end of the (browser's, here UTC) day."""
    return ui_time(now - timedelta(hours=24)), ui_time(now.replace(hour=23, minute=59, second=59))


def month_range(now: datetime) -> tuple[str, str]:
    """A range picked in the calendar: 30 days back, to the end of the day."""
    return ui_time(now - timedelta(days=30)), ui_time(now.replace(hour=23, minute=59, second=59))


def jobs_params(started: str, ended: str, *, order: str = "-last_modified", page: int = 1, rows: int = 20,
                status: tuple[str, ...] = (), job_types: tuple[tuple[str, str], ...] = (),
                error_category: tuple[str, ...] = ()) -> list[tuple[str, object]]:
    """JobsApiService.getJobs' parameters, in its order (empty ones dropped)."""
    return [("order", order), ("page", page), ("page_size", rows), ("started", started), ("ended", ended),
            *(("status", s) for s in status), *(("job_type_name", name) for name, _ in job_types),
            *(("job_type_version", version) for _, version in job_types),
            *(("error_category", c) for c in error_category)]


def remove_empty(value: Any) -> Any:
    """DataService.removeEmpty: null, '', {} and [] go, recursively (false and 0 stay); an array keeps its
    length, an emptied item becoming a hole that serializes as null."""
    if isinstance(value, dict):
        cleaned = {key: remove_empty(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if item not in (None, "", {}, [])}
    if isinstance(value, list):
        return [None if item in (None, "", {}, []) else item for item in (remove_empty(v) for v in value)]
    return value


def update_body(job_type: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """JobTypesApiService.updateJobType's body: cleanJobTypeForUpdate of the job type as shown, changed."""
    shown = {**job_type, **changes}
    return remove_empty({
        "icon_code": shown["icon_code"] or None, "is_published": shown["is_published"],
        "is_active": shown["is_active"], "is_paused": shown["is_paused"],
        "max_scheduled": shown["max_scheduled"] or None, "docker_image": shown["docker_image"] or None,
        "configuration": shown["configuration"] or None, "manifest": shown["manifest"]})


def clock(ui: httpx.Client) -> datetime:
    return at(ui.get("/_mockingjob/clock").json()["now"])


def advance(ui: httpx.Client, by: str) -> datetime:
    response = ui.post("/_mockingjob/clock/advance", json={"by": by})
    assert response.status_code == 200, response.text
    return at(response.json()["now"])


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def assert_times(*values: Any) -> None:
    """Each value is an ISO-8601 UTC time, as the UI's date pipes need."""
    for value in values:
        assert isinstance(value, str) and value.endswith("Z") and at(value).tzinfo is not None, value


def job(ui: httpx.Client, job_id: int) -> dict[str, Any]:
    return get(ui, f"/v6/jobs/{job_id}/")


def statuses(ui: httpx.Client, *job_ids: int) -> dict[int, str]:
    return {job_id: job(ui, job_id)["status"] for job_id in job_ids}


def output_files(ui: httpx.Client, job_id: int) -> dict[str, Any]:
    """The job details' output files request (JobsApiService.getJobOutputs): its literal sortField/sortOrder."""
    return get(ui, "/v6/files/", ("job_id", job_id), ("sortField", "last_modified"), ("sortOrder", "desc"))


def queue_job(ui: httpx.Client, job_type_id: int, files: dict[str, list[int]]) -> dict[str, Any]:
    """Queue a job through the API (the UI has no queue button)."""
    response = post(ui, "/v6/jobs/", {"job_type_id": job_type_id, "input": {"files": files, "json": {}}})
    assert response.status_code == 201, response.text
    return response.json()


def duration(row: dict[str, Any]) -> float | None:
    if row["started"] is None or row["ended"] is None:
        return None
    return (at(row["ended"]) - at(row["started"])).total_seconds()


def assert_job_row(row: dict[str, Any]) -> None:
    """The fields the jobs table reads (processing/jobs/component.html, api.model.ts) have the types it needs."""
    assert isinstance(row["id"], int)
    jt = row["job_type"]
    assert isinstance(jt["icon_code"], str) and isinstance(jt["title"], str) and isinstance(jt["version"], str)
    assert jt["unmet_resources"] is None or isinstance(jt["unmet_resources"], str)
    assert isinstance(jt["is_active"], bool)
    assert row["recipe"] is None or (isinstance(row["recipe"]["id"], int)
                                     and isinstance(row["recipe"]["recipe_type"]["title"], str))
    assert isinstance(row["input_files"], dict)
    assert all(isinstance(names, list) and all(isinstance(n, str) for n in names)
               for names in row["input_files"].values())
    assert_times(row["created"], row["last_modified"])
    assert row["node"] is None or isinstance(row["node"]["hostname"], str)
    assert row["status"] in STATUSES
    assert isinstance(row["is_superseded"], bool)
    if row["status"] == "FAILED":
        error = row["error"]
        assert all(isinstance(error[key], str) for key in ("category", "title", "description"))
    else:
        assert row["error"] is None
    assert isinstance(row["num_exes"], int) and isinstance(row["max_tries"], int)


# --- footer --------------------------------------------------------------------------------------------


def test_the_footer_shows_the_api_version(ui: httpx.Client) -> None:
    """``common/services/version.service.ts``: "Scale API v{{version}}"."""
    body = get(ui, "/v6/version/")
    assert list(body) == ["version"] and re.fullmatch(r"\d+\.\d+\.\d+", body["version"])


# --- jobs screen ---------------------------------------------------------------------------------------


def test_the_jobs_screen_loads_job_types_then_the_last_days_jobs(ui: httpx.Client) -> None:
    """``processing/jobs/component.ts`` ngOnInit: the job types for the filter, then the jobs of the default
    range, newest change first."""
    job_types = get(ui, "/v6/job-types/", ("page", 1), ("page_size", 1000), ("is_active", "true"))
    choices = {(t["name"], t["version"]) for t in job_types["results"]}
    assert choices == {("geotiff-tiler", "1.2.0"), ("landsat8-parse", "1.0.0"), ("landsat8-parse", "1.1.0"),
                       ("ndvi-calc", "2.0.0"), ("scale-delete-files", "1.0.0"), ("scale-ingest", "1.0.0")}
    assert all(isinstance(t["title"], str) and t["is_active"] is True for t in job_types["results"])

    now = clock(ui)
    page = get(ui, "/v6/jobs/", *jobs_params(*day_range(now)))
    rows = page["results"]
    assert page["count"] == len(LAST_DAY) and {row["id"] for row in rows} == LAST_DAY
    changes = [at(row["last_modified"]) for row in rows]
    assert changes == sorted(changes, reverse=True) and all(now - timedelta(hours=24) <= c <= now for c in changes)
    for row in rows:
        assert_job_row(row)
    by_id = {row["id"]: row for row in rows}
    assert {i for i, row in by_id.items() if row["status"] == "RUNNING"} == RUNNING
    assert {i for i, row in by_id.items() if row["status"] == "QUEUED"} == QUEUED
    ingest = by_id[20]
    assert (ingest["job_type"]["title"], ingest["job_type"]["version"], ingest["job_type"]["icon_code"]) == (
        "Scale Ingest", "1.0.0", "f013")
    assert ingest["job_type"]["unmet_resources"] == "chocolate,vanilla"
    assert ingest["node"]["hostname"] == "node-b.scale.example.domain" and ingest["started"] is not None
    assert ingest["input_files"] == {"INPUT_FILE": ["ndvi_051.tif"]}
    assert by_id[23]["input_files"] == {"red_band": ["LC08_L1TP_045_20260301.tar.gz"],
                                        "nir_band": ["LC08_L1TP_025_20260301.tar.gz"]}
    assert by_id[23]["node"] is None and by_id[23]["started"] is None  # still queued
    assert (by_id[3]["status"], by_id[3]["num_exes"], by_id[3]["max_tries"]) == ("COMPLETED", 1, 3)


def test_the_jobs_table_sorts_by_every_sortable_column(ui: httpx.Client) -> None:
    """The sortable columns of ``processing/jobs/component.ts``, each clicked once (ascending) and twice."""
    started, ended = day_range(clock(ui))
    for field in ("job_type", "recipe", "created", "last_modified", "node", "duration", "status"):
        for order in (field, f"-{field}"):
            page = get(ui, "/v6/jobs/", *jobs_params(started, ended, order=order))
            assert page["count"] == len(LAST_DAY), order
            assert {row["id"] for row in page["results"]} == LAST_DAY, order
            rows = page["results"]
            descending = order.startswith("-")
            if field in ("job_type", "status", "created", "last_modified"):
                keys = [row["job_type"]["name"] if field == "job_type" else row[field] for row in rows]
                assert keys == sorted(keys, reverse=descending), order


def test_the_jobs_table_sorted_by_duration_lists_shortest_or_longest_run_first_and_unrun_jobs_last(
        ui: httpx.Client) -> None:
    """``order=duration`` and ``order=-duration`` (the Duration column), over a month of jobs."""
    started, ended = month_range(clock(ui))
    for order, descending in (("duration", False), ("-duration", True)):
        page = get(ui, "/v6/jobs/", *jobs_params(started, ended, order=order, rows=100))
        assert page["count"] == ALL_JOBS
        rows = page["results"]
        durations = [duration(row) for row in rows]
        timed = [d for d in durations if d is not None]
        assert durations[:len(timed)] == timed, f"{order}: jobs without a run come last"
        assert timed == sorted(timed, reverse=descending), order
        unrun = {row["id"] for row in rows[len(timed):]}
        assert unrun == RUNNING | QUEUED | NEVER_RAN | CANCELED_RUNNING, order
        if descending:  # ndvi-calc's 20-minute runs are the longest that ended
            assert {row["id"] for row in rows[:4]} == {7, 17, 27, 47} and timed[:4] == [1200.0] * 4
        else:  # scale-ingest's 64-second run of job 3 is the shortest
            assert (rows[0]["id"], timed[0]) == (3, 64.0)


def test_sorting_by_an_error_column_is_answered_in_json(ui: httpx.Client) -> None:
    """The Error Category and Error columns sort by ``error.category`` and ``error.title``."""
    started, ended = day_range(clock(ui))
    for order in ("error.category", "-error.category", "error.title", "-error.title"):
        response = send(ui, "/v6/jobs/", *jobs_params(started, ended, order=order))
        body = response.json()
        assert response.status_code == 200, (order, body)
        assert body["count"] == len(LAST_DAY) and {row["id"] for row in body["results"]} == LAST_DAY
        field = order.lstrip("-").split(".")[1]
        shown = [row["error"][field] for row in body["results"] if row["error"]]
        assert shown == sorted(shown, reverse=order.startswith("-")), order


def test_the_jobs_filters_as_the_ui_builds_them(ui: httpx.Client) -> None:
    """Status, job type (name and version side by side), error category and paging of the jobs screen."""
    now = clock(ui)
    day, month = day_range(now), month_range(now)
    page = get(ui, "/v6/jobs/", *jobs_params(*day, status=("RUNNING", "QUEUED")))
    assert {row["id"] for row in page["results"]} == RUNNING | QUEUED and page["count"] == 11

    page = get(ui, "/v6/jobs/", *jobs_params(*day, status=("RUNNING",), job_types=(PARSE_11[:2],)))
    assert {row["id"] for row in page["results"]} == {39, 51}
    assert {(row["job_type"]["name"], row["job_type"]["version"], row["status"]) for row in page["results"]} == {
        ("landsat8-parse", "1.1.0", "RUNNING")}

    page = get(ui, "/v6/jobs/", *jobs_params(*month, error_category=("SYSTEM",)))
    assert {row["id"] for row in page["results"]} == SYSTEM_FAILURES
    assert {(row["status"], row["error"]["category"]) for row in page["results"]} == {("FAILED", "SYSTEM")}
    assert {row["error"]["title"] for row in page["results"]} == {"Node Lost", "Timeout", "Database Error"}

    assert get(ui, "/v6/jobs/", *jobs_params(*month, status=("PENDING",)))["count"] == 0

    # The paginator at rows=10: first=10 asks for page 2.
    whole = get(ui, "/v6/jobs/", *jobs_params(*month, order="created", rows=100))["results"]
    second = get(ui, "/v6/jobs/", *jobs_params(*month, order="created", page=2, rows=10))
    assert second["count"] == ALL_JOBS
    assert [row["id"] for row in second["results"]] == [row["id"] for row in whole[10:20]]


# --- job details ---------------------------------------------------------------------------------------


def test_the_details_of_a_completed_job(ui: httpx.Client) -> None:
    """``processing/jobs/details.component.ts``: the job, then its input files, output files and executions."""
    detail = job(ui, 7)  # ndvi-calc in recipe 3: failed once (database-error), then completed
    assert (detail["job_type"]["name"], detail["job_type"]["title"], detail["job_type"]["version"],
            detail["job_type"]["icon_code"]) == ("ndvi-calc", "NDVI Calculator", "2.0.0", "f06c")
    assert detail["status"] == "COMPLETED" and at(detail["last_status_change"]) == at(detail["ended"])
    assert detail["recipe"]["id"] == 3 and detail["recipe"]["recipe_type"]["title"] == "Landsat NDVI"
    assert detail["superseded_job"] is None
    assert detail["event"]["type"] == "USER" and at(detail["event"]["occurred"]) == at(detail["created"])
    assert detail["configuration"]["priority"] == 200  # the job's own priority (fixture), not its type's 50
    assert (detail["num_exes"], detail["max_tries"]) == (2, 3)
    assert at(detail["created"]) < at(detail["queued"]) < at(detail["started"]) < at(detail["ended"])
    assert at(detail["last_modified"]) == at(detail["ended"])
    execution = detail["execution"]
    assert (execution["status"], execution["exe_num"], execution["error"]) == ("COMPLETED", 2, None)
    assert at(execution["ended"]) == at(detail["ended"]) and isinstance(execution["id"], int)
    assert detail["input"]["json"] == {} and detail["input"]["files"] == {"red_band": [39], "nir_band": [47]}
    assert detail["output"]["json"] == {"checksum": "sha1:1df421d411835b4e"}
    assert detail["error"] is None

    inputs = get(ui, "/v6/jobs/7/input_files/")["results"]
    assert sorted((f["id"], f["file_name"]) for f in inputs) == [(39, "ndvi_039.tif"), (47, "LC08_047_B5.TIF")]
    for f in inputs:
        assert f["url"].startswith("http") and isinstance(f["file_size"], int)
        assert_times(f["created"], f["last_modified"])

    outputs = output_files(ui, 7)
    produced = [file_id for ids in detail["output"]["files"].values() for file_id in ids]
    assert sorted(f["id"] for f in outputs["results"]) == sorted(produced) and outputs["count"] == len(produced) == 1
    (product,) = outputs["results"]
    assert product["file_name"].endswith(".tif") and product["url"].endswith("/" + product["file_name"])
    assert product["file_size"] == 52428800 and at(product["created"]) == at(product["last_modified"]) == at(
        detail["ended"])

    executions = get(ui, "/v6/jobs/7/executions/")["results"]
    assert [(x["exe_num"], x["status"]) for x in executions] == [(2, "COMPLETED"), (1, "FAILED")]
    assert executions[0]["id"] == execution["id"]
    assert executions[1]["error"]["title"] == "Database Error" and executions[1]["error"]["category"] == "SYSTEM"
    for x in executions:
        assert_times(x["created"], x["queued"], x["started"], x["ended"])
    # jobExecutions[0] COMPLETED: the details screen offers neither Cancel nor Requeue.
    assert not any(x["status"] in ("RUNNING", "QUEUED", "PENDING") for x in executions)


def test_the_details_of_a_failed_job_that_superseded_another(ui: httpx.Client) -> None:
    """The status overlay shows the error of a FAILED job; the header names the job it superseded."""
    detail = job(ui, 50)
    assert detail["status"] == "FAILED"
    assert (detail["error"]["category"], detail["error"]["title"]) == ("SYSTEM", "Node Lost")
    assert detail["error"]["description"] == "The node running the job went away"
    superseded = detail["superseded_job"]
    assert superseded["id"] == 1
    assert (superseded["job_type"]["title"], superseded["job_type"]["version"]) == ("NDVI Calculator", "2.0.0")
    assert detail["execution"]["status"] == "FAILED" and detail["execution"]["error"]["title"] == "Node Lost"
    assert detail["output"] == {"files": {}, "json": {}} and output_files(ui, 50)["count"] == 0
    executions = get(ui, "/v6/jobs/50/executions/")["results"]
    assert executions[0]["status"] == "FAILED"  # canRequeue: the details screen offers Requeue
    assert job(ui, 1)["superseded_by_job"]["id"] == 50 and job(ui, 1)["is_superseded"] is True


def test_a_queued_job_gets_its_execution_then_its_output_files_as_the_clock_moves(ui: httpx.Client) -> None:
    """A job queued through the API, watched on its details screen while it is queued, runs and completes."""
    name, version, job_type_id = PARSE_11
    queued = queue_job(ui, job_type_id, {"input_file": [41]})
    job_id = queued["id"]
    detail = job(ui, job_id)
    assert (detail["status"], detail["execution"], detail["num_exes"]) == ("QUEUED", None, 1)
    assert output_files(ui, job_id) == {"count": 0, "next": None, "previous": None, "results": []}
    assert get(ui, f"/v6/jobs/{job_id}/executions/")["count"] == 0
    assert [f["id"] for f in get(ui, f"/v6/jobs/{job_id}/input_files/")["results"]] == [41]

    started = advance(ui, "PT5S")
    detail = job(ui, job_id)
    assert detail["status"] == "RUNNING" and at(detail["started"]) == started
    assert detail["execution"]["status"] == "RUNNING" and detail["execution"]["ended"] is None
    assert detail["output"] == {"files": {}, "json": {}}
    assert output_files(ui, job_id)["count"] == 0  # nothing is written before the run completes

    ended = advance(ui, "PT50S")
    detail = job(ui, job_id)
    assert detail["status"] == "COMPLETED" and at(detail["ended"]) == ended
    assert sorted(detail["output"]["files"]) == ["nir_band", "red_band"]
    produced = sorted(file_id for ids in detail["output"]["files"].values() for file_id in ids)
    outputs = output_files(ui, job_id)
    assert outputs["count"] == 2 and sorted(f["id"] for f in outputs["results"]) == produced
    for f in outputs["results"]:
        assert f["file_name"].upper().endswith(".TIF") and f["url"].endswith("/" + f["file_name"])
        assert isinstance(f["file_size"], int) and f["file_size"] > 0
        assert at(f["created"]) == at(f["last_modified"]) == ended
    executions = get(ui, f"/v6/jobs/{job_id}/executions/")["results"]
    assert [(x["exe_num"], x["status"]) for x in executions] == [(1, "COMPLETED")]
    assert (detail["job_type"]["name"], detail["job_type"]["version"]) == (name, version)


def test_the_log_viewer_s_poll_answers_the_documented_log_lines(ui: httpx.Client) -> None:
    """``common/components/log-viewer/``: the Log button reads the job's ``execution``, then polls
    ``job-executions/{id}/logs/combined/`` (a 204 shows "Waiting for log output...").

    The UI reads ``hits.hits[]._source``, the Elasticsearch search result Scale passes through; the API
    documentation this server follows answers the lines themselves, each what a hit's ``_source`` holds. The
    difference is recorded in docs/fidelity.md: a client of the documented API reads the lines as they are."""
    job_id = queue_job(ui, PARSE_11[2], {"input_file": [41]})["id"]
    execution = job(ui, job_id)["execution"]
    assert execution is None  # queued: nothing to poll yet
    started = advance(ui, "PT15S")  # ten seconds into the run: two lines logged
    execution = job(ui, job_id)["execution"]
    assert execution["status"] == "RUNNING"
    response = send(ui, f"/v6/job-executions/{execution['id']}/logs/combined/")
    assert response.status_code == 200, response.text
    lines = response.json()
    assert [line["message"] for line in lines] == ["Reading MTL metadata", "Extracting bands 4, 5 and QA"]
    assert [line["scale_order_num"] for line in lines] == [1, 2]
    assert at(lines[0]["@timestamp"]) == started - timedelta(seconds=10)


# --- cancel and requeue --------------------------------------------------------------------------------


def test_a_rows_cancel_button_cancels_a_queued_job(ui: httpx.Client) -> None:
    """Jobs table row Cancel: ``{"job_ids": [id]}`` with the ``url`` key JobsApiService.cancelJobs adds."""
    response = post(ui, "/v6/jobs/cancel/", {"job_ids": [9], "url": "/api/v6/jobs/cancel/"})
    assert response.status_code == 202, response.text
    started, ended = day_range(clock(ui))
    rows = {row["id"]: row for row in get(ui, "/v6/jobs/", *jobs_params(started, ended))["results"]}
    assert rows[9]["status"] == "CANCELED" and rows[9]["node"] is None
    assert {i for i, row in rows.items() if row["status"] == "QUEUED"} == QUEUED - {9}
    advance(ui, "PT6H")
    assert job(ui, 9)["status"] == "CANCELED" and job(ui, 9)["started"] is None


def test_a_rows_requeue_button_requeues_a_failed_job(ui: httpx.Client) -> None:
    """Jobs table row Requeue on a FAILED job: it is queued again, with one more execution."""
    before = job(ui, 13)
    assert (before["status"], before["num_exes"]) == ("FAILED", 1)
    response = post(ui, "/v6/jobs/requeue/", {"job_ids": [13], "url": "/api/v6/jobs/requeue/"})
    assert response.status_code == 202, response.text
    after = job(ui, 13)
    assert (after["status"], after["num_exes"], after["error"]) == ("QUEUED", 2, None)
    advance(ui, "PT10S")
    assert job(ui, 13)["status"] == "RUNNING"
    executions = get(ui, "/v6/jobs/13/executions/")["results"]
    assert [(x["exe_num"], x["status"]) for x in executions] == [(2, "RUNNING"), (1, "FAILED")]


def test_the_details_cancel_button_cancels_a_running_job(ui: httpx.Client) -> None:
    """Job details Cancel (``hasActiveJobExe``): ``{job_type_names, job_ids, url}``."""
    detail = job(ui, 51)
    executions = get(ui, "/v6/jobs/51/executions/")["results"]
    assert executions[0]["status"] == "RUNNING"
    body = {"job_type_names": [detail["job_type"]["name"]], "job_ids": [detail["id"]], "url": "/api/v6/jobs/cancel/"}
    assert post(ui, "/v6/jobs/cancel/", body).status_code == 202
    detail = job(ui, 51)
    assert detail["status"] == "CANCELED" and at(detail["last_status_change"]) == clock(ui)
    assert detail["ended"] is None and detail["node"] is None  # as Scale's cancel leaves them
    stopped = get(ui, "/v6/jobs/51/executions/")["results"][0]
    assert stopped["status"] == "CANCELED" and at(stopped["ended"]) == clock(ui)
    assert job(ui, 39)["status"] == "RUNNING"  # the other running job of the same type goes on


def test_the_details_requeue_button_requeues_with_the_latest_executions_status(ui: httpx.Client) -> None:
    """Job details Requeue (``canRequeue``): ``{job_type_names, job_ids, status: jobExecutions[0].status, url}``,
    for a FAILED job and for a CANCELED one."""
    for job_id, status in ((32, "FAILED"), (43, "CANCELED")):
        detail = job(ui, job_id)
        latest = get(ui, f"/v6/jobs/{job_id}/executions/")["results"][0]
        assert (detail["status"], latest["status"]) == (status, status), job_id
        body = {"job_type_names": [detail["job_type"]["name"]], "job_ids": [job_id], "status": latest["status"],
                "url": "/api/v6/jobs/requeue/"}
        assert post(ui, "/v6/jobs/requeue/", body).status_code == 202
        after = job(ui, job_id)
        assert (after["status"], after["num_exes"]) == ("QUEUED", detail["num_exes"] + 1), job_id


def test_requeue_all_requeues_the_failed_jobs_the_filters_show(ui: httpx.Client) -> None:
    """The Actions menu's Requeue all: the count query, then ``{started, ended, error_categories, status,
    job_type_names}`` (status the last of FAILED/CANCELED selected, a single string)."""
    started, ended = month_range(clock(ui))
    count = get(ui, "/v6/jobs/", *jobs_params(started, ended, status=("CANCELED", "FAILED"),
                                              job_types=(("geotiff-tiler", "1.2.0"),),
                                              error_category=("DATA",)))["count"]
    assert count == 2  # jobs 13 and 44 failed with data-corrupt; 8 ran out of memory (ALGORITHM)
    body = {"started": started, "ended": ended, "error_categories": ["DATA"], "status": "FAILED",
            "job_type_names": ["geotiff-tiler"], "url": "/api/v6/jobs/requeue/"}
    assert post(ui, "/v6/jobs/requeue/", body).status_code == 202
    assert {i: (job(ui, i)["status"], job(ui, i)["num_exes"]) for i in (13, 44, 8)} == {
        13: ("QUEUED", 2), 44: ("QUEUED", 2), 8: ("FAILED", 1)}
    assert job(ui, 16)["status"] == "FAILED"  # a DATA failure of another job type


def test_cancel_all_cancels_what_the_job_type_filter_shows(ui: httpx.Client) -> None:
    """The Actions menu's Cancel all, with a job type selected and no single status: ``{started, ended,
    job_type_names}``."""
    started, ended = day_range(clock(ui))
    count = get(ui, "/v6/jobs/", *jobs_params(started, ended, status=("RUNNING", "QUEUED"),
                                              job_types=(PARSE_11[:2],)))["count"]
    assert count == 4
    body = {"started": started, "ended": ended, "job_type_names": ["landsat8-parse"], "url": "/api/v6/jobs/cancel/"}
    assert post(ui, "/v6/jobs/cancel/", body).status_code == 202
    assert statuses(ui, 9, 42, 39, 51) == dict.fromkeys((9, 42, 39, 51), "CANCELED")
    assert statuses(ui, 18, 28, 20, 3) == {18: "QUEUED", 28: "QUEUED", 20: "RUNNING", 3: "COMPLETED"}


def test_cancel_all_from_a_single_status_link_sends_scalars(ui: httpx.Client) -> None:
    """Cancel all after the running-jobs screen opened the jobs screen with ``status: 'RUNNING'`` and one job
    type: the status is kept, and ``job_type_names`` goes out unwrapped, a string."""
    started, ended = day_range(clock(ui))
    body = {"started": started, "ended": ended, "status": "RUNNING", "job_type_names": "landsat8-parse",
            "url": "/api/v6/jobs/cancel/"}
    assert post(ui, "/v6/jobs/cancel/", body).status_code == 202
    assert statuses(ui, 39, 51, 9, 42, 20) == {39: "CANCELED", 51: "CANCELED", 9: "QUEUED", 42: "QUEUED",
                                               20: "RUNNING"}


def test_cancel_all_with_an_error_category_sends_a_nested_list_and_cancels_nothing(ui: httpx.Client) -> None:
    """Cancel all wraps the (already array) error category filter in another array:
    ``error_categories: [["SYSTEM"]]``. Scale reads the inner list as its text, which no error category is, so
    it answers 202 and cancels nothing; the mock does the same and reports the reading."""
    started, ended = month_range(clock(ui))
    before = {row["id"]: row["status"] for row in get(ui, "/v6/jobs/", ("page_size", 1000))["results"]}
    body = {"started": started, "ended": ended, "error_categories": [["SYSTEM"]],
            "job_type_names": ["landsat8-parse"], "url": "/api/v6/jobs/cancel/"}
    response = post(ui, "/v6/jobs/cancel/", body)
    assert response.status_code == 202, response.text
    assert "error_categories" in response.headers["Mockingjob-Lint"]
    after = {row["id"]: row["status"] for row in get(ui, "/v6/jobs/", ("page_size", 1000))["results"]}
    assert after == before and "QUEUED" in after.values()


# --- job types -----------------------------------------------------------------------------------------


def test_the_job_types_screen_lists_each_version(ui: httpx.Client) -> None:
    """``configuration/job-types/component.ts``: ``{rows: 1000, is_active, sortField: 'title'}``."""
    page = get(ui, "/v6/job-types/", ("page", 1), ("page_size", 1000), ("is_active", "true"), ("order", "title"))
    rows = page["results"]
    assert page["count"] == len(rows) == 6
    assert {(t["id"], t["name"], t["version"], t["max_tries"], t["is_paused"]) for t in rows} == {
        (1, "scale-ingest", "1.0.0", 3, False), (2, "landsat8-parse", "1.0.0", 3, False),
        (3, "landsat8-parse", "1.1.0", 3, False), (4, "ndvi-calc", "2.0.0", 3, False),
        (5, "geotiff-tiler", "1.2.0", 1, False), (7, "scale-delete-files", "1.0.0", 2, False)}
    assert [t["name"] for t in rows] == sorted(t["name"] for t in rows)  # Scale orders them by name
    for t in rows:
        assert isinstance(t["title"], str) and isinstance(t["icon_code"], str) and isinstance(t["description"], str)

    deprecated = get(ui, "/v6/job-types/", ("page", 1), ("page_size", 1000), ("is_active", "false"),
                     ("order", "title"))["results"]
    assert [(t["name"], t["is_paused"]) for t in deprecated] == [("cloud-mask", True)]
    assert_times(deprecated[0]["deprecated"], deprecated[0]["paused"])


def test_the_job_type_details(ui: httpx.Client) -> None:
    """The details panel reads the manifest, the configuration's priority and the flags."""
    detail = get(ui, "/v6/job-types/landsat8-parse/1.1.0/")
    manifest = detail["manifest"]
    assert manifest["seedVersion"] == "1.0.0"
    assert (manifest["job"]["title"], manifest["job"]["jobVersion"], manifest["job"]["timeout"]) == (
        "Landsat 8 Parse", "1.1.0", 1800)
    assert manifest["job"]["maintainer"]["name"] == "Jane Doe"
    assert manifest["job"]["interface"]["command"] == "${input_file} -o ${OUTPUT_DIR}"
    assert [f["name"] for f in manifest["job"]["interface"]["inputs"]["files"]] == ["input_file"]
    assert [(f["name"], f["mediaType"]) for f in manifest["job"]["interface"]["outputs"]["files"]] == [
        ("red_band", "image/tiff"), ("nir_band", "image/tiff")]
    assert {r["name"]: r["value"] for r in manifest["job"]["resources"]["scalar"]} == {"cpus": 1.0, "mem": 128.0}
    assert detail["configuration"]["priority"] == 100 and "version" not in detail["configuration"]
    assert detail["docker_image"] == "landsat8-parse-1.1.0-seed:1.0.0"
    assert (detail["is_paused"], detail["paused"], detail["is_active"], detail["deprecated"], detail["is_system"]) == (
        False, None, True, None, False)
    assert detail["unmet_resources"] is None and detail["icon_code"] == "f0ac"
    assert [r["name"] for r in detail["recipe_types"]] == ["landsat-ndvi"]
    assert_times(detail["created"], detail["last_modified"])


def _pause(ui: httpx.Client, name: str, version: str, paused: bool) -> datetime:
    """The Pause / Resume menu item: validation, then the PATCH with the cleaned job type."""
    path = f"/v6/job-types/{name}/{version}/"
    shown = get(ui, path)
    validation = post(ui, "/v6/job-types/validation/",
                      remove_empty({"configuration": shown["configuration"], "manifest": shown["manifest"]}))
    assert validation.status_code == 200, validation.text
    assert validation.json()["is_valid"] is True
    body = update_body(shown, is_paused=paused)
    assert "max_scheduled" in body and "mounts" not in body["configuration"] and body["is_paused"] is paused
    response = patch(ui, path, body)
    assert response.status_code == 200, response.text
    assert response.json() == {"is_valid": True, "errors": [], "warnings": []}
    return clock(ui)


def test_pausing_a_job_type_holds_its_queued_jobs_until_it_is_resumed(ui: httpx.Client) -> None:
    name, version, _ = PARSE_11
    paused_at = _pause(ui, name, version, True)
    shown = get(ui, f"/v6/job-types/{name}/{version}/")
    assert shown["is_paused"] is True and at(shown["paused"]) == paused_at
    advance(ui, "PT6H")
    assert statuses(ui, 9, 42) == {9: "QUEUED", 42: "QUEUED"}  # due to start within two hours
    assert statuses(ui, 39, 51) == {39: "COMPLETED", 51: "COMPLETED"}  # what was running goes on
    assert job(ui, 9)["execution"] is None

    resumed_at = _pause(ui, name, version, False)
    shown = get(ui, f"/v6/job-types/{name}/{version}/")
    assert shown["is_paused"] is False and shown["paused"] is None
    assert statuses(ui, 9, 42) == {9: "RUNNING", 42: "RUNNING"}
    assert at(job(ui, 9)["started"]) == resumed_at
    advance(ui, "PT17M")
    assert statuses(ui, 9, 42) == {9: "COMPLETED", 42: "COMPLETED"}


def test_a_job_queued_while_its_type_is_paused_waits_for_the_resume(ui: httpx.Client) -> None:
    """Scale queues a job of a paused type; its scheduler does not run it until the type is resumed."""
    name, version, job_type_id = PARSE_11
    _pause(ui, name, version, True)
    job_id = queue_job(ui, job_type_id, {"input_file": [41]})["id"]
    advance(ui, "PT6H")
    detail = job(ui, job_id)
    assert (detail["status"], detail["execution"]) == ("QUEUED", None)
    assert output_files(ui, job_id)["count"] == 0

    resumed_at = _pause(ui, name, version, False)
    detail = job(ui, job_id)
    assert detail["status"] == "RUNNING" and at(detail["started"]) == resumed_at
    advance(ui, "PT50S")
    assert job(ui, job_id)["status"] == "COMPLETED" and output_files(ui, job_id)["count"] == 2


def test_deprecating_and_activating_a_job_type(ui: httpx.Client) -> None:
    """Deprecate / Activate: only the PATCH, with ``is_active`` toggled and ``is_paused`` as shown."""
    path = "/v6/job-types/geotiff-tiler/1.2.0/"
    shown = get(ui, path)
    body = update_body(shown, is_active=False)
    assert body["is_published"] is False and body["is_paused"] is False  # false survives removeEmpty
    response = patch(ui, path, body)
    assert response.status_code == 200, response.text
    assert response.json() == {"is_valid": True, "errors": [], "warnings": []}
    deprecated = get(ui, path)
    assert deprecated["is_active"] is False and at(deprecated["deprecated"]) == clock(ui)
    active = get(ui, "/v6/job-types/", ("page", 1), ("page_size", 1000), ("is_active", "true"), ("order", "title"))
    assert 5 not in {t["id"] for t in active["results"]} and active["count"] == 5
    inactive = get(ui, "/v6/job-types/", ("page", 1), ("page_size", 1000), ("is_active", "false"),
                   ("order", "title"))
    assert {t["id"] for t in inactive["results"]} == {5, 6}

    assert patch(ui, path, update_body(deprecated, is_active=True)).status_code == 200
    activated = get(ui, path)
    assert activated["is_active"] is True and activated["deprecated"] is None
    assert activated["is_paused"] is False


# --- running jobs, dashboard, job type history ---------------------------------------------------------


def test_the_running_jobs_screen_counts_running_jobs_by_type(ui: httpx.Client) -> None:
    """``processing/running-jobs/component.ts``: ``page=1&page_size=20``, polled every five seconds."""
    started = {row["id"]: at(row["started"]) for row in get(ui, "/v6/jobs/", ("page", 1), ("status", "RUNNING"))[
        "results"]}
    page = get(ui, "/v6/job-types/running/", ("page", 1), ("page_size", 20))
    assert page["count"] == 3
    assert [(r["job_type"]["name"], r["job_type"]["version"], r["count"], at(r["longest_running"]))
            for r in page["results"]] == [
        ("landsat8-parse", "1.1.0", 2, started[39]), ("scale-ingest", "1.0.0", 1, started[20]),
        ("scale-delete-files", "1.0.0", 2, started[35])]
    for r in page["results"]:
        assert isinstance(r["job_type"]["title"], str) and isinstance(r["job_type"]["icon_code"], str)

    queue_job(ui, 5, {"geotiff": [14]})  # geotiff-tiler: queued 10 s, runs 30 s
    running_since = advance(ui, "PT10S")
    rows = {r["job_type"]["name"]: r for r in get(ui, "/v6/job-types/running/", ("page", 1), ("page_size", 20))[
        "results"]}
    assert rows["geotiff-tiler"]["count"] == 1 and at(rows["geotiff-tiler"]["longest_running"]) == running_since
    advance(ui, "PT30S")
    rows = {r["job_type"]["name"]: r for r in get(ui, "/v6/job-types/running/", ("page", 1), ("page_size", 20))[
        "results"]}
    assert "geotiff-tiler" not in rows


def test_the_dashboard_shows_job_counts_by_status_and_the_running_jobs(ui: httpx.Client) -> None:
    """``dashboard/component.ts``: job-types/status (no range sent), then ``jobs/?page=1&status=RUNNING``."""
    page = get(ui, "/v6/job-types/status/", ("page", 1), ("page_size", 1000), ("is_active", "true"))
    assert page["count"] == 6
    counts = {(r["job_type"]["name"], r["job_type"]["version"]): {c["status"]: c["count"] for c in r["job_counts"]}
              for r in page["results"]}
    assert counts == {
        ("scale-ingest", "1.0.0"): {"QUEUED": 2, "RUNNING": 1},
        ("landsat8-parse", "1.0.0"): {},
        ("landsat8-parse", "1.1.0"): {"QUEUED": 2, "RUNNING": 2},
        ("ndvi-calc", "2.0.0"): {"QUEUED": 1},
        ("geotiff-tiler", "1.2.0"): {"QUEUED": 1},
        ("scale-delete-files", "1.0.0"): {"RUNNING": 2},
    }
    for r in page["results"]:
        jt = r["job_type"]
        assert isinstance(jt["id"], int) and isinstance(jt["title"], str) and isinstance(jt["icon_code"], str)
        assert jt["unmet_resources"] is None or isinstance(jt["unmet_resources"], str)

    running = get(ui, "/v6/jobs/", ("page", 1), ("status", "RUNNING"))
    assert running["count"] == len(RUNNING) and {row["id"] for row in running["results"]} == RUNNING
    for row in running["results"]:
        jt = row["job_type"]
        assert isinstance(jt["id"], int) and isinstance(jt["title"], str) and isinstance(jt["is_system"], bool)
        assert isinstance(jt["icon_code"], str)
    activity = get(ui, "/v6/job-types/", ("page_size", 1000), ("is_active", "true"))
    assert activity["count"] == 6


def test_the_job_type_history_details_list_the_job_types_errors(ui: httpx.Client) -> None:
    """``processing/job-type-history/details.component.ts``: ``errors/?page=1&job_type_name=…&order=-last_modified``."""
    errors = get(ui, "/v6/errors/", ("page", 1), ("job_type_name", "geotiff-tiler"), ("order", "-last_modified"))
    assert [(e["title"], e["category"]) for e in errors["results"]] == [("Corrupt Data", "DATA"),
                                                                       ("Out of Memory", "ALGORITHM")]
    assert at(errors["results"][0]["last_modified"]) > at(errors["results"][1]["last_modified"])
    for e in errors["results"]:
        assert_times(e["created"])
    ndvi = get(ui, "/v6/errors/", ("page", 1), ("job_type_name", "ndvi-calc"), ("order", "-last_modified"))
    assert [(e["title"], e["category"]) for e in ndvi["results"]] == [("Algorithm Error", "ALGORITHM")]


# --- linked screens ------------------------------------------------------------------------------------


def test_the_recipes_screen_and_a_recipes_details(ui: httpx.Client) -> None:
    """``processing/recipes/api.service.ts``: the list (default order and range), then a recipe's details,
    whose graph nodes carry the job ids the node's cancel and requeue buttons send."""
    now = clock(ui)
    started, ended = month_range(now)
    page = get(ui, "/v6/recipes/", ("order", "-last_modified"), ("page", 1), ("page_size", 20),
               ("started", started), ("ended", ended))
    assert page["count"] == 6 and {r["id"] for r in page["results"]} == {1, 2, 3, 4, 5, 6}
    changes = [at(r["last_modified"]) for r in page["results"]]
    assert changes == sorted(changes, reverse=True)

    recipe = get(ui, "/v6/recipes/4/")
    assert recipe["recipe_type"]["title"] == "Landsat NDVI" and recipe["is_superseded"] is True
    assert (recipe["jobs_total"], recipe["jobs_completed"], recipe["jobs_failed"], recipe["is_completed"]) == (
        2, 1, 1, False)
    nodes = {name: node["node_type"] for name, node in recipe["details"]["nodes"].items()}
    assert nodes["ndvi-calc"]["job_id"] == 1 and nodes["ndvi-calc"]["status"] == "FAILED"
    listed = {r["id"]: r for r in page["results"]}[4]
    assert (listed["jobs_total"], listed["jobs_failed"]) == (2, 1)


def test_the_recipe_status_screens_products_list(ui: httpx.Client) -> None:
    """``processing/status/api.service.ts``: ``files/?order=-created&page=1&page_size=50&recipe_id=…``."""
    files = get(ui, "/v6/files/", ("order", "-created"), ("page", 1), ("page_size", 50), ("recipe_id", 3))
    produced_by = {f["job"]["id"] for f in files["results"]}
    assert produced_by == {6, 7, 22, 47, 49}  # the recipe's completed jobs; 37 was canceled
    assert files["count"] == 7  # landsat8-parse 1.1.0 writes two bands, the others one file
    created = [at(f["created"]) for f in files["results"]]
    assert created == sorted(created, reverse=True)
    for f in files["results"]:
        assert f["url"].endswith("/" + f["file_name"]) and isinstance(f["file_size"], int)
        assert_times(f["last_modified"])


def test_the_batches_screen_and_a_batchs_details(ui: httpx.Client) -> None:
    """``processing/batches/api.service.ts`` list, then the details with the job metrics of each node."""
    started, ended = month_range(clock(ui))
    page = get(ui, "/v6/batches/", ("order", "-last_modified"), ("page", 1), ("page_size", 20),
               ("started", started), ("ended", ended))
    assert page["count"] == 3 and {b["id"] for b in page["results"]} == {1, 2, 3}
    changes = [at(b["last_modified"]) for b in page["results"]]
    assert changes == sorted(changes, reverse=True)

    batch = get(ui, "/v6/batches/2/")
    assert batch["title"] == "Reprocess March" and batch["recipe_type"]["name"] == "landsat-ndvi"
    assert (batch["jobs_total"], batch["jobs_running"], batch["jobs_completed"], batch["jobs_canceled"],
            batch["jobs_failed"]) == (9, 3, 3, 2, 1)  # recipe 2's jobs are in its batch
    parse = batch["job_metrics"]["landsat8-parse"]
    assert (parse["jobs_total"], parse["jobs_running"], parse["jobs_completed"], parse["jobs_canceled"],
            parse["jobs_queued"], parse["jobs_pending"], parse["jobs_blocked"]) == (5, 2, 1, 2, 0, 0, 0)


def test_the_nodes_screen_lists_the_active_nodes(ui: httpx.Client) -> None:
    """``system/nodes/component.ts``: a plain object, ``page=1&page_size=1000&is_active=true``."""
    page = get(ui, "/v6/nodes/", ("page", 1), ("page_size", 1000), ("is_active", "true"))
    assert page["count"] == 3
    assert sorted((n["hostname"], n["is_paused"], n["is_active"]) for n in page["results"]) == [
        ("node-a.scale.example.domain", False, True), ("node-b.scale.example.domain", False, True),
        ("node-c.scale.example.domain", True, True)]
    for n in page["results"]:
        assert n["deprecated"] is None
        assert_times(n["created"], n["last_modified"])


def test_the_workspaces_list_and_details(ui: httpx.Client) -> None:
    """``common/services/workspaces/api.service.ts``: ``order=title&page=1&page_size=1000``, then one."""
    page = get(ui, "/v6/workspaces/", ("order", "title"), ("page", 1), ("page_size", 1000))
    assert [(w["title"], w["name"]) for w in page["results"]] == [
        ("Archive", "archive"), ("Products", "products"), ("Raw Source Files", "raw")]
    assert {w["name"]: w["is_active"] for w in page["results"]} == {"archive": False, "products": True, "raw": True}
    workspace = get(ui, "/v6/workspaces/2/")
    assert (workspace["name"], workspace["base_url"]) == ("products", "http://scale.example.com/workspaces/products")
    broker = workspace["configuration"]["broker"]
    assert broker["type"] == "s3" and broker["credentials"]["secret_access_key"] == "************"
