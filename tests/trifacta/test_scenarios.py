"""Scenarios steer a new run: a forced outcome, a failure reason, and how long its states last."""

from __future__ import annotations

from datetime import timedelta

from tests.trifacta.helpers import (
    AUTH,
    INVENTORY_FORECAST,
    REGIONAL_SUMMARY,
    jobs,
    run,
    status,
    wait_until_done,
)


def _run(client, dataset_id, prefer):
    response = client.post("/v4/jobGroups", json={"wrangledDataset": {"id": dataset_id}},
                           headers={**AUTH, "Prefer": prefer})
    assert response.status_code == 201, response.text
    return response.json()


def test_prefer_a_failure_fails_the_chosen_recipe_with_that_reason(client, mock):
    created = _run(client, REGIONAL_SUMMARY, 'outcome=Failed, failure="Out of memory"')
    assert wait_until_done(client, mock, created["id"])[0] == "Failed"
    listed = jobs(client, created["id"])
    # Recipes 1 and 2 ran; recipe 7's own job failed; the writers and the profile never ran.
    assert [job["status"] for job in listed] == ["Complete", "Complete", "Failed", "Canceled", "Canceled",
                                                 "Canceled"]
    assert listed[2]["errorMessage"] == "Out of memory"


def test_prefer_complete_overrides_a_failing_fixture(client, mock):
    created = _run(client, INVENTORY_FORECAST, "outcome=complete")
    assert wait_until_done(client, mock, created["id"])[0] == "Complete"


def test_prefer_a_failure_reason_alone_fails_the_run_with_it(client, mock):
    created = _run(client, INVENTORY_FORECAST, 'failure="Source file moved"')
    assert wait_until_done(client, mock, created["id"])[0] == "Failed"
    assert jobs(client, created["id"])[0]["errorMessage"] == "Source file moved"


def test_prefer_durations_set_the_wait_and_the_whole_run(client, mock):
    created = _run(client, REGIONAL_SUMMARY, "duration.Created=PT2S, duration.InProgress=PT12S")
    mock.clock.advance(timedelta(seconds=1))
    assert status(client, created["id"]) == "Created"
    mock.clock.advance(timedelta(seconds=1))
    assert status(client, created["id"]) == "InProgress"
    mock.clock.advance(timedelta(seconds=11.9))
    assert status(client, created["id"]) == "InProgress"
    mock.clock.advance(timedelta(seconds=0.1))
    assert status(client, created["id"]) == "Complete"


def test_an_unknown_outcome_is_refused_in_the_apis_error_shape(client):
    response = client.post("/v4/jobGroups", json={"wrangledDataset": {"id": REGIONAL_SUMMARY}},
                           headers={**AUTH, "Prefer": "outcome=Exploded"})
    assert response.status_code == 400
    assert list(response.json()) == ["exception"]


def _add_scenario(client, **doc):
    response = client.post("/_mockingjob/scenarios", json={"api": "trifacta", **doc})
    assert response.status_code == 201, response.text


def _clear_scenarios(client):
    assert client.delete("/_mockingjob/scenarios", params={"api": "trifacta"}).status_code == 204


def test_a_stored_scenario_matches_runs_of_one_recipe(client, mock):
    _add_scenario(client, match={"dataset": REGIONAL_SUMMARY}, outcome="Failed", failure="Quota exceeded")
    try:
        failing = run(client, REGIONAL_SUMMARY)
        other = run(client, 2)
        mock.clock.advance(timedelta(hours=1))
        assert (status(client, failing["id"]), status(client, other["id"])) == ("Failed", "Complete")
        assert "Quota exceeded" in [job["errorMessage"] for job in jobs(client, failing["id"])]
    finally:
        _clear_scenarios(client)


def test_a_scenario_can_match_by_flow_name(client, mock):
    _add_scenario(client, match={"flow": "2013 POS"}, outcome="Failed")
    try:
        created = run(client, REGIONAL_SUMMARY)
        assert wait_until_done(client, mock, created["id"])[0] == "Failed"
        assert "Job failed" in [job["errorMessage"] for job in jobs(client, created["id"])]
    finally:
        _clear_scenarios(client)


def test_prefer_an_error_status_answers_it_in_the_apis_shape(client):
    response = client.post("/v4/jobGroups", json={"wrangledDataset": {"id": REGIONAL_SUMMARY}},
                           headers={**AUTH, "Prefer": "code=503"})
    assert response.status_code == 503
    assert response.json()["exception"]["name"] == "ServiceUnavailable"
    assert len(client.get("/v4/jobGroups", headers=AUTH).json()["data"]) == 9  # nothing was started
