"""Clients generated from the specs the server serves (openapi-python-client) work against it unchanged: every
operation is generated, request models take the documented forms, and answers parse into the response models.
Under --strict the spec served is the documented one, and clients generated from it work too."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockingjob.core.config import Config
from mockingjob.http.app import MockApp
from tests.conftest import EPOCH

pytestmark = pytest.mark.subprocess

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
TOKEN = "generated-client"


@pytest.fixture(scope="module", params=[False, True], ids=["lenient", "strict"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    mock = MockApp(Config(apis=["scale", "marquez", "coalesce", "trifacta"], speed=0, tokens=[TOKEN],
                          strict=request.param, mount="prefix"))
    root = tmp_path_factory.mktemp("generated")
    sys.path.insert(0, str(root))
    try:
        yield mock, root, "strict" if request.param else "lenient"
    finally:
        sys.path.remove(str(root))
        mock.close()


CREDENTIALS = {"scale": {"Authorization": f"Token {TOKEN}"}, "marquez": {},
               "coalesce": {"Authorization": f"Bearer {TOKEN}"}, "trifacta": {"Authorization": f"Bearer {TOKEN}"}}


def _generate(served: Any, api: str) -> tuple[ModuleType, Any, Any]:
    """The client package generated from `api`'s served spec, its client on the app, and its models. (The
    generated client's own token setting applies to the HTTP client it makes itself: the test's carries it.)"""
    mock, root, mode = served
    package = f"{api}_{mode}_client"
    with mock.asgi.test_client() as http:
        spec = root / f"{package}.json"
        spec.write_bytes(http.get(f"/{api}/openapi.json").content)
    made = subprocess.run([str(GENERATOR), "generate", "--path", str(spec), "--meta", "none",
                           "--output-path", str(root / package), "--overwrite"], capture_output=True, text=True)
    assert made.returncode == 0, made.stdout + made.stderr
    # Every operation is generated: a schema the generator cannot read drops the endpoints that use it.
    assert "will not be generated" not in made.stdout + made.stderr, made.stdout
    assert "Unable to process schema" not in made.stdout + made.stderr, made.stdout
    importlib.invalidate_caches()
    mock.reset(control=True, at=EPOCH)
    client = importlib.import_module(package)
    api_client = client.Client(base_url=f"http://testserver/{api}")
    api_client.set_httpx_client(TestClient(mock.asgi, base_url=f"http://testserver/{api}", headers=CREDENTIALS[api]))
    return client, api_client, importlib.import_module(f"{package}.models")


def _op(client: ModuleType, tag: str, name: str) -> Any:
    return importlib.import_module(f"{client.__name__}.api.{tag}.{name}")


def test_a_generated_scale_client_queues_finds_and_cancels_a_job(served: Any) -> None:
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


def test_a_generated_marquez_client_creates_and_follows_a_run(served: Any) -> None:
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
    assert fetched.parsed.id == run_id and fetched.parsed.started_at is not None


def test_a_generated_trifacta_client_runs_a_job_group(served: Any) -> None:
    client, api, models = _generate(served, "trifacta")
    created = _op(client, "job_groups", "run_job_group").sync_detailed(
        client=api, body=models.RunJobGroupRequest.from_dict({"wrangledDataset": {"id": 7}}))
    assert created.status_code == 201, created.content
    group = _op(client, "job_groups", "get_job_group").sync_detailed(id=created.parsed.id, client=api)
    assert group.status_code == 200 and group.parsed.id == created.parsed.id


def test_a_generated_coalesce_client_starts_a_run_and_reads_its_status(served: Any) -> None:
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
