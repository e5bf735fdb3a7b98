"""Reminders: up to two per invitation, to people who have not answered, after N days.

A survey's ``settings`` hold ``reminders`` (0, 1 or 2) and ``reminder_days``.
The first reminder is due ``reminder_days`` after the invitation was sent,
the second as long after the first. Nobody who answered, unsubscribed or
whose invitation failed is ever reminded. The worker calls
schedule_due_reminders() every cycle; each due invitation is counted and
queued by one UPDATE, so two workers never remind the same person twice.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.mail import outbox
from surveyapp.models import Contact, Invitation, Survey, utcnow
from surveyapp.services.errors import InvalidInput, NotFound

__all__ = [
    "DEFAULT_REMINDER_DAYS",
    "MAX_REMINDERS",
    "MAX_REMINDER_DAYS",
    "configure_reminders",
    "reminder_settings",
    "schedule_due_reminders",
]

MAX_REMINDERS = 2
DEFAULT_REMINDER_DAYS = 3
MAX_REMINDER_DAYS = 60


def reminder_settings(survey: Survey) -> tuple[int, int]:
    """(number of reminders, days between them) of a survey, defaults for missing values."""
    settings = survey.settings or {}
    count = settings.get("reminders", 0)
    days = settings.get("reminder_days", DEFAULT_REMINDER_DAYS)
    count = count if isinstance(count, int) and 0 <= count <= MAX_REMINDERS else 0
    days = days if isinstance(days, int) and 1 <= days <= MAX_REMINDER_DAYS else 3
    return count, days


def configure_reminders(survey_id: int, count: int, days: int) -> Survey:
    """Set how many reminders a survey sends (0–2) and after how many days (1–60).

    Raises NotFound and InvalidInput.
    """
    if count not in range(MAX_REMINDERS + 1):
        raise InvalidInput(_("Choose 0, 1 or 2 reminders."), "reminders")
    if not 1 <= days <= MAX_REMINDER_DAYS:
        raise InvalidInput(_("Remind after 1 to %(n)s days.", n=MAX_REMINDER_DAYS), "reminder_days")
    session = db.session()
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound(_("No such survey."))
    survey.settings = {**(survey.settings or {}), "reminders": count, "reminder_days": days}
    session.commit()
    return survey


def schedule_due_reminders(now: dt.datetime | None = None) -> int:
    """Queue every reminder that is due now; returns how many were queued."""
    now = now or utcnow()
    session = db.session()
    surveys = [
        (survey.id, *reminder_settings(survey))
        for survey in session.scalars(sa.select(Survey).where(Survey.status == "active"))
    ]
    # The reads above end here: the writes below must open their own transaction.
    session.commit()
    queued = 0
    unsubscribed = sa.select(Contact.id).where(Contact.unsubscribed_at.is_not(None))
    for survey_id, count, days in surveys:
        if count == 0:
            continue
        last_contact = sa.func.coalesce(Invitation.last_reminded_at, Invitation.sent_at)
        ids = list(
            session.scalars(
                sa.update(Invitation)
                .where(
                    Invitation.survey_id == survey_id,
                    Invitation.status.in_(("sent", "opened")),
                    Invitation.answered_at.is_(None),
                    Invitation.reminders_sent < count,
                    last_contact <= now - dt.timedelta(days=days),
                    Invitation.contact_id.not_in(unsubscribed),
                )
                .values(reminders_sent=Invitation.reminders_sent + 1, last_reminded_at=now)
                .returning(Invitation.id)
                .execution_options(synchronize_session=False)
            )
        )
        outbox.enqueue_many("reminder", ids, now=now)
        session.commit()
        queued += len(ids)
    return queued
