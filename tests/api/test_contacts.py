"""API contacts: upsert by email from JSON or CSV with per-row errors, keyset listing."""

from __future__ import annotations

from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.models import Contact
from tests import factories


def _contacts() -> dict[str, Contact]:
    db.session().expire_all()
    return {contact.email: contact for contact in db.session().query(Contact)}


def test_json_rows_are_created_or_updated_and_bad_rows_reported(
    client: FlaskClient, write_headers: dict[str, str]
) -> None:
    factories.gen_contact("old@example.com")
    response = client.post(
        "/api/v1/contacts",
        json={
            "contacts": [
                {
                    "email": "New@Example.com",
                    "name": "Ann",
                    "language": "fr",
                    "attributes": {"plan": "pro", "team": "ops"},
                },
                {"email": "old@example.com", "name": "Bob"},
                {"email": "not-an-email"},
                {"email": "new@example.com", "name": "Duplicate"},
            ]
        },
        headers=write_headers,
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["created"], body["updated"]) == (1, 1)
    assert [(error["row"], error["email"]) for error in body["errors"]] == [
        (3, "not-an-email"),
        (4, "new@example.com"),
    ]
    stored = _contacts()
    assert stored["new@example.com"].attributes == {"plan": "pro", "team": "ops"}
    assert (stored["new@example.com"].name, stored["new@example.com"].language) == ("Ann", "fr")
    assert stored["old@example.com"].name == "Bob"


def test_a_csv_body_is_imported(client: FlaskClient, write_headers: dict[str, str]) -> None:
    csv = b"email;name;plan\nann@example.com;Ann;pro\nbroken;X;free\n"
    response = client.post(
        "/api/v1/contacts",
        data=csv,
        headers=write_headers | {"Content-Type": "text/csv; charset=utf-8"},
    )
    assert response.status_code == 200, response.json
    assert response.json["created"] == 1
    assert [error["row"] for error in response.json["errors"]] == [3]
    assert set(_contacts()) == {"ann@example.com"}

    not_csv = client.post(
        "/api/v1/contacts",
        data=b"\x00\x01\x02" * 50,
        headers=write_headers | {"Content-Type": "text/csv"},
    )
    assert not_csv.status_code == 422


def test_structurally_wrong_bodies_are_refused_whole(
    client: FlaskClient, write_headers: dict[str, str]
) -> None:
    bodies = [
        {"contacts": [{"email": "a@example.com", "phone": "123"}]},
        {"contacts": [{"email": 42}]},
        {"contacts": [{"email": "a@example.com", "attributes": {"plan": {"nested": 1}}}]},
        {"contacts": []},
        {"people": []},
        [{"email": "a@example.com"}],
    ]
    for body in bodies:
        response = client.post("/api/v1/contacts", json=body, headers=write_headers)
        assert response.status_code == 422, body
    assert _contacts() == {}


def test_listing_pages_through_every_contact_once(
    client: FlaskClient, read_headers: dict[str, str]
) -> None:
    made = [factories.gen_contact(f"c{index}@example.com") for index in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/contacts", query_string=query, headers=read_headers).json
        seen += [item["email"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [contact.email for contact in made]
    found = client.get("/api/v1/contacts?search=c3@", headers=read_headers).json["items"]
    assert [item["email"] for item in found] == ["c3@example.com"]
    assert found[0]["unsubscribed"] is False


def test_customer_history_fields_are_accepted_and_checked(
    client: FlaskClient, write_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/contacts",
        json={
            "contacts": [
                {
                    "email": "kept@example.com",
                    "status": "active",
                    "start_date": "2026-01-05",
                    "mrr": 49.5,
                },
                {
                    "email": "left@example.com",
                    "status": "cancelled",
                    "start_date": "2026-03-01",
                    "cancel_date": "2026-02-01",
                    "mrr": 10,
                },
            ]
        },
        headers=write_headers,
    )
    assert response.status_code == 200, response.json
    assert response.json["created"] == 1
    assert [error["row"] for error in response.json["errors"]] == [2]
    kept = _contacts()["kept@example.com"]
    assert (kept.customer_status, str(kept.started_on), kept.mrr_cents) == (
        "active",
        "2026-01-05",
        4950,
    )

    negative = client.post(
        "/api/v1/contacts",
        json={"contacts": [{"email": "x@example.com", "status": "paused", "mrr": -1}]},
        headers=write_headers,
    )
    assert negative.status_code == 422
    assert "x@example.com" not in _contacts()
    huge = client.post(
        "/api/v1/contacts",
        json={"contacts": [{"email": "y@example.com", "mrr": 1e26}]},
        headers=write_headers,
    )
    assert huge.status_code == 422
