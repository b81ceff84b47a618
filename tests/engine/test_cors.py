"""CORS for the mocked APIs (``serve --cors``): a web page on another origin can call them, as through an API
gateway that allows it; other origins, and the admin API without a token, get nothing of it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from starlette.responses import PlainTextResponse
from starlette.testclient import TestClient

from mockingjob.cli import main, read_settings
from mockingjob.core.config import Config
from mockingjob.http.app import MockApp
from mockingjob.http.cors import Cors
from mockingjob.live import LiveServer

PAGE = "http://localhost:3000"
TOKEN = {"Authorization": "Token t"}
JOB = {"job_type_id": 1, "input": {"files": {"INPUT_FILE": [61]}}}
# What a browser sends before `fetch(url, {method: "POST", headers: {Authorization, "Content-Type": ...}})`.
PREFLIGHT = {"Origin": PAGE, "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization,content-type"}


def _cors_headers(response: httpx.Response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name.startswith("access-control-")}


def _exposed(response: httpx.Response) -> set[str]:
    return {name.strip() for name in response.headers.get("access-control-expose-headers", "").split(",")}


@pytest.fixture(scope="module")
def served() -> Iterator[MockApp]:
    mock = MockApp(Config(apis=["scale", "marquez"], speed=0, cors=[PAGE, "https://app.example.com"]))
    yield mock
    mock.close()


@pytest.fixture
def client(served: MockApp) -> Iterator[TestClient]:
    served.reset(control=True)
    with served.asgi.test_client() as test_client:
        yield test_client


def _journaled(client: TestClient) -> int:
    return int(client.get("/_mockingjob/journal/count").json()["count"])


def test_a_preflight_for_a_post_with_a_token_and_json_is_answered_204_as_a_gateway_would(client: TestClient) -> None:
    response = client.options("/scale/v6/jobs/", headers=PREFLIGHT)
    assert response.status_code == 204 and response.content == b""
    assert _cors_headers(response) == {
        "access-control-allow-origin": PAGE,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT",
        "access-control-allow-headers": "authorization,content-type",  # what was asked, echoed
        "access-control-max-age": "600",
    }
    assert response.headers["vary"] == "Origin"


def test_a_preflight_is_neither_journaled_nor_faulted_nor_a_405(client: TestClient) -> None:
    client.post("/_mockingjob/faults", json={"error": {"status": 503, "rate": 1}, "latency": {"fixed": 1500}})
    started = time.perf_counter()
    for path in ("/scale/v6/jobs/", "/scale/v6/jobs/3/", "/marquez/api/v1/namespaces", "/scale/v6/nowhere/"):
        assert client.options(path, headers={**PREFLIGHT, "Access-Control-Request-Method": "DELETE"}).status_code == 204
    assert time.perf_counter() - started < 1.5
    assert _journaled(client) == 0
    # The API request that follows is faulted (and journaled) as ever, and the page may read the fault's answer.
    faulted = client.get("/scale/v6/jobs/", headers={"Origin": PAGE})
    assert faulted.status_code == 503 and faulted.headers["access-control-allow-origin"] == PAGE
    assert _journaled(client) == 1


def test_answers_to_an_allowed_origin_carry_its_name_and_expose_their_headers(client: TestClient) -> None:
    created = client.post("/scale/v6/jobs/", json=JOB, headers={**TOKEN, "Origin": PAGE})
    assert created.status_code == 201
    assert created.headers["access-control-allow-origin"] == PAGE
    assert created.headers["access-control-allow-credentials"] == "true"
    assert created.headers["vary"] == "Origin"
    assert "location" in _exposed(created)
    # Origins are matched as browsers send them: scheme, host and port.
    other = client.get("/scale/v6/jobs/", headers={"Origin": "https://app.example.com"})
    assert other.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "access-control-allow-origin" not in client.get("/scale/v6/jobs/",
                                                           headers={"Origin": "http://localhost:3001"}).headers


def test_errors_in_each_apis_own_shape_and_lint_findings_reach_the_page(client: TestClient) -> None:
    unauthenticated = client.post("/scale/v6/jobs/", json=JOB, headers={"Origin": PAGE})
    assert unauthenticated.status_code in (401, 403) and unauthenticated.json()
    assert unauthenticated.headers["access-control-allow-origin"] == PAGE
    missing = client.get("/marquez/api/v1/namespaces/nowhere", headers={"Origin": PAGE})
    assert missing.json() == {"code": 404, "message": "Namespace 'nowhere' not found."}
    assert missing.headers["access-control-allow-origin"] == PAGE
    lenient = client.post("/scale/v6/jobs/cancel/", json={"job_ids": [20], "url": "x"},
                          headers={**TOKEN, "Origin": PAGE})
    assert lenient.status_code == 202 and "mockingjob-lint" in _exposed(lenient)
    client.post("/_mockingjob/faults", json={"api": "scale", "error": {"status": 429, "rate": 1,
                                                                       "headers": {"Retry-After": "3"}}})
    limited = client.get("/scale/v6/jobs/", headers={"Origin": PAGE})
    assert limited.status_code == 429 and limited.headers["access-control-allow-origin"] == PAGE
    assert "retry-after" in _exposed(limited)


def test_an_origin_not_allowed_gets_no_cors_headers_and_its_preflight_is_refused(client: TestClient) -> None:
    answer = client.get("/scale/v6/jobs/", headers={"Origin": "https://evil.example"})
    assert answer.status_code == 200 and _cors_headers(answer) == {}
    preflight = client.options("/scale/v6/jobs/", headers={**PREFLIGHT, "Origin": "https://evil.example"})
    assert preflight.status_code == 403 and _cors_headers(preflight) == {}
    assert _journaled(client) == 1  # the GET only


def test_requests_without_an_origin_are_left_as_they_were(client: TestClient) -> None:
    answer = client.get("/scale/v6/jobs/")
    assert _cors_headers(answer) == {} and "vary" not in answer.headers


def test_the_admin_api_takes_no_part_unless_it_asks_for_a_token(client: TestClient) -> None:
    answer = client.get("/_mockingjob/apis", headers={"Origin": PAGE})
    assert _cors_headers(answer) == {}
    preflight = client.options("/_mockingjob/reset", headers=PREFLIGHT)
    assert preflight.status_code >= 400 and _cors_headers(preflight) == {}
    mock = MockApp(Config(apis=["scale"], speed=0, cors=[PAGE], admin_token="admin-secret"))
    try:
        with mock.asgi.test_client() as with_token:
            assert with_token.options("/_mockingjob/reset", headers=PREFLIGHT).status_code == 204
            # A page of an origin the server trusts may steer it, with the token (and only with it).
            reset = with_token.post("/_mockingjob/reset", json={},
                                    headers={"Origin": PAGE, "Authorization": "Bearer admin-secret"})
            assert reset.status_code == 200 and reset.headers["access-control-allow-origin"] == PAGE
            tokenless = with_token.post("/_mockingjob/reset", json={}, headers={"Origin": PAGE})
            assert tokenless.status_code == 401
            elsewhere = with_token.post("/_mockingjob/reset", json={}, headers={
                "Origin": "http://evil.example", "Authorization": "Bearer admin-secret"})
            assert elsewhere.status_code == 403 and _cors_headers(elsewhere) == {}
    finally:
        mock.close()


def test_any_origin_is_answered_with_a_star_unless_the_request_carries_cookies() -> None:
    mock = MockApp(Config(apis=["scale"], speed=0, cors=["*"]))
    try:
        with mock.asgi.test_client() as client:
            preflight = client.options("/v6/jobs/", headers={**PREFLIGHT, "Origin": "https://anywhere.example"})
            assert preflight.status_code == 204
            assert preflight.headers["access-control-allow-origin"] == "*"
            assert "access-control-allow-credentials" not in preflight.headers
            plain = client.get("/v6/jobs/", headers={"Origin": "https://anywhere.example"})
            assert plain.headers["access-control-allow-origin"] == "*"
            # A browser refuses "*" for a request with credentials: the origin is named instead.
            client.cookies.set("session", "s")
            with_cookie = client.get("/v6/jobs/", headers={"Origin": "https://anywhere.example"})
            assert with_cookie.headers["access-control-allow-origin"] == "https://anywhere.example"
            assert with_cookie.headers["access-control-allow-credentials"] == "true"
            assert with_cookie.headers["vary"] == "Origin"
    finally:
        mock.close()


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> list[Config]:
    calls: list[Config] = []
    monkeypatch.setattr("mockingjob.cli.run", lambda config, watch=None: calls.append(config))
    return calls


def test_origins_come_from_the_command_line_the_environment_or_the_settings_file(
        configured: list[Config], tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--cors", "http://localhost:3000/", "--cors", "HTTPS://App.Example"])
    assert result.exit_code == 0, result.output
    assert configured[-1].cors == ["http://localhost:3000", "https://app.example"]
    result = CliRunner().invoke(main, ["serve"], env={"MOCKINGJOB_CORS": "* http://localhost:5173"})
    assert result.exit_code == 0, result.output
    assert configured[-1].cors == ["*", "http://localhost:5173"]
    assert CliRunner().invoke(main, ["serve"]).exit_code == 0 and configured[-1].cors == []
    settings = tmp_path / "mockingjob.toml"
    settings.write_text('cors = ["http://localhost:3000"]\n')
    assert read_settings(settings)["cors"] == ["http://localhost:3000"]


@pytest.mark.parametrize("origin", ["localhost:3000", "http://localhost:3000/app", "ftp://x", "http://"])
def test_what_is_not_an_origin_is_refused_in_one_line(configured: list[Config], origin: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--cors", origin])
    assert result.exit_code == 2 and "is not an origin such as http://localhost:3000" in result.output
    assert configured == []


@pytest.fixture(scope="module")
def live() -> Iterator[str]:
    with LiveServer(Config(apis=["scale"], speed=0, cors=[PAGE])) as url:
        yield url


def _fault(base: str, **doc: Any) -> None:
    httpx.post(f"{base}/_mockingjob/faults", json={"api": "scale", "times": 1, **doc}).raise_for_status()


@pytest.mark.subprocess
def test_over_tcp_a_page_preflights_then_posts_and_reads_the_answer(live: str) -> None:
    with httpx.Client(base_url=live) as http:
        preflight = http.options("/v6/jobs/", headers=PREFLIGHT)
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-headers"] == "authorization,content-type"
        created = http.post("/v6/jobs/", json=JOB, headers={**TOKEN, "Origin": PAGE})
        assert created.status_code == 201 and created.headers["access-control-allow-origin"] == PAGE
        assert "location" in _exposed(created)


@pytest.mark.subprocess
def test_over_tcp_a_dropped_connection_fault_still_drops_it(live: str) -> None:
    _fault(live, operation="get_job", drop={"rate": 1, "after": False})
    with httpx.Client(base_url=live) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/v6/jobs/1/", headers={"Origin": PAGE})
        assert http.get("/v6/jobs/1/", headers={"Origin": PAGE}).headers["access-control-allow-origin"] == PAGE


def test_an_answers_own_vary_header_gains_origin() -> None:
    inner = PlainTextResponse("ok", headers={"Vary": "Accept-Encoding", "Link": "</next>; rel=next"})
    answer = TestClient(Cors(inner, [PAGE])).get("/", headers={"Origin": PAGE})
    assert answer.headers["vary"] == "Accept-Encoding, Origin"
    assert _exposed(answer) == {"link"}


CHROMIUM = "/usr/bin/chromium"

FETCHES = """async (api) => {
    const headers = {'Authorization': 'Token t', 'Content-Type': 'application/json'};
    const created = await fetch(api + '/v6/jobs/', {method: 'POST', headers,
                                body: JSON.stringify({job_type_id: 1, input: {files: {INPUT_FILE: [61]}}})});
    const missing = await fetch(api + '/v6/jobs/99999/', {headers});
    const lenient = await fetch(api + '/v6/jobs/cancel/', {method: 'POST', headers,
                                body: JSON.stringify({job_ids: [20], url: 'x'})});
    return {created: created.status, location: created.headers.get('Location'), missing: missing.status,
            detail: (await missing.json()).detail, lint: lenient.headers.get('Mockingjob-Lint') !== null};
}"""


@pytest.mark.subprocess
def test_a_page_in_chromium_calls_the_api_and_reads_its_answers(tmp_path: Path) -> None:
    """A page on another origin, in a real browser: preflighted POSTs with a token and JSON, an error's body, the
    headers a client reads; a page on an origin not allowed is refused by the browser."""
    import functools
    import shutil
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"there is no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    (tmp_path / "index.html").write_text("<!doctype html><title>a client</title>")
    pages = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(SimpleHTTPRequestHandler, directory=tmp_path))
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    port = pages.server_address[1]
    try:
        with LiveServer(Config(apis=["scale"], speed=0, cors=[f"http://localhost:{port}"])) as api, \
                sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            try:
                page = browser.new_page()
                page.goto(f"http://localhost:{port}/index.html")
                assert page.evaluate(FETCHES, api) == {"created": 201, "location": f"{api}/v6/jobs/53/",
                                                       "missing": 404, "detail": "Not found.", "lint": True}
                stranger = browser.new_page()
                stranger.goto(f"http://127.0.0.1:{port}/index.html")  # another origin: not allowed
                with pytest.raises(sync_api.Error, match="Failed to fetch"):
                    stranger.evaluate(FETCHES, api)
            finally:
                browser.close()
            # The first page's three requests: no preflight, and nothing of the stranger's, refused at its preflight.
            assert httpx.get(f"{api}/_mockingjob/journal/count").json()["count"] == 3
    finally:
        pages.shutdown()
        pages.server_close()
