"""Settings pages: API keys (shown once, last use, revoked) and the audit log."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.models import ApiKey, AuditEvent
from surveyapp.services import audit
from tests import factories

Login = Callable[..., object]


def _events() -> list[AuditEvent]:
    db.session().expire_all()
    return list(db.session().query(AuditEvent).order_by(AuditEvent.id))


def test_an_admin_creates_a_key_sees_it_once_and_revokes_it(
    client: FlaskClient, login: Login
) -> None:
    admin = login("admin")
    page = client.post("/settings/api-keys", data={"name": "CRM sync", "scope": "write"})
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    secret = re.search(r'id="new-secret"[^>]*value="(sa_[^"]+)"', html)
    assert secret, html
    (key,) = db.session().query(ApiKey).all()
    assert (key.name, key.scope) == ("CRM sync", "write")
    assert secret.group(1) not in key.key_hash

    api = client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {secret.group(1)}"})
    assert api.status_code == 200
    listing = client.get("/settings/api-keys").get_data(as_text=True)
    assert secret.group(1) not in listing
    assert "CRM sync" in listing and key.prefix in listing and "never" not in listing

    response = client.post(f"/settings/api-keys/{key.id}/revoke")
    assert response.status_code == 302
    api = client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {secret.group(1)}"})
    assert api.status_code == 401
    assert client.post("/settings/api-keys/9999/revoke").status_code == 404

    actions = [(event.action, event.actor, event.user_id) for event in _events()]
    assert ("api_key.created", admin.email, admin.id) in actions  # type: ignore[attr-defined]
    assert ("api_key.revoked", admin.email, admin.id) in actions  # type: ignore[attr-defined]


def test_a_key_needs_a_name(client: FlaskClient, login: Login) -> None:
    login("admin")
    page = client.post("/settings/api-keys", data={"name": "  ", "scope": "read"})
    assert page.status_code == 400
    assert 'role="alert"' in page.get_data(as_text=True)
    assert db.session().query(ApiKey).count() == 0


def test_the_audit_log_records_admin_actions(client: FlaskClient, login: Login) -> None:
    admin = login("admin")
    client.post(
        "/users",
        data={
            "email": "new@example.com",
            "name": "",
            "role": "viewer",
            "password": "a long password",
        },
    )
    survey = factories.gen_survey("nps", status="draft")
    client.post(f"/surveys/{survey.id}/status", data={"status": "active"})
    factories.gen_user("viewer", email="victim@example.com")
    client.post("/logout")
    for _ in range(5):
        client.post("/login", data={"email": "victim@example.com", "password": "wrong one"})

    events = {(event.action, event.target.split(" (")[0]) for event in _events()}
    assert ("user.created", "user new@example.com") in events
    assert ("survey.status_changed", f"survey {survey.id}") in events
    assert ("login.failed", "user victim@example.com") in events
    assert ("login.locked", "user victim@example.com") in events

    client.post("/login", data={"email": admin.email, "password": factories.PASSWORD})  # type: ignore[attr-defined]
    page = client.get("/settings/audit").get_data(as_text=True)
    assert "Account created" in page and "new@example.com" in page
    assert admin.email in page  # type: ignore[attr-defined]
    filtered = client.get("/settings/audit?action=login").get_data(as_text=True)
    assert "Failed login" in filtered and "Account created" not in filtered


def test_the_audit_log_pages_back_in_time(client: FlaskClient, login: Login) -> None:
    login("admin")
    for index in range(audit.AUDIT_PAGE_SIZE + 3):
        audit.record(audit.Actor("script"), "contact.deleted", f"contact {index}")
    db.session().commit()
    first = client.get("/settings/audit").get_data(as_text=True)
    assert "contact 102" in first and "contact 2<" not in first
    older = re.search(r'href="(/settings/audit\?before=\d+)"', first)
    assert older
    second = client.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "contact 2<" in second and "contact 102" not in second


def test_only_admins_open_the_settings(client: FlaskClient, login: Login) -> None:
    login("editor")
    assert client.get("/settings/api-keys").status_code == 403
    assert client.get("/settings/audit").status_code == 403
    assert (
        client.post("/settings/api-keys", data={"name": "x", "scope": "write"}).status_code == 403
    )
    assert db.session().query(ApiKey).count() == 0
