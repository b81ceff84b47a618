"""The state the mock starts from: flows with chains of recipes, runs over every status, some in flight."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
import yaml

from mockingjob.core.errors import FixtureError
from mockingjob.core.resources import fixtures_dir
from mockingjob.packs.trifacta import seed
from tests.trifacta.helpers import jobs, status


def test_the_fixtures_hold_runs_in_every_status(client):
    statuses = {group_id: status(client, group_id) for group_id in range(1, 10)}
    assert set(statuses.values()) == {"Complete", "Failed", "Canceled", "InProgress", "Created"}


def test_runs_in_flight_at_start_finish_as_the_clock_moves(client, mock):
    in_flight = [g for g in range(1, 10) if status(client, g) in ("Created", "InProgress")]
    assert in_flight
    mock.clock.advance(timedelta(hours=1))
    assert {status(client, g) for g in in_flight} == {"Complete"}


def test_failed_fixture_runs_say_why(client):
    failed = [g for g in range(1, 10) if status(client, g) == "Failed"]
    assert len(failed) >= 2
    for group_id in failed:
        messages = [job["errorMessage"] for job in jobs(client, group_id) if job["status"] == "Failed"]
        assert len(messages) == 1 and messages[0]


def test_a_canceled_fixture_run_stopped_part_way(client):
    canceled = [g for g in range(1, 10) if status(client, g) == "Canceled"]
    assert canceled
    for group_id in canceled:
        listed = jobs(client, group_id)
        assert listed[0]["status"] == "Complete"
        assert listed[-1]["status"] == "Canceled"


def test_reset_puts_the_fixtures_back(client, mock):
    before = jobs(client, 8)
    client.post("/v4/jobGroups/8/cancel", headers={"Authorization": "Bearer t"})
    mock.reset()
    assert jobs(client, 8) == before


def _fixtures_with(tmp_path, datasets):
    folder = tmp_path / "trifacta"
    shutil.copytree(fixtures_dir() / "trifacta", folder)
    (folder / "wrangled_datasets.yaml").write_text(yaml.safe_dump(datasets), encoding="utf-8")
    return folder


def test_fixtures_with_a_dependency_cycle_are_refused(tmp_path):
    folder = _fixtures_with(tmp_path, [
        {"id": 1, "flow": 1, "name": "a", "dependsOn": [2], "created": "-P1D"},
        {"id": 2, "flow": 1, "name": "b", "dependsOn": [1], "created": "-P1D"},
    ])
    with pytest.raises(FixtureError, match="cycle"):
        seed.load(folder)


def test_fixtures_depending_on_an_unknown_recipe_are_refused(tmp_path):
    folder = _fixtures_with(tmp_path, [{"id": 1, "flow": 1, "name": "a", "dependsOn": [5], "created": "-P1D"}])
    with pytest.raises(FixtureError, match="unknown dataset 5"):
        seed.load(folder)
