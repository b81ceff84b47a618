"""``mockingjob record``: a proxy in front of a real service whose answers become a fixture folder that serves.

The proxy runs as a user starts it (a child process); the real service is either a small echo server (what
arrives upstream, and what comes back, are then visible) or a mockingjob of its own.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml

from mockingjob.client import Mockingjob
from mockingjob.core import registry
from mockingjob.core.config import Config
from mockingjob.core.errors import ApiError
from mockingjob.live import LiveServer
from mockingjob.recorder.matching import OperationMatcher
from tests.support.processes import free_port
from tests.support.recorder import Recorder

T = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
SECRET = "rec-tok-5f1e9a7c2b"
CLIENT_AUTH = {"Authorization": f"Token {SECRET}"}


# --- the pieces ------------------------------------------------------------------------------------------------

async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A stand-in for a real service: answers what it was sent. ``/text`` answers plain text, ``/bytes`` bytes
    that are no text; ``?status=N`` sets the status."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    query = scope["query_string"].decode()
    status = int(dict(pair.split("=", 1) for pair in query.split("&") if pair.startswith("status=")).get("status",
                                                                                                           200))
    headers = [(b"x-upstream", b"echo"), (b"set-cookie", f"sid={SECRET}-cookie; HttpOnly".encode())]
    if scope["path"] == "/text":
        headers.append((b"content-type", b"text/plain; charset=utf-8"))
        answer = f"plain text for {scope['method']}".encode()
    elif scope["path"] == "/bytes":
        headers.append((b"content-type", b"application/octet-stream"))
        answer = bytes(range(256))
    else:
        headers.append((b"content-type", b"application/json"))
        answer = json.dumps({
            "method": scope["method"],
            "path": scope["path"],
            "raw_path": scope["raw_path"].decode(),
            "query": query,
            "headers": [[name.decode(), value.decode()] for name, value in scope["headers"]],
            "body": body.decode(errors="replace"),
        }).encode()
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": answer})


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    server = uvicorn.Server(uvicorn.Config(echo, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)


def every_file_text(folder: Path) -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in folder.rglob("*") if path.is_file()}


def exchanges(folder: Path, api: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "_exchanges" / f"{api}.jsonl").read_text().splitlines()]


# --- matching requests to the spec (no server) ----------------------------------------------------------------

def test_a_request_is_matched_to_its_operation_and_path_parameters() -> None:
    scale = OperationMatcher(registry.load("scale"))
    assert scale.match("GET", "/v6/jobs/12/").operation_id == "get_job"
    assert dict(scale.match("GET", "/v6/jobs/12/").path_params) == {"job_id": "12"}
    # A fixed segment wins over a parameter, as the real router decides.
    assert scale.match("POST", "/v6/jobs/cancel/").operation_id != scale.match("GET", "/v6/jobs/12/").operation_id
    assert scale.match("GET", "/v6/nothing/").operation_id is None
    assert scale.match("DELETE", "/v6/version/").operation_id is None


def test_an_encoded_slash_stays_inside_its_parameter() -> None:
    marquez = OperationMatcher(registry.load("marquez"))
    matched = marquez.match("GET", "/api/v1/namespaces/postgres%3A%2F%2Fdb%3A5432/jobs")
    assert matched.operation_id is not None
    assert "postgres://db:5432" in matched.path_params.values()


def test_a_service_that_reads_paths_in_any_case_is_matched_in_any_case() -> None:
    trifacta = OperationMatcher(registry.load("trifacta"))
    exact = trifacta.match("GET", "/v4/jobGroups/7/status")
    assert exact.operation_id is not None
    folded = trifacta.match("GET", "/v4/jobgroups/7/status")
    assert (folded.operation_id, dict(folded.path_params)) == (exact.operation_id, dict(exact.path_params))
    assert OperationMatcher(registry.load("scale")).match("GET", "/V6/JOBS/12/").operation_id is None


# --- the proxy's mechanics ------------------------------------------------------------------------------------

@pytest.mark.subprocess
def test_requests_and_answers_pass_through_unchanged(echo_url: str, tmp_path: Path) -> None:
    recorder = Recorder("scale", echo_url, tmp_path / "rec",
                        env={"MOCKINGJOB_RECORD_HEADERS": "X-Added: upstream-only"})
    try:
        with httpx.Client(base_url=recorder.url) as client:
            sent = client.post("/v6/jobs/?a=1&a=2&b=x%20y&status=201", content=b'{"job_type_id": 3}',
                               headers={"Content-Type": "application/json", "X-Trace": "abc-123", "X-Added": "mine"})
            text = client.get("/text")
            raw = client.get("/bytes")
    finally:
        recorder.stop()
    assert sent.status_code == 201
    assert sent.headers["x-upstream"] == "echo" and sent.headers.get_list("set-cookie")
    seen = sent.json()
    assert (seen["method"], seen["path"], seen["query"]) == ("POST", "/v6/jobs/", "a=1&a=2&b=x%20y&status=201")
    assert seen["body"] == '{"job_type_id": 3}'
    headers = dict(seen["headers"])
    assert headers["x-trace"] == "abc-123" and headers["content-type"] == "application/json"
    assert headers["x-added"] == "upstream-only"  # --header wins over the client's own
    assert headers["host"] == echo_url.removeprefix("http://")  # addressed to the real service, not the proxy
    assert (text.status_code, text.text, text.headers["content-type"]) == (200, "plain text for GET",
                                                                          "text/plain; charset=utf-8")
    assert raw.content == bytes(range(256))
    kept = exchanges(tmp_path / "rec", "scale")
    assert [(entry["method"], entry["path"], entry["response"]["status"]) for entry in kept] == [
        ("POST", "/v6/jobs/", 201), ("GET", "/text", 200), ("GET", "/bytes", 200)]
    assert [entry["operation"] for entry in kept] == ["queue_job", None, None]
    assert kept[1]["response"]["text"] == "plain text for GET"
    assert kept[2]["response"]["bytes"] == 256  # bytes that are no text: only their size is kept


@pytest.mark.subprocess
def test_an_upstream_that_does_not_answer_gets_the_client_a_502_in_the_apis_shape(tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    recorder = Recorder("scale", nowhere, tmp_path / "rec")
    try:
        with httpx.Client(base_url=recorder.url) as client:
            first = client.get("/v6/jobs/", headers=CLIENT_AUTH)
            second = client.post("/v6/jobs/", json={"job_type_id": 1})
            running = recorder.process.poll() is None
    finally:
        recorder.stop()
    expected = registry.load("scale").render_error(ApiError(502, "x", code="fault"))
    for answer in (first, second):
        assert answer.status_code == 502
        assert answer.headers["content-type"].startswith("application/json")
        assert list(answer.json()) == list(expected.body)  # Scale's {"detail": …}
        assert "did not answer" in answer.json()["detail"]
    assert running  # it keeps going
    assert recorder.err.count("did not answer") == 2
    assert "Recorded 2 exchange(s)" in recorder.out
    assert ["did not answer" not in entry["error"] and "ConnectError" in entry["error"]
            for entry in exchanges(tmp_path / "rec", "scale")] == [True, True]
    # A folder with no records yet (only the exchanges and the schemas beside them) is one mockingjob accepts.
    check = subprocess.run([sys.executable, "-m", "mockingjob", "check", "scale", "--fixtures", str(tmp_path / "rec")],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    assert sorted(path.name for path in (tmp_path / "rec" / "_schemas" / "scale").iterdir()) == \
        sorted(path.name for path in (registry.load("scale").fixtures_path.parent / "_schemas" / "scale").iterdir())


@pytest.mark.subprocess
def test_no_secret_reaches_any_recorded_file(echo_url: str, tmp_path: Path) -> None:
    out = tmp_path / "rec"
    upstream_key = "upstream-key-8d3c1e"
    recorder = Recorder("scale", echo_url, out, env={"MOCKINGJOB_RECORD_HEADERS": f"X-Api-Key: {upstream_key}"})
    try:
        with httpx.Client(base_url=recorder.url) as client:
            # The echo repeats each request: the header token, the added key, a password and a token in a body.
            client.get("/v6/jobs/", params={"note": f"see {SECRET}"}, headers=CLIENT_AUTH)
            client.post("/v6/jobs/", json={"job_type_id": 1, "password": "hunter2-pw-value",
                                           "comment": f"token is {SECRET}"}, headers=CLIENT_AUTH)
            client.get("/text", headers={"Cookie": "sid=cookie-value-77"})
    finally:
        status = recorder.stop(signal.SIGTERM)
    assert status in (0, -signal.SIGTERM)
    assert "Recorded 3 exchange(s)" in recorder.out  # said on SIGTERM too
    files = every_file_text(out)
    assert out / "_exchanges" / "scale.jsonl" in files
    for secret in (SECRET, upstream_key, "hunter2-pw-value", "cookie-value-77"):
        assert [path for path, text in files.items() if secret in text] == [], secret
    kept = exchanges(out, "scale")
    assert "[REDACTED]" in kept[0]["request"]["headers"]["authorization"]
    assert "[REDACTED]" in kept[1]["request"]["json"]["password"]
    assert kept[1]["request"]["json"]["job_type_id"] == 1  # the rest is kept as it was


@pytest.mark.subprocess
def test_a_folder_already_recorded_is_kept_unless_forced(echo_url: str, tmp_path: Path) -> None:
    out = tmp_path / "rec"
    Recorder("scale", echo_url, out).stop()
    again = subprocess.run([sys.executable, "-m", "mockingjob", "record", "scale", "--upstream", echo_url,
                            "--out", str(out), "--port", str(free_port())], capture_output=True, text=True,
                           timeout=60)
    assert again.returncode == 2 and "--force" in again.stderr
    Recorder("scale", echo_url, out, "--force").stop()


# --- the round trip: record a Scale, serve what was recorded, get the same answers -----------------------------

ROUND_TRIP = [
    "/v6/jobs/?page_size=100",
    "/v6/jobs/?status=FAILED&page_size=100",
    "/v6/job-types/?page_size=100",
]


def _answers(base: str, paths: list[str]) -> list[Any]:
    """Each path's JSON answer, with the server's own address (in links) put aside."""
    with httpx.Client(base_url=base, headers=CLIENT_AUTH) as client:
        found = []
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (path, response.text)
            found.append(json.loads(response.text.replace(base, "http://server")))
        return found


@pytest.mark.subprocess
def test_a_recorded_scale_serves_the_same_documents(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    with LiveServer(Config(apis=["scale"], speed=0, tokens=[SECRET])) as upstream:
        admin = Mockingjob(upstream)
        admin.clock.set(T)
        admin.reset("scale")
        jobs, job_types = (answer["results"] for answer in _answers(upstream, [ROUND_TRIP[0], ROUND_TRIP[2]]))
        paths = [*ROUND_TRIP, *(f"/v6/jobs/{job['id']}/" for job in jobs[:3]),
                 *(f"/v6/job-types/{job_type['name']}/{job_type['version']}/" for job_type in job_types)]
        recorder = Recorder("scale", upstream, out, "--upstream-now", T.isoformat())
        try:
            through_proxy = _answers(recorder.url, paths)
        finally:
            assert recorder.stop() == 0
        direct = _answers(upstream, paths)
    assert through_proxy == direct

    said = recorder.out.splitlines()
    assert said[0].startswith(f"Recording scale: listening on {recorder.url}, forwarding to {upstream}")
    assert f"Recorded {len(paths)} exchange(s)" in recorder.out
    assert said[-1] == f"Serve them: mockingjob serve scale --fixtures {out}"
    counted = {line.split(": ")[0].strip(): int(line.split(": ")[1].split()[0]) for line in said
               if line.startswith("  ") and "record(s)" in line}
    assert counted, recorder.out
    for path, count in counted.items():
        assert len(yaml.safe_load(Path(path).read_text())) == count

    with LiveServer(Config(apis=["scale"], speed=0, tokens=[SECRET], fixtures=[str(out)])) as replay:
        admin = Mockingjob(replay)
        admin.clock.set(T)
        admin.reset("scale")
        assert _answers(replay, paths) == direct

    check = subprocess.run([sys.executable, "-m", "mockingjob", "check", "scale", "--fixtures", str(out)],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr


# --- records merged across answers (no server) -----------------------------------------------------------------

def test_a_summary_seen_later_does_not_undo_a_records_details() -> None:
    from mockingjob.recorder.records import RecordSet

    records = RecordSet(registry.load("scale"))
    records.add("job_types", [{"id": 4, "manifest": {"job": {"name": "ndvi", "timeout": 60}}, "tags": ["a", "b"]}])
    records.add("job_types", [{"id": 4, "manifest": {"job": {"timeout": 90}}, "tags": ["c"], "is_paused": True}])
    assert records.by_kind() == {"job_types": [
        {"id": 4, "manifest": {"job": {"name": "ndvi", "timeout": 90}}, "tags": ["c"], "is_paused": True}]}
