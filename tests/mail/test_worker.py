"""The worker against a real SMTP server: content, links, outages, errors, races, reminders."""

from __future__ import annotations

import datetime as dt
import re
import threading
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from surveyapp import db
from surveyapp.mail.cli import worker_command
from surveyapp.mail.transport import OutgoingEmail, TransportUnavailable
from surveyapp.mail.worker import Worker
from surveyapp.models import Response
from surveyapp.services import invitations, reminders
from tests import factories
from tests.conftest import make_test_app
from tests.factories_distribution import (
    SmtpServer,
    html_part,
    invitation_rows,
    make_all_due,
    outbox_rows,
    shift_invitation,
    text_part,
)

DAY = dt.timedelta(days=1)


def _invite(*contacts: object, kind: str = "nps", **survey_options: object) -> int:
    survey = factories.gen_survey(kind, **survey_options)  # type: ignore[arg-type]
    result = invitations.invite_contacts(survey.id, contact_ids=[c.id for c in contacts])  # type: ignore[attr-defined]
    assert result.queued == len(contacts)
    return survey.id


def test_invitation_email_arrives_in_the_contacts_language_with_links_and_headers(
    mail_app: Flask, smtp: SmtpServer
) -> None:
    french = factories.gen_contact("claire@example.com", language="fr")
    english = factories.gen_contact("john@example.com")
    survey_id = _invite(french, english)
    assert smtp.handler.messages == []  # queued only: nothing leaves before the worker runs

    result = Worker(mail_app).run_once()

    assert result.sent == 2
    [fr_mail] = smtp.handler.to("claire@example.com")
    [en_mail] = smtp.handler.to("john@example.com")
    token = invitation_rows(survey_id)[0].token
    assert fr_mail["Content-Language"] == "fr"
    assert en_mail["Subject"] == "A quick question from Acme"
    assert "surveys@acme.test" in fr_mail["From"]
    assert str(fr_mail["List-Unsubscribe"]).strip() == f"<http://surveys.test/u/{token}>"
    assert fr_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = text_part(fr_mail), html_part(fr_mail)
    for score in range(11):
        assert f"http://surveys.test/s/{token}?score={score}" in text
        assert f'href="http://surveys.test/s/{token}?score={score}"' in html
    assert "http://surveys.test/s/12" not in text
    # The survey's question in French, placeholders filled, straight from the database.
    assert "Quelle est la probabilité que vous recommandiez Acme" in text
    assert "recommend Acme" in text_part(en_mail)
    assert f"http://surveys.test/u/{token}" in text
    statuses = {row.status for row in invitation_rows(survey_id)}
    assert statuses == {"sent"}
    assert all(row.sent_at is not None for row in invitation_rows(survey_id))
    assert [row.status for row in outbox_rows()] == ["sent", "sent"]


def test_csat_email_embeds_a_one_to_five_scale(mail_app: Flask, smtp: SmtpServer) -> None:
    contact = factories.gen_contact()
    survey_id = _invite(contact, kind="csat")
    Worker(mail_app).run_once()
    token = invitation_rows(survey_id)[0].token
    links = re.findall(rf"/s/{token}\?score=(\d+)", text_part(smtp.handler.messages[0]))
    assert links == ["1", "2", "3", "4", "5"]


def test_following_the_embedded_score_link_records_the_score(
    mail_app: Flask, smtp: SmtpServer
) -> None:
    contact = factories.gen_contact()
    survey_id = _invite(contact)
    Worker(mail_app).run_once()
    link = re.search(r"http://surveys\.test(/s/\S+\?score=9)", text_part(smtp.handler.messages[0]))
    assert link is not None

    page = mail_app.test_client().get(link.group(1))

    assert page.status_code == 200
    [invitation] = invitation_rows(survey_id)
    response = db.session().scalar(sa.select(Response).where(Response.survey_id == survey_id))
    assert response is not None and response.score == 9
    assert response.invitation_id == invitation.id


def test_smtp_down_then_up_loses_nothing_and_duplicates_nothing(
    mail_app: Flask, smtp: SmtpServer
) -> None:
    contacts = [factories.gen_contact() for _ in range(5)]
    _invite(*contacts)
    smtp.stop()

    down = Worker(mail_app, batch_size=2).run_once()

    assert down.unavailable and down.sent == 0
    rows = outbox_rows()
    assert {row.status for row in rows} == {"pending"}
    assert {row.attempts for row in rows} == {0}  # an outage uses up no attempt
    assert {row.status for row in invitation_rows()} == {"queued"}

    smtp.start()
    up = Worker(mail_app, batch_size=2).run_once()
    again = Worker(mail_app).run_once()

    assert up.sent == 5 and again.sent == 0
    assert sorted(smtp.handler.recipients()) == sorted(c.email for c in contacts)
    assert {row.status for row in invitation_rows()} == {"sent"}


@pytest.mark.parametrize("connections", [1, 3])
def test_a_batch_goes_out_over_at_most_smtp_connections_connections(
    database_url: str, smtp: SmtpServer, connections: int
) -> None:
    app = make_test_app(database_url, MAIL_URL=smtp.url, SMTP_CONNECTIONS=connections)
    with app.app_context():
        emails = [f"many{i}@example.com" for i in range(12)]
        assert invitations.invite_contacts(factories.gen_survey().id, emails=emails).queued == 12
        result = Worker(app, batch_size=20).run_once()
        assert result.sent == 12
        assert sorted(smtp.handler.recipients()) == sorted(emails)
        peers = {peer for _from, _to, peer in smtp.handler.envelopes}
        assert 1 <= len(peers) <= connections
        assert {row.status for row in invitation_rows()} == {"sent"}
        db.session().close()
    app.extensions["surveyapp.engine"].dispose()


class _FlakyTransport:
    """Accepts ``budget`` messages in all (shared between threads), then the server is gone."""

    def __init__(self, state: dict[str, object]) -> None:
        self.state = state

    def __enter__(self) -> _FlakyTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def send(self, message: OutgoingEmail) -> None:
        lock = self.state["lock"]
        with lock:  # type: ignore[attr-defined]
            if self.state["budget"] == 0:
                raise TransportUnavailable("connection lost")
            self.state["budget"] -= 1  # type: ignore[operator]
            self.state["sent"].append(message.recipient)  # type: ignore[attr-defined]
            self.state["threads"].add(threading.current_thread().name)  # type: ignore[attr-defined]


def test_an_outage_mid_batch_over_parallel_connections_loses_and_repeats_nothing(
    mail_app: Flask,
) -> None:
    contacts = [factories.gen_contact() for _ in range(10)]
    _invite(*contacts)
    state: dict[str, object] = {"budget": 4, "sent": [], "threads": set()}
    state["lock"] = threading.Lock()
    mail_app.config["SMTP_CONNECTIONS"] = 3

    down = Worker(mail_app, transport_factory=lambda: _FlakyTransport(state)).run_once()

    assert down.unavailable and down.sent == 4
    assert threading.current_thread().name not in state["threads"]
    rows = outbox_rows()
    assert sorted(row.status for row in rows) == ["pending"] * 6 + ["sent"] * 4
    assert {row.attempts for row in rows} == {0}  # an outage uses up no attempt
    assert sum(row.status == "sent" for row in invitation_rows()) == 4

    state["budget"] = 100
    up = Worker(mail_app, transport_factory=lambda: _FlakyTransport(state)).run_once()

    assert up.sent == 6 and not up.unavailable
    assert sorted(state["sent"]) == sorted(c.email for c in contacts)  # type: ignore[arg-type]
    assert {row.status for row in invitation_rows()} == {"sent"}


def test_a_permanent_error_marks_the_invitation_failed_and_stops_retrying(
    mail_app: Flask, smtp: SmtpServer
) -> None:
    bad = factories.gen_contact("nobody@example.com")
    good = factories.gen_contact("somebody@example.com")
    smtp.handler.refuse["nobody@example.com"] = "550 5.1.1 No such user"
    survey_id = _invite(bad, good)

    result = Worker(mail_app).run_once()
    make_all_due()
    later = Worker(mail_app).run_once()

    assert (result.sent, result.failed) == (1, 1)
    assert later.sent == later.failed == later.retried == 0
    failed = next(row for row in invitation_rows(survey_id) if row.contact_id == bad.id)
    assert failed.status == "failed"
    assert failed.failure_reason is not None and "550" in failed.failure_reason
    assert "No such user" in failed.failure_reason
    assert invitations.failure_reasons(survey_id) == [(failed.failure_reason, 1)]
    assert smtp.handler.recipients() == ["somebody@example.com"]


def test_a_temporary_error_is_retried_with_backoff_until_it_goes_through(
    mail_app: Flask, smtp: SmtpServer
) -> None:
    contact = factories.gen_contact("busy@example.com")
    smtp.handler.refuse["busy@example.com"] = "451 4.3.0 Try again later"
    survey_id = _invite(contact)

    first = Worker(mail_app).run_once()

    assert first.retried == 1
    [row] = outbox_rows()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error is not None and row.last_error.startswith("451")
    wait = row.next_attempt_at - dt.datetime.now(dt.UTC)
    assert dt.timedelta(seconds=50) < wait <= dt.timedelta(seconds=60)
    assert Worker(mail_app).run_once().retried == 0  # not due yet

    del smtp.handler.refuse["busy@example.com"]
    make_all_due()
    assert Worker(mail_app).run_once().sent == 1
    assert invitation_rows(survey_id)[0].status == "sent"


def test_temporary_errors_give_up_after_the_maximum_attempts(
    database_url: str, smtp: SmtpServer
) -> None:
    app = make_test_app(database_url, MAIL_URL=smtp.url, OUTBOX_MAX_ATTEMPTS=2)
    with app.app_context():
        contact = factories.gen_contact("busy@example.com")
        smtp.handler.refuse["busy@example.com"] = "421 4.7.0 Too many connections"
        survey_id = _invite(contact)
        Worker(app).run_once()
        make_all_due()
        result = Worker(app).run_once()
        assert result.failed == 1
        [invitation] = invitation_rows(survey_id)
        assert invitation.status == "failed"
        assert "gave up after 2 attempts" in (invitation.failure_reason or "")
        db.session().close()
    app.extensions["surveyapp.engine"].dispose()


def test_two_workers_at_once_never_send_a_message_twice(
    database_url: str, smtp: SmtpServer
) -> None:
    setup_app = make_test_app(database_url, MAIL_URL=smtp.url)
    with setup_app.app_context():
        survey = factories.gen_survey()
        emails = [f"crowd{i}@example.com" for i in range(120)]
        assert invitations.invite_contacts(survey.id, emails=emails).queued == 120
        db.session().close()
    setup_app.extensions["surveyapp.engine"].dispose()

    # Each worker has its own app, engine and connections, as two processes would.
    apps = [make_test_app(database_url, MAIL_URL=smtp.url) for _ in range(2)]
    results: list[object] = []
    start = threading.Barrier(len(apps))

    def work(app: Flask) -> None:
        start.wait()
        results.append(Worker(app, batch_size=7).run_once())

    threads = [threading.Thread(target=work, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for app in apps:
        app.extensions["surveyapp.engine"].dispose()

    assert len(results) == 2, "a worker crashed"
    received = smtp.handler.recipients()
    assert len(received) == 120
    assert sorted(received) == sorted(emails)
    assert sum(r.sent for r in results) == 120  # type: ignore[attr-defined]


def test_an_unsubscribe_after_queueing_cancels_the_send(mail_app: Flask, smtp: SmtpServer) -> None:
    contact = factories.gen_contact()
    survey_id = _invite(contact)
    invitations.unsubscribe(invitation_rows(survey_id)[0].token)

    result = Worker(mail_app).run_once()

    assert (result.sent, result.cancelled) == (0, 1)
    assert smtp.handler.messages == []
    [invitation] = invitation_rows(survey_id)
    assert invitation.status == "failed"
    assert invitation.failure_reason == "unsubscribed before sending"


def _sent_invitation(mail_app: Flask, contact: object, *, reminders_count: int = 1) -> int:
    survey_id = _invite(contact)
    reminders.configure_reminders(survey_id, reminders_count, 3)
    Worker(mail_app).run_once()
    return survey_id


def test_a_reminder_goes_to_non_respondents_after_the_delay_and_only_once(
    mail_app: Flask, smtp: SmtpServer
) -> None:
    contact = factories.gen_contact("late@example.com", language="fr")
    survey_id = _sent_invitation(mail_app, contact)
    [invitation] = invitation_rows(survey_id)
    shift_invitation(invitation.id, sent_at=dt.datetime.now(dt.UTC) - 2 * DAY)
    assert Worker(mail_app).run_once().reminders_queued == 0  # not due after 2 of 3 days

    shift_invitation(
        invitation.id, sent_at=dt.datetime.now(dt.UTC) - 3 * DAY - dt.timedelta(minutes=1)
    )
    result = Worker(mail_app).run_once()
    assert (result.reminders_queued, result.sent) == (1, 1)
    again = Worker(mail_app).run_once()
    assert again.reminders_queued == 0

    mails = smtp.handler.to("late@example.com")
    assert len(mails) == 2
    assert mails[1]["Subject"] != mails[0]["Subject"]
    assert mails[1]["Content-Language"] == "fr"
    assert f"/s/{invitation.token}?score=10" in text_part(mails[1])
    [after] = invitation_rows(survey_id)
    assert after.reminders_sent == 1 and after.status == "sent"


def test_the_second_reminder_waits_as_long_again(mail_app: Flask, smtp: SmtpServer) -> None:
    contact = factories.gen_contact()
    survey_id = _sent_invitation(mail_app, contact, reminders_count=2)
    [invitation] = invitation_rows(survey_id)
    now = dt.datetime.now(dt.UTC)
    shift_invitation(invitation.id, sent_at=now - 10 * DAY)
    assert Worker(mail_app).run_once().reminders_queued == 1
    assert Worker(mail_app).run_once().reminders_queued == 0  # the first was just sent
    shift_invitation(invitation.id, last_reminded_at=now - 4 * DAY)
    assert Worker(mail_app).run_once().reminders_queued == 1
    shift_invitation(invitation.id, last_reminded_at=now - 40 * DAY)
    assert Worker(mail_app).run_once().reminders_queued == 0  # two is the most
    assert len(smtp.handler.messages) == 3


@pytest.mark.parametrize("who", ["answered", "unsubscribed", "failed", "no reminders"])
def test_no_reminder_to_who_answered_unsubscribed_or_failed(
    mail_app: Flask, smtp: SmtpServer, who: str
) -> None:
    contact = factories.gen_contact()
    survey_id = _sent_invitation(
        mail_app, contact, reminders_count=0 if who == "no reminders" else 2
    )
    [invitation] = invitation_rows(survey_id)
    past = dt.datetime.now(dt.UTC) - 30 * DAY
    shift_invitation(invitation.id, sent_at=past)
    if who == "answered":
        mail_app.test_client().get(f"/s/{invitation.token}?score=3")
        assert invitation_rows(survey_id)[0].status == "answered"
    elif who == "unsubscribed":
        invitations.unsubscribe(invitation.token)
    elif who == "failed":
        db.session().execute(
            sa.text("UPDATE invitations SET status = 'failed' WHERE id = :id"),
            {"id": invitation.id},
        )
        db.session().commit()

    result = Worker(mail_app).run_once()

    assert result.reminders_queued == 0
    assert len(smtp.handler.messages) == 1


def test_log_transport_writes_the_message_to_the_log(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_test_app(database_url, MAIL_URL="log")
    with app.app_context():
        contact = factories.gen_contact("logged@example.com")
        _invite(contact)
        with caplog.at_level("INFO"):
            result = Worker(app).run_once()
        assert result.sent == 1
        assert "logged@example.com" in caplog.text
        assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in caplog.text
        assert invitation_rows()[0].status == "sent"
        db.session().close()
    app.extensions["surveyapp.engine"].dispose()


def test_worker_command_once_sends_and_reports(mail_app: Flask, smtp: SmtpServer) -> None:
    _invite(factories.gen_contact(), factories.gen_contact())
    outcome = mail_app.test_cli_runner().invoke(worker_command, ["--once"])
    assert outcome.exit_code == 0, outcome.output
    assert "sent 2" in outcome.output
    assert len(smtp.handler.messages) == 2


def test_worker_command_refuses_a_malformed_mail_url(database_url: str) -> None:
    app = make_test_app(database_url, MAIL_URL="ftp://mail.example.com")
    outcome = app.test_cli_runner().invoke(worker_command, ["--once"])
    assert outcome.exit_code != 0
    assert "MAIL_URL" in outcome.output
    app.extensions["surveyapp.engine"].dispose()


def test_the_worker_loop_stops_when_asked(mail_app: Flask, smtp: SmtpServer) -> None:
    _invite(factories.gen_contact())
    stop = threading.Event()
    worker = Worker(mail_app)
    thread = threading.Thread(target=worker.run, kwargs={"interval": 0.05, "stop": stop})
    thread.start()
    for _ in range(100):
        if smtp.handler.messages:
            break
        threading.Event().wait(0.05)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert len(smtp.handler.messages) == 1
    header = str(smtp.handler.messages[0]["List-Unsubscribe"]).strip().strip("<>")
    assert urlsplit(header).path.startswith("/u/")
