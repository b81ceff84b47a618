"""Secrets a client sends appear nowhere: not in the journal, not in any answer, not even in an error that
quotes the bad request."""

from __future__ import annotations

import contextlib
import json

import pytest

from mockingjob import Config, MockApp
from tests.scale.helpers import INGEST, INPUTS

ADMIN = "/_mockingjob"
SECRET_TOKEN = "tok-4f9a1c77e2"
PASSWORD = "pa55-w0rd-Zq9"


def _everything(client) -> str:
    journal = client.get(f"{ADMIN}/journal?limit=1000").text
    return journal


def test_a_scale_token_and_a_password_in_the_body_are_redacted_in_the_journal(client):
    headers = {"Authorization": f"Token {SECRET_TOKEN}"}
    body = {"job_type_id": INGEST, "input": {**INPUTS[INGEST], "json": {"password": PASSWORD}}}
    created = client.post("/v6/jobs/", json=body, headers=headers)
    listed = client.get(f"/v6/jobs/?page_size=1&api_key={PASSWORD}", headers=headers)
    journal = _everything(client)
    assert SECRET_TOKEN not in journal and PASSWORD not in journal
    assert "Token [REDACTED]" in journal and "api_key=%5BREDACTED%5D" in journal
    # The job's own input is the client's data, which Scale hands back as it was given; only the journal,
    # which a whole team may read, hides it.
    assert SECRET_TOKEN not in created.text and SECRET_TOKEN not in listed.text


def test_an_error_that_quotes_the_request_does_not_repeat_a_secret(client):
    # The id is wrong *and* is the secret: the validation message would quote it back.
    response = client.post("/v6/jobs/", json={"job_type_id": PASSWORD, "password": PASSWORD},
                           headers={"Authorization": f"Token {SECRET_TOKEN}"})
    assert response.status_code == 400
    assert PASSWORD not in response.text
    assert PASSWORD not in _everything(client)


def test_a_rejected_token_is_not_repeated():
    guarded = MockApp(Config(apis=["scale"], speed=0, tokens=["the-only-token"]))
    try:
        with guarded.asgi.test_client() as client:
            response = client.post("/v6/jobs/", json={"job_type_id": INGEST, "input": INPUTS[INGEST]},
                                   headers={"Authorization": f"Token {SECRET_TOKEN}"})
            assert response.status_code == 403
            assert SECRET_TOKEN not in response.text and SECRET_TOKEN not in _everything(client)
    finally:
        guarded.close()


def test_a_secret_in_a_malformed_body_is_redacted_too(client):
    truncated = '{"job_type_id": 1, "input": {"json": {"password": "' + PASSWORD + '"'
    response = client.post("/v6/jobs/", content=truncated, headers={"Content-Type": "application/json",
                                                                     "Authorization": f"Token {SECRET_TOKEN}"})
    assert response.status_code == 400
    journal = _everything(client)
    assert PASSWORD not in journal and "[REDACTED]" in journal


def test_a_misspelt_password_field_is_still_a_secret(client):
    client.post("/v6/jobs/", json={"job_type_id": INGEST, "input": INPUTS[INGEST], "pasword": PASSWORD},
                headers={"Authorization": f"Token {SECRET_TOKEN}"})
    assert PASSWORD not in _everything(client)


def test_a_secret_echoed_by_a_later_answer_is_scrubbed_from_the_journal(client):
    created = client.post("/v6/jobs/", json={"job_type_id": INGEST,
                                            "input": {**INPUTS[INGEST], "json": {"password": PASSWORD}}},
                          headers={"Authorization": f"Token {SECRET_TOKEN}"}).json()
    later = client.get(f"/v6/jobs/{created['id']}/")  # Scale hands the job's input back, as it should
    assert PASSWORD in later.text
    assert PASSWORD not in _everything(client)


def test_a_bare_scheme_is_no_secret_and_one_requests_secrets_do_not_alter_anothers_answer(client):
    client.post("/v6/jobs/cancel/", json={"job_ids": [20]}, headers={"Authorization": "Token"})
    client.post("/v6/jobs/", json={"job_type_id": INGEST,
                                   "input": {**INPUTS[INGEST], "json": {"password": "landsat-ingest"}}},
                headers={"Authorization": f"Token {SECRET_TOKEN}"})
    response = client.post("/v6/jobs/cancel/", json={"job_ids": [20]}, headers={"Authorization": "Token a b"})
    assert response.json() == {"detail": "Invalid token header. Token string should not contain spaces."}
    # Another request's password is that request's business: this answer quotes its own input unchanged.
    other = client.post("/v6/jobs/cancel/", json={"job_types": [{"name": "landsat-ingest", "version": "1.0"}]},
                        headers={"Authorization": "Token t"})
    assert other.json() == {"detail": "Job Type with name: landsat-ingest and version: 1.0 does not exist"}


def test_a_packs_own_secret_field_is_redacted_however_it_is_spelt(client, mock, monkeypatch):
    # A pack names its own secret fields lower-case, without "_" or "-"; clients spell them as they like.
    monkeypatch.setattr(mock.packs["scale"], "secret_fields", frozenset({"landsatkey"}))
    spellings = {"landsatKey": "lk-1-9f3a2c", "landsat_key": "lk-2-7d1e0b", "Landsat-Key": "lk-3-5c8f4a",
                 "LANDSATKEY": "lk-4-2b6d9e"}
    created = client.post("/v6/jobs/", json={"job_type_id": INGEST, "input": {**INPUTS[INGEST], "json": spellings}},
                          headers={"Authorization": f"Token {SECRET_TOKEN}"})
    assert created.status_code == 201
    assert all(value in created.text for value in spellings.values())  # the client's data comes back as given
    journal = _everything(client)
    assert not any(value in journal for value in spellings.values())
    # A field whose name merely contains the pack's name for it is no secret.
    client.post("/v6/jobs/", json={"job_type_id": INGEST,
                                   "input": {**INPUTS[INGEST], "json": {"landsatKeyId": "lk-5-plain-id"}}},
                headers={"Authorization": f"Token {SECRET_TOKEN}"})
    assert "lk-5-plain-id" in _everything(client)


def test_a_secret_quoted_under_an_innocent_name_is_scrubbed_from_the_journal(client):
    # The secret travels in a secret header; the body and the answers quote it under names that say nothing.
    api_key = "ak-0c5e-91fd-innocent"
    created = client.post("/v6/jobs/", json={"job_type_id": INGEST,
                                            "input": {**INPUTS[INGEST], "json": {"note": f"key was {api_key}"}}},
                          headers={"Authorization": f"Token {SECRET_TOKEN}", "X-Api-Key": api_key})
    assert created.status_code == 201 and api_key in created.text
    later = client.get(f"/v6/jobs/{created.json()['id']}/")  # a request that carries no secret itself
    assert api_key in later.text
    journal = _everything(client)
    assert api_key not in journal
    created_entry, later_entry = client.get(f"{ADMIN}/journal?order=asc").json()["entries"][-2:]
    assert "key was [REDACTED]" in created_entry["responseBody"]
    assert "key was [REDACTED]" in later_entry["responseBody"]


def test_a_token_in_any_secret_named_header_is_redacted_in_the_journal(client):
    client.get("/v6/jobs/?page_size=1", headers={"X-Auth-Token": "xat-7c1d2e9f", "X-Csrf-Token": "csrf-88a1b2c3",
                                                "Private-Token": "gl-5e6f7a8b"})
    journal = _everything(client)
    assert "xat-7c1d2e9f" not in journal and "csrf-88a1b2c3" not in journal and "gl-5e6f7a8b" not in journal
    headers = client.get(f"{ADMIN}/journal?limit=1").json()["entries"][0]["requestHeaders"]
    assert headers["x-auth-token"] == headers["private-token"] == "[REDACTED]"


def _shared(state: str) -> MockApp:
    return MockApp(Config(apis=["coalesce"], state=state, speed=0))


def test_a_secret_one_instance_saw_is_scrubbed_by_another_and_after_a_restart(tmp_path):
    # Two instances on one state file, as two workers or two replicas serve; then a third, as after a restart.
    state = str(tmp_path / "state.db")
    password = "hunter2-shared-secret"
    token = {"Authorization": "Bearer t"}
    first, second = _shared(state), _shared(state)
    try:
        with first.asgi.test_client() as one, second.asgi.test_client() as two:
            started = one.post("/scheduler/startRun", headers=token, json={
                "runDetails": {"environmentID": "2", "jobID": "1"},
                "userCredentials": {"snowflakeAuthType": "Basic", "snowflakeUsername": "u",
                                    "snowflakePassword": password},
                "parameters": {"note": password}})
            assert started.status_code == 200, started.text
            run = started.json()["runCounter"]
            echoed = two.get(f"/api/v1/runs/{run}", headers=token)
            assert password in echoed.text  # Coalesce answers a run's parameters back, as given
            assert password not in two.get(f"{ADMIN}/journal?limit=100").text
    finally:
        first.close()
        second.close()
    restarted = _shared(state)
    try:
        with restarted.asgi.test_client() as three:
            assert password in three.get(f"/api/v1/runs/{run}", headers=token).text
            assert password not in three.get(f"{ADMIN}/journal?limit=100").text
    finally:
        restarted.close()


def test_secrets_remembered_for_later_exchanges_are_bounded_in_number_and_length(mock, client):
    recorder = mock.plane.recorder
    for index in range(100):
        client.post("/v6/jobs/cancel/", json={"job_ids": [999999], "password": f"{index:03d}" + "k" * 100_000},
                    headers={"Authorization": "Token t"})
        client.get("/v6/jobs/?page_size=1", params={"password": f"short-token-{index:03d}"})
        # Credentials that travel only in headers are redacted by name, and never remembered.
        client.get("/v6/jobs/?page_size=1", headers={"X-Auth-Token": f"header-only-{index:03d}"})
    remembered = list(recorder.remembered)
    assert not any(value.startswith("header-only") for value in remembered)
    assert len(remembered) <= 64
    assert all(len(value) <= 8 * 1024 for value in remembered)
    assert "short-token-099" in remembered and "short-token-000" not in remembered
    # Every one of them is still redacted where it was sent.
    assert "kkkkkkkkkk" not in _everything(client)


def test_a_request_with_very_many_secrets_is_still_scrubbed_by_name():
    from mockingjob.control.redact import MAX_SEARCHED, Secrets

    document = {f"password{index}": f"value-{index:05d}" for index in range(5 * MAX_SEARCHED)}
    secrets = Secrets()
    secrets.from_document(document)
    assert len(secrets.values) == 5 * MAX_SEARCHED
    redacted = secrets.redact_document(document)
    assert set(redacted.values()) == {"[REDACTED]"}


@contextlib.contextmanager
def _client_of(app):
    """A test client of `app`, which is closed afterwards."""
    try:
        with app.asgi.test_client() as client:
            yield client
    finally:
        app.close()


def _coalesce(state=None):
    return MockApp(Config(apis=["coalesce"], speed=0, state=state))


BEARER_JSON = {"Authorization": "Bearer t", "Content-Type": "application/json"}


def test_secrets_beyond_the_part_of_a_large_body_the_journal_keeps_are_still_redacted():
    body = ('{"runDetails": {"environmentID": "2", "jobID": "1"}, "userCredentials": {"snowflakeUsername": "A", '
            '"snowflakePassword": "TruncSecretAAA1", "snowflakeAuthType": "Basic"}, "parameters": {'
            '"db_password": 123456789012, "api_token": ["TruncArrTok22"], "secret": {"inner": "TruncNested33"}, '
            '"PAD": "' + "x" * 1_200_000 + '"}}')
    with _client_of(_coalesce()) as client:
        assert client.post("/scheduler/startRun", content=body, headers=BEARER_JSON).status_code == 200
        journal = _everything(client)
    for secret in ("TruncSecretAAA1", "123456789012", "TruncArrTok22", "TruncNested33"):
        assert secret not in journal, secret


@pytest.mark.parametrize(("body", "secret"), [
    ('{"parameters": {"password": 98765432101,}}', "98765432101"),
    ('{"parameters": {"api_key": ["LeakArray7"],}}', "LeakArray7"),
    ('{"parameters": {"api_key": {"nested": "LeakObject8"}, }', "LeakObject8"),
    ('{"parameters": {"pass\\u0077ord": "LeakEscKey9"},}', "LeakEscKey9"),
    ('{"userCredentials": {"snowflakePassword": "LeakTrunc10', "LeakTrunc10"),
    ("{'password': 'LeakSingle11'}", "LeakSingle11"),
    ('{password: "LeakBare12"}', "LeakBare12"),
    ("password=LeakForm13&user=me", "LeakForm13"),
])
def test_a_secret_in_a_body_that_is_not_json_is_redacted_whatever_its_value_looks_like(body, secret):
    with _client_of(_coalesce()) as client:
        assert client.post("/scheduler/startRun", content=body, headers=BEARER_JSON).status_code == 400
        journal = _everything(client)
    assert secret not in journal
    assert "[REDACTED]" in journal


@pytest.mark.parametrize("charset", ["utf-16", "utf-32", "utf-16-le"])
def test_a_body_in_another_unicode_encoding_is_read_as_such_and_redacted(charset):
    body = json.dumps({"runDetails": {"environmentID": "2", "jobID": "1"},
                       "userCredentials": {"snowflakeUsername": "A", "snowflakePassword": "Hunter2SecretPW",
                                           "snowflakeAuthType": "Basic"},
                       "parameters": {"api_token": "ParamTokenValue99"}})
    with _client_of(_coalesce()) as client:
        client.post("/scheduler/startRun", content=body.encode(charset),
                    headers={**BEARER_JSON, "Content-Type": f"application/json; charset={charset}"})
        entry = client.get(f"{ADMIN}/journal?limit=1").json()["entries"][0]
    assert "Hunter2SecretPW" not in entry["requestBody"] and "ParamTokenValue99" not in entry["requestBody"]
    assert "snowflakePassword" in entry["requestBody"]  # decoded, not read as UTF-8 byte soup


def test_a_secret_given_as_a_key_and_value_pair_is_redacted():
    with _client_of(MockApp(Config(apis=["trifacta"], speed=0))) as client:
        created = client.post("/v4/jobGroups", headers={"Authorization": "Bearer t"}, json={
            "wrangledDataset": {"id": 33},
            "runParameters": {"overrides": {"data": [{"key": "dbPassword", "value": "KvSecretValue77"},
                                                     {"key": "region", "value": "eu-west-1"}]}}})
        assert created.status_code == 201, created.text
        journal = _everything(client)
    assert "KvSecretValue77" not in journal
    assert "eu-west-1" in journal  # the other pairs are left as they were


def _start_run(client, password):
    response = client.post("/scheduler/startRun", headers={"Authorization": "Bearer t"}, json={
        "runDetails": {"environmentID": "2", "jobID": "1"},
        "userCredentials": {"snowflakeAuthType": "Basic", "snowflakeUsername": "u", "snowflakePassword": password},
        "parameters": {"note": password}})
    assert response.status_code == 200, response.text
    return response.json()["runCounter"]


def test_the_state_file_keeps_no_secret_value(tmp_path):
    state = tmp_path / "state.db"
    with _client_of(_coalesce(str(state))) as client:
        _start_run(client, "OnlyInPasswordField99")
        client.get("/api/v1/runs", headers={"Authorization": "Bearer server-token-77"})
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.name.startswith("state.db"))
    assert b"server-token-77" not in stored
    # The run's parameters are the API's own data, stored as Coalesce stores them; the secrets table holds
    # digests only, so the password appears there (in the parameters) and nowhere else.
    assert stored.count(b"OnlyInPasswordField99") <= 1


def test_many_other_credentials_do_not_push_a_remembered_secret_out(tmp_path):
    state = str(tmp_path / "state.db")
    first, second = _coalesce(state), _coalesce(state)
    try:
        with first.asgi.test_client() as one, second.asgi.test_client() as two:
            run = _start_run(one, "FloodedPassword42")
            for index in range(100):  # many clients, each with a token of its own
                two.get("/api/v1/runs?limit=1", headers={"Authorization": f"Bearer flood-{index:04d}-abcdef"})
            assert "FloodedPassword42" in two.get(f"/api/v1/runs/{run}", headers={"Authorization": "Bearer t"}).text
            assert "FloodedPassword42" not in _everything(two)
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize(("query", "secret"), [
    ("a=1;token=SemicolonSecret1", "SemicolonSecret1"),
    ("next=%2F%3Ftoken%3DNestedSecret2", "NestedSecret2"),
    ("key=GoogleKey3", "GoogleKey3"), ("jwt=JwtValue4", "JwtValue4"), ("auth=AuthValue5", "AuthValue5"),
    ("sig=SigValue6", "SigValue6"), ("session=SessionValue7", "SessionValue7"),
    ("credential=CredValue8", "CredValue8"), ("access_token=AccessToken9", "AccessToken9"),
])
def test_secrets_in_every_form_of_query_string_are_redacted(client, query, secret):
    client.get(f"/v6/jobs/?page_size=1&{query}")
    assert secret not in _everything(client)


@pytest.mark.parametrize("header", ["X-Access-Key", "Authentication", "X-Session", "X-Amz-Security-Token"])
def test_credentials_in_headers_named_like_secrets_are_redacted(client, header):
    client.get("/v6/jobs/?page_size=1", headers={header: "Bearer HeaderSecret10"})
    assert "HeaderSecret10" not in _everything(client)


def test_a_secret_used_as_a_json_key_is_scrubbed_too(client):
    client.post("/v6/jobs/", headers={"Authorization": f"Token {SECRET_TOKEN}"}, json={
        "job_type_id": INGEST, "input": {**INPUTS[INGEST], "json": {"password": PASSWORD, PASSWORD: 1}}})
    assert PASSWORD not in _everything(client)
