"""Seeding from a test: ``POST /_mockingjob/records``, the typed client's ``add_records`` and the pytest
plugin's ``mockingjob_seed``.

What every API shares is here (the answer, the problems, nothing half-added, resets); what an added record does
in each API is in that API's ``test_add_records.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mockingjob.client import AdminError, Mockingjob
from tests.scale.helpers import INGEST, queue

ADMIN = "/_mockingjob"

JOB = {"id": 900, "job_type": 1, "event": 1,
       "attempts": [{"queued": "-PT10M", "wait": "PT1M", "run": "PT2M", "outcome": "FAILED",
                     "error": "algorithm-error"}]}


def _add(client, records, api="scale"):
    return client.post(f"{ADMIN}/records", json={"api": api, "records": records})


def test_added_records_are_served_and_answered_with_their_ids(client):
    response = _add(client, {"jobs": [JOB, {**JOB, "id": 901, "attempts": [{"queued": "-PT1M"}]}]})
    assert response.status_code == 201, response.text
    assert response.json() == {"api": "scale", "added": {"jobs": [900, 901]}}
    failed = client.get("/v6/jobs/900/").json()
    assert (failed["status"], failed["error"]["name"]) == ("FAILED", "algorithm-error")
    assert client.get("/v6/jobs/901/").json()["status"] == "QUEUED"
    assert {j["id"] for j in client.get("/v6/jobs/", params={"page_size": 1000}).json()["results"]} >= {900, 901}


def test_every_problem_is_a_line_and_nothing_is_added(client):
    before = client.get("/v6/jobs/").json()["count"]
    response = _add(client, {
        "jobs": [{**JOB, "id": 902}, {"id": 903, "job_type": 1, "event": 1, "attempts": [{"queud": "-PT1M"}]}],
        "nodes": [{"id": 50}],
    })
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"] == [
        "jobs: record 2 (id 903): attempts[0].queued: missing (required)",
        "jobs: record 2 (id 903): attempts[0].queud: unknown field (did you mean 'queued'?)",
        "nodes: record 1 (id 50): hostname: missing (required)",
    ]
    assert problem["detail"] == "; ".join(problem["errors"])
    assert client.get("/v6/jobs/").json()["count"] == before
    assert client.get("/v6/jobs/902/").status_code == 404


@pytest.mark.parametrize(("records", "status", "expected"), [
    ({"jbos": [JOB]}, 400, "jbos: not a fixture kind of scale (did you mean 'jobs'?)"),
    ({"jobs": [{**JOB, "id": 2**64}]}, 400, "id: 18446744073709551616 is greater than the maximum of 2147483647"),
    ({"jobs": [{**JOB, "job_type": 2**63}]}, 400, "job_type: 9223372036854775808 is greater than the maximum"),
    ({"jobs": [{**JOB, "id": 1}]}, 409, "jobs: record 1 (id 1): id: 1 is already taken"),
    ({"jobs": [{**JOB, "job_type": 7777}]}, 400, "job_type"),
])
def test_a_refusal_names_the_kind_the_record_and_the_field(client, records, status, expected):
    response = _add(client, records)
    assert response.status_code == status, response.text
    assert expected in response.json()["detail"]


@pytest.mark.parametrize("body", [
    {"api": "scale"},
    {"api": "scale", "records": {}},
    {"api": "scale", "records": {"jobs": "all of them"}},
    {"api": "scale", "records": {"jobs": [1, 2]}},
    {"api": "scale", "records": {"jobs": [JOB]}, "extra": True},
    {"records": {"jobs": [JOB]}},
])
def test_a_malformed_request_is_a_400(client, body):
    response = client.post(f"{ADMIN}/records", json=body)
    assert response.status_code == 400 and response.json()["title"] == "Bad Request"


def test_an_api_not_served_is_refused_by_name(client):
    response = _add(client, {"runs": []}, api="coalesce")
    assert response.status_code == 400  # the served admin spec lists the APIs served
    assert "'coalesce' is not one of ['scale']" in response.json()["detail"]


def test_a_reset_takes_added_records_away_and_ids_continue_past_them(client):
    assert _add(client, {"jobs": [{**JOB, "id": 5000}]}).status_code == 201
    assert queue(client, INGEST)["id"] == 5001  # never one of the ids a test seeded
    assert client.post(f"{ADMIN}/reset", json={"api": "scale"}).status_code == 200
    assert client.get("/v6/jobs/5000/").status_code == 404


def test_seeding_is_not_journaled_as_an_api_request(client):
    _add(client, {"jobs": [JOB]})
    assert client.get(f"{ADMIN}/journal/count").json()["count"] == 0


def test_the_typed_client_adds_records_and_lists_every_problem(mockingjob_live_url):
    mj = Mockingjob(mockingjob_live_url)
    mj.reset()
    assert mj.add_records("scale", jobs=[JOB]) == {"jobs": [900]}
    assert mj.add_records("scale", {"jobs": [{**JOB, "id": 901}]}) == {"jobs": [901]}
    with pytest.raises(AdminError) as refused:
        mj.add_records("scale", jobs=[{**JOB, "id": 902, "attempts": []}, {**JOB, "id": 903, "event": "one"}])
    assert refused.value.status == 400
    assert refused.value.errors == ["jobs: record 1 (id 902): attempts: [] should be non-empty",
                                    "jobs: record 2 (id 903): event: 'one' is not of type 'integer'"]
    assert str(refused.value) == "400:\n  " + "\n  ".join(refused.value.errors)
    with pytest.raises(AdminError) as taken:
        mj.add_records("scale", jobs=[JOB])
    assert taken.value.status == 409
    assert taken.value.errors == ["jobs: record 1 (id 900): id: 900 is already taken"]
    with pytest.raises(TypeError, match=r"jobs: expected a list of records, not dict \(one record goes in a list"):
        mj.add_records("scale", jobs=JOB)
    mj.reset()


SEEDING_TESTS = '''
import httpx

JOB = {"id": 900, "job_type": 1, "event": 1, "attempts": [{"queued": "-PT10M"}]}

def test_seeds_a_job(mockingjob, mockingjob_seed):
    assert mockingjob_seed("scale", jobs=[JOB]) == {"jobs": [900]}
    assert httpx.get(mockingjob.url("scale") + "/v6/jobs/900/").json()["status"] == "QUEUED"

def test_the_next_test_starts_without_it(mockingjob):
    assert httpx.get(mockingjob.url("scale") + "/v6/jobs/900/").status_code == 404

def test_loads_a_folder_a_sub_folder_and_a_file(mockingjob, mockingjob_seed):
    assert mockingjob_seed.load("data") == {"scale": {"jobs": [910, 911]}}
    assert mockingjob_seed.load("more/scale") == {"scale": {"errors": [90], "jobs": [920]}}
    assert mockingjob_seed.load("one/scale/errors.yaml") == {"scale": {"errors": [91]}}

def test_a_refusal_fails_the_test_with_every_line(mockingjob_seed):
    mockingjob_seed("scale", jobs=[{"id": 930, "job_type": 1, "event": 1, "attempts": [{"queud": "-PT1M"}]}])

def test_a_missing_folder_is_one_line(mockingjob_seed):
    mockingjob_seed.load("nowhere")

def test_a_broken_file_is_one_line_naming_it(mockingjob_seed):
    mockingjob_seed.load("broken")
'''


def test_the_plugin_seeds_from_a_test_and_resets_after_it(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmockingjob_apis = scale\n")
    pytester.makepyfile(test_seeding=SEEDING_TESTS)
    (pytester.path / "data" / "scale").mkdir(parents=True)
    (pytester.path / "data" / "scale" / "jobs.yaml").write_text(
        "- {id: 910, job_type: 1, event: 1, attempts: [{queued: -PT5M}]}\n"
        "- {id: 911, job_type: 1, event: 1, attempts: [{queued: -PT4M}]}\n")
    (pytester.path / "more" / "scale").mkdir(parents=True)
    (pytester.path / "more" / "scale" / "jobs.yaml").write_text(
        "- {id: 920, job_type: 1, event: 1, attempts: [{queued: -PT5M}]}\n")
    (pytester.path / "more" / "scale" / "errors.yaml").write_text(
        "- {id: 90, name: our-error, title: Ours, description: Ours., job_type_name: null, category: DATA,\n"
        "  is_builtin: false, should_be_retried: false, created: -P1D, last_modified: -P1D}\n")
    (pytester.path / "one" / "scale").mkdir(parents=True)
    (pytester.path / "one" / "scale" / "errors.yaml").write_text(
        (pytester.path / "more" / "scale" / "errors.yaml").read_text().replace("id: 90, name: our-error",
                                                                              "id: 91, name: our-other-error"))
    (pytester.path / "broken" / "scale").mkdir(parents=True)
    (pytester.path / "broken" / "scale" / "jobs.yaml").write_text("- {id: 940\n")
    result = pytester.runpytest_subprocess("-q", "-p", "no:randomly")
    result.assert_outcomes(passed=3, failed=3)
    result.stdout.fnmatch_lines([
        "*mockingjob_seed('scale') was refused:",
        "*jobs: record 1 (id 930): attempts[[]0[]].queud: unknown field (did you mean 'queued'?)",
        f"*mockingjob_seed.load: {pytester.path / 'nowhere'}: no such file or folder",
        f"*mockingjob_seed.load: {pytester.path / 'broken' / 'scale' / 'jobs.yaml'}: not valid YAML:*(line 2, *",
    ])
    assert "Traceback" not in result.stdout.str() and "site-packages" not in result.stdout.str()


def test_the_readme_seeding_example_passes(pytester: pytest.Pytester) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- seed-example -->", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    pytester.makeini("[pytest]\nmockingjob_apis = scale\n")
    pytester.makepyfile(test_readme=block)
    result = pytester.runpytest_subprocess("-q", "-W", "error")
    result.assert_outcomes(passed=1)
