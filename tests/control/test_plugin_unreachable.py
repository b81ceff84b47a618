"""The pytest plugin pointed at a server that is not there says so in one line, rather than with a connection
traceback in every test."""

from __future__ import annotations

import pytest

from tests.support.processes import free_port

pytestmark = pytest.mark.subprocess  # runs pytest in child processes

TESTS = """
def test_one(mockingjob):
    pass

def test_two(mockingjob):
    pass
"""


def test_an_unreachable_url_stops_the_session_before_any_test_with_one_line(pytester):
    pytester.makepyfile(test_client=TESTS)
    url = f"http://127.0.0.1:{free_port()}/"
    result = pytester.runpytest_subprocess("-q", f"--mockingjob-url={url}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.errlines if line] == [
        f"ERROR: mockingjob: cannot reach {url} (connection refused); is the server running?"]
    assert "Traceback" not in result.stdout.str() and "test_one" not in result.stdout.str()


def test_a_host_that_does_not_resolve_is_named_as_such(pytester):
    pytester.makepyfile(test_client=TESTS)
    result = pytester.runpytest_subprocess("-q", "--mockingjob-url=http://no-such-host.invalid:8080")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: mockingjob: cannot reach http://no-such-host.invalid:8080 (*); "
                                 "is the server running?"])


def test_a_url_without_its_scheme_is_named_as_such(pytester):
    pytester.makepyfile(test_client=TESTS)
    result = pytester.runpytest_subprocess("-q", "--mockingjob-url=127.0.0.1:8080")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.errlines if line] == [
        "ERROR: mockingjob: --mockingjob-url 127.0.0.1:8080: give the server's base URL, such as "
        "http://127.0.0.1:8080"]


def test_an_apis_path_is_not_the_servers_url(pytester, mockingjob_live_url):
    pytester.makepyfile(test_client=TESTS)
    result = pytester.runpytest_subprocess("-q", f"--mockingjob-url={mockingjob_live_url}/scale")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: mockingjob: */scale answers, but not as a mockingjob (*); is it the "
                                 "server's base URL, without an API's path?"])


def test_collecting_only_does_not_ask_the_server(pytester):
    pytester.makepyfile(test_client=TESTS)
    result = pytester.runpytest_subprocess("-q", "--collect-only", f"--mockingjob-url=http://127.0.0.1:{free_port()}")
    assert result.ret == pytest.ExitCode.OK


def test_a_server_gone_during_the_session_fails_each_test_with_the_same_short_line(pytester):
    port = free_port()
    # As if the session's server had stopped answering after it started.
    pytester.makeconftest(f"""
import pytest

@pytest.fixture(scope="session")
def mockingjob_server():
    yield "http://127.0.0.1:{port}"
""")
    pytester.makepyfile(test_client=TESTS)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(errors=2)
    output = result.stdout.str()
    line = f"mockingjob: cannot reach http://127.0.0.1:{port} (connection refused); is the server running?"
    assert output.count(line) >= 2
    assert "Traceback" not in output and "urllib" not in output and "ConnectionRefusedError" not in output
