"""``--mount root`` serves one API at its real paths; several there would collide (each has its Swagger UI at
/ui/ and its spec at /openapi.json), so that is refused in one line naming what collides. The landing page
links each API to its own Swagger UI."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from mockingjob.cli import main
from mockingjob.core.config import Config
from mockingjob.http.app import MockApp, MountCollision, root_collisions


def test_several_apis_at_the_root_are_refused_naming_the_paths_they_would_all_serve() -> None:
    with pytest.raises(MountCollision) as refused:
        MockApp(Config(apis=["scale", "coalesce"], mount="root"))
    assert str(refused.value) == (
        "--mount root: scale and coalesce both serve /ui/, /openapi.json and /openapi.yaml; serve one API at its "
        "real paths (mockingjob serve scale --mount root), or several under their prefixes (--mount prefix)")


@pytest.mark.parametrize(("args", "named"), [
    (["scale", "coalesce", "--mount", "root"], "scale and coalesce both serve"),
    (["--mount", "root"], "scale, marquez, coalesce and trifacta all serve"),
])
def test_the_command_refuses_it_in_one_line_as_a_usage_error(args: list[str], named: str) -> None:
    result = CliRunner().invoke(main, ["serve", *args])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: --mount root: ") and named in result.output
    assert "/openapi.json" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_one_api_at_the_root_is_served_at_its_real_paths() -> None:
    mock = MockApp(Config(apis=["scale"], mount="root", speed=0))
    try:
        client = mock.asgi.test_client()
        assert client.get("/v6/jobs/").status_code == 200
        assert 'href="/ui/"' in client.get("/").text
        assert client.get("/openapi.json").json()["info"]["title"].startswith("Scale")
    finally:
        mock.close()


def _pack(folds: bool = False) -> Any:
    return SimpleNamespace(path_case_note="any case" if folds else None)


def _spec(*paths: str) -> dict[str, Any]:
    return {"paths": {path: {} for path in paths}}


def test_the_apis_own_paths_that_one_request_could_reach_in_both_are_named_first() -> None:
    packs = {"first": _pack(), "second": _pack()}
    said = root_collisions(packs, {"first": _spec("/api/v1/jobs", "/api/v1/runs/{id}", "/api/v1/only"),
                                   "second": _spec("/api/v1/jobs", "/api/v1/runs/latest", "/api/v2/only")})
    assert said == ("first and second both serve /api/v1/jobs and /api/v1/runs/{id} (first) and "
                    "/api/v1/runs/latest (second); first and second both serve /ui/, /openapi.json and /openapi.yaml")


def test_an_api_reading_paths_in_any_case_collides_in_any_case() -> None:
    specs = {"first": _spec("/v4/jobGroups"), "second": _spec("/v4/jobgroups")}
    assert "both serve /v4/jobGroups (first)" in root_collisions({"first": _pack(), "second": _pack(folds=True)},
                                                                 specs)
    assert root_collisions({"first": _pack(), "second": _pack()}, specs).count("both serve") == 1


def test_the_landing_page_links_each_api_to_its_own_swagger_ui_and_spec() -> None:
    mock = MockApp(Config(apis=["scale", "marquez", "trifacta"], speed=0))
    try:
        client = mock.asgi.test_client()
        landing = client.get("/").text
        for name in ("scale", "marquez", "trifacta"):
            assert f'href="/{name}/ui/"' in landing and f'href="/{name}/openapi.json"' in landing
            ui = client.get(f"/{name}/ui/")
            assert ui.status_code == 200
            # Each Swagger UI loads its own API's spec.
            assert re.search(rf'["\']/{name}/openapi\.json["\']', ui.text), ui.text[:2000]
            assert client.get(f"/{name}/openapi.json").json()["servers"][0]["url"] == f"/{name}"
    finally:
        mock.close()
