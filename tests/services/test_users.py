"""Accounts service: creation rules, first admin, authentication and lockout."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask

from surveyapp import db
from surveyapp.models import utcnow
from surveyapp.services import users
from surveyapp.services.errors import Conflict, InvalidInput

PASSWORD = "a long secret phrase"


def test_create_user_normalises_the_email_and_hashes_with_argon2id(app: Flask) -> None:
    user = users.create_user("  Zoe@Example.COM ", PASSWORD, "editor", "  Zoé  ")
    assert (user.email, user.role, user.name) == ("zoe@example.com", "editor", "Zoé")
    assert user.password_hash.startswith("$argon2id$")
    assert users.list_users() == [user]


@pytest.mark.parametrize(
    ("email", "password", "role", "field"),
    [
        ("not an email", PASSWORD, "viewer", "email"),
        ("a@example.com", "x" * (users.MIN_PASSWORD_LENGTH - 1), "viewer", "password"),
        ("a@example.com", PASSWORD, "owner", "role"),
    ],
)
def test_create_user_refuses_bad_input(
    app: Flask, email: str, password: str, role: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        users.create_user(email, password, role)
    assert error.value.field == field
    assert users.list_users() == []


def test_emails_are_unique_whatever_their_case(app: Flask) -> None:
    users.create_user("sam@example.com", PASSWORD, "viewer")
    with pytest.raises(Conflict):
        users.create_user("SAM@example.com", PASSWORD, "admin")
    assert [user.role for user in users.list_users()] == ["viewer"]


def test_first_admin_only_while_no_account_exists(app: Flask) -> None:
    assert users.any_user_exists() is False
    admin = users.create_first_admin("first@example.com", PASSWORD)
    assert admin.role == "admin" and users.any_user_exists() is True
    with pytest.raises(Conflict):
        users.create_first_admin("second@example.com", PASSWORD)
    assert [user.email for user in users.list_users()] == ["first@example.com"]


def test_authenticate_checks_the_password_and_records_the_login(app: Flask) -> None:
    users.create_user("kim@example.com", PASSWORD, "viewer")
    assert users.authenticate("kim@example.com", "wrong password") is None
    assert users.authenticate("nobody@example.com", PASSWORD) is None
    user = users.authenticate(" KIM@example.com ", PASSWORD)
    assert user is not None and user.last_login_at is not None
    assert user.failed_logins == 0


def test_lockout_after_five_failures_then_unlock_after_the_delay(app: Flask) -> None:
    user = users.create_user("lee@example.com", PASSWORD, "viewer")
    for _ in range(users.MAX_FAILED_LOGINS):
        assert users.authenticate("lee@example.com", "wrong password") is None
    assert user.locked_until is not None
    assert users.authenticate("lee@example.com", PASSWORD) is None
    user.locked_until = utcnow() - dt.timedelta(seconds=1)
    db.session().commit()
    assert users.authenticate("lee@example.com", PASSWORD) is user


def test_inactive_accounts_cannot_log_in(app: Flask) -> None:
    user = users.create_user("max@example.com", PASSWORD, "viewer")
    user.is_active = False
    db.session().commit()
    assert users.authenticate("max@example.com", PASSWORD) is None
    assert users.get_active_user(user.id) is None
