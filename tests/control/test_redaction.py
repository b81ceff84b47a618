"""Secrets a client sends appear nowhere: not in the journal, not in any answer, not even in an error that
quotes the bad request."""

from __future__ import annotations

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
