"""Admins change roles and deactivate accounts, never leaving the workspace without an admin."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.models import User
from tests import factories


def _update(client: FlaskClient, user: User, **fields: object) -> str:
    data = {f"user{user.id}-{name}": value for name, value in fields.items()}
    response = client.post(f"/users/{user.id}", data=data, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_admin_changes_a_role_and_deactivates_a_user(
    app: Flask, client: FlaskClient, login: Callable[..., User]
) -> None:
    login("admin")
    other = factories.gen_user("viewer")
    page = _update(client, other, role="editor", active="y")
    assert f"Account {other.email} updated." in page
    db.session().expire_all()
    assert db.session().get(User, other.id).role == "editor"

    _update(client, other, role="editor")  # an unchecked box is "inactive"
    db.session().expire_all()
    assert db.session().get(User, other.id).is_active is False
    client.post("/logout")
    assert (
        client.post(
            "/login", data={"email": other.email, "password": factories.PASSWORD}
        ).status_code
        == 200
    )


def test_the_last_active_admin_cannot_be_demoted(
    app: Flask, client: FlaskClient, login: Callable[..., User]
) -> None:
    admin = login("admin")
    page = _update(client, admin, role="viewer", active="y")
    assert "last active admin" in page
    db.session().expire_all()
    assert db.session().get(User, admin.id).role == "admin"


def test_users_page_lists_a_change_form_per_account(
    app: Flask, client: FlaskClient, login: Callable[..., User]
) -> None:
    admin = login("admin")
    page = client.get("/users").get_data(as_text=True)
    assert f'action="/users/{admin.id}"' in page
