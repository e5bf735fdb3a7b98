"""Inviting contacts: audiences, throttling, held-back reasons, outbox rows, unsubscribing."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask import Flask

from surveyapp import db
from surveyapp.models import Contact, Invitation, OutboxMessage
from surveyapp.services import contacts, invitations, reminders
from surveyapp.services.errors import Conflict, InvalidInput, NotFound
from tests import factories
from tests.conftest import make_test_app
from tests.factories_distribution import invitation_rows, outbox_rows

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def _count(model: type) -> int:
    return db.session().scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_inviting_everyone_writes_invitations_and_outbox_rows_together(app: Flask) -> None:
    survey = factories.gen_survey()
    contacts = [factories.gen_contact(language=lang) for lang in ("fr", "en", None, "de")]

    result = invitations.invite_contacts(survey.id)

    assert result == invitations.InviteResult(4, [])
    rows = invitation_rows(survey.id)
    assert [row.contact_id for row in rows] == [c.id for c in contacts]
    assert {row.status for row in rows} == {"queued"}
    # The contact's language when the survey speaks it, else the survey's default.
    assert [row.language for row in rows] == ["fr", "en", "en", "en"]
    tokens = [row.token for row in rows]
    assert len(set(tokens)) == 4 and all(len(token) >= 43 for token in tokens)  # 256 bits
    queued = outbox_rows()
    assert [(m.kind, m.invitation_id, m.status) for m in queued] == [
        ("invitation", row.id, "pending") for row in rows
    ]


def test_an_invalid_email_is_never_queued(app: Flask) -> None:
    survey = factories.gen_survey()
    broken = factories.gen_contact("broken@@example..com")

    result = invitations.invite_contacts(
        survey.id, emails=["ok@example.com", "not an email", "", "a@b", "OK@example.com"]
    )

    assert result.queued == 1
    assert sorted(result.held_back) == [("a@b", "invalid_email"), ("not an email", "invalid_email")]
    everyone = invitations.invite_contacts(factories.gen_survey().id)
    assert ("broken@@example..com", "invalid_email") in everyone.held_back
    assert all(row.contact_id != broken.id for row in invitation_rows())


def test_unknown_addresses_become_contacts_and_known_ones_are_reused(app: Flask) -> None:
    known = factories.gen_contact("known@example.com", language="fr")
    survey = factories.gen_survey()

    result = invitations.invite_contacts(
        survey.id, emails=["Known@Example.com", "new.person@example.com"]
    )

    assert result.queued == 2
    new = db.session().scalar(sa.select(Contact).where(Contact.email == "new.person@example.com"))
    assert new is not None and new.language is None
    assert {row.contact_id for row in invitation_rows(survey.id)} == {known.id, new.id}


def test_throttling_holds_back_contacts_surveyed_recently_on_any_survey(app: Flask) -> None:
    recent, old, failed, fresh = (factories.gen_contact() for _ in range(4))
    first = factories.gen_survey()
    invitations.invite_contacts(first.id, contact_ids=[recent.id], now=NOW - dt.timedelta(days=89))
    invitations.invite_contacts(first.id, contact_ids=[old.id], now=NOW - dt.timedelta(days=91))
    invitations.invite_contacts(first.id, contact_ids=[failed.id], now=NOW - dt.timedelta(days=5))
    db.session().execute(
        sa.update(Invitation).where(Invitation.contact_id == failed.id).values(status="failed")
    )
    db.session().commit()
    second = factories.gen_survey()

    preview = invitations.preview_invitations(second.id, now=NOW)
    result = invitations.invite_contacts(second.id, now=NOW)

    assert preview == result
    assert result.queued == 3
    assert result.held_back == [(recent.email, "throttled")]
    assert {row.contact_id for row in invitation_rows(second.id)} == {old.id, failed.id, fresh.id}


def test_the_throttle_follows_the_setting(database_url: str) -> None:
    application = make_test_app(database_url, THROTTLE_DAYS=0)
    with application.app_context():
        contact = factories.gen_contact()
        invitations.invite_contacts(factories.gen_survey().id)
        assert invitations.invite_contacts(factories.gen_survey().id).queued == 1
        assert contact.id in {row.contact_id for row in invitation_rows()}
        db.session().close()
    application.extensions["surveyapp.engine"].dispose()


def test_unsubscribed_and_already_invited_contacts_are_held_back(app: Flask) -> None:
    survey = factories.gen_survey()
    gone = factories.gen_contact("gone@example.com")
    invited = factories.gen_contact("invited@example.com")
    invitations.invite_contacts(survey.id, contact_ids=[gone.id, invited.id])
    invitations.unsubscribe(invitation_rows(survey.id)[0].token)

    result = invitations.invite_contacts(factories.gen_survey().id, contact_ids=[gone.id])
    again = invitations.invite_contacts(survey.id, contact_ids=[invited.id, 999_999])

    assert result == invitations.InviteResult(0, [("gone@example.com", "unsubscribed")])
    assert again.queued == 0
    assert again.held_back == [
        ("#999999", "unknown_contact"),
        ("invited@example.com", "already_invited"),
    ]
    assert again.held_back_counts() == {"unknown_contact": 1, "already_invited": 1}


def test_a_segment_selects_contacts_by_attribute(app: Flask) -> None:
    contacts.define_attribute("plan", "text")
    contacts.define_attribute("seats", "number")
    pro = factories.gen_contact(attributes={"plan": "Pro", "seats": 5})
    factories.gen_contact(attributes={"plan": "free"})
    factories.gen_contact()
    survey = factories.gen_survey()

    assert invitations.preview_invitations(survey.id, segment={"seats": "5"}).queued == 1
    result = invitations.invite_contacts(survey.id, segment={"plan": " pro "})

    assert result.queued == 1
    assert [row.contact_id for row in invitation_rows(survey.id)] == [pro.id]
    with pytest.raises(InvalidInput, match="Unknown attribute"):
        invitations.preview_invitations(survey.id, segment={"shoe_size": "42"})


def test_preview_writes_nothing(app: Flask) -> None:
    factories.gen_contact()
    survey = factories.gen_survey()

    preview = invitations.preview_invitations(survey.id, emails=["someone.new@example.com"])

    assert preview.queued == 1
    assert _count(Invitation) == 0 and _count(OutboxMessage) == 0
    assert _count(Contact) == 1


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_only_an_active_survey_can_be_sent(app: Flask, status: str) -> None:
    factories.gen_contact()
    survey = factories.gen_survey(status=status)
    with pytest.raises(Conflict):
        invitations.invite_contacts(survey.id)
    with pytest.raises(Conflict):
        invitations.preview_invitations(survey.id)
    assert _count(Invitation) == 0


def test_bad_arguments_are_refused(app: Flask) -> None:
    survey = factories.gen_survey()
    with pytest.raises(InvalidInput):
        invitations.invite_contacts(survey.id, emails=["a@example.com"], segment={"plan": "pro"})
    with pytest.raises(NotFound):
        invitations.invite_contacts(999_999)


def test_unsubscribe_and_resubscribe(app: Flask) -> None:
    contact = factories.gen_contact()
    survey = factories.gen_survey()
    invitations.invite_contacts(survey.id)
    token = invitation_rows(survey.id)[0].token

    first = invitations.unsubscribe(token)
    moment = first.unsubscribed_at
    assert moment is not None
    assert invitations.unsubscribe(token).unsubscribed_at == moment  # idempotent
    with pytest.raises(NotFound):
        invitations.unsubscribe("no-such-token")

    assert invitations.resubscribe(contact.id).unsubscribed_at is None
    assert invitations.preview_invitations(factories.gen_survey().id).queued == 0  # throttled
    with pytest.raises(NotFound):
        invitations.resubscribe(999_999)


def test_status_counts_and_failure_reasons(app: Flask) -> None:
    survey = factories.gen_survey()
    for _ in range(3):
        factories.gen_contact()
    invitations.invite_contacts(survey.id)
    first, second, _third = invitation_rows(survey.id)
    db.session().execute(
        sa.update(Invitation)
        .where(Invitation.id.in_([first.id, second.id]))
        .values(status="failed", failure_reason="550 No such user")
    )
    db.session().commit()

    assert invitations.status_counts(survey.id) == {
        "queued": 1,
        "sent": 0,
        "failed": 2,
        "opened": 0,
        "answered": 0,
    }
    assert invitations.failure_reasons(survey.id) == [("550 No such user", 2)]
    assert len(invitations.list_invitations(survey.id, status="failed")) == 2
    with pytest.raises(InvalidInput):
        invitations.list_invitations(survey.id, status="lost")


def test_configure_reminders(app: Flask) -> None:
    survey = factories.gen_survey()
    assert reminders.reminder_settings(survey) == (0, reminders.DEFAULT_REMINDER_DAYS)
    reminders.configure_reminders(survey.id, 2, 7)
    assert reminders.reminder_settings(factories.surveys.get_survey(survey.id)) == (2, 7)
    with pytest.raises(InvalidInput):
        reminders.configure_reminders(survey.id, 3, 7)
    with pytest.raises(InvalidInput):
        reminders.configure_reminders(survey.id, 1, 0)
    with pytest.raises(NotFound):
        reminders.configure_reminders(999_999, 1, 3)
