"""`mockingjob check`: specs, handlers and fixtures are validated, and problems are reported clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from openapi_spec_validator import validate

from mockingjob.check import check_pack, run_checks
from mockingjob.cli import main
from mockingjob.core import registry
from mockingjob.core.resources import specs_dir
from mockingjob.http.connexion_adaptations import connexion_spec_problem
from mockingjob.packs.scale import ScalePack


@pytest.mark.parametrize("path", sorted(specs_dir().glob("*.yaml")), ids=lambda p: p.name)
def test_every_spec_is_valid_openapi_3_0(path: Path) -> None:
    spec = yaml.safe_load(path.read_text())
    validate(spec)
    assert spec["openapi"].startswith("3.0.")


@pytest.mark.parametrize("path", sorted(specs_dir().glob("*.yaml")), ids=lambda p: p.name)
def test_every_spec_passes_connexions_own_validation(path: Path) -> None:
    # Serving skips this validation to start faster; it must hold for every spec we ship.
    assert connexion_spec_problem(yaml.safe_load(path.read_text())) is None


def test_every_available_pack_passes_the_check() -> None:
    assert registry.available() and run_checks() == []


def test_check_command_says_ok_and_exits_zero() -> None:
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: scale, marquez, coalesce, trifacta: ")


OK = {"200": {"description": "ok"}}


def _broken_spec(tmp_path: Path) -> Path:
    spec = yaml.safe_load((specs_dir() / "scale.yaml").read_text())
    # An undeclared path parameter and an operation without a handler: connexion itself accepts both.
    spec["paths"]["/v6/jobs/{job_id}/"]["parameters"] = []
    spec["paths"]["/v6/extra/"] = {"get": {"operationId": "no_such_handler", "responses": OK}}
    path = tmp_path / "scale.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_an_invalid_spec_is_reported(tmp_path: Path) -> None:
    path = _broken_spec(tmp_path)

    class BrokenSpecPack(ScalePack):
        @property
        def spec_path(self) -> Path:
            return path

    problems = list(check_pack(BrokenSpecPack()))
    assert len(problems) == 1 and "not valid OpenAPI" in problems[0].message


def test_a_missing_handler_and_a_fixture_that_breaks_the_spec_are_reported(tmp_path: Path) -> None:
    spec = yaml.safe_load((specs_dir() / "scale.yaml").read_text())
    spec["paths"]["/v6/extra/"] = {"get": {"operationId": "no_such_handler", "responses": OK}}
    spec_path = tmp_path / "scale.yaml"
    spec_path.write_text(yaml.safe_dump(spec))
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    for source in (specs_dir().parent / "fixtures" / "scale").glob("*.yaml"):
        (fixtures / source.name).write_text(source.read_text())
    errors = yaml.safe_load((fixtures / "errors.yaml").read_text())
    errors[4]["category"] = "COSMIC_RAYS"  # not one of the spec's error categories
    (fixtures / "errors.yaml").write_text(yaml.safe_dump(errors))

    class BrokenPack(ScalePack):
        @property
        def spec_path(self) -> Path:
            return spec_path

        @property
        def fixtures_path(self) -> Path:
            return fixtures

    messages = [str(p) for p in check_pack(BrokenPack())]
    assert any("'no_such_handler' has no handler" in m for m in messages)
    assert any("'COSMIC_RAYS' is not one of" in m for m in messages)


def test_unreadable_fixtures_are_reported(tmp_path: Path) -> None:
    class NoFixturesPack(ScalePack):
        @property
        def fixtures_path(self) -> Path:
            return tmp_path / "missing"

    messages = [str(p) for p in check_pack(NoFixturesPack())]
    assert len(messages) == 1 and "errors.yaml" in messages[0]


def test_a_duplicated_key_in_a_spec_is_reported(tmp_path: Path) -> None:
    text = (specs_dir() / "scale.yaml").read_text()
    path = tmp_path / "scale.yaml"
    path.write_text(text.replace("        '404': {$ref: '#/components/responses/NotFound'}\n",
                                 "        '404': {$ref: '#/components/responses/NotFound'}\n"
                                 "        '404': {$ref: '#/components/responses/NotFound'}\n", 1))

    class DuplicatedKeyPack(ScalePack):
        @property
        def spec_path(self) -> Path:
            return path

    [problem] = list(check_pack(DuplicatedKeyPack()))
    assert "duplicate key '404'" in problem.message


def test_the_admin_spec_is_valid_and_every_admin_operation_has_a_handler():
    from mockingjob.check import check_admin

    assert list(check_admin()) == []


def test_an_admin_operation_without_a_handler_is_reported(monkeypatch):
    from mockingjob.check import check_admin
    from mockingjob.control import admin

    monkeypatch.setattr("mockingjob.check.ADMIN_OPERATIONS", admin.OPERATIONS - {"reset"})
    problems = [str(p) for p in check_admin()]
    assert any("'reset' has no handler" in p for p in problems), problems


def test_a_leniency_marking_the_engine_cannot_read_is_reported(tmp_path: Path) -> None:
    text = (specs_dir() / "scale.yaml").read_text()
    path = tmp_path / "scale.yaml"
    path.write_text(text.replace("x-lenient: {reads-as: boolean,", "x-lenient: {reads-as: bool,", 1)
                    .replace("x-lenient: {reads-as: absent, note: Scale reads null as not given (util/rest.py "
                             "_get_param)}", "x-lenient: {reads-as: absent}", 1))

    class MismarkedPack(ScalePack):
        @property
        def spec_path(self) -> Path:
            return path

    messages = sorted(problem.message for problem in check_pack(MismarkedPack()))
    assert len(messages) == 2
    assert messages[0] == "#/components/schemas/JobFilterRequest/properties/is_superseded/anyOf/1: x-lenient " \
                          "reads-as must be one of integer, number, boolean, string, enum, list, unchecked, " \
                          "ignored, absent"
    assert messages[1] == "#/components/schemas/NotGiven: x-lenient needs a note saying what the real service does"
