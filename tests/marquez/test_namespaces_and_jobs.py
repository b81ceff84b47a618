"""Namespaces, jobs and a job's run list: the neighbours a client uses with create-run."""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient

from mockingjob.http.app import MockApp

DELIVERY = "/api/v1/namespaces/food_delivery/jobs/etl_delivery_7_days"
JOB_BODY = {"type": "BATCH", "inputs": [], "outputs": []}


def _ids(runs: list[dict[str, object]]) -> list[str]:
    return [str(run["id"])[:4] for run in runs]


# --- namespaces ----------------------------------------------------------------------------------------

def test_put_creates_a_namespace_and_put_again_updates_it(client: TestClient, mock: MockApp) -> None:
    created = client.put("/api/v1/namespaces/my-team", json={"ownerName": "me", "description": "Ours."})
    assert created.status_code == 200
    assert created.json() == {"name": "my-team", "createdAt": "2026-03-02T12:00:00Z",
                              "updatedAt": "2026-03-02T12:00:00Z", "ownerName": "me", "description": "Ours.",
                              "isHidden": False}
    mock.clock.advance(timedelta(minutes=1))
    updated = client.put("/api/v1/namespaces/my-team", json={"ownerName": "you"}).json()
    assert updated["createdAt"] == "2026-03-02T12:00:00Z"
    assert updated["updatedAt"] == "2026-03-02T12:01:00Z"
    assert updated["ownerName"] == "you" and updated["description"] is None
    assert client.get("/api/v1/namespaces/my-team").json() == updated


def test_a_namespace_needs_an_owner(client: TestClient) -> None:
    for body in ({}, {"ownerName": ""}, {"ownerName": None, "colour": "red"}):
        response = client.put("/api/v1/namespaces/my-team", json=body)
        assert response.status_code == 400, body
        assert response.json()["code"] == 400
    assert client.get("/api/v1/namespaces/my-team").status_code == 404


def test_namespace_names_follow_marquez_rules(client: TestClient) -> None:
    assert client.put("/api/v1/namespaces/a:b;c=d@e+f.g_h-i", json={"ownerName": "me"}).status_code == 200
    refused = client.put("/api/v1/namespaces/has space", json={"ownerName": "me"})
    assert refused.status_code == 404
    assert refused.json() == {"code": 404, "message": "HTTP 404 Not Found"}


def test_an_unknown_namespace_is_a_404(client: TestClient) -> None:
    response = client.get("/api/v1/namespaces/nowhere")
    assert response.status_code == 404
    assert response.json() == {"code": 404, "message": "Namespace 'nowhere' not found."}
    # JobDao.findAll only filters on the namespace's name: its jobs are an empty list, not a 404.
    jobs = client.get("/api/v1/namespaces/nowhere/jobs")
    assert jobs.status_code == 200 and jobs.json() == {"jobs": [], "totalCount": 0}


def test_namespaces_are_listed_by_name_and_paged(client: TestClient) -> None:
    names = [ns["name"] for ns in client.get("/api/v1/namespaces").json()["namespaces"]]
    assert names == ["default", "food_delivery", "ml-platform"]
    page = client.get("/api/v1/namespaces", params={"limit": 1, "offset": 1}).json()
    assert [ns["name"] for ns in page["namespaces"]] == ["food_delivery"]
    assert client.get("/api/v1/namespaces", params={"limit": 0}).json() == {"namespaces": []}


def test_negative_or_non_numeric_paging_gets_dropwizards_answers(client: TestClient) -> None:
    negative = client.get("/api/v1/namespaces", params={"offset": -1})
    assert negative.status_code == 400
    assert negative.json() == {"errors": ["query param offset must be greater than or equal to 0"]}
    junk = client.get(f"{DELIVERY}/runs", params={"limit": "ten"})
    assert junk.status_code == 404
    assert junk.json() == {"code": 404, "message": "HTTP 404 Not Found"}


# --- jobs ----------------------------------------------------------------------------------------------

def test_put_job_creates_then_updates_a_job(client: TestClient, mock: MockApp) -> None:
    body = {"type": "BATCH", "inputs": [{"namespace": "food_delivery", "name": "public.orders"}],
            "outputs": [{"namespace": "food_delivery", "name": "public.order_status"}],
            "location": "https://example.com/job.py", "description": "Counts orders.",
            "context": {"sql": "SELECT 1"}}
    created = client.put("/api/v1/namespaces/food_delivery/jobs/count_orders", json=body)
    assert created.status_code == 200, created.text
    job = created.json()
    assert job["id"] == {"namespace": "food_delivery", "name": "count_orders"}
    assert job["name"] == job["simpleName"] == "count_orders"
    assert job["namespace"] == "food_delivery" and job["type"] == "BATCH"
    assert job["inputs"] == [{"namespace": "food_delivery", "name": "public.orders"}]
    # Marquez keeps a PUT's inputs as the job's current inputs, and its outputs nowhere (JobDao.upsertJobMeta):
    # a job's outputs are what its runs wrote.
    assert job["outputs"] == []
    assert client.get("/api/v1/namespaces/food_delivery/jobs/count_orders").json() == job
    assert job["location"] == "https://example.com/job.py" and job["description"] == "Counts orders."
    assert job["latestRun"] is None and job["latestRuns"] is None and job["currentVersion"] is None
    assert job["createdAt"] == job["updatedAt"] == "2026-03-02T12:00:00Z"
    mock.clock.advance(timedelta(hours=1))
    updated = client.put("/api/v1/namespaces/food_delivery/jobs/count_orders", json={**JOB_BODY, "type": "STREAM"})
    assert updated.json()["type"] == "STREAM" and updated.json()["inputs"] == []
    assert updated.json()["updatedAt"] == "2026-03-02T13:00:00Z"
    assert updated.json()["createdAt"] == "2026-03-02T12:00:00Z"
    run = client.post("/api/v1/namespaces/food_delivery/jobs/count_orders/runs", json={}).json()
    assert run["context"] == {}


def test_put_job_checks_namespace_datasets_and_run(client: TestClient) -> None:
    assert client.put("/api/v1/namespaces/nowhere/jobs/x", json=JOB_BODY).json() == {
        "code": 404, "message": "Namespace 'nowhere' not found."}
    missing = {**JOB_BODY, "outputs": [{"namespace": "food_delivery", "name": "public.nothing"}]}
    assert client.put("/api/v1/namespaces/food_delivery/jobs/x", json=missing).json() == {
        "code": 404, "message": "Dataset 'public.nothing' not found."}
    other_jobs_run = "6d30fe40-f527-456e-b960-218a256b72e1"
    response = client.put("/api/v1/namespaces/food_delivery/jobs/etl_orders",
                          json={**JOB_BODY, "runId": other_jobs_run})
    assert response.status_code == 404
    assert response.json() == {"code": 404, "message": f"Run '{other_jobs_run}' not found."}
    own_run = "b6742830-452e-4883-be53-1bd1905469a1"
    assert client.put("/api/v1/namespaces/food_delivery/jobs/etl_orders",
                      json={**JOB_BODY, "runId": own_run}).status_code == 200


def test_put_job_refuses_what_marquez_cannot_read(client: TestClient) -> None:
    for body in ({"inputs": [], "outputs": []}, {**JOB_BODY, "type": "CRON"}, {"type": "BATCH"},
                 {**JOB_BODY, "location": "not a url"}, {**JOB_BODY, "type": "batches"}):
        response = client.put("/api/v1/namespaces/food_delivery/jobs/x", json=body)
        assert response.status_code == 400, body
    assert client.get("/api/v1/namespaces/food_delivery/jobs/x").status_code == 404


def test_get_job_shows_its_latest_runs_newest_first(client: TestClient) -> None:
    job = client.get(DELIVERY).json()
    assert job["latestRun"]["id"] == "99d80d61-b4d3-4f21-997b-eacfcb7b00bb"
    assert job["latestRun"]["state"] == "RUNNING"
    assert _ids(job["latestRuns"]) == ["99d8", "b290", "65b0", "6d30"]
    version = job["latestRuns"][1]["jobVersion"]["version"]
    versions = client.get(f"{DELIVERY}/versions").json()["versions"]
    assert [v["version"] for v in versions] == [version]
    assert versions[0]["latestRun"]["id"] == job["latestRuns"][1]["id"]


def test_a_new_run_becomes_the_jobs_latest_run(client: TestClient, mock: MockApp) -> None:
    mock.clock.advance(timedelta(seconds=1))
    run = client.post(f"{DELIVERY}/runs", json={}).json()
    assert client.get(DELIVERY).json()["latestRun"] == run
    listed = client.get("/api/v1/namespaces/food_delivery/jobs").json()
    by_name = {job["name"]: job for job in listed["jobs"]}
    assert by_name["etl_delivery_7_days"]["latestRun"]["id"] == run["id"]


def test_of_two_runs_created_at_the_same_instant_the_second_is_the_latest(client: TestClient) -> None:
    first = client.post(f"{DELIVERY}/runs", json={}).json()
    second = client.post(f"{DELIVERY}/runs", json={}).json()
    assert first["createdAt"] == second["createdAt"]
    job = client.get(DELIVERY).json()
    assert [run["id"] for run in job["latestRuns"][:2]] == [second["id"], first["id"]]
    unstarted = client.get(f"{DELIVERY}/runs").json()["runs"][-2:]
    assert [run["id"] for run in unstarted] == [second["id"], first["id"]]


def test_an_unknown_job_is_a_404(client: TestClient) -> None:
    response = client.get("/api/v1/namespaces/food_delivery/jobs/nothing")
    assert response.json() == {"code": 404, "message": "Job 'nothing' not found."}
    assert client.get("/api/v1/namespaces/food_delivery/jobs/nothing/runs").status_code == 404


def test_jobs_are_listed_most_recently_updated_first_with_a_total(client: TestClient) -> None:
    # JobDao.findAll: ORDER BY updated_at DESC (the fixtures: etl_orders 11-30, delivery_times 11-25, etl_delivery
    # 11-15, relative to now).
    listed = client.get("/api/v1/namespaces/food_delivery/jobs").json()
    names = [job["name"] for job in listed["jobs"]]
    updated = [job["updatedAt"] for job in listed["jobs"]]
    assert updated == sorted(updated, reverse=True)
    # The three of jobs.yaml, and the four its lineage events (events.yaml) made there.
    assert listed["totalCount"] == 7
    assert {"etl_orders", "etl_customers", "delivery_report_dag.email_delivery_report"} <= set(names)
    page = client.get("/api/v1/namespaces/food_delivery/jobs", params={"limit": 1, "offset": 2}).json()
    assert [job["name"] for job in page["jobs"]] == names[2:3] and page["totalCount"] == 7


def test_a_finished_run_moves_its_job_to_the_top(client: TestClient) -> None:
    # JobDao.updateVersionFor sets the job's updatedAt when one of its runs finishes.
    jobs = "/api/v1/namespaces/food_delivery/jobs"
    last = client.get(jobs).json()["jobs"][-1]
    run = client.post(f"{jobs}/{last['name']}/runs", json={}).json()
    assert client.get(jobs).json()["jobs"][-1]["name"] == last["name"]  # creating a run changes no job
    done = client.post(f"/api/v1/jobs/runs/{run['id']}/complete", params={"at": "2026-03-02T12:30:00Z"}).json()
    top = client.get(jobs).json()["jobs"][0]
    assert (top["name"], top["updatedAt"]) == (last["name"], done["endedAt"])


# --- a job's runs --------------------------------------------------------------------------------------

def test_runs_are_listed_most_recently_started_first_unstarted_last(client: TestClient) -> None:
    orders = client.get("/api/v1/namespaces/food_delivery/jobs/etl_orders/runs").json()
    assert _ids(orders["runs"]) == ["b6c6", "b674", "37ab"]
    assert orders["totalCount"] == 3
    times = client.get("/api/v1/namespaces/food_delivery/jobs/delivery_times_7_days/runs").json()
    assert _ids(times["runs"]) == ["75db", "383a"]


def test_starting_a_run_moves_it_to_the_top_of_the_list(client: TestClient, mock: MockApp) -> None:
    run = client.post(f"{DELIVERY}/runs", json={}).json()
    assert client.get(f"{DELIVERY}/runs").json()["runs"][-1]["id"] == run["id"]
    client.post(f"/api/v1/jobs/runs/{run['id']}/start")
    assert client.get(f"{DELIVERY}/runs").json()["runs"][0]["id"] == run["id"]


def test_the_run_list_pages_with_limit_and_offset(client: TestClient) -> None:
    page = client.get(f"{DELIVERY}/runs", params={"limit": 2, "offset": 1}).json()
    assert _ids(page["runs"]) == ["b290", "65b0"]
    assert page["totalCount"] == 4
    assert client.get(f"{DELIVERY}/runs", params={"offset": 10}).json() == {"runs": [], "totalCount": 4}


def test_fixtures_hold_runs_in_every_state_relative_to_seeding(client: TestClient) -> None:
    states = set()
    for job in ("etl_delivery_7_days", "etl_orders", "delivery_times_7_days"):
        for run in client.get(f"/api/v1/namespaces/food_delivery/jobs/{job}/runs").json()["runs"]:
            states.add(run["state"])
    assert states == {"NEW", "RUNNING", "COMPLETED", "FAILED", "ABORTED"}
    running = client.get("/api/v1/jobs/runs/99d80d61-b4d3-4f21-997b-eacfcb7b00bb").json()
    assert running["createdAt"] == "2026-03-02T11:50:00Z" and running["startedAt"] == "2026-03-02T11:51:00Z"


def test_unknown_paths_and_query_parameters(client: TestClient) -> None:
    assert client.get("/api/v1/nothing").json() == {"code": 404, "message": "HTTP 404 Not Found"}
    # JAX-RS binds only the parameters a resource names: others change nothing, and are reported.
    everything = client.get("/api/v1/namespaces").json()
    response = client.get("/api/v1/namespaces", params={"size": 1})
    assert response.status_code == 200
    assert response.json() == everything
    assert response.headers.get_list("Mockingjob-Lint") == [
        'unknown-parameter "query.size" "Marquez ignores it (JAX-RS binds only the query parameters a resource '
        'method names)"']


def test_the_web_uis_last_run_states_filter_keeps_jobs_whose_latest_run_is_in_them(client: TestClient) -> None:
    # JobDao.findAll: the job's current run in one of the states, or no run at all; totalCount counts them all.
    jobs = "/api/v1/namespaces/food_delivery/jobs"
    states = {job["name"]: (job["latestRun"] or {}).get("state") for job in client.get(jobs).json()["jobs"]}
    client.put("/api/v1/namespaces/food_delivery/jobs/never_run", json=JOB_BODY)
    for wanted in (["FAILED"], ["RUNNING", "NEW"], ["ABORTED"]):
        response = client.get(jobs, params=[("lastRunStates", state) for state in wanted])
        assert response.status_code == 200
        names = [job["name"] for job in response.json()["jobs"]]
        assert sorted(names) == sorted([name for name, state in states.items() if state in wanted] + ["never_run"])
        assert response.json()["totalCount"] == len(states) + 1
        assert response.headers.get_list("Mockingjob-Lint") == []
    # Dropwizard's FuzzyEnumParamConverterProvider reads an enum query parameter in any case (reported), and
    # refuses a value that is no run state with a 400 naming the values it takes.
    folded = client.get(jobs, params={"lastRunStates": "failed"})
    assert folded.json()["jobs"] == client.get(jobs, params={"lastRunStates": "FAILED"}).json()["jobs"]
    assert folded.headers.get_list("Mockingjob-Lint")[0].startswith('case-folded "query.lastRunStates.0"')
    refused = client.get(jobs, params={"lastRunStates": "DONE"})
    assert refused.status_code == 400
    assert refused.json() == {"code": 400, "message": "query param lastRunStates must be one of [NEW, RUNNING, "
                                                      "COMPLETED, FAILED, ABORTED]"}


def test_the_fixture_datasets_are_listed_and_found(client: TestClient) -> None:
    listed = client.get("/api/v1/namespaces/food_delivery/datasets").json()
    names = [dataset["name"] for dataset in listed["datasets"]]
    assert names == sorted(names) and "public.orders" in names and listed["totalCount"] == len(names)
    orders = client.get("/api/v1/namespaces/food_delivery/datasets/public.orders").json()
    assert orders["id"] == {"namespace": "food_delivery", "name": "public.orders"}
    assert (orders["type"], orders["sourceName"], orders["deleted"]) == ("DB_TABLE", "default", False)
    missing = client.get("/api/v1/namespaces/food_delivery/datasets/public.nothing")
    assert missing.status_code == 404
    assert missing.json() == {"code": 404, "message": "Dataset 'public.nothing' not found."}
    assert client.get("/api/v1/namespaces/nowhere/datasets").json() == {
        "code": 404, "message": "Namespace 'nowhere' not found."}


def test_the_jobs_of_every_namespace(client: TestClient) -> None:
    every = client.get("/api/v1/jobs").json()
    per_namespace = sum(client.get(f"/api/v1/namespaces/{ns['name']}/jobs").json()["totalCount"]
                        for ns in client.get("/api/v1/namespaces").json()["namespaces"])
    assert every["totalCount"] == per_namespace == len(every["jobs"])
    assert {job["namespace"] for job in every["jobs"]} >= {"food_delivery", "ml-platform"}
    updated = [job["updatedAt"] for job in every["jobs"]]
    assert updated == sorted(updated, reverse=True)
    failed = client.get("/api/v1/jobs", params={"lastRunStates": "FAILED"}).json()["jobs"]
    assert all(job["latestRun"] is None or job["latestRun"]["state"] == "FAILED" for job in failed)
    assert client.get("/api/v1/jobs", params={"limit": 1}).json()["jobs"] == every["jobs"][:1]


def test_names_with_a_slash_are_addressed_encoded(client: TestClient) -> None:
    # OpenLineage names dataset namespaces postgres://host:5432; Marquez's clients send the "/" as %2F.
    created = client.put("/api/v1/namespaces/postgres:%2F%2Fdb:5432", json={"ownerName": "me"})
    assert created.status_code == 200 and created.json()["name"] == "postgres://db:5432"
    assert client.get("/api/v1/namespaces/postgres%3A%2F%2Fdb%3A5432").json()["name"] == "postgres://db:5432"
    job = client.put("/api/v1/namespaces/food_delivery/jobs/etl%2Fnightly", json=JOB_BODY)
    assert job.status_code == 200 and job.json()["name"] == "etl/nightly"
    assert client.get("/api/v1/namespaces/food_delivery/jobs/etl%2Fnightly").json()["id"]["name"] == "etl/nightly"
    # Decoded, the same path has more segments: it names nothing.
    assert client.get("/api/v1/namespaces/food_delivery/jobs/etl/nightly").status_code == 404
    entry = client.get("/_mockingjob/journal?limit=1").json()["entries"][0]
    assert entry["path"] == "/api/v1/namespaces/food_delivery/jobs/etl/nightly"


def test_a_deleted_job_is_hidden_until_it_is_put_again(client: TestClient) -> None:
    jobs = "/api/v1/namespaces/food_delivery/jobs"
    before = client.get(jobs).json()
    deleted = client.delete(f"{jobs}/etl_orders")
    assert deleted.status_code == 200 and deleted.json()["name"] == "etl_orders"
    after = client.get(jobs).json()
    assert "etl_orders" not in [job["name"] for job in after["jobs"]]
    assert after["totalCount"] == before["totalCount"] - 1
    assert client.get(f"{jobs}/etl_orders").json() == {"code": 404, "message": "Job 'etl_orders' not found."}
    assert client.delete(f"{jobs}/etl_orders").status_code == 404
    assert client.put(f"{jobs}/etl_orders", json=JOB_BODY).status_code == 200
    assert client.get(f"{jobs}/etl_orders").status_code == 200


def test_a_deleted_namespace_hides_its_jobs_and_datasets(client: TestClient) -> None:
    deleted = client.delete("/api/v1/namespaces/food_delivery")
    assert deleted.status_code == 200 and deleted.json()["isHidden"] is False  # as it was
    assert client.get("/api/v1/namespaces/food_delivery").json()["isHidden"] is True
    assert client.get("/api/v1/namespaces/food_delivery/jobs").json() == {"jobs": [], "totalCount": 0}
    assert client.get("/api/v1/namespaces/food_delivery/datasets").json()["datasets"] == []
    assert client.delete("/api/v1/namespaces/nowhere").status_code == 404
