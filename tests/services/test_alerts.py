"""Alerts: who is told about new cases, batching into one email, digests, and real delivery."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from surveyapp import db
from surveyapp.mail.worker import Worker
from surveyapp.models import Alert, Case, OutboxMessage, utcnow
from surveyapp.services import alerts, cases
from surveyapp.services.errors import InvalidInput
from tests import factories
from tests.conftest import make_test_app
from tests.factories_distribution import SmtpServer
from tests.factories_followup import gen_owned_survey, submit

MINUTE = dt.timedelta(minutes=1)


def _alert_messages() -> list[OutboxMessage]:
    return list(
        db.session().scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "alert").order_by(OutboxMessage.id)
        )
    )


def test_alerts_of_the_same_minute_go_out_as_one_email(app: Flask) -> None:
    owner = factories.gen_user("editor")
    other = factories.gen_user("editor")
    survey = gen_owned_survey("nps", owner)
    mine = gen_owned_survey("csat", other)
    for score in (0, 3, 6):
        submit(survey, score)
    submit(mine, 1)
    now = utcnow()
    # Too early: the first alert waits for the others of its minute.
    assert alerts.queue_due_alerts(now) == 0
    assert alerts.queue_due_alerts(now + MINUTE) == 2
    messages = _alert_messages()
    payloads = {message.payload["user_id"]: message.payload for message in messages}
    assert set(payloads) == {owner.id, other.id}
    assert len(payloads[owner.id]["alert_ids"]) == 3
    assert payloads[owner.id]["digest"] is False
    # Claimed once: a second pass (or a second worker) queues nothing more.
    assert alerts.queue_due_alerts(now + 2 * MINUTE) == 0
    assert (
        db.session().scalar(sa.select(sa.func.count(Alert.id)).where(Alert.queued_at.is_(None)))
        == 0
    )
    email = alerts.load_alert_email(payloads[owner.id])
    assert email is not None and email.email == owner.email and not email.digest
    assert [item.score for item in email.items] == [0, 3, 6]
    assert email.items[0].url == f"http://surveys.test/cases/{email.items[0].case_id}"


def test_digest_users_get_one_email_a_day(app: Flask) -> None:
    owner = factories.gen_user("editor")
    alerts.save_alert_settings(owner.id, "digest", [])
    survey = gen_owned_survey("nps", owner)
    submit(survey, 2)
    submit(survey, 4)
    now = utcnow()
    assert alerts.queue_due_alerts(now + MINUTE) == 0
    next_digest = alerts.digest_cutoff(now, 8) + dt.timedelta(days=1)
    assert alerts.queue_due_alerts(next_digest) == 1
    (message,) = _alert_messages()
    assert message.payload["digest"] is True and len(message.payload["alert_ids"]) == 2


def test_off_means_no_alert_and_subscribers_are_told(app: Flask) -> None:
    owner = factories.gen_user("editor")
    follower = factories.gen_user("viewer")
    survey = gen_owned_survey("nps", owner)
    alerts.save_alert_settings(owner.id, "off", [])
    alerts.save_alert_settings(follower.id, "instant", [survey.id])
    submit(survey, 1)
    rows = db.session().execute(sa.select(Alert.user_id, Alert.mode)).all()
    assert rows == [(follower.id, "instant")]


def test_settings_round_trip_and_bad_input(app: Flask) -> None:
    user = factories.gen_user("viewer")
    one = factories.gen_survey("nps")
    two = factories.gen_survey("csat")
    assert alerts.alert_settings(user.id) == alerts.AlertSettings("instant", frozenset())
    alerts.save_alert_settings(user.id, "digest", [one.id, two.id])
    alerts.save_alert_settings(user.id, "digest", [two.id])
    assert alerts.alert_settings(user.id) == alerts.AlertSettings("digest", frozenset({two.id}))
    with pytest.raises(InvalidInput):
        alerts.save_alert_settings(user.id, "loud", [])
    with pytest.raises(InvalidInput):
        alerts.save_alert_settings(user.id, "instant", [99999])
    assert alerts.alert_settings(user.id).mode == "digest"


@pytest.fixture
def mail_app(database_url: str, smtp: SmtpServer) -> Iterator[Flask]:
    application = make_test_app(
        database_url, MAIL_URL=smtp.url, MAIL_FROM="surveys@acme.test", ALERT_BATCH_SECONDS=0
    )
    with application.app_context():
        yield application
        db.session().close()
    application.extensions["surveyapp.engine"].dispose()


def test_the_worker_sends_alerts_and_replies_over_smtp(mail_app: Flask, smtp: SmtpServer) -> None:
    owner = factories.gen_user("editor", email="owner@example.com")
    survey = gen_owned_survey("nps", owner)
    contact = factories.gen_contact("ann@example.com")
    submit(survey, 2, "The app crashes every day", contact=contact)
    submit(survey, 5)
    result = Worker(mail_app).run_once()
    assert result.alerts_queued == 1
    (alert,) = smtp.handler.to("owner@example.com")
    assert alert["Subject"] == "2 new cases to follow up"
    body = alert.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "The app crashes every day" in body
    case_id = db.session().scalars(sa.select(Case.id).order_by(Case.id)).first()
    assert f"http://surveys.test/cases/{case_id}" in body
    assert case_id is not None
    cases.send_reply(case_id, "Sorry about the crashes", "Hello Ann,\n\nFixed today.", owner)
    Worker(mail_app).run_once()
    (reply,) = smtp.handler.to("ann@example.com")
    assert reply["Subject"] == "Sorry about the crashes"
    assert reply["Reply-To"] == "owner@example.com"
    assert "Fixed today." in reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = reply.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<p" in html and "Fixed today." in html
    statuses = db.session().scalars(sa.select(OutboxMessage.status)).all()
    assert statuses == ["sent", "sent"]


def test_an_alert_for_a_deactivated_user_is_cancelled(mail_app: Flask, smtp: SmtpServer) -> None:
    owner = factories.gen_user("editor", email="gone@example.com")
    survey = gen_owned_survey("nps", owner)
    submit(survey, 0)
    assert alerts.queue_due_alerts() == 1
    owner.is_active = False
    db.session().commit()
    result = Worker(mail_app).run_once()
    assert (result.sent, result.cancelled) == (0, 1)
    assert smtp.handler.messages == []
