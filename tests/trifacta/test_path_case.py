"""Designer Cloud reads its paths in any case (its own Python SDK polls ``/v4/jobgroups/{id}/status``): such a
request is served and reported as a lint finding; under ``--strict`` it is a path the API does not have."""

from __future__ import annotations

from tests.support import lint_fixtures
from tests.trifacta.helpers import AUTH

trifacta_modes, mode = lint_fixtures("trifacta")


def test_a_path_in_another_case_is_served_and_reported(mode):
    response = mode.client.get("/v4/jobgroups/1/status", headers=AUTH)
    if mode.strict:
        assert response.status_code == 404
        assert response.json()["exception"]["name"] == "RouteNotFoundException"
        return
    assert response.status_code == 200 and response.json() == "Complete"
    assert [rule for rule, _ in mode.findings(response)] == ["case-folded"]


def test_the_documented_spelling_has_no_finding(mode):
    response = mode.client.get("/v4/jobGroups/1/status", headers=AUTH)
    assert response.status_code == 200 and mode.findings(response) == []


def test_writes_and_parameters_keep_working_in_another_case(mode):
    response = mode.client.post("/v4/OUTPUTOBJECTS", headers=AUTH,
                                json={"execution": "photon", "profiler": False, "flowNodeId": 8})
    if mode.strict:
        assert response.status_code == 404
        return
    assert response.status_code == 201 and response.json()["flowNode"] == {"id": 8}
    listed = mode.client.get("/v4/writesettings", params={"limit": 1}, headers=AUTH)
    assert listed.status_code == 200 and len(listed.json()["data"]) == 1
