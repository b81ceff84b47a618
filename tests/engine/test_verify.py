"""``mockingjob verify``: our own servers agree with our specs; a drifted Scale is caught, each drift once in every
report, with nothing but GETs sent and the token in no report; a URL nobody answers is one line and status 2."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from mockingjob.core.config import Config
from mockingjob.live import LiveServer
from mockingjob.verify.credentials import credential_headers
from mockingjob.verify.drifts import Drift, Report
from mockingjob.verify.error_shapes import ErrorShapes
from tests.support.drifted_server import ALSO, DRIFTS, DriftedScale
from tests.support.processes import free_port

TOKEN = "verify-s3cret-token-81f2"


@dataclass
class Run:
    status: int
    out: str
    err: str


SEED = "20261206"


def _verify(*args: str, token: str | None = TOKEN) -> Run:
    env = {key: value for key, value in os.environ.items() if key != "MOCKINGJOB_VERIFY_TOKEN"}
    if token is not None:
        env["MOCKINGJOB_VERIFY_TOKEN"] = token
    # One seed: the same requests every run, so that what a test expects of them does not depend on chance.
    seeded = args if "--seed" in args else (*args, "--seed", SEED)
    done = subprocess.run([sys.executable, "-m", "mockingjob", "verify", *seeded], env=env, capture_output=True,
                          text=True, timeout=300)
    return Run(done.returncode, done.stdout, done.stderr)


def _console_drifts(out: str) -> dict[str, list[str]]:
    """The drift lines of the console summary, under the operation they follow."""
    drifts: dict[str, list[str]] = {}
    operation = ""
    for line in out.splitlines():
        words = line.split()
        if line.startswith("  ") and not line.startswith("   ") and len(words) >= 3:
            operation = f"{words[1]} {words[2]}"
        elif line.strip().startswith("- "):
            drifts.setdefault(operation, []).append(line.strip()[2:])
    return drifts


# --- against our own servers -----------------------------------------------------------------------------------

@pytest.mark.subprocess
@pytest.mark.parametrize("api", ["scale", "marquez", "coalesce", "trifacta"])
def test_our_own_server_shows_no_drift_from_our_spec(api: str) -> None:
    with LiveServer(Config(apis=[api], speed=0, access_log=False)) as url:
        run = _verify(api, "--base-url", url, "--max-examples", "3")
    assert run.status == 0, run.out + run.err
    assert "No drift" in run.out
    lines = [line.split() for line in run.out.splitlines() if line.startswith("  ") and " GET " in line]
    assert lines and all(words[0] == "ok" for words in lines), run.out


@pytest.mark.subprocess
def test_allow_writes_runs_the_writes_too() -> None:
    with LiveServer(Config(apis=["scale"], speed=0, access_log=False)) as url:
        run = _verify("scale", "--base-url", url, "--max-examples", "3", "--allow-writes")
    assert run.status == 0, run.out + run.err
    post = next(line for line in run.out.splitlines() if "POST /v6/jobs/ " in line)
    assert post.split()[0] == "ok" and "request" in post


# --- against a drifted Scale -------------------------------------------------------------------------------------

@dataclass
class DriftedRun:
    run: Run
    junit: str
    html: str
    methods: set[str]


@pytest.fixture(scope="module")
def drifted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DriftedRun]:
    folder = tmp_path_factory.mktemp("verify")
    server = DriftedScale()
    with server as url:
        run = _verify("scale", "--base-url", url, "--max-examples", "4", "--junit-xml", str(folder / "junit.xml"),
                      "--html", str(folder / "report.html"))
    yield DriftedRun(run, (folder / "junit.xml").read_text(), (folder / "report.html").read_text(),
                     {method for method, _ in server.requests})


def _expected() -> dict[str, list[tuple[str, str]]]:
    expected = {operation: [drift] for operation, drift in DRIFTS.items()}
    for operation, drift in ALSO.items():
        expected[operation].append(drift)
    return expected


@pytest.mark.subprocess
def test_drift_exits_1(drifted: DriftedRun) -> None:
    assert drifted.run.status == 1, drifted.run.out + drifted.run.err


@pytest.mark.subprocess
def test_each_drift_is_told_once_on_the_console(drifted: DriftedRun) -> None:
    found = _console_drifts(drifted.run.out)
    assert sorted(found) == sorted(DRIFTS), drifted.run.out
    for operation, expected in _expected().items():
        assert len(found[operation]) == len(expected), found[operation]
        for kind, said in expected:
            assert sum(line.startswith(kind) and said in line for line in found[operation]) == 1, found[operation]


@pytest.mark.subprocess
def test_each_drift_is_one_junit_failure_of_its_operation(drifted: DriftedRun) -> None:
    cases = {case.get("name"): case for case in ET.fromstring(drifted.junit).iter("testcase")}
    failing = {name: case.findall("failure") for name, case in cases.items() if case.findall("failure")}
    assert sorted(failing) == sorted(DRIFTS)
    for operation, expected in _expected().items():
        failures = failing[operation]
        assert len(failures) == len(expected)
        for kind, said in expected:
            assert sum(f.get("type") == kind and said in (f.get("message") or "") for f in failures) == 1
    assert cases["POST /v6/jobs/"].find("skipped") is not None


@pytest.mark.subprocess
def test_the_html_report_shows_each_drift_once_with_its_request_and_answer(drifted: DriftedRun) -> None:
    html = drifted.html
    assert html.count('<section class="drift">') == sum(len(drifts) for drifts in _expected().values())
    for kind, said in [drift for drifts in _expected().values() for drift in drifts]:
        headings = [line for line in html.splitlines() if line.startswith(f"<h3>{kind}: ") and said in line]
        assert len(headings) == 1, (kind, said)
    assert "&lt;html&gt;&lt;body&gt;Service Unavailable" in html  # the answer that shows the 503's drift
    assert "<code>GET http://127.0.0.1:" in html and "/v6/version/</code>" in html  # its request
    # Self-contained: nothing fetched, nothing run.
    assert "<script" not in html and "<link" not in html and "src=" not in html


@pytest.mark.subprocess
def test_no_report_shows_the_token(drifted: DriftedRun) -> None:
    for text in (drifted.run.out, drifted.run.err, drifted.junit, drifted.html):
        assert TOKEN not in text
    assert "no such node for [REDACTED]" in drifted.html  # where the service echoed it


@pytest.mark.subprocess
def test_read_only_sends_nothing_but_reads(drifted: DriftedRun) -> None:
    assert drifted.methods and drifted.methods <= {"GET", "HEAD"}


# --- usage and reach ---------------------------------------------------------------------------------------------

@pytest.mark.subprocess
def test_a_url_nobody_answers_is_one_line_and_status_2() -> None:
    run = _verify("scale", "--base-url", f"http://127.0.0.1:{free_port()}")
    assert run.status == 2
    assert run.out == ""
    assert len(run.err.strip().splitlines()) == 1 and run.err.startswith("Error: cannot reach http://127.0.0.1:")
    assert "Traceback" not in run.err


@pytest.mark.subprocess
def test_loading_the_command_line_does_not_load_schemathesis() -> None:
    code = "import sys, mockingjob.cli; print(sorted(m for m in sys.modules if m.startswith('schemathesis')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]"


# --- the rules, without a server ---------------------------------------------------------------------------------

def _spec(schemes: dict[str, Any], responses: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"openapi": "3.0.3", "paths": {"/things/": {"get": {
        "security": [{name: []} for name in schemes],
        "responses": responses or {"200": {"description": "ok"}}}}},
            "components": {"securitySchemes": schemes, "schemas": {
                "Problem": {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}}}}


@pytest.mark.parametrize(("scheme", "header"), [
    ({"type": "http", "scheme": "bearer"}, ("Authorization", "Bearer tok")),
    ({"type": "apiKey", "in": "header", "name": "Authorization",
      "description": "Token authentication: `Authorization: Token <key>`."}, ("Authorization", "Token tok")),
    ({"type": "apiKey", "in": "header", "name": "X-Api-Key"}, ("X-Api-Key", "tok")),
])
def test_the_token_is_sent_as_the_specs_security_scheme_says(scheme: dict[str, Any], header: tuple[str, str]) -> None:
    assert credential_headers(_spec({"auth": scheme}), "tok") == dict([header])


def test_error_answers_are_held_to_the_apis_error_shapes_where_no_schema_holds_them() -> None:
    problem = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    shapes = ErrorShapes(_spec({}, {"200": {"description": "ok"}, "404": {"description": "gone", **problem},
                                    "409": {"description": "no schema"},
                                    "default": {"description": "any", "content": {"application/json": {
                                        "schema": {"type": "object"}}}}}))
    assert not shapes.needs_checking("GET", "/things/", 404)  # its documented schema judges it
    assert shapes.needs_checking("GET", "/things/", 409)  # documented without a schema
    assert shapes.needs_checking("GET", "/things/", 503)  # only the default covers it
    assert shapes.mismatch(b'{"message": "gone"}') is None
    assert shapes.mismatch(b'{"error": "gone"}') is not None
    assert shapes.mismatch(b"<html>gone</html>") == "the body is not JSON"


def test_a_drift_seen_twice_is_kept_once() -> None:
    report = Report(api="scale", base_url="http://example")
    drift = Drift("GET /v6/version/", "Response violates schema", "/version: wrong type", "7 is not a string", None)
    assert report.add_drift(drift)
    assert not report.add_drift(replace(drift, detail="8 is not a string"))  # another answer, the same drift
    assert report.add_drift(replace(drift, statement="/build: wrong type"))
    assert [kept.statement for kept in report.drifts] == ["/version: wrong type", "/build: wrong type"]


def test_verify_is_registered_on_the_command_line() -> None:
    from click.testing import CliRunner

    from mockingjob.cli import main

    result = CliRunner().invoke(main, ["verify", "--help"])
    assert result.exit_code == 0 and "--allow-writes" in result.output and "--junit-xml" in result.output


@pytest.mark.subprocess
def test_a_seed_told_sends_the_same_requests_again() -> None:
    with LiveServer(Config(apis=["coalesce"], speed=0, access_log=False)) as url:
        first = _verify("coalesce", "--base-url", url, "--max-examples", "3", "--seed", "7")
        again = _verify("coalesce", "--base-url", url, "--max-examples", "3", "--seed", "7")
        refused = _verify("coalesce", "--base-url", url, "--seed", "")
    assert "Seed 7: --seed 7 sends the same requests again." in first.out
    per_operation = [line for line in first.out.splitlines() if line.startswith("  ")]
    assert per_operation == [line for line in again.out.splitlines() if line.startswith("  ")]
    assert refused.status == 2
