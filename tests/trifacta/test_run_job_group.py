"""POST /v4/jobGroups: the three request forms of the documentation, the job graph, and first runs."""

from __future__ import annotations

import uuid

import pytest

from tests.trifacta.helpers import (
    ATTRIBUTION,
    AUTH,
    CSV,
    FIRST_RUN,
    POS_R01,
    REGIONAL_SALES,
    REGIONAL_SUMMARY,
    STORE_RANKING,
    group,
    jobs,
    run,
)


def _types(client, created):
    return [job["jobType"] for job in jobs(client, created["id"])]


def test_running_a_recipe_answers_201_with_a_uuid_graph_and_jobs(client):
    response = client.post("/v4/jobGroups", json={"wrangledDataset": {"id": REGIONAL_SUMMARY}}, headers=AUTH)
    assert response.status_code == 201
    created = response.json()
    assert set(created) == {"sessionId", "reason", "jobGraph", "id", "jobs"}
    assert uuid.UUID(created["sessionId"])
    assert created["reason"] == "JobStarted"
    job_ids = [job["id"] for job in created["jobs"]["data"]]
    assert created["jobGraph"]["vertices"] == job_ids
    assert [job["id"] for job in jobs(client, created["id"])] == job_ids
    assert group(client, created["id"])["wrangledDataset"] == {"id": REGIONAL_SUMMARY}


def test_each_run_is_a_new_job_group_with_new_jobs_and_a_new_uuid(client):
    first, second = run(client, REGIONAL_SUMMARY), run(client, REGIONAL_SUMMARY)
    assert first["id"] != second["id"] and first["sessionId"] != second["sessionId"]
    assert not set(first["jobGraph"]["vertices"]) & set(second["jobGraph"]["vertices"])


def test_the_recipes_a_recipe_depends_on_run_first_then_writers_then_profile(client):
    # Recipe 7 reads recipe 2, which reads recipe 1; its last run wrote two outputs with profiling on.
    created = run(client, REGIONAL_SUMMARY)
    assert _types(client, created) == ["wrangle", "wrangle", "wrangle", "filewriter", "filewriter", "profile"]
    w1, w2, w7, out1, out2, profile = created["jobGraph"]["vertices"]
    edges = {(edge["source"], edge["target"]) for edge in created["jobGraph"]["edges"]}
    assert edges == {(w1, w2), (w2, w7), (w7, out1), (w7, out2), (w7, profile)}


def test_a_recipe_with_two_branches_runs_every_preceding_recipe_once(client):
    # Recipe 12 reads 11 (which reads 10) and 13.
    created = run(client, ATTRIBUTION)
    vertices = created["jobGraph"]["vertices"]
    assert _types(client, created) == ["wrangle"] * 4 + ["filewriter", "profile"]
    w10, w11, w13, w12, out, profile = vertices
    edges = {(edge["source"], edge["target"]) for edge in created["jobGraph"]["edges"]}
    assert edges == {(w10, w11), (w11, w12), (w13, w12), (w12, out), (w12, profile)}
    # Listed in order of execution: every edge goes forward.
    assert all(vertices.index(s) < vertices.index(t) for s, t in edges)


def test_a_recipe_without_dependencies_makes_one_wrangle_job_and_one_writer(client):
    created = run(client, POS_R01, overrides=FIRST_RUN, ranfrom="ui")
    assert _types(client, created) == ["wrangle", "filewriter"]
    assert [{"source": a, "target": b} for a, b in [created["jobGraph"]["vertices"]]] == \
        created["jobGraph"]["edges"]


def test_one_file_writer_per_write_setting_and_a_profile_job_when_profiling(client):
    settings = [CSV, {**CSV, "path": "/out/b.json", "format": "json"}, {**CSV, "path": "/out/c.avro", "format": "avro"}]
    created = run(client, POS_R01, overrides={"execution": "photon", "profiler": True, "writeSettings": settings})
    listed = jobs(client, created["id"])
    assert [job["jobType"] for job in listed] == ["wrangle", "filewriter", "filewriter", "filewriter", "profile"]
    writers = [job["writeSetting"]["id"] for job in listed if job["jobType"] == "filewriter"]
    assert len(set(writers)) == 3
    assert group(client, created["id"])["profilingEnabled"] is True


def test_the_specify_job_form_applies_its_overrides(client):
    created = run(client, REGIONAL_SUMMARY, overrides={"execution": "spark", "profiler": False,
                                                       "writeSettings": [CSV]}, ranfrom="ui")
    listed = jobs(client, created["id"])
    assert [job["jobType"] for job in listed] == ["wrangle", "wrangle", "wrangle", "filewriter"]
    assert {job["executionLanguage"] for job in listed} == {"spark"}
    assert group(client, created["id"])["profilingEnabled"] is False


def test_the_parameter_overrides_form_with_lower_case_writesettings(client):
    body = {
        "overrides": {"writesettings": [CSV, {**CSV, "path": "/out/2.csv"}]},
        "runParameters": {"overrides": {"data": [{"key": "Region", "value": "02"},
                                                 {"key": "varReferenceType", "value": "PROD"}]}},
        "ranfrom": "ui",
    }
    created = run(client, REGIONAL_SALES, **body)
    listed = jobs(client, created["id"])
    assert [job["jobType"] for job in listed] == ["wrangle", "filewriter", "filewriter"]
    # What the overrides leave out comes from the recipe's last run: spark, profiling off.
    assert {job["executionLanguage"] for job in listed} == {"spark"}


def test_run_parameters_nested_in_the_overrides_are_accepted(client):
    overrides = {"runParameters": {"overrides": {"data": [{"key": "varRegion", "value": "03"}]}}}
    assert run(client, REGIONAL_SALES, overrides=overrides)["reason"] == "JobStarted"


def test_a_later_run_without_overrides_reuses_the_last_settings(client):
    created = run(client, REGIONAL_SUMMARY)
    listed = jobs(client, created["id"])
    assert {job["executionLanguage"] for job in listed} == {"photon"}
    assert sum(job["jobType"] == "filewriter" for job in listed) == 2
    assert group(client, created["id"])["profilingEnabled"] is True


def test_an_override_changes_only_what_it_names(client):
    created = run(client, REGIONAL_SUMMARY, overrides={"profiler": False})
    assert _types(client, created) == ["wrangle", "wrangle", "wrangle", "filewriter", "filewriter"]
    # ... and the next run starts from these settings.
    assert _types(client, run(client, REGIONAL_SUMMARY))[-1] == "filewriter"


@pytest.mark.parametrize(("ranfrom", "expected"), [("cli", "cli"), (None, None)])
def test_ranfrom_is_recorded(client, ranfrom, expected):
    created = run(client, REGIONAL_SUMMARY, ranfrom=ranfrom)
    assert group(client, created["id"])["ranfrom"] == expected


def test_ranfrom_left_out_is_ui(client):
    assert group(client, run(client, REGIONAL_SUMMARY)["id"])["ranfrom"] == "ui"


# --- first runs -------------------------------------------------------------------------------------------------

def _exception(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["exception"]
    return body["exception"]


def test_a_recipe_never_run_needs_its_overrides(client):
    response = client.post("/v4/jobGroups", json={"wrangledDataset": {"id": STORE_RANKING}}, headers=AUTH)
    exception = _exception(response, 400)
    assert exception["name"] == "ApiValidationFailed"
    for name in ("overrides.execution", "overrides.profiler", "overrides.writeSettings"):
        assert name in exception["message"]
    assert exception["details"]["missing"] == ["overrides.execution", "overrides.profiler", "overrides.writeSettings"]


def test_a_first_run_names_only_the_overrides_that_are_missing(client):
    body = {"wrangledDataset": {"id": STORE_RANKING}, "overrides": {"execution": "photon", "profiler": True}}
    exception = _exception(client.post("/v4/jobGroups", json=body, headers=AUTH), 400)
    assert exception["details"]["missing"] == ["overrides.writeSettings"]


def test_a_refused_first_run_creates_nothing(client):
    before = client.get("/v4/jobGroups", params={"noLimit": "true"}, headers=AUTH).json()["data"]
    client.post("/v4/jobGroups", json={"wrangledDataset": {"id": STORE_RANKING}}, headers=AUTH)
    after = client.get("/v4/jobGroups", params={"noLimit": "true"}, headers=AUTH).json()["data"]
    assert after == before


@pytest.mark.parametrize("spelling", ["writeSettings", "writesettings"])
def test_a_first_run_with_every_override_starts_and_later_runs_need_none(client, spelling):
    first = run(client, STORE_RANKING, overrides={"execution": "photon", "profiler": True, spelling: [CSV]})
    assert _types(client, first) == ["wrangle", "wrangle", "wrangle", "filewriter", "profile"]
    again = run(client, STORE_RANKING)
    assert _types(client, again) == _types(client, first)


def test_a_recipe_that_only_ran_as_a_dependency_has_never_been_run(client):
    # Recipe 13 ran inside runs of recipe 12, never as a job group of its own.
    response = client.post("/v4/jobGroups", json={"wrangledDataset": {"id": 13}}, headers=AUTH)
    assert _exception(response, 400)["name"] == "ApiValidationFailed"


def test_an_unknown_recipe_is_a_404(client):
    response = client.post("/v4/jobGroups", json={"wrangledDataset": {"id": 999}}, headers=AUTH)
    exception = _exception(response, 404)
    assert exception["name"] == "ObjectNotFound"
    assert "999" in exception["message"]


@pytest.mark.parametrize(("body", "field"), [
    ({}, "wrangledDataset"),
    ({"wrangledDataset": {}}, "wrangledDataset.id"),
    ({"wrangledDataset": {"id": "seven"}}, "wrangledDataset.id"),
    ({"wrangledDataset": {"id": 0}}, "wrangledDataset.id"),
    ({"wrangledDataset": {"id": 7}, "overrides": {"profiler": "yes"}}, "overrides.profiler"),
    ({"wrangledDataset": {"id": 7}, "overrides": {"writeSettings": []}}, "overrides.writeSettings"),
    ({"wrangledDataset": {"id": 7}, "overrides": {"writeSettings": [{**CSV, "format": ""}]}},
     "overrides.writeSettings.0.format"),
    ({"wrangledDataset": {"id": 7}, "overrides": {"writeSettings": [{"action": "create", "format": "csv"}]}},
     "overrides.writeSettings.0.path"),
    ({"wrangledDataset": {"id": 7}, "ranfrom": 3}, "ranfrom"),
])
def test_a_malformed_body_is_a_400_naming_the_field(client, body, field):
    exception = _exception(client.post("/v4/jobGroups", json=body, headers=AUTH), 400)
    assert exception["name"] == "ApiValidationFailed"
    assert exception["details"]["field"] == field


def test_unknown_fields_are_refused(client):
    body = {"wrangledDataset": {"id": 7}, "overides": {"profiler": False}}
    exception = _exception(client.post("/v4/jobGroups", json=body, headers=AUTH), 400)
    assert "overides" in exception["message"]
