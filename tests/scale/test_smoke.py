from datetime import timedelta


def test_queued_job_runs_then_completes_on_the_manual_clock(mock, client):
    from tests.conftest import TOKEN

    created = client.post("/v6/jobs/", json={"job_type_id": 1, "input": {"files": {"INPUT_FILE": [61]}}},
                          headers=TOKEN)
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["status"] == "QUEUED" and job["execution"] is None and job["num_exes"] == 1
    assert created.headers["location"].endswith(f"/v6/jobs/{job['id']}/")
    mock.clock.advance(timedelta(seconds=4))
    assert client.get(f"/v6/jobs/{job['id']}/").json()["status"] == "RUNNING"
    mock.clock.advance(timedelta(seconds=30))
    done = client.get(f"/v6/jobs/{job['id']}/").json()
    assert done["status"] == "COMPLETED"
    assert done["execution"]["status"] == "COMPLETED"
