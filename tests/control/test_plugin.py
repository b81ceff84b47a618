"""The pytest plugin as a client developer uses it: the example suite in examples/ runs against a live server
the plugin starts, and a broken expectation fails as it should."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess  # runs pytest in child processes, each starting a server

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _project(pytester, source: str, apis: str = "scale") -> None:
    pytester.makeini(f"[pytest]\nmockingjob_apis = {apis}\n")
    pytester.makepyfile(test_client=source)


def test_the_example_client_suite_passes(pytester):
    _project(pytester, (EXAMPLES / "test_scale_client.py").read_text(encoding="utf-8"))
    result = pytester.runpytest_subprocess("-q", "-W", "error")
    result.assert_outcomes(passed=6)


def test_each_test_starts_from_the_fixtures_and_a_stopped_clock(pytester):
    _project(pytester, '''
import httpx

def test_one(mockingjob):
    mockingjob.scenarios.add("scale", respond=500)
    mockingjob.clock.advance("P1D")
    assert httpx.get(mockingjob.url("scale") + "/v6/jobs/").status_code == 500

def test_two(mockingjob):
    before = mockingjob.clock.now()
    assert mockingjob.scenarios.list() == [] and mockingjob.journal.count() == 0
    assert httpx.get(mockingjob.url("scale") + "/v6/jobs/").status_code == 200
    assert mockingjob.clock.now() == before
''')
    result = pytester.runpytest_subprocess("-q", "-p", "no:randomly")
    result.assert_outcomes(passed=2)


def test_a_client_bug_fails_the_test(pytester):
    _project(pytester, '''
import httpx

def test_sends_the_wrong_field(mockingjob):
    # A misspelt field: Scale ignores it, and then misses the one it needs.
    response = httpx.post(mockingjob.url("scale") + "/v6/jobs/", json={"job_type": 1},
                          headers={"Authorization": "Token t"})
    assert response.status_code == 201, response.text
''')
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(['*Missing required parameter: \\"job_type_id\\"*'])


def test_an_already_running_server_can_be_used(pytester, mockingjob_live_url):
    _project(pytester, '''
def test_uses_it(mockingjob):
    assert "scale" in mockingjob.apis
''')
    result = pytester.runpytest_subprocess("-q", f"--mockingjob-url={mockingjob_live_url}")
    result.assert_outcomes(passed=1)


def test_the_readme_example_passes(pytester):
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- plugin-example -->", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    _project(pytester, block)
    result = pytester.runpytest_subprocess("-q", "-W", "error")
    result.assert_outcomes(passed=3)


LENIENT_CLIENT = """
import httpx

def test_cancels_like_scales_web_ui(mockingjob):
    response = httpx.post(mockingjob.url("scale") + "/v6/jobs/cancel/", json={"job_ids": [20], "url": "x"},
                          headers={"Authorization": "Token t"})
    assert response.status_code == 202, response.text

def test_cancels_by_the_book(mockingjob):
    response = httpx.post(mockingjob.url("scale") + "/v6/jobs/cancel/", json={"job_ids": [20]},
                          headers={"Authorization": "Token t"})
    assert response.status_code == 202
    assert mockingjob.journal.lint() == []
"""


def test_lint_findings_are_reported_and_can_fail_the_test_that_caused_them(pytester):
    _project(pytester, LENIENT_CLIENT)
    pytester.runpytest_subprocess("-q").assert_outcomes(passed=2)
    failing = pytester.runpytest_subprocess("-q", "--mockingjob-lint=fail")
    failing.assert_outcomes(passed=2, errors=1)
    failing.stdout.fnmatch_lines(["*requests the real service would only have tolerated*",
                                  "*POST /scale/v6/jobs/cancel/: unknown-field body.url: Scale ignores it*"])


def test_chosen_rules_can_be_let_pass(pytester):
    # Marquez's run writes are deprecated in favour of OpenLineage events: a team may accept that and still
    # fail on everything else.
    _project(pytester, LENIENT_CLIENT + """
def test_creates_a_run_the_deprecated_way(mockingjob):
    response = httpx.post(mockingjob.url("marquez") + "/api/v1/namespaces/food_delivery/jobs/etl_orders/runs",
                          json={})
    assert response.status_code == 201
""", apis="scale marquez")
    failing = pytester.runpytest_subprocess("-q", "--mockingjob-lint=fail")
    failing.assert_outcomes(passed=3, errors=2)
    letting = pytester.runpytest_subprocess("-q", "--mockingjob-lint=fail", "--mockingjob-lint-ignore=deprecated")
    letting.assert_outcomes(passed=3, errors=1)
    letting.stdout.fnmatch_lines(["*unknown-field body.url*"])


def test_the_plugin_can_start_a_strict_server(pytester):
    _project(pytester, LENIENT_CLIENT)
    result = pytester.runpytest_subprocess("-q", "--mockingjob-strict")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*Unknown parameter(s)*url*"])
