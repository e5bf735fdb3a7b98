"""Security: headers, cookies, CSRF on every form, rate limits (memory and Redis), private logs."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask

from surveyapp import ROOT, db
from surveyapp.logging import JsonFormatter, RedactingFilter
from surveyapp.services import api_keys
from tests import factories
from tests.conftest import make_test_app

REDIS_URL = os.environ.get("SURVEYAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def limited_app(database_url: str) -> Iterator[Flask]:
    """An app with rate limits on (they are off by default under TESTING), in memory."""
    app = make_test_app(
        database_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_LOGIN="3 per minute",
        RATELIMIT_SUBMIT="2 per minute",
        RATELIMIT_API="4 per minute",
    )
    with app.app_context():
        yield app
        db.session().close()
    app.extensions["surveyapp.engine"].dispose()


def test_security_headers_on_pages_and_api(client: object) -> None:
    for url in ("/login", "/api/v1/openapi.json", "/p/unknown"):
        response = client.get(url)  # type: ignore[attr-defined]
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Strict-Transport-Security" not in response.headers


@contextlib.contextmanager
def _apps(database_url: str, *configs: dict[str, object]) -> Iterator[list[Flask]]:
    """Applications on one database, their engines closed even when the test fails."""
    apps = [make_test_app(database_url, **config) for config in configs]
    try:
        yield apps
    finally:
        for app in apps:
            app.extensions["surveyapp.engine"].dispose()


def test_hsts_over_tls_and_behind_a_proxy(database_url: str) -> None:
    proxy = {"PROXY_FIX_X_FOR": 1, "PROXY_FIX_X_PROTO": 1}
    with _apps(database_url, {}, proxy) as (direct, proxied):
        response = direct.test_client().get("/login", base_url="https://surveys.test")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        # Without ProxyFix a forwarded header is not believed.
        response = direct.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" not in response.headers
        response = proxied.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" in response.headers


def test_session_cookie_flags(database_url: str) -> None:
    app = make_test_app(database_url, BASE_URL="https://surveys.example")
    with app.app_context():
        user = factories.gen_user("admin")
        response = app.test_client().post(
            "/login",
            data={"email": user.email, "password": factories.PASSWORD},
            base_url="https://surveys.example",
        )
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
        db.session().close()
    app.extensions["surveyapp.engine"].dispose()


def test_csrf_is_required_on_forms(database_url: str) -> None:
    app = make_test_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = factories.gen_user("admin")
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
        assert response.status_code == 400
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token
        response = client.post(
            "/login",
            data={
                "email": user.email,
                "password": factories.PASSWORD,
                "csrf_token": token.group(1),
            },
        )
        assert response.status_code == 302
        db.session().close()
    app.extensions["surveyapp.engine"].dispose()


# Forms posting to an endpoint exempt from CSRF on purpose (see surveyapp/web/__init__.py).
CSRF_EXEMPT_TEMPLATES = {"distribution/unsubscribe.html": "RFC 8058 one-click unsubscribe"}


def _post_forms(path: Path) -> list[str]:
    forms = re.findall(r"<form\b[^>]*>.*?</form>", path.read_text(encoding="utf-8"), re.S | re.I)
    return [form for form in forms if re.search(r'method="post"', form, re.I)]


@pytest.mark.parametrize(
    "template",
    sorted((ROOT / "templates").rglob("*.html")),
    ids=lambda path: str(path.relative_to(ROOT / "templates")),
)
def test_every_post_form_carries_a_csrf_token(template: Path) -> None:
    if str(template.relative_to(ROOT / "templates")) in CSRF_EXEMPT_TEMPLATES:
        return
    for form in _post_forms(template):
        assert "csrf_token" in form or "hidden_tag()" in form, f"{template}: {form[:120]}"


def test_login_attempts_are_rate_limited(limited_app: Flask) -> None:
    client = limited_app.test_client()
    factories.gen_user("admin", email="ann@example.com")
    codes = [
        client.post("/login", data={"email": "ann@example.com", "password": "nope"}).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    # Reading the form is not limited.
    assert client.get("/login").status_code == 200


def test_public_submissions_are_rate_limited(limited_app: Flask) -> None:
    survey = factories.gen_survey("nps", status="active")
    client = limited_app.test_client()
    codes = [client.post(f"/p/{survey.public_slug}", data={}).status_code for _ in range(3)]
    assert codes[-1] == 429 and 429 not in codes[:2]
    assert client.get(f"/p/{survey.public_slug}").status_code == 200


def test_the_api_is_rate_limited_per_key(limited_app: Flask) -> None:
    client = limited_app.test_client()
    _key, first = api_keys.create_api_key("first", "read")
    _key, second = api_keys.create_api_key("second", "read")
    codes = [
        client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {first}"}).status_code
        for _ in range(5)
    ]
    assert codes == [200, 200, 200, 200, 429]
    limited = client.get("/api/v1/contacts", headers={"Authorization": f"Bearer {first}"})
    assert limited.status_code == 429
    assert limited.json["error"]["code"] == "too_many_requests"
    assert "Retry-After" in limited.headers
    other = client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {second}"})
    assert other.status_code == 200


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis does not answer at {REDIS_URL} (CI=true: Redis is required): {exc}")
        pytest.skip(f"Redis does not answer at {REDIS_URL}")


def test_limits_are_shared_through_redis(tmp_path: Path, sqlite_template: Path) -> None:
    _redis_or_skip()
    path = tmp_path / "redis.db"
    path.write_bytes(sqlite_template.read_bytes())
    settings = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_LOGIN": "2 per minute",
        "REDIS_URL": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": f"test-{secrets.token_hex(6)}",
    }
    # Two applications stand for two worker processes sharing one Redis.
    with _apps(f"sqlite:///{path}", settings, settings) as (first, second):
        with first.app_context():
            factories.gen_user("admin", email="bob@example.com")
        form = {"email": "bob@example.com", "password": "nope"}
        assert first.test_client().post("/login", data=form).status_code == 200
        assert second.test_client().post("/login", data=form).status_code == 200
        assert first.test_client().post("/login", data=form).status_code == 429
        assert second.test_client().post("/login", data=form).status_code == 429


def test_json_logs_name_routes_not_tokens_or_addresses(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_test_app(database_url, LOG_FORMAT="json")
    with app.app_context():
        survey = factories.gen_survey("nps", status="active")
        invitation = factories.gen_invitation(survey)
        client = app.test_client()
        with caplog.at_level(logging.INFO, logger="surveyapp.access"):
            client.get(
                f"/s/{invitation.token}?score=9",
                environ_base={"REMOTE_ADDR": "203.0.113.7"},
                headers={"User-Agent": "SecretBrowser/1.0", "X-Request-ID": "req-42"},
            )
            client.get(f"/p/{survey.public_slug}", environ_base={"REMOTE_ADDR": "203.0.113.7"})
        lines = [JsonFormatter().format(record) for record in caplog.records]
        db.session().close()
    app.extensions["surveyapp.engine"].dispose()
    assert len(lines) == 2
    entries = [json.loads(line) for line in lines]
    assert entries[0]["route"] == "/s/<token>" and entries[0]["request_id"] == "req-42"
    assert entries[1]["route"] == "/p/<slug>" and isinstance(entries[1]["duration_ms"], float)
    text = "\n".join(lines)
    for secret in (invitation.token, survey.public_slug, "203.0.113.7", "SecretBrowser"):
        assert secret not in text


def test_the_development_access_log_is_redacted() -> None:
    record = logging.makeLogRecord(
        {
            "name": "werkzeug",
            "msg": '203.0.113.7 - - [24/Nov/2026 10:00:00] "%s" %s %s',
            "args": ("GET /s/abcdefTOKEN123?score=9 HTTP/1.1", "200", "-"),
        }
    )
    RedactingFilter().filter(record)
    message = record.getMessage()
    assert "203.0.113.7" not in message and "abcdefTOKEN123" not in message
    assert '"GET /s/… HTTP/1.1" 200' in message
