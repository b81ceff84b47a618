"""Clients generated from the specs the server serves (openapi-python-client) work against it unchanged: each spec
generates without a warning (every operation, every answer), request models take the documented forms, and a
list, a detail and a create of each API parse into the response models, every field typed (no answer left
unparsed, no field the models do not name, instants as datetimes). Under --strict the spec served is the
documented one, and clients generated from it work too."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import httpx
import pytest
from starlette.testclient import TestClient

from mockingjob.core.config import Config
from mockingjob.http.app import MockApp
from tests.conftest import EPOCH

pytestmark = pytest.mark.subprocess

BIN = Path(sys.executable).parent
GENERATOR = BIN / "openapi-python-client"
TOKEN = "generated-client"
APIS = ["scale", "marquez", "coalesce", "trifacta"]


@dataclass
class Served:
    mock: MockApp
    root: Path
    mode: str
    clients: dict[str, tuple[ModuleType, Any]] = field(default_factory=dict)


@pytest.fixture(scope="module", params=[False, True], ids=["lenient", "strict"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    mock = MockApp(Config(apis=APIS, speed=0, tokens=[TOKEN], strict=request.param, mount="prefix"))
    root = tmp_path_factory.mktemp("generated")
    sys.path.insert(0, str(root))
    try:
        yield Served(mock, root, "strict" if request.param else "lenient")
    finally:
        sys.path.remove(str(root))
        mock.close()


CREDENTIALS = {"scale": {"Authorization": f"Token {TOKEN}"}, "marquez": {},
               "coalesce": {"Authorization": f"Bearer {TOKEN}"}, "trifacta": {"Authorization": f"Bearer {TOKEN}"}}


def _package(served: Served, api: str) -> ModuleType:
    """The client package generated from `api`'s served spec (made once per mode): generating it warns of
    nothing, as a generator reading a spec it understands whole does not."""
    if api not in served.clients:
        package = f"{api}_{served.mode}_client"
        with served.mock.asgi.test_client() as http:
            spec = served.root / f"{package}.json"
            spec.write_bytes(http.get(f"/{api}/openapi.json").content)
        # The generator runs its post-hooks (ruff) from PATH: the virtualenv's, as an activated one would.
        env = {**os.environ, "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")])}
        made = subprocess.run([str(GENERATOR), "generate", "--path", str(spec), "--meta", "none",
                               "--output-path", str(served.root / package), "--overwrite"],
                              capture_output=True, text=True, env=env)
        output = made.stdout + made.stderr
        assert made.returncode == 0, output
        # Every operation and every answer is generated: a schema the generator cannot read drops the endpoints
        # or the answers that use it, with a warning.
        assert "Warning" not in output and "WARNING" not in output, output
        importlib.invalidate_caches()
        served.clients[api] = (importlib.import_module(package), importlib.import_module(f"{package}.models"))
    return served.clients[api][0]


def _generate(served: Served, api: str) -> tuple[ModuleType, Any, Any]:
    """The client package generated from `api`'s served spec, its client on the app (reset to the fixtures),
    and its models. (The generated client's own token setting applies to the HTTP client it makes itself: the
    test's carries it.)"""
    client = _package(served, api)
    served.mock.reset(control=True, at=EPOCH)
    api_client = client.Client(base_url=f"http://testserver/{api}")
    api_client.set_httpx_client(TestClient(served.mock.asgi, base_url=f"http://testserver/{api}",
                                           headers=CREDENTIALS[api]))
    return client, api_client, served.clients[api][1]


def _op(client: ModuleType, tag: str, name: str) -> Any:
    return importlib.import_module(f"{client.__name__}.api.{tag}.{name}")


def _untyped(value: Any, where: str = "") -> list[str]:
    """Where a parsed answer holds what its models do not type: a field a model does not name (a model that
    names fields keeps the others in `additional_properties`), or an instant left as text."""
    if attrs.has(type(value)):
        names = [each.name for each in attrs.fields(type(value)) if each.name != "additional_properties"]
        found = [f"{where}.{key}" for key in getattr(value, "additional_properties", {})] if names else []
        for name in names:
            found += _untyped(getattr(value, name), f"{where}.{name}")
        return found
    if isinstance(value, list):
        return [place for index, item in enumerate(value) for place in _untyped(item, f"{where}[{index}]")]
    if isinstance(value, str) and where.rsplit(".", 1)[-1] in INSTANTS:
        return [f"{where} (an instant as text)"]
    return []


# Fields that are instants in every answer that has them.
INSTANTS = {"created", "last_modified", "created_at", "updated_at", "started_at", "ended_at", "run_start_time",
            "run_end_time"}


@dataclass(frozen=True)
class Reads:
    """A list, a detail and a create of one API, each with the model its answer must parse into."""

    list_: Callable[[ModuleType, Any, Any], Any]
    detail: Callable[[ModuleType, Any, Any], Any]
    create: Callable[[ModuleType, Any, Any], Any]
    models: tuple[str, str, str]
    instant: Callable[[Any], Any]
    """An instant of the detail, which must parse into a datetime."""


READS = {
    "scale": Reads(
        lambda c, api, m: _op(c, "jobs", "list_jobs").sync_detailed(client=api, page_size=5),
        lambda c, api, m: _op(c, "jobs", "get_job").sync_detailed(client=api, job_id=3),
        lambda c, api, m: _op(c, "jobs", "queue_job").sync_detailed(
            client=api, body=m.QueueJobRequest.from_dict({"job_type_id": 1, "input": {"files": {"INPUT_FILE": [61]}}})),
        ("JobPage", "JobDetails", "JobDetails"), lambda job: job.created),
    "marquez": Reads(
        lambda c, api, m: _op(c, "runs", "list_runs").sync_detailed("food_delivery", "etl_delivery_7_days",
                                                                    client=api),
        lambda c, api, m: _op(c, "runs", "get_run").sync_detailed("6d30fe40-f527-456e-b960-218a256b72e1",
                                                                  client=api),
        lambda c, api, m: _op(c, "runs", "create_run").sync_detailed(
            "food_delivery", "etl_delivery_7_days", client=api,
            body=m.RunMeta.from_dict({"args": {"retries": "1"}})),
        ("RunList", "Run", "Run"), lambda run: run.started_at),
    "coalesce": Reads(
        lambda c, api, m: _op(c, "runs", "runs_list_information").sync_detailed(client=api, detail=True),
        lambda c, api, m: _op(c, "runs", "runs_get_run_details").sync_detailed(14, client=api),
        lambda c, api, m: _op(c, "jobs", "jobs_initiate_run").sync_detailed(
            client=api, body=m.StartRunRequest.from_dict({
                "runDetails": {"environmentID": "2", "jobID": "1"},
                "userCredentials": {"snowflakeUsername": "ANALYST", "snowflakePassword": "pw"}})),
        ("RunsResponse", "RunInfo", "RunCounterResponse"), lambda run: run.run_start_time),
    "trifacta": Reads(
        lambda c, api, m: _op(c, "job_groups", "list_job_groups").sync_detailed(client=api),
        lambda c, api, m: _op(c, "job_groups", "get_job_group").sync_detailed(2, client=api),
        lambda c, api, m: _op(c, "job_groups", "run_job_group").sync_detailed(
            client=api, body=m.RunJobGroupRequest.from_dict({"wrangledDataset": {"id": 7}})),
        ("JobGroupList", "JobGroup", "JobGroupCreated"), lambda group: group.created_at),
}


@pytest.mark.parametrize("api", APIS)
def test_a_list_a_detail_and_a_create_parse_into_typed_models(served: Served, api: str) -> None:
    client, api_client, models = _generate(served, api)
    reads = READS[api]
    for read, model in zip((reads.list_, reads.detail, reads.create), reads.models, strict=True):
        answer = read(client, api_client, models)
        assert 200 <= answer.status_code < 300, answer.content
        assert type(answer.parsed).__name__ == model, (model, answer.parsed)
        assert _untyped(answer.parsed) == [], model
    detail = reads.detail(client, api_client, models).parsed
    assert isinstance(reads.instant(detail), datetime)


def _modules(client: ModuleType) -> dict[tuple[str, str], ModuleType]:
    """The generated module of each operation, by method and path (``{}`` for each path parameter)."""
    found = {}
    for file in sorted((Path(client.__file__).parent / "api").glob("*/*.py")):
        operation = re.search(r'"method": "(\w+)",\s*"url": f?"([^"]+)"', file.read_text())
        if operation:
            module = importlib.import_module(f"{client.__name__}.api.{file.parent.name}.{file.stem}")
            found[(operation[1], re.sub(r"\{[^}]*\}", "{}", operation[2]))] = module
    return found


@pytest.mark.parametrize("api", APIS)
def test_every_answer_the_spec_shows_parses_into_typed_models(served: Served, api: str) -> None:
    # The spec's example of each successful answer is what the API answers from its fixtures: the generated
    # client reads each into the model of its schema, every field typed.
    client, api_client, _ = _generate(served, api)
    with served.mock.asgi.test_client() as http:
        spec = http.get(f"/{api}/openapi.json").json()
    modules, examples, read = _modules(client), spec["components"]["examples"], 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            module = modules[(method, re.sub(r"\{[^}]*\}", "{}", path))]
            for status, answer in operation["responses"].items():
                if "$ref" in answer:
                    answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
                media = (answer.get("content") or {}).get("application/json")
                if not str(status).startswith("2") or media is None:
                    continue
                shown = [example["value"] if "value" in example else examples[example["$ref"].rsplit("/", 1)[1]]
                         ["value"] for example in (media.get("examples") or {}).values()]
                shown += [media["example"]] if "example" in media else []
                schema = media["schema"]
                model = schema.get("$ref", schema.get("items", {}).get("$ref", "")).rsplit("/", 1)[-1]
                for value in shown:
                    parsed = module._parse_response(client=api_client, response=httpx.Response(int(status),
                                                                                                json=value))
                    items = parsed if isinstance(parsed, list) else [parsed]
                    assert not model or all(type(each).__name__ == model for each in items), (path, method, parsed)
                    assert _untyped(parsed) == [], (path, method)
                    read += 1
    assert read >= 10


def test_the_generated_models_are_named_after_the_schemas(served: Served) -> None:
    # A nullable record is a model of its own name (not "<Name>Type0"), and a detail's nested records are the
    # models the lists use, not copies under other names.
    _, _, models = _generate(served, "scale")
    job = models.JobDetails.__attrs_attrs__
    assert {"BatchSummary", "NodeSummary", "JobError", "RecipeSummary", "SupersedingJobRef", "IdRef",
            "JobInputFiles", "OutputWorkspaces"} <= set(dir(models))
    assert not [name for name in dir(models) if name.endswith("Type0") and name[:-5] in dir(models)]
    assert "None | RecipeSummary" in str(job.recipe.type) or "RecipeSummary | None" in str(job.recipe.type)
    _, _, marquez = _generate(served, "marquez")
    assert "JobVersionId" in dir(marquez) and "RunJobVersionType0" not in dir(marquez)
    _, _, trifacta = _generate(served, "trifacta")
    assert not [name for name in dir(trifacta) if name.startswith("Nullable")]


def test_a_generated_scale_client_queues_finds_and_cancels_a_job(served: Served) -> None:
    client, api, models = _generate(served, "scale")
    queued = _op(client, "jobs", "queue_job").sync_detailed(
        client=api, body=models.QueueJobRequest.from_dict({"job_type_id": 1,
                                                           "input": {"files": {"INPUT_FILE": [61]}}}))
    assert queued.status_code == 201, queued.content
    assert type(queued.parsed).__name__ == "JobDetails"
    job_id = queued.parsed.id
    cancel = _op(client, "jobs", "cancel_jobs").sync_detailed(client=api,
                                                              body=models.JobFilterRequest(job_ids=[job_id]))
    assert cancel.status_code == 202, cancel.content
    assert "mockingjob-lint" not in cancel.headers
    found = _op(client, "jobs", "get_job").sync_detailed(client=api, job_id=job_id)
    assert found.status_code == 200 and found.parsed.status.value == "CANCELED"
    listed = _op(client, "jobs", "list_jobs").sync_detailed(client=api, page_size=5)
    assert listed.status_code == 200 and len(listed.parsed.results) == 5


def test_a_generated_marquez_client_creates_and_follows_a_run(served: Served) -> None:
    client, api, models = _generate(served, "marquez")
    job = _op(client, "jobs", "put_job").sync_detailed(
        namespace="food_delivery", job="generated", client=api,
        body=models.JobMeta.from_dict({"type": "BATCH", "inputs": [], "outputs": []}))
    assert job.status_code == 200, job.content
    created = _op(client, "runs", "create_run").sync_detailed(namespace="food_delivery", job="generated",
                                                              client=api, body=models.RunMeta())
    assert created.status_code == 201, created.content
    run_id = created.parsed.id
    started = _op(client, "runs", "start_run").sync_detailed(id=run_id, client=api)
    assert started.status_code == 200 and started.parsed.state.value == "RUNNING"
    fetched = _op(client, "runs", "get_run").sync_detailed(id=run_id, client=api)
    assert fetched.parsed.id == run_id and isinstance(fetched.parsed.started_at, datetime)


def test_a_generated_trifacta_client_runs_a_job_group(served: Served) -> None:
    client, api, models = _generate(served, "trifacta")
    created = _op(client, "job_groups", "run_job_group").sync_detailed(
        client=api, body=models.RunJobGroupRequest.from_dict({"wrangledDataset": {"id": 7}}))
    assert created.status_code == 201, created.content
    group = _op(client, "job_groups", "get_job_group").sync_detailed(id=created.parsed.id, client=api)
    assert group.status_code == 200 and group.parsed.id == created.parsed.id


def test_a_generated_coalesce_client_starts_a_run_and_reads_its_status(served: Served) -> None:
    client, api, models = _generate(served, "coalesce")
    started = _op(client, "jobs", "jobs_initiate_run").sync_detailed(
        client=api, body=models.StartRunRequest.from_dict({
            "runDetails": {"environmentID": "2", "jobID": "1"},
            "userCredentials": {"snowflakeUsername": "ANALYST", "snowflakePassword": "pw",
                                "snowflakeAuthType": "Basic"}}))
    assert started.status_code == 200, started.content
    run_counter = started.parsed.run_counter
    status = _op(client, "jobs", "jobs_get_status_updates").sync_detailed(client=api, run_counter=run_counter)
    assert status.status_code == 200 and status.parsed.run_status.value == "waitingToRun"
    listed = _op(client, "runs", "runs_list_information").sync_detailed(client=api)
    assert listed.status_code == 200 and run_counter in [run.id for run in listed.parsed.data]
