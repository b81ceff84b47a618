"""The dashboard (``GET /_mockingjob/``): its page and files, the runs on their timelines (``GET /_mockingjob/runs``)
from every pack, and the page itself in a real headless Chromium against a real server."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from mockingjob.core.config import Config
from mockingjob.core.lifecycle import Timeline
from mockingjob.core.pack import Pack, RunSegment, RunTimeline
from mockingjob.http.app import MockApp
from mockingjob.live import LiveServer
from tests.conftest import EPOCH, STATE, TOKEN
from tests.scale.helpers import INGEST, INPUTS, NDVI, job, queue
from tests.support import at

ADMIN = "/_mockingjob"
BEARER = {"Authorization": "Bearer test-token"}


def runs_of(client: TestClient, api: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"{ADMIN}/runs", params={"api": api, **params})
    assert response.status_code == 200, response.text
    (listed,) = response.json()["apis"]
    assert listed["api"] == api and listed["supported"] is True
    return list(listed["runs"])


def the_run(client: TestClient, api: str, run_id: object) -> dict[str, Any]:
    (found,) = [run for run in runs_of(client, api, limit=500) if run["id"] == str(run_id)]
    return found


def states(run: dict[str, Any]) -> list[tuple[str, datetime | None, datetime | None]]:
    return [(s["state"], at(s["start"]), at(s["end"])) for s in run["segments"]]


def advance(client: TestClient, by: str) -> None:
    assert client.post(f"{ADMIN}/clock/advance", json={"by": by}).status_code == 200


# --- the page and its files -------------------------------------------------------------------------------------

def test_the_page_and_its_files_are_served_by_the_admin_api_with_a_strict_policy(client):
    page = client.get(f"{ADMIN}/")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
    assert '<meta name="mockingjob-admin" content="/_mockingjob">' in page.text
    for name, media_type in (("dashboard.js", "text/javascript"), ("dashboard.css", "text/css")):
        assert f'"/_mockingjob/assets/{name}"' in page.text
        served = client.get(f"{ADMIN}/assets/{name}")
        assert served.status_code == 200 and served.headers["content-type"].startswith(media_type)
        assert served.headers["content-security-policy"] == policy
    # Nothing from elsewhere: no CDN, no web fonts, no absolute URLs at all.
    for name in ("", "assets/dashboard.js", "assets/dashboard.css"):
        text = client.get(f"{ADMIN}/{name}").text
        assert "://" not in text and "@import" not in text and "@font-face" not in text and "url(" not in text
    # The admin Swagger UI stays where it was.
    assert client.get(f"{ADMIN}/ui/").status_code == 200


def test_only_the_dashboards_own_files_are_served(client):
    for name in ("index.html", "__init__.py", "..%2F__init__.py", "dashboard.JS"):
        response = client.get(f"{ADMIN}/assets/{name}")
        assert response.status_code in (400, 404), (name, response.status_code)
        assert response.headers["content-type"] == "application/problem+json"


def test_the_script_renders_what_the_server_says_as_text_never_as_markup():
    script = (Path(__file__).parents[2] / "src/mockingjob/control/dashboard/dashboard.js").read_text()
    for unsafe in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert unsafe not in script


def test_without_an_admin_token_the_page_answers_loopback_clients_only(client):
    relayed = client.get(f"{ADMIN}/", headers={"X-Forwarded-For": "203.0.113.9"})
    assert relayed.status_code == 403 and "loopback" in relayed.json()["detail"]
    rebound = client.get(f"{ADMIN}/assets/dashboard.js", headers={"Host": "attacker.example"})
    assert rebound.status_code == 403 and "not a loopback name" in rebound.json()["detail"]


@pytest.fixture(scope="module")
def guarded() -> Iterator[TestClient]:
    mock = MockApp(Config(apis=["scale"], speed=0, state=STATE, admin_token="dash-token"))
    with mock.asgi.test_client() as client:
        yield client
    mock.close()


def test_with_an_admin_token_the_page_is_served_to_anyone_and_its_data_only_with_the_token(guarded):
    # A browser opening the page cannot send a token: the page holds no data, and asks for the token.
    page = guarded.get(f"{ADMIN}/", headers={"X-Forwarded-For": "203.0.113.9"})
    assert page.status_code == 200 and 'id="token-form"' in page.text
    assert guarded.get(f"{ADMIN}/assets/dashboard.js").status_code == 200
    assert guarded.get(f"{ADMIN}/runs").status_code == 401
    answer = guarded.get(f"{ADMIN}/runs", headers={"Authorization": "Bearer dash-token"})
    assert answer.status_code == 200 and answer.json()["apis"][0]["api"] == "scale"


# --- runs on their timelines --------------------------------------------------------------------------------------

def test_a_queued_job_moves_along_its_timeline_with_the_clock(client):
    created = queue(client, INGEST)  # queues 3 s, runs 20 s, completes
    answer = client.get(f"{ADMIN}/runs", params={"api": "scale"}).json()
    assert at(answer["now"]) == EPOCH
    newest = answer["apis"][0]["runs"][0]
    assert newest == {"api": "scale", "id": str(created["id"]), "label": "scale-ingest 1.0.0", "state": "QUEUED",
                      "final": False, "segments": [{"state": "QUEUED", "start": "2026-03-02T12:00:00.000Z",
                                                    "end": None}]}
    advance(client, "PT4S")
    assert states(the_run(client, "scale", created["id"])) == [
        ("QUEUED", EPOCH, EPOCH + timedelta(seconds=3)), ("RUNNING", EPOCH + timedelta(seconds=3), None)]
    advance(client, "PT1M")
    run = the_run(client, "scale", created["id"])
    assert run["state"] == "COMPLETED" == job(client, created["id"])["status"] and run["final"] is True
    assert [s["state"] for s in run["segments"]] == ["QUEUED", "RUNNING", "COMPLETED"]
    assert states(run)[-1] == ("COMPLETED", EPOCH + timedelta(seconds=23), None)


def test_a_requeued_job_shows_each_attempt_and_a_job_canceled_after_failing_shows_both(client):
    first = queue(client, NDVI)  # queues 5 s, runs 60 s, fails its first attempt, then completes
    advance(client, "PT2M")
    assert client.post("/v6/jobs/requeue/", json={"job_ids": [first["id"]]}, headers=TOKEN).status_code == 202
    advance(client, "PT2M")
    assert [s["state"] for s in the_run(client, "scale", first["id"])["segments"]] == [
        "QUEUED", "RUNNING", "FAILED", "QUEUED", "RUNNING", "COMPLETED"]
    second = queue(client, NDVI)
    advance(client, "PT2M")
    assert client.post("/v6/jobs/cancel/", json={"job_ids": [second["id"]]}, headers=TOKEN).status_code == 202
    run = the_run(client, "scale", second["id"])
    assert [s["state"] for s in run["segments"]] == ["QUEUED", "RUNNING", "FAILED", "CANCELED"]
    assert run["state"] == job(client, second["id"])["status"] == "CANCELED"
    assert at(run["segments"][-1]["start"]) == EPOCH + timedelta(minutes=6)


def test_runs_are_the_latest_first_and_limited_per_api(client):
    created = [queue(client, INGEST)["id"] for _ in range(3)]
    listed = runs_of(client, "scale", limit=2)
    assert [run["id"] for run in listed] == [str(created[2]), str(created[1])]


def test_an_api_whose_pack_does_not_tell_its_runs_is_listed_as_such(mock, client, monkeypatch):
    assert Pack.run_timelines(mock.packs["scale"], None, EPOCH, 20) is None  # the default: a pack tells nothing
    monkeypatch.setattr(mock.packs["scale"], "run_timelines", lambda conn, now, limit: None)
    assert client.get(f"{ADMIN}/runs").json()["apis"] == [{"api": "scale", "supported": False, "runs": []}]


def test_an_api_not_served_is_refused(client):
    assert client.get(f"{ADMIN}/runs", params={"api": "nosuchapi"}).status_code == 400


@pytest.fixture(scope="module")
def every_api() -> Iterator[MockApp]:
    mock = MockApp(Config(speed=0, state=STATE))
    yield mock
    mock.close()


def _status_by_the_api(client: TestClient, api: str, run_id: str) -> str:
    """The run's status as the API itself answers it."""
    if api == "scale":
        response = client.get(f"/scale/v6/jobs/{run_id}/")
        return str(response.json()["status"])
    if api == "coalesce":
        return str(client.get(f"/coalesce/api/v1/runs/{run_id}", headers=BEARER).json()["runStatus"])
    if api == "trifacta":
        return str(client.get(f"/trifacta/v4/jobGroups/{run_id}/status", headers=BEARER).json())
    assert api == "marquez"
    return str(client.get(f"/marquez/api/v1/jobs/runs/{run_id}").json()["state"])


def test_every_pack_tells_its_runs_in_the_state_its_api_answers(every_api):
    every_api.reset(control=True, at=EPOCH)
    with every_api.asgi.test_client() as client:
        for by in ("PT0S", "PT7S", "PT4M"):  # at the start, then as runs move on
            advance(client, by)
            answer = client.get(f"{ADMIN}/runs", params={"limit": 500}).json()
            assert [listed["api"] for listed in answer["apis"]] == list(every_api.packs)
            now = at(answer["now"])
            for listed in answer["apis"]:
                assert listed["supported"] is True and listed["runs"], listed["api"]
                for run in listed["runs"]:
                    assert run["api"] == listed["api"] and run["label"]
                    segments = run["segments"]
                    assert segments and segments[-1]["state"] == run["state"] and segments[-1]["end"] is None
                    for before, after in pairwise(segments):
                        assert before["end"] == after["start"] and before["state"] != after["state"]
                        assert at(before["start"]) <= at(before["end"])
                    if listed["api"] != "marquez":  # Marquez's times are its clients', not the clock's
                        assert all(at(s["start"]) <= now for s in segments[1:]), run
                    assert _status_by_the_api(client, listed["api"], run["id"]) == run["state"], run


def test_a_marquez_run_shows_the_states_its_events_put_it_in(every_api):
    every_api.reset(control=True, at=EPOCH)
    run_id = "3f0c1b9e-5a7d-4c1e-9f00-0000000000a1"

    def event(kind: str, minute: int) -> dict[str, Any]:
        return {"eventType": kind, "eventTime": f"2026-03-02T11:{minute:02}:00Z", "producer": "tests",
                "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
                "run": {"runId": run_id}, "job": {"namespace": "dash", "name": "nightly"}}

    with every_api.asgi.test_client() as client:
        for kind, minute in (("START", 10), ("RUNNING", 20), ("FAIL", 30)):
            assert client.post("/marquez/api/v1/lineage", json=event(kind, minute)).status_code == 201
        run = the_run(client, "marquez", run_id)
    assert run["label"] == "dash / nightly" and run["state"] == "FAILED" and run["final"] is True
    assert [(s["state"], s["start"][11:16], (s["end"] or "")[11:16]) for s in run["segments"]] == [
        ("RUNNING", "11:10", "11:30"), ("FAILED", "11:30", "")]


# --- how a timeline is derived --------------------------------------------------------------------------------------

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_timeline_shows_the_steps_reached_each_until_the_next():
    timeline = Timeline((("QUEUED", _at(0)), ("RUNNING", _at(5)), ("COMPLETED", _at(30))))
    run = RunTimeline.derived("x", 7, "a run", timeline, _at(10), ("COMPLETED",))
    assert run == RunTimeline("x", "7", "a run", "RUNNING", (RunSegment("QUEUED", _at(0), _at(5)),
                                                             RunSegment("RUNNING", _at(5), None)), False)
    assert RunTimeline.derived("x", 7, "a run", timeline, _at(30), ("COMPLETED",)).final is True


def test_a_timeline_leaves_out_steps_never_reached_or_left_at_once_and_never_runs_backwards():
    canceled_while_queued = Timeline((("QUEUED", _at(0)), ("RUNNING", None), ("CANCELED", _at(0))))
    assert RunTimeline.derived("x", 1, "", canceled_while_queued, _at(9), ()).segments == (
        RunSegment("CANCELED", _at(0), None),)
    again = Timeline((("NEW", _at(0)), ("RUNNING", _at(5)), ("RUNNING", _at(8)), ("FAILED", _at(3))))
    assert RunTimeline.derived("x", 1, "", again, _at(9), ()).segments == (
        RunSegment("NEW", _at(0), _at(5)), RunSegment("RUNNING", _at(5), _at(8)), RunSegment("FAILED", _at(8), None))
    ahead = Timeline((("QUEUED", _at(60)), ("RUNNING", _at(70))))
    assert RunTimeline.derived("x", 1, "", ahead, _at(0), ()).segments == (RunSegment("QUEUED", _at(60), None),)


# --- the page in a real browser -----------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _without(what: str) -> None:
    """Skip the browser test for want of `what`; where it must run (CI sets MOCKINGJOB_BROWSER_TEST=required),
    fail it."""
    if os.environ.get("MOCKINGJOB_BROWSER_TEST") == "required":
        pytest.fail(f"the browser test must run here, but {what}")
    pytest.skip(what)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        _without(f"there is no Chromium at {CHROMIUM} (Debian's chromium package; .ci/run installs it)")
    try:
        from playwright import sync_api
    except ImportError:
        _without("playwright is not installed (it is in the test extra)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.mark.subprocess
def test_the_dashboard_in_a_browser(browser):
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)  # the page reads every 1.5 s; CI's machine may be busy
    with LiveServer(Config(speed=0, mount="prefix")) as url, httpx.Client(base_url=url, timeout=10) as api:
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(f"{url}/_mockingjob/")

        # The APIs, with their Swagger UIs and specs; each API's runs on a timeline.
        for name in ("scale", "marquez", "coalesce", "trifacta"):
            expect(page.locator(f'#apis li[data-api="{name}"] a', has_text="Swagger UI")).to_have_attribute(
                "href", f"{url}/{name}/ui/")
            expect(page.locator(f'#apis li[data-api="{name}"] a', has_text="OpenAPI spec")).to_have_attribute(
                "href", f"{url}/{name}/openapi.json")
            expect(page.locator(f'#runs section[data-api="{name}"] .run').first).to_be_visible()

        # A job queued through the API appears; advancing the clock a minute completes it on the timeline.
        queued = api.post("/scale/v6/jobs/", json={"job_type_id": INGEST, "input": INPUTS[INGEST]}, headers=TOKEN)
        assert queued.status_code == 201, queued.text
        row = page.locator(f'.run[data-api="scale"][data-run-id="{queued.json()["id"]}"]')
        expect(row.locator(".run-state")).to_have_text("QUEUED")
        expect(page.locator("#clock-now")).to_have_attribute("data-now", re.compile(r"^\d{4}-"))
        before = page.locator("#clock-now").get_attribute("data-now")
        page.get_by_role("button", name="+1 min").click()
        expect(row.locator(".run-state")).to_have_text("COMPLETED")
        expect(row.locator(".seg")).to_have_count(3)
        after = page.locator("#clock-now").get_attribute("data-now")
        assert at(after) - at(before) >= timedelta(minutes=1)  # type: ignore[operator]
        assert at(api.get("/_mockingjob/clock").json()["now"]) == at(after)

        # The journal shows the request, its bodies (its secret redacted), and its filters work.
        entry = page.locator("#journal li", has_text="/scale/v6/jobs/").first
        expect(entry.locator(".entry-operation")).to_have_text("queue_job")
        entry.locator("summary").click()
        expect(entry.locator("dd pre").first).to_contain_text("[REDACTED]")
        expect(entry).to_contain_text('"job_type_id": 1')
        api.get("/scale/v6/jobs/999999/")  # a 404, to filter out
        expect(page.locator("#journal li", has_text="/scale/v6/jobs/999999/")).to_have_count(1)
        page.fill("#journal-operation", "queue_job")
        page.get_by_role("button", name="Filter").click()
        expect(page.locator("#journal li")).to_have_count(1)
        expect(page.locator("#journal-count")).to_have_text("1 matching request")
        page.fill("#journal-operation", "")
        page.fill("#journal-status", "4xx")
        page.get_by_role("button", name="Filter").click()
        expect(page.locator("#journal li")).to_have_count(1)
        expect(page.locator("#journal li .entry-status")).to_have_text("404")
        page.get_by_role("button", name="Show all").click()
        expect(page.locator("#journal li")).to_have_count(2)

        # Scenarios and faults are listed, as text (markup in them stays text), and cleared.
        markup = "<img src=x onerror=alert(1)>"
        added = api.post("/_mockingjob/scenarios", json={"api": "scale", "operation": "queue_job",
                                                          "match": {"job_type": markup}, "outcome": "FAILED"})
        assert added.status_code == 201, added.text
        for body in ({"api": "scale", "latency": {"fixed": 1}}, {"api": "coalesce", "error": {"status": 503}}):
            assert api.post("/_mockingjob/faults", json=body).status_code == 201
        expect(page.locator("#scenarios li")).to_have_count(1)
        expect(page.locator("#scenarios")).to_contain_text(markup)
        assert page.locator("#scenarios img").count() == 0
        expect(page.locator("#faults li")).to_have_count(2)
        page.get_by_role("button", name="Clear all faults").click()
        expect(page.locator("#faults")).to_have_text("No faults.")
        assert api.get("/_mockingjob/faults").json() == {"faults": []}
        page.get_by_role("button", name="Remove scenario").click()
        expect(page.locator("#scenarios")).to_have_text("No scenarios.")
        assert api.get("/_mockingjob/scenarios").json() == {"scenarios": []}

        # The clock's speed, set from the page.
        page.locator('button[data-speed="60"]').click()
        expect(page.locator("#clock-speed")).to_contain_text("speed 60")
        assert api.get("/_mockingjob/clock").json()["speed"] == 60
        page.fill("#speed-input", "0")
        page.get_by_role("button", name="Set speed").click()
        expect(page.locator("#clock-speed")).to_contain_text("manual")
        assert api.get("/_mockingjob/clock").json()["manual"] is True

        assert problems == [], problems
        page.close()


def test_instants_are_given_to_the_millisecond_as_the_page_reads_them(client):
    # What the page parses: every instant as ISO-8601 with milliseconds and a Z, which Date() reads.
    answer = client.get(f"{ADMIN}/runs").json()
    instants = [answer["now"], *(s["start"] for a in answer["apis"] for r in a["runs"] for s in r["segments"])]
    assert all(len(text) == 24 and text.endswith("Z") for text in instants), json.dumps(instants[:3])
