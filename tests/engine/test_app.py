"""Assembly of the served application: mounts, landing page, served specs and Swagger UI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from openapi_spec_validator import validate

from mockingjob.check import Problem
from mockingjob.cli import main
from mockingjob.core.config import Config
from mockingjob.core.errors import PackError
from mockingjob.http.app import MockApp


@pytest.fixture(scope="module")
def all_apis() -> MockApp:
    return MockApp(Config(speed=0))


def test_all_apis_are_mounted_under_their_name(all_apis: MockApp) -> None:
    with all_apis.asgi.test_client() as client:
        assert client.get("/scale/v6/jobs/").status_code == 200
        assert client.get("/v6/jobs/").status_code == 404
        landing = client.get("/")
        assert landing.status_code == 200
        assert 'href="/scale/ui/"' in landing.text and 'href="/scale/openapi.json"' in landing.text


@pytest.mark.parametrize(("config", "prefix"), [(Config(speed=0), "/scale"), (Config(apis=["scale"], speed=0), "")])
def test_the_served_spec_is_valid_openapi_and_points_at_its_mount(config: Config, prefix: str) -> None:
    with MockApp(config).asgi.test_client() as client:
        spec = client.get(f"{prefix}/openapi.json").json()
        validate(spec)
        assert spec["servers"][0]["url"] == (prefix or "/")
        ui = client.get(f"{prefix}/ui/")
        assert ui.status_code == 200 and "swagger" in ui.text.lower()


def test_a_path_outside_every_api_gets_a_plain_json_404(all_apis: MockApp) -> None:
    with all_apis.asgi.test_client() as client:
        response = client.get("/nowhere/at/all")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}


def test_an_unknown_api_is_refused_by_name() -> None:
    with pytest.raises(PackError, match="unknown API 'nope'"):
        MockApp(Config(apis=["nope"]))
    result = CliRunner().invoke(main, ["serve", "nope"])
    assert result.exit_code == 2 and "unknown API 'nope'" in result.output


def test_check_command_prints_each_problem_and_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    problems = [Problem("scale", "specs/scale.yaml", "operationId 'x' has no handler"),
                Problem("scale", "fixtures/scale: job 3", "'BOGUS' is not one of ['SYSTEM', 'DATA', 'ALGORITHM']")]
    monkeypatch.setattr("mockingjob.check.run_checks", lambda names, fixtures=(): problems)
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 1
    assert "FAIL scale: specs/scale.yaml: operationId 'x' has no handler" in result.output
    assert "2 problem(s) found" in result.output
