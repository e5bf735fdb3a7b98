"""Settings → Webhooks: subscribe (secret shown once), bad input, edit, rotate, log, replay."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.mail.worker import Worker
from surveyapp.models import AuditEvent, WebhookEndpoint
from tests import factories
from tests.conftest import make_test_app
from tests.factories_webhooks import (
    WEBHOOK_TEST_CONFIG,
    Receiver,
    Script,
    delivery_rows,
    make_webhooks_due,
)

Login = Callable[..., object]
PUBLIC_URL = "https://93.184.216.34/hooks/crm"


def _endpoints() -> list[WebhookEndpoint]:
    db.session().expire_all()
    return list(db.session().query(WebhookEndpoint).order_by(WebhookEndpoint.id))


def _actions() -> list[str]:
    db.session().expire_all()
    return [event.action for event in db.session().query(AuditEvent).order_by(AuditEvent.id)]


def _secret(page: str) -> str | None:
    found = re.search(r'id="new-secret"[^>]*value="(whsec_[^"]+)"', page)
    return found.group(1) if found else None


def test_an_admin_subscribes_a_url_and_sees_the_secret_once(
    client: FlaskClient, login: Login
) -> None:
    login("admin")
    survey = factories.gen_survey("nps", title="Customer NPS")
    assert "No webhook yet" in client.get("/settings/webhooks").get_data(as_text=True)

    page = client.post(
        "/settings/webhooks",
        data={
            "url": PUBLIC_URL,
            "description": "CRM sync",
            "events": ["response.created", "alert.created"],
            "survey_id": str(survey.id),
            "active": "y",
        },
    )

    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    secret = _secret(text)
    assert secret is not None
    [endpoint] = _endpoints()
    assert (endpoint.url, endpoint.description, endpoint.survey_id, endpoint.active) == (
        PUBLIC_URL,
        "CRM sync",
        survey.id,
        True,
    )
    assert endpoint.events == ["response.created", "alert.created"]
    assert endpoint.secret == secret
    listing = client.get("/settings/webhooks").get_data(as_text=True)
    assert secret not in listing
    assert PUBLIC_URL in listing and "Customer NPS" in listing
    edit = client.get(f"/settings/webhooks/{endpoint.id}").get_data(as_text=True)
    assert secret not in edit
    assert "webhook.created" in _actions()


@pytest.mark.parametrize(
    ("url", "events", "message"),
    [
        ("ftp://example.com/in", ["response.created"], "Only http:// and https://"),
        ("https://user:pw@93.184.216.34/in", ["response.created"], "Remove the user name"),
        ("http://192.168.1.20/in", ["response.created"], "192.168.1.20, a private address"),
        ("http://[::1]:8080/in", ["response.created"], "::1, a loopback address"),
        (PUBLIC_URL, ["response.created", "survey.deleted"], "Unknown event 'survey.deleted'"),
        (PUBLIC_URL, [], "Choose at least one event."),
        ("", ["response.created"], "Give the URL that receives the events."),
    ],
)
def test_bad_input_is_explained_and_the_input_kept(
    client: FlaskClient, login: Login, url: str, events: list[str], message: str
) -> None:
    login("admin")
    page = client.post(
        "/settings/webhooks",
        data={"url": url, "description": "kept description", "events": events, "survey_id": "0"},
    )
    assert page.status_code == 400
    text = html.unescape(page.get_data(as_text=True))
    assert message in text
    assert 'role="alert"' in text
    assert "kept description" in text
    if url:
        assert f'value="{url}"' in text
    for event in events:
        if event != "survey.deleted":
            assert re.search(rf'checked[^>]*value="{re.escape(event)}"', text) or re.search(
                rf'value="{re.escape(event)}"[^>]*checked', text
            )
    assert _endpoints() == []


def test_editing_rotating_and_deleting(client: FlaskClient, login: Login) -> None:
    login("admin")
    client.post(
        "/settings/webhooks",
        data={"url": PUBLIC_URL, "events": ["response.created"], "survey_id": "0", "active": "y"},
    )
    [endpoint] = _endpoints()
    old_secret = endpoint.secret

    saved = client.post(
        f"/settings/webhooks/{endpoint.id}",
        data={"url": PUBLIC_URL + "/v2", "events": ["invitation.failed"], "survey_id": "0"},
    )
    assert saved.status_code == 302
    [endpoint] = _endpoints()
    assert (endpoint.url, endpoint.events, endpoint.active) == (
        PUBLIC_URL + "/v2",
        ["invitation.failed"],
        False,
    )
    refused = client.post(
        f"/settings/webhooks/{endpoint.id}",
        data={"url": "http://10.0.0.1/", "events": ["invitation.failed"], "survey_id": "0"},
    )
    assert refused.status_code == 400
    assert _endpoints()[0].url == PUBLIC_URL + "/v2"

    rotated = client.post(f"/settings/webhooks/{endpoint.id}/rotate")
    assert rotated.status_code == 200 and rotated.headers["Cache-Control"] == "no-store"
    new_secret = _secret(rotated.get_data(as_text=True))
    [endpoint] = _endpoints()
    assert new_secret == endpoint.secret != old_secret
    assert endpoint.previous_secret == old_secret

    assert client.post("/settings/webhooks/9999/rotate").status_code == 404
    assert client.post(f"/settings/webhooks/{endpoint.id}/delete").status_code == 302
    assert _endpoints() == []
    actions = _actions()
    for action in ("webhook.updated", "webhook.secret_rotated", "webhook.deleted"):
        assert action in actions
    audit = client.get("/settings/audit?action=webhook").get_data(as_text=True)
    audit = audit.split("<table", 1)[1]  # past the flashed "deleted" message
    assert "Webhook secret rotated" in audit and "93.184.216.34" in audit
    assert "/hooks/crm" not in audit  # only the host: paths often carry tokens


def test_test_event_log_and_replay(client: FlaskClient, app: Flask, login: Login) -> None:
    receiver = Receiver()
    receiver.start()
    try:
        app.config.update(WEBHOOK_TEST_CONFIG)
        receiver.script = Script(statuses=[404, 200], body=b"no such hook")
        login("admin")
        client.post(
            "/settings/webhooks",
            data={"url": receiver.url, "events": ["response.created"], "survey_id": "0"},
        )
        [endpoint] = _endpoints()
        assert not endpoint.active  # the box was not ticked: paused
        paused = client.post(f"/settings/webhooks/{endpoint.id}/test", follow_redirects=True)
        assert "This webhook is paused" in paused.get_data(as_text=True)
        client.post(
            f"/settings/webhooks/{endpoint.id}",
            data={
                "url": receiver.url,
                "events": ["response.created"],
                "survey_id": "0",
                "active": "y",
            },
        )

        queued = client.post(f"/settings/webhooks/{endpoint.id}/test", follow_redirects=True)
        assert "Test event queued" in queued.get_data(as_text=True)
        Worker(app).run_once()

        log = client.get(f"/settings/webhooks/{endpoint.id}").get_data(as_text=True)
        assert "webhook.test" in log and "Failed" in log and "HTTP 404" in log
        [(delivery, _message)] = delivery_rows()
        detail = client.get(f"/settings/webhooks/{endpoint.id}/deliveries/{delivery.id}")
        text = html.unescape(detail.get_data(as_text=True))
        assert "This is a test event from surveyapp." in text
        assert "no such hook" in text and delivery.message_id in text

        replay = client.post(
            f"/settings/webhooks/{endpoint.id}/deliveries/{delivery.id}/replay",
            follow_redirects=True,
        )
        assert "Delivery queued again" in replay.get_data(as_text=True)
        again = client.post(
            f"/settings/webhooks/{endpoint.id}/deliveries/{delivery.id + 1}/replay",
            follow_redirects=True,
        )
        assert "still being tried" in again.get_data(as_text=True)
        make_webhooks_due()
        Worker(app).run_once()

        first, second = delivery_rows()
        assert second[0].replay_of_id == first[0].id
        assert second[1].status == "sent"
        assert [r.headers["webhook-id"] for r in receiver.requests] == [first[0].message_id] * 2
        assert receiver.requests[0].body == receiver.requests[1].body
        log = client.get(f"/settings/webhooks/{endpoint.id}").get_data(as_text=True)
        assert "Delivered" in log and "(replay)" in log
        assert "webhook.replayed" in _actions() and "webhook.test_sent" in _actions()
        assert client.get(f"/settings/webhooks/{endpoint.id}/deliveries/9999").status_code == 404
    finally:
        receiver.stop()


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_only_admins_manage_webhooks(client: FlaskClient, login: Login, role: str) -> None:
    login(role)
    assert client.get("/settings/webhooks").status_code == 403
    page = client.post(
        "/settings/webhooks", data={"url": PUBLIC_URL, "events": ["response.created"]}
    )
    assert page.status_code == 403
    assert _endpoints() == []


def test_forms_need_their_csrf_token(database_url: str) -> None:
    app = make_test_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        user = factories.gen_user("admin")
        login_page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)
        assert token is not None
        client.post(
            "/login",
            data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token[1]},
        )
        page = client.post(
            "/settings/webhooks", data={"url": PUBLIC_URL, "events": ["response.created"]}
        )
        assert page.status_code == 400
        assert _endpoints() == []
        form = client.get("/settings/webhooks").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
        assert token is not None
        created = client.post(
            "/settings/webhooks",
            data={
                "url": PUBLIC_URL,
                "events": ["response.created"],
                "survey_id": "0",
                "csrf_token": token[1],
            },
        )
        assert created.status_code == 200 and len(_endpoints()) == 1
        db.session().close()
    app.extensions["surveyapp.engine"].dispose()
