"""`mockingjob check` holds the specs' examples to their schemas, and the specs mockingjob ships to giving one for
every successful answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mockingjob.check import check_pack
from mockingjob.core.resources import specs_dir
from mockingjob.packs.scale import ScalePack

JOB = "/v6/jobs/{job_id}/"


def _scale_spec() -> dict[str, Any]:
    return yaml.safe_load((specs_dir() / "scale.yaml").read_text())


def _pack(folder: Path, spec: dict[str, Any]) -> ScalePack:
    path = folder / "scale.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))

    class ChangedSpecPack(ScalePack):
        @property
        def spec_path(self) -> Path:
            return path

    return ChangedSpecPack()


def _answer(spec: dict[str, Any]) -> dict[str, Any]:
    media: dict[str, Any] = spec["paths"][JOB]["get"]["responses"]["200"]["content"]["application/json"]
    return media


def test_a_shipped_spec_without_an_example_of_a_successful_answer_is_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _scale_spec()
    del _answer(spec)["examples"]
    pack = _pack(tmp_path, spec)
    monkeypatch.setattr("mockingjob.check.specs_dir", lambda: tmp_path)  # as if it were one mockingjob ships
    assert [problem.message for problem in check_pack(pack)] == [
        f"GET {JOB}: the 200 answer (application/json) has no example"]


def test_a_pack_of_ones_own_is_held_only_to_the_examples_its_spec_gives(tmp_path: Path) -> None:
    spec = _scale_spec()
    del _answer(spec)["examples"]
    assert list(check_pack(_pack(tmp_path, spec))) == []


def test_an_example_that_does_not_fit_its_schema_is_reported(tmp_path: Path) -> None:
    spec = _scale_spec()
    spec["components"]["examples"]["get_job"]["value"]["status"] = "SLEEPING"
    version = spec["paths"]["/v6/version/"]["get"]["responses"]["200"]["content"]["application/json"]
    version["example"] = {"release": "7.2.2"}
    messages = [problem.message for problem in check_pack(_pack(tmp_path, spec))]
    assert len(messages) == 2
    assert messages[0].startswith(f"GET {JOB}: the 200 answer (application/json) (example 'get_job'): the example "
                                  "does not fit its schema: 'SLEEPING' is not one of")
    assert messages[0].endswith("(at /status)")
    assert messages[1] == ("GET /v6/version/: the 200 answer (application/json): the example does not fit its "
                           "schema: 'version' is a required property (at /)")


def test_an_example_the_real_service_takes_only_leniently_is_reported_as_undocumented(tmp_path: Path) -> None:
    # Swagger UI under --strict offers the example too: it must be the documented form.
    spec = _scale_spec()
    spec["paths"]["/v6/jobs/"]["post"]["requestBody"]["content"]["application/json"]["example"]["job_type_id"] = "1"
    [problem] = check_pack(_pack(tmp_path, spec))
    assert problem.message == ("POST /v6/jobs/: request body (application/json): the example does not fit its schema "
                               "as documented: '1' is not of type 'integer' (at /job_type_id)")


def test_a_parameter_example_is_held_to_its_schema(tmp_path: Path) -> None:
    spec = _scale_spec()
    spec["components"]["parameters"]["job_id_path"]["example"] = 0
    [problem] = check_pack(_pack(tmp_path, spec))
    assert problem.message == ("parameter 'job_id_path' of the components: the example does not fit its schema: 0 is "
                               "less than the minimum of 1 (at /)")
