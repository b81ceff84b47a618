"""Job executions (/v6/jobs/{id}/executions/) and execution logs (/v6/job-executions/{id}/logs/{log}/)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import EPOCH
from tests.scale.helpers import INGEST, TILER, executions, job, queue
from tests.support import at

EXECUTION_FIELDS = {"id", "status", "exe_num", "cluster_id", "created", "queued", "started", "ended", "job", "node",
                    "error", "job_type", "timeout", "input_file_size"}
DETAIL_FIELDS = EXECUTION_FIELDS | {"task_results", "resources", "configuration", "output"}
LINE_FIELDS = {"message", "@timestamp", "scale_order_num", "scale_task", "scale_job_exe", "scale_node", "stream"}
PARSE_1_0 = 2  # landsat8-parse 1.0.0: queues 5 s, runs 45 s; stdout at 0/10/20/40 s, a stderr warning at 30 s


def running_job(mock, client, job_type_id=PARSE_1_0, data=None, seconds=6):
    new = queue(client, job_type_id, data or {"files": {"input_file": [41]}})
    mock.clock.advance(timedelta(seconds=seconds))
    [exe] = executions(client, new["id"])
    return new["id"], exe


def log(client, exe_id, which="combined", **kwargs):
    return client.get(f"/v6/job-executions/{exe_id}/logs/{which}/", **kwargs)


# --- executions -------------------------------------------------------------------------------------------------

def test_executions_are_listed_most_recent_first(client):
    exes = executions(client, 5)
    assert [x["exe_num"] for x in exes] == [2, 1]
    assert [x["status"] for x in exes] == ["COMPLETED", "FAILED"]
    assert all(set(x) >= EXECUTION_FIELDS for x in exes)
    assert all(x["job"]["id"] == 5 for x in exes)
    assert exes[1]["error"]["name"] == "database-error" and exes[0]["error"] is None
    assert at(exes[1]["ended"]) <= at(exes[0]["queued"])


@pytest.mark.parametrize(("params", "exe_nums"), [
    ({"status": "FAILED"}, [1]),
    ({"status": "COMPLETED"}, [2]),
    ([("status", "COMPLETED"), ("status", "FAILED")], [2, 1]),
    ({"status": "RUNNING"}, []),
    ({"node_id": 3}, [1]),
    ([("node_id", 1), ("node_id", 3)], [2, 1]),
    ({"error_id": 2}, [1]),
    ({"error_id": 7}, []),
    ({"error_category": "SYSTEM"}, [1]),
    ({"error_category": "DATA"}, []),
])
def test_execution_filters(client, params, exe_nums):
    exes = executions(client, 5, params)
    assert [x["exe_num"] for x in exes] == exe_nums


def test_execution_filter_values_are_checked(client):
    assert client.get("/v6/jobs/5/executions/", params={"node_id": "a"}).json() == \
        {"detail": 'Parameter must be a valid integer: "node_id"'}
    # Scale checks no choices for status: an execution is never QUEUED, so nothing matches (and it is reported).
    response = client.get("/v6/jobs/5/executions/", params={"status": "QUEUED"})
    assert response.json()["count"] == 0
    assert response.headers.get_list("Mockingjob-Lint")[0].startswith('unchecked-value "query.status.0"')


def test_executions_of_an_unknown_job_are_an_empty_page(client):
    response = client.get("/v6/jobs/999999/executions/")
    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_executions_paginate(client):
    page = client.get("/v6/jobs/5/executions/", params={"page_size": 1}).json()
    assert page["count"] == 2 and [x["exe_num"] for x in page["results"]] == [2]
    second = client.get(page["next"]).json()
    assert [x["exe_num"] for x in second["results"]] == [1] and second["next"] is None


def test_execution_details(client):
    response = client.get("/v6/jobs/5/executions/1/")
    assert response.status_code == 200
    exe = response.json()
    assert set(exe) >= DETAIL_FIELDS
    assert exe["exe_num"] == 1 and exe["status"] == "FAILED" and exe["job"]["id"] == 5
    assert exe["error"]["category"] == "SYSTEM"
    assert exe["node"] == {"id": 3, "hostname": "node-c.scale.example.domain"}
    assert exe["job_type"]["name"] == "scale-delete-files"
    assert exe["timeout"] == 300
    assert "resources" in exe["resources"]
    listed = {x["exe_num"]: x for x in executions(client, 5)}
    assert {k: exe[k] for k in EXECUTION_FIELDS} == listed[1]


def test_the_job_details_show_the_latest_execution(client):
    details = job(client, 5)
    assert details["execution"]["exe_num"] == 2 == details["num_exes"]
    assert details["execution"] == client.get("/v6/jobs/5/executions/2/").json()


@pytest.mark.parametrize("path", ["/v6/jobs/5/executions/3/", "/v6/jobs/999999/executions/1/"])
def test_a_missing_execution_is_a_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_an_execution_appears_only_once_the_job_runs(mock, client):
    new = queue(client, INGEST)["id"]
    assert executions(client, new) == []
    assert client.get(f"/v6/jobs/{new}/executions/1/").status_code == 404
    mock.clock.advance(timedelta(seconds=3))
    [exe] = executions(client, new)
    assert exe["status"] == "RUNNING" and at(exe["started"]) == EPOCH + timedelta(seconds=3)
    assert client.get(f"/v6/jobs/{new}/executions/1/").json()["id"] == exe["id"]
    assert [x["exe_num"] for x in executions(client, new, {"node_id": exe["node"]["id"]})] == [1]


# --- logs -------------------------------------------------------------------------------------------------------

def test_a_log_is_a_list_of_ordered_lines_with_every_field(mock, client):
    _, exe = running_job(mock, client, seconds=60)
    response = log(client, exe["id"])
    assert response.status_code == 200
    lines = response.json()
    assert len(lines) >= 5
    assert all(set(line) == LINE_FIELDS for line in lines)
    assert [line["scale_order_num"] for line in lines] == sorted(line["scale_order_num"] for line in lines)
    stamps = [at(line["@timestamp"]) for line in lines]
    assert stamps == sorted(stamps)
    assert lines[0]["message"] == "Reading MTL metadata"
    assert all(line["scale_job_exe"] == exe["cluster_id"] for line in lines)
    assert all(line["scale_node"] == exe["node"]["hostname"] for line in lines)
    assert {line["stream"] for line in lines} == {"stdout", "stderr"}


def test_stdout_and_stderr_filter_the_combined_log(mock, client):
    _, exe = running_job(mock, client, seconds=60)
    combined = log(client, exe["id"]).json()
    stdout = log(client, exe["id"], "stdout").json()
    stderr = log(client, exe["id"], "stderr").json()
    assert stdout and stderr
    assert {line["stream"] for line in stdout} == {"stdout"}
    assert {line["stream"] for line in stderr} == {"stderr"}
    assert sorted(stdout + stderr, key=lambda line: line["scale_order_num"]) == combined
    assert "WARNING: scene has 12% cloud cover" in [line["message"] for line in stderr]


def test_log_lines_accrue_as_the_clock_advances(mock, client):
    _, exe = running_job(mock, client, seconds=6)  # started at 5 s
    counts = [len(log(client, exe["id"]).json())]
    for _ in range(3):
        mock.clock.advance(timedelta(seconds=11))
        counts.append(len(log(client, exe["id"]).json()))
    assert counts == sorted(counts) and counts[0] < counts[-1]
    first = log(client, exe["id"]).json()
    mock.clock.advance(timedelta(seconds=5))
    assert log(client, exe["id"]).json()[:len(first)] == first


def test_a_log_with_no_lines_yet_is_a_204(mock, client):
    _, exe = running_job(mock, client, seconds=6)
    empty = log(client, exe["id"], "stderr")
    assert empty.status_code == 204
    assert empty.content == b""
    mock.clock.advance(timedelta(seconds=30))
    assert [line["message"] for line in log(client, exe["id"], "stderr").json()] == \
        ["WARNING: scene has 12% cloud cover"]


def test_a_finished_execution_logs_how_it_ended(mock, client):
    _, exe = running_job(mock, client, seconds=6)
    mock.clock.advance(timedelta(minutes=5))
    final = log(client, exe["id"]).json()
    assert at(final[-1]["@timestamp"]) == EPOCH + timedelta(seconds=50)
    mock.clock.advance(timedelta(minutes=5))
    assert log(client, exe["id"]).json() == final


def test_a_failed_execution_logs_its_error_on_stderr(client):
    failed = executions(client, 44)[0]
    assert failed["status"] == "FAILED"
    stderr = log(client, failed["id"], "stderr").json()
    assert failed["error"]["name"] == "data-corrupt"
    assert any(line["message"] == f"ERROR: {failed['error']['description']}" for line in stderr)


def test_started_keeps_only_the_lines_logged_since(mock, client):
    _, exe = running_job(mock, client, seconds=60)
    everything = log(client, exe["id"]).json()
    since = EPOCH + timedelta(seconds=30)
    recent = log(client, exe["id"], params={"started": "2026-03-02T12:00:30Z"}).json()
    assert recent == [line for line in everything if at(line["@timestamp"]) >= since]
    assert 0 < len(recent) < len(everything)
    assert log(client, exe["id"], params={"started": "PT15S"}).json() == \
        [line for line in everything if at(line["@timestamp"]) >= EPOCH + timedelta(seconds=45)]


def test_the_log_of_an_unknown_execution_is_a_404(client):
    response = log(client, 999999)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_the_log_of_an_execution_that_has_not_started_is_not_found(mock, client):
    later = queue(client, TILER)["id"]  # queues 10 s
    sooner = queue(client, INGEST)["id"]  # queues 3 s
    mock.clock.advance(timedelta(seconds=4))
    [running] = executions(client, sooner)
    assert executions(client, later) == []
    waiting_id = running["id"] - 1  # the tiler's execution was written first
    assert log(client, waiting_id).status_code == 404
    mock.clock.advance(timedelta(seconds=7))
    [started] = executions(client, later)
    assert started["id"] == waiting_id
    assert log(client, waiting_id).status_code == 200


def test_accept_text_plain_gives_the_messages_as_text(mock, client):
    _, exe = running_job(mock, client, seconds=60)
    lines = log(client, exe["id"]).json()
    response = log(client, exe["id"], headers={"Accept": "text/plain"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.splitlines() == [line["message"] for line in lines]
    stdout = log(client, exe["id"], "stdout", headers={"Accept": "text/plain"}).text
    assert "WARNING" not in stdout and "Reading MTL metadata" in stdout


@pytest.mark.parametrize("accept", ["application/json", "*/*", "application/json; q=0.9, text/plain; q=0.1"])
def test_json_is_served_for_json_friendly_accept_headers(mock, client, accept):
    _, exe = running_job(mock, client)
    response = log(client, exe["id"], headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert isinstance(response.json(), list)


@pytest.mark.parametrize("accept", ["application/xml", "image/png"])
def test_an_unsupported_accept_header_is_a_406(mock, client, accept):
    _, exe = running_job(mock, client)
    response = log(client, exe["id"], headers={"Accept": accept})
    assert response.status_code == 406
    assert "detail" in response.json()


def test_format_json_overrides_the_accept_header(client):
    exe = executions(client, 5)[0]
    response = log(client, exe["id"], params={"format": "json"}, headers={"Accept": "text/plain"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == log(client, exe["id"]).json()
