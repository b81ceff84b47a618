"""Override values Designer Cloud takes without checking them up front ("Override values applied to a job are
not validated. Invalid overrides may cause your job to fail."): accepted, reported as lint findings, and the job
fails as the real one would; with --strict, refused with the API's own 400."""

from __future__ import annotations

from typing import Any

from tests.support import Mode, lint_fixtures
from tests.trifacta.helpers import AUTH, CSV, POS_R01, jobs, wait_until_done

trifacta_modes, mode = lint_fixtures("trifacta")


def post_run(mode: Mode, overrides: dict[str, Any]) -> Any:
    return mode.client.post("/v4/jobGroups", json={"wrangledDataset": {"id": POS_R01}, "overrides": overrides},
                            headers=AUTH)


def refused(response: Any) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["exception"]["name"] == "ApiValidationFailed"


def test_a_write_setting_it_cannot_apply_fails_the_file_writing_job(mode: Mode) -> None:
    response = post_run(mode, {"execution": "photon", "profiler": False,
                               "writeSettings": [{**CSV, "format": "parquet"}]})
    if mode.strict:
        refused(response)
        return
    assert response.status_code == 201, response.text
    assert mode.findings(response) == [("unchecked-value", "body.overrides.writeSettings.0.format")]
    assert wait_until_done(mode.client, mode.mock, response.json()["id"])[0] == "Failed"
    failed = [job for job in jobs(mode.client, response.json()["id"]) if job["status"] == "Failed"]
    assert [job["jobType"] for job in failed] == ["filewriter"]
    assert "parquet" in failed[0]["errorMessage"]


def test_an_environment_it_does_not_offer_is_reported_and_fails_the_job(mode: Mode) -> None:
    response = post_run(mode, {"execution": "quantum", "profiler": False, "writeSettings": [CSV]})
    if mode.strict:
        refused(response)
        return
    assert response.status_code == 201
    assert mode.findings(response) == [("unchecked-value", "body.overrides.execution")]
    assert wait_until_done(mode.client, mode.mock, response.json()["id"])[0] == "Failed"


def test_an_unknown_override_is_ignored(mode: Mode) -> None:
    response = post_run(mode, {"execution": "photon", "profiler": False, "writeSettings": [CSV], "engine": "x"})
    if mode.strict:
        refused(response)
        assert "engine" in response.text
        return
    assert response.status_code == 201
    assert mode.findings(response) == [("unknown-field", "body.overrides.engine")]
    assert wait_until_done(mode.client, mode.mock, response.json()["id"])[0] == "Complete"


def test_the_documented_flow_node_filter_is_accepted(mode: Mode) -> None:
    response = mode.client.get("/v4/jobGroups", params=[("flowNodeId", 1), ("flowNodeId", 2)], headers=AUTH)
    assert response.status_code == 200, response.text
    assert mode.findings(response) == []


def test_a_documented_run_carries_no_findings(mode: Mode) -> None:
    response = post_run(mode, {"execution": "spark", "profiler": True, "writeSettings": [CSV]})
    assert response.status_code == 201
    assert mode.findings(response) == []
