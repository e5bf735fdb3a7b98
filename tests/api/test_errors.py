"""API errors: keys and scopes, and bad input of every kind answered with a clear 4xx JSON error."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.models import ApiKey, Contact, Survey
from surveyapp.services import api_keys
from tests import factories
from tests.api.conftest import bearer
from tests.conftest import make_test_app

PAYLOADS = [
    "'; DROP TABLE surveys; --",
    "<script>alert(1)</script>",
    '" OR 1=1 --',
    "Robert'); DELETE FROM contacts;--",
]


def _error(response: object) -> dict[str, str]:
    body = response.get_json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}, body
    return body["error"]


def test_missing_unknown_and_revoked_keys_are_401(client: FlaskClient) -> None:
    response = client.get("/api/v1/surveys")
    assert response.status_code == 401
    assert _error(response)["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    for header in ("Bearer sa_unknown", "Basic dXNlcjpwYXNz", "Bearer ", "sa_token"):
        response = client.get("/api/v1/surveys", headers={"Authorization": header})
        assert response.status_code == 401, header

    key, secret = api_keys.create_api_key("soon revoked", "read")
    assert client.get("/api/v1/surveys", headers=bearer(secret)).status_code == 200
    api_keys.revoke_api_key(key.id)
    response = client.get("/api/v1/surveys", headers=bearer(secret))
    assert response.status_code == 401
    assert _error(response)["code"] == "invalid_key"


def test_a_read_key_cannot_write(client: FlaskClient, read_headers: dict[str, str]) -> None:
    survey = factories.gen_survey("nps", status="active")
    attempts = [
        ("POST", "/api/v1/surveys", {"kind": "nps", "title": "x"}),
        ("PATCH", f"/api/v1/surveys/{survey.id}", {"status": "closed"}),
        ("POST", "/api/v1/contacts", {"contacts": [{"email": "a@example.com"}]}),
        ("POST", f"/api/v1/surveys/{survey.id}/invitations", {"emails": ["a@example.com"]}),
        ("POST", f"/api/v1/surveys/{survey.id}/responses", {"score": 9}),
    ]
    for method, url, body in attempts:
        response = client.open(url, method=method, json=body, headers=read_headers)
        assert response.status_code == 403, url
        assert _error(response)["code"] == "insufficient_scope"
    db.session().expire_all()
    assert db.session().get(Survey, survey.id).status == "active"
    assert db.session().query(Contact).count() == 0


def test_last_used_is_recorded(client: FlaskClient) -> None:
    key, secret = api_keys.create_api_key("tracked", "read")
    assert key.last_used_at is None
    client.get("/api/v1/surveys", headers=bearer(secret))
    db.session().expire_all()
    assert db.session().get(ApiKey, key.id).last_used_at is not None


def test_the_session_cookie_does_not_authenticate_the_api(
    client: FlaskClient, login: object
) -> None:
    login("admin")  # type: ignore[operator]
    assert client.get("/api/v1/surveys").status_code == 401


def test_malformed_bodies_and_content_types(
    client: FlaskClient, write_headers: dict[str, str]
) -> None:
    cases = [
        (b'{"kind": "nps", "title": ', "application/json", 400, "invalid_json"),
        (b'{"kind": "nps", "title": NaN}', "application/json", 400, "invalid_json"),
        (b"\xff\xfe not utf-8", "application/json", 400, "invalid_json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "invalid_json"),
        (b'{"kind": "nps", "title": "x"}', "text/plain", 415, "unsupported_media_type"),
        (b"kind=nps&title=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b'{"kind": "nps", "title": "x"}', "", 415, "unsupported_media_type"),
        (b'{"kind": "poll", "title": "x"}', "application/json", 422, "invalid_input"),
        (b'{"kind": "nps", "title": ""}', "application/json", 422, "invalid_input"),
        (b'{"kind": "nps", "title": 7}', "application/json", 422, "invalid_input"),
        (b'{"kind": "nps", "title": "x", "owner": 1}', "application/json", 422, "invalid_input"),
        (b'{"kind": "nps", "title": "x\\u0000y"}', "application/json", 422, "invalid_input"),
        (b'{"kind": "nps", "title": "\\ud800"}', "application/json", 422, "invalid_input"),
        (
            b'{"kind": "nps", "title": "' + b"x" * 201 + b'"}',
            "application/json",
            422,
            "invalid_input",
        ),
    ]
    for data, content_type, status, code in cases:
        headers = write_headers | ({"Content-Type": content_type} if content_type else {})
        response = client.post("/api/v1/surveys", data=data, headers=headers)
        assert response.status_code == status, (data[:60], response.get_data(as_text=True)[:200])
        assert _error(response)["code"] == code
    assert db.session().query(Survey).count() == 0


def test_huge_bodies_are_413(database_url: str) -> None:
    app = make_test_app(database_url, API_MAX_BODY_BYTES=1000)
    with app.app_context():
        _key, secret = api_keys.create_api_key("big", "write")
        client = app.test_client()
        body = {"contacts": [{"email": f"c{index}@example.com"} for index in range(100)]}
        response = client.post("/api/v1/contacts", json=body, headers=bearer(secret))
        assert response.status_code == 413
        assert _error(response)["code"] == "request_entity_too_large"
        assert db.session().query(Contact).count() == 0
        db.session().close()
    app.extensions["surveyapp.engine"].dispose()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sql_and_script_payloads_are_stored_as_plain_text(
    app: Flask, client: FlaskClient, write_headers: dict[str, str], payload: str
) -> None:
    created = client.post(
        "/api/v1/surveys", json={"kind": "nps", "title": payload}, headers=write_headers
    )
    assert created.status_code == 201
    assert created.json["title"] == payload
    assert created.headers["Content-Type"] == "application/json"
    contacts = client.post(
        "/api/v1/contacts",
        json={"contacts": [{"email": payload, "name": payload, "attributes": {"note": payload}}]},
        headers=write_headers,
    )
    assert contacts.status_code == 200
    assert contacts.json["created"] == 0 and contacts.json["errors"][0]["row"] == 1
    search = client.get("/api/v1/contacts", query_string={"search": payload}, headers=write_headers)
    assert search.status_code == 200 and search.json["items"] == []
    assert db.session().query(Survey).count() == 1
    # The docs page escapes what it shows (it shows no data, but the check is cheap).
    assert "<script>alert" not in client.get("/api/v1/docs").get_data(as_text=True)


def test_unknown_urls_and_methods_answer_json(
    client: FlaskClient, read_headers: dict[str, str]
) -> None:
    missing = client.get("/api/v1/nothing-here", headers=read_headers)
    assert missing.status_code == 404 and _error(missing)["code"] == "not_found"
    wrong = client.delete("/api/v1/surveys", headers=read_headers)
    assert wrong.status_code == 405
    assert _error(wrong)["code"] == "method_not_allowed"
    assert "GET" in wrong.headers["Allow"] and "POST" in wrong.headers["Allow"]
    # Outside the API the HTML error pages stay.
    assert client.get("/nothing-here").mimetype == "text/html"
