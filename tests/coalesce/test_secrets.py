"""Credentials are write-only: a password, private key or passphrase sent with a run never comes back."""

from __future__ import annotations

from datetime import timedelta

from tests.coalesce.helpers import DAILY_ORDERS, NIGHTLY_FINANCE, PRODUCTION, TOKEN, poll_until_final

PASSWORD = "pw-Zq81-unique-password"
PRIVATE_KEY = ("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkq-unique-key\n"
               "-----END ENCRYPTED PRIVATE KEY-----")
PASSPHRASE = "pp-Kx77-unique-passphrase"
SECRETS = (PASSWORD, PRIVATE_KEY, PASSPHRASE, "unique-key", "MIIFHDBOBgkqhkiG9w0BBQ0w")


def _every_read(client, run_ids):
    yield client.get("/api/v1/runs", params={"limit": 1000}, headers=TOKEN)
    yield client.get("/api/v1/runs", params={"limit": 1000, "detail": "true"}, headers=TOKEN)
    for order_by in ("runStartTime", "runEndTime"):
        yield client.get("/api/v1/runs", params={"orderBy": order_by, "detail": "true"}, headers=TOKEN)
    for run_id in run_ids:
        yield client.get(f"/api/v1/runs/{run_id}", headers=TOKEN)
        yield client.get(f"/api/v1/runs/{run_id}/results", headers=TOKEN)
        yield client.get("/scheduler/runStatus", params={"runCounter": run_id}, headers=TOKEN)
    yield client.get("/coalesce-nothing-here", headers=TOKEN)


def test_secrets_sent_with_runs_appear_in_no_response(mock, client, caplog):
    basic = {"snowflakeUsername": "ANALYST", "snowflakePassword": PASSWORD}
    keypair = {"snowflakeAuthType": "KeyPair", "snowflakeUsername": "SVC", "snowflakeKeyPairKey": PRIVATE_KEY,
               "snowflakeKeyPairPass": PASSPHRASE, "snowflakeRole": "TRANSFORMER"}
    bodies = []
    started = []
    for credentials, job in ((basic, DAILY_ORDERS), (keypair, NIGHTLY_FINANCE)):
        response = client.post("/scheduler/startRun", headers=TOKEN, json={
            "runDetails": {"environmentID": PRODUCTION, "jobID": job}, "userCredentials": credentials})
        bodies.append(response.text)
        started.append(response.json()["runCounter"])
    # Refusals echo nothing secret either: a wrong combination and an unknown environment.
    bodies.append(client.post("/scheduler/startRun", headers=TOKEN, json={
        "runDetails": {"environmentID": PRODUCTION}, "userCredentials": {**basic, "snowflakeKeyPairKey": PRIVATE_KEY}}
    ).text)
    bodies.append(client.post("/scheduler/startRun", headers=TOKEN, json={
        "runDetails": {"environmentID": "nope"}, "userCredentials": keypair}).text)
    bodies.append(client.post("/scheduler/startRun", headers=TOKEN, json={
        "runDetails": {"environmentID": PRODUCTION}, "userCredentials": {**keypair, "snowflakePassword": PASSWORD}}
    ).text)
    poll_until_final(mock, client, started[1])
    rerun = client.post("/scheduler/rerun", headers=TOKEN, json={
        "runDetails": {"runID": str(started[1])}, "userCredentials": keypair})
    bodies.append(rerun.text)
    started.append(rerun.json()["runCounter"])
    cancel = client.post("/scheduler/cancelRun", headers=TOKEN, json={"runID": started[2]})
    bodies.append(cancel.text)
    mock.clock.advance(timedelta(minutes=1))
    bodies.append(client.post("/scheduler/startRun", headers=TOKEN, json={
        "runDetails": {"environmentID": PRODUCTION}, "userCredentials": {**basic, "snowflakePassword": [PASSWORD]}}
    ).text)
    bodies += [response.text for response in _every_read(client, started)]
    # The mock's own request journal keeps the requests, redacted.
    journal = client.get("/_mockingjob/journal", params={"limit": 1000})
    assert journal.status_code == 200 and "startRun" in journal.text
    bodies.append(journal.text)
    for body in bodies:
        for secret in SECRETS:
            assert secret not in body
    assert all(secret not in caplog.text for secret in SECRETS)
    # What is shown instead: the public half.
    detail = client.get(f"/api/v1/runs/{started[1]}", headers=TOKEN).json()["userCredentials"]
    assert detail == {"snowflakeAccount": "acme-prod.us-east-1", "snowflakeAuthType": "KeyPair",
                      "snowflakeUsername": "SVC", "snowflakeRole": "TRANSFORMER"}


def test_secrets_never_reach_the_store(mock, client):
    client.post("/scheduler/startRun", headers=TOKEN, json={
        "runDetails": {"environmentID": PRODUCTION}, "userCredentials": {
            "snowflakeUsername": "ANALYST", "snowflakePassword": PASSWORD}})
    with mock.store.begin() as conn:
        for table in mock.engine.tables["coalesce"]:
            for row in conn.execute(table.select()):
                assert PASSWORD not in repr(tuple(row))
