"""The pytest plugin starts its server from the project's settings file, and tells what is wrong with the
project once, in its own lines, rather than in a traceback per test."""

from __future__ import annotations

import pytest

TESTS = '''
import httpx

def test_one(mockingjob):
    for _ in range(50):
        assert httpx.get(mockingjob.url("scale") + "/v6/jobs/").status_code == 200

def test_two(mockingjob):
    assert sorted(mockingjob.apis) == ["marquez", "scale"]
'''


def test_the_settings_file_names_the_apis_but_random_faults_stay_out(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", mockingjob='apis = ["scale", "marquez"]\nerror-rate = 1\nlatency = "5000"\n'
                      'port = 1\nspeed = 60\n')
    pytester.makepyfile(test_project=TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:randomly")
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize(("files", "expected"), [
    ({"mockingjob.toml": "portt = 1\n"},
     "*mockingjob: */mockingjob.toml: portt: not a setting (did you mean 'port'?)*"),
    ({"mockingjob.toml": 'fixtures = ["fx"]\n', "fx/scale/nodes.yaml": "- {id: 70}\n"},
     "*fx/scale/nodes.yaml: record 1 (id 70): hostname: missing (required)*"),
])
def test_a_broken_project_stops_the_session_in_a_few_lines(pytester: pytest.Pytester, files: dict[str, str],
                                                             expected: str) -> None:
    for name, text in files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    pytester.makepyfile(test_project=TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:randomly")
    assert result.ret == 4
    result.stdout.fnmatch_lines([expected])
    output = result.stdout.str()
    assert "Traceback" not in output and len(output.splitlines()) < 12, output
