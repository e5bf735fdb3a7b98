"""Accounts: first-run setup, login, lockout, logout, password hashes and who may open what."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from surveyapp import db
from surveyapp.models import User, utcnow
from tests import factories
from tests.conftest import make_test_app

Login = Callable[..., object]

SETUP = {
    "name": "Ada",
    "email": "Ada@Example.com",
    "password": "a long secret phrase",
    "confirm": "a long secret phrase",
}


def _users() -> list[User]:
    db.session().expire_all()
    return list(db.session().scalars(sa.select(User).order_by(User.id)))


def test_setup_creates_the_first_admin_once(client: FlaskClient) -> None:
    assert client.get("/login").headers["Location"] == "/setup"
    assert client.get("/setup").status_code == 200
    response = client.post("/setup", data=SETUP)
    assert response.status_code == 302
    assert response.headers["Location"] == "/surveys"
    (admin,) = _users()
    assert (admin.email, admin.role, admin.name) == ("ada@example.com", "admin", "Ada")
    assert client.get("/surveys").status_code == 200

    client.post("/logout")
    assert client.get("/setup").headers["Location"] == "/login"
    second = {**SETUP, "email": "eve@example.com"}
    assert client.post("/setup", data=second).headers["Location"] == "/login"
    assert [user.email for user in _users()] == ["ada@example.com"]


def test_setup_refuses_mismatched_or_short_passwords(client: FlaskClient) -> None:
    response = client.post("/setup", data={**SETUP, "confirm": "something else entirely"})
    assert response.status_code == 200
    assert "The passwords differ." in response.get_data(as_text=True)
    response = client.post("/setup", data={**SETUP, "password": "short", "confirm": "short"})
    assert response.status_code == 200
    assert _users() == []


def test_passwords_are_stored_as_argon2id_hashes(client: FlaskClient) -> None:
    client.post("/setup", data=SETUP)
    (admin,) = _users()
    assert admin.password_hash.startswith("$argon2id$")
    assert SETUP["password"] not in admin.password_hash


def test_login_and_logout(client: FlaskClient) -> None:
    user = factories.gen_user("editor", email="bob@example.com")
    response = client.post(
        "/login", data={"email": "BOB@example.com", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/surveys"
    assert client.get("/surveys").status_code == 200
    assert _users()[0].last_login_at is not None
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.headers["Location"] == "/login"
    assert client.get("/surveys").headers["Location"].startswith("/login")
    assert user.email == "bob@example.com"


def test_wrong_password_is_refused(client: FlaskClient) -> None:
    factories.gen_user("admin", email="carol@example.com")
    response = client.post(
        "/login", data={"email": "carol@example.com", "password": "wrong password"}
    )
    assert response.status_code == 200
    assert "Wrong email or password" in response.get_data(as_text=True)
    assert client.get("/surveys").status_code == 302
    response = client.post(
        "/login", data={"email": "nobody@example.com", "password": "whatever it is"}
    )
    assert "Wrong email or password" in response.get_data(as_text=True)


def test_five_failures_lock_the_account_even_for_the_right_password(client: FlaskClient) -> None:
    factories.gen_user("admin", email="dan@example.com")
    for _ in range(5):
        client.post("/login", data={"email": "dan@example.com", "password": "not the password"})
    (user,) = _users()
    assert user.locked_until is not None and user.locked_until > utcnow()
    response = client.post(
        "/login", data={"email": "dan@example.com", "password": factories.PASSWORD}
    )
    assert response.status_code == 200
    assert client.get("/surveys").status_code == 302

    # Once the lock expires the right password works again.
    user.locked_until = utcnow() - dt.timedelta(seconds=1)
    db.session().commit()
    response = client.post(
        "/login", data={"email": "dan@example.com", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert _users()[0].locked_until is None


def test_four_failures_then_success_do_not_lock(client: FlaskClient) -> None:
    factories.gen_user("admin", email="erin@example.com")
    for _ in range(4):
        client.post("/login", data={"email": "erin@example.com", "password": "not the password"})
    response = client.post(
        "/login", data={"email": "erin@example.com", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert _users()[0].failed_logins == 0


def test_next_redirects_only_to_local_paths(client: FlaskClient) -> None:
    factories.gen_user("editor", email="fay@example.com")
    cases = [
        ("/surveys/new", "/surveys/new"),
        ("/surveys?page=2", "/surveys?page=2"),
        ("https://evil.example/phish", "/surveys"),
        ("//evil.example/phish", "/surveys"),
        ("javascript:alert(1)", "/surveys"),
        ("surveys", "/surveys"),
    ]
    for next_url, expected in cases:
        response = client.post(
            "/login",
            data={"email": "fay@example.com", "password": factories.PASSWORD, "next": next_url},
        )
        assert response.headers["Location"] == expected, next_url
        client.post("/logout")


def test_a_protected_page_sends_to_login_and_back(client: FlaskClient) -> None:
    factories.gen_user("editor", email="gus@example.com")
    response = client.get("/surveys/new")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    page = client.get(login_url).get_data(as_text=True)
    next_value = re.search(r'name="next" type="hidden" value="([^"]*)"', page)
    assert next_value and next_value.group(1).rstrip("?") == "/surveys/new"
    response = client.post(
        "/login",
        data={
            "email": "gus@example.com",
            "password": factories.PASSWORD,
            "next": next_value.group(1),
        },
    )
    assert response.headers["Location"].rstrip("?") == "/surveys/new"


# ---- Access rules, enumerated from the application's url_map -------------------------------

# Respondent pages and the login machinery: open to everyone.
PUBLIC_ENDPOINTS = {
    "static",
    "auth.login",
    "auth.setup",
    # Logging out without a session does nothing harmful.
    "auth.logout",
    "public.answer_invitation",
    "public.answer_public",
    "public.thank_you",
    # One-click unsubscribe from an email, without login (RFC 8058).
    "distribution.unsubscribe",
    # The API's description and its docs page describe routes, never data.
    "api.openapi_document",
    "api.api_docs",
    # Load balancers probe these without credentials.
    "health.liveness",
    "health.readiness",
    # plotly.js from the installed package, a static asset like any other.
    "dashboard.plotly_js",
}
# The JSON API authenticates with an API key, never with the login session.
API_BLUEPRINT = "api."
# endpoint -> the least role it needs, per method when methods differ.
ENDPOINT_ROLES: dict[str, str | dict[str, str]] = {
    "admin.index": "viewer",
    "admin.list_surveys": "viewer",
    "admin.new_survey": "editor",
    "admin.edit_survey": {"GET": "viewer", "POST": "editor"},
    "admin.change_status": "editor",
    "admin.duplicate_survey": "editor",
    "admin.add_question": "editor",
    "admin.edit_question": "editor",
    "admin.delete_question": "editor",
    "admin.move_question": "editor",
    "admin.list_users": "admin",
    "admin.update_user": "admin",
    "admin.set_schedule": "editor",
    "contacts.list_contacts": "viewer",
    "contacts.edit_contact": {"GET": "viewer", "POST": "editor"},
    "contacts.new_contact": "editor",
    "contacts.delete_contact": "editor",
    "contacts.import_contacts": "editor",
    "contacts.list_attributes": "editor",
    "distribution.send_survey": "editor",
    "distribution.list_invitations": "viewer",
    "dashboard.survey_results": "viewer",
    "dashboard.overview": "viewer",
    "dashboard.export_responses": "viewer",
    "dashboard.export_metrics": "viewer",
    "reasons.survey_reasons": "viewer",
    "reasons.export_reasons": "viewer",
    "public.preview_survey": "viewer",
    "settings.list_api_keys": "admin",
    "settings.revoke_api_key": "admin",
    "settings.audit_log": "admin",
    "webhooks.list_webhooks": "admin",
    "webhooks.edit_webhook": "admin",
    "webhooks.rotate_secret": "admin",
    "webhooks.send_test": "admin",
    "webhooks.delete_webhook": "admin",
    "webhooks.view_delivery": "admin",
    "webhooks.replay_delivery": "admin",
    "cases.list_cases": "viewer",
    "cases.view_case": {"GET": "viewer", "POST": "editor"},
    "cases.alert_settings": "viewer",
    "cases.retention_kpis": "viewer",
    "taxonomy.list_reasons": "viewer",
    "taxonomy.new_reason": "editor",
    "taxonomy.edit_reason": {"GET": "viewer", "POST": "editor"},
    "taxonomy.remove_keyword": "editor",
    "taxonomy.retag_history": "editor",
    "taxonomy.retag_job": "viewer",
    "taxonomy.retag_job_status": "viewer",
    "taxonomy.correct_tags": "editor",
    # HR, a share or a manager's team access on top of the role (services.survey_access).
    "enps.dashboard": "viewer",
    "enps.org_chart_page": "editor",
    "enps.share_survey": "editor",
    "enps.unshare_survey": "editor",
}
LOWER_ROLE = {"editor": "viewer", "admin": "editor"}


def _rules() -> list[Rule]:
    app = make_test_app("sqlite://")
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint))
    app.extensions["surveyapp.engine"].dispose()
    return rules


def _methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def _path(rule: Rule) -> str:
    """The rule's URL with placeholder values (access is checked before anything is looked up)."""
    return re.sub(
        r"<(?:int:)?[^>]+>", lambda m: "1" if m.group(0).startswith("<int:") else "x1", rule.rule
    )


def _required_role(endpoint: str, method: str) -> str:
    roles = ENDPOINT_ROLES.get(endpoint)
    if roles is None:
        pytest.fail(
            f"The endpoint {endpoint!r} is not classified: add it to PUBLIC_ENDPOINTS or "
            "ENDPOINT_ROLES in tests/web/test_auth.py, with the least role it needs."
        )
    role = roles if isinstance(roles, str) else roles.get(method)
    if role is None:
        pytest.fail(f"{endpoint!r} has no role for {method}: add it to ENDPOINT_ROLES.")
    return role


RULES = [rule for rule in _rules() if rule.endpoint not in PUBLIC_ENDPOINTS]
STAFF_ROUTES = [
    (rule, method)
    for rule in RULES
    if not rule.endpoint.startswith(API_BLUEPRINT)
    for method in _methods(rule)
]


@pytest.fixture
def access_client(sqlite_template: Path, tmp_path: Path) -> Iterator[FlaskClient]:
    """A client on SQLite only: access checks come before any query, whatever the database."""
    path = tmp_path / "access.db"
    shutil.copyfile(sqlite_template, path)
    app = make_test_app(f"sqlite:///{path}")
    with app.app_context():
        yield app.test_client()
        db.session().close()
    app.extensions["surveyapp.engine"].dispose()


def _log_in(client: FlaskClient, role: str) -> None:
    user = factories.gen_user(role)
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: f"{rule.endpoint} {rule.rule}")
def test_anonymous_visitors_are_sent_to_login(access_client: FlaskClient, rule: Rule) -> None:
    client = access_client
    factories.gen_user("admin")
    methods = _methods(rule)
    for method in methods:
        if not rule.endpoint.startswith(API_BLUEPRINT):
            _required_role(rule.endpoint, method)
    if rule.endpoint.startswith(API_BLUEPRINT):
        for method in methods:
            assert client.open(_path(rule), method=method).status_code == 401, method
    elif "GET" in methods:
        response = client.get(_path(rule))
        assert response.status_code == 302, rule.rule
        assert response.headers["Location"].startswith("/login?next=")
    else:
        for method in methods:
            assert client.open(_path(rule), method=method).status_code == 401, method


@pytest.mark.parametrize(
    ("rule", "method"),
    STAFF_ROUTES,
    ids=lambda value: f"{value.endpoint} {value.rule}" if isinstance(value, Rule) else value,
)
def test_each_staff_route_refuses_the_role_below_the_one_it_needs(
    access_client: FlaskClient, rule: Rule, method: str
) -> None:
    required = _required_role(rule.endpoint, method)
    if required == "viewer":
        # The least role opens it (placeholder ids may well be 404).
        _log_in(access_client, "viewer")
        assert access_client.open(_path(rule), method=method).status_code not in (401, 403)
    else:
        _log_in(access_client, LOWER_ROLE[required])
        assert access_client.open(_path(rule), method=method).status_code == 403


def test_every_editor_and_admin_route_is_checked() -> None:
    checked = {
        rule.endpoint
        for rule, method in STAFF_ROUTES
        if _required_role(rule.endpoint, method) != "viewer"
    }
    assert {
        "admin.new_survey",
        "admin.edit_survey",
        "admin.change_status",
        "admin.add_question",
        "admin.edit_question",
        "admin.delete_question",
        "admin.move_question",
        "admin.duplicate_survey",
        "admin.list_users",
    } <= checked
