"""Staff alerts about new cases: who hears about which survey, and the batching into emails.

A new case makes one ``Alert`` row per recipient (the survey's owner and the
users subscribed to the survey), in the submit transaction; nothing is sent
from a web request. The worker calls ``queue_due_alerts`` every cycle, which
turns each user's waiting alerts into ONE outbox "alert" email:

- "instant" users: once their oldest waiting alert is ``ALERT_BATCH_SECONDS``
  old (default 45 s), so a burst of answers within that window makes one
  email, and the first alert still goes out within a minute;
- "digest" users: once a day, after ``ALERT_DIGEST_HOUR`` (UTC, default 8),
  every alert created before that hour;
- "off" users get no alert rows at all.

Webhooks do not exist yet: alerts are emails only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.mail import outbox
from surveyapp.models import (
    Alert,
    AlertPreference,
    AlertSubscription,
    Answer,
    Case,
    Question,
    Response,
    Survey,
    User,
    utcnow,
)
from surveyapp.models.followup import ALERT_MODES
from surveyapp.services import survey_access
from surveyapp.services.errors import InvalidInput

__all__ = [
    "ALERT_MODES",
    "DEFAULT_BATCH_SECONDS",
    "DEFAULT_DIGEST_HOUR",
    "AlertEmail",
    "AlertItem",
    "AlertSettings",
    "alert_settings",
    "create_alerts",
    "digest_cutoff",
    "first_comments",
    "load_alert_email",
    "queue_due_alerts",
    "save_alert_settings",
]

DEFAULT_BATCH_SECONDS = 45
DEFAULT_DIGEST_HOUR = 8
COMMENT_EXCERPT = 300


@dataclass(frozen=True)
class AlertSettings:
    """One user's alert mode and the surveys they subscribed to."""

    mode: str
    survey_ids: frozenset[int]


@dataclass(frozen=True)
class AlertItem:
    """One case in an alert email."""

    case_id: int
    survey_title: str
    reason: str
    score: int | None
    comment: str | None
    url: str


@dataclass(frozen=True)
class AlertEmail:
    """What the worker needs to build one alert email."""

    email: str
    name: str
    digest: bool
    items: list[AlertItem]


def create_alerts(case: Case, survey: Survey) -> int:
    """Add the alerts of a new (flushed) case for its recipients; no commit. Returns how many."""
    session = db.session()
    recipients = set(
        session.scalars(
            sa.select(AlertSubscription.user_id).where(AlertSubscription.survey_id == survey.id)
        )
    )
    if survey.owner_id is not None:
        recipients.add(survey.owner_id)
    if not recipients:
        return 0
    rows = session.execute(
        sa.select(User, AlertPreference.mode)
        .outerjoin(AlertPreference, AlertPreference.user_id == User.id)
        .where(User.id.in_(recipients), User.is_active.is_(True))
    ).all()
    now = utcnow()
    count = 0
    for user, mode in rows:
        # An eNPS case alerts only those who may see the survey (HR, its shares).
        if not survey_access.survey_access(user, survey).full:
            continue
        user_id = user.id
        mode = mode or "instant"
        if mode == "off":
            continue
        session.add(Alert(user_id=user_id, case_id=case.id, mode=mode, created_at=now))
        count += 1
    return count


def digest_cutoff(now: dt.datetime, hour: int) -> dt.datetime:
    """The latest daily digest time (``hour``:00 UTC) at or before ``now``.

    >>> digest_cutoff(dt.datetime(2026, 3, 2, 7, 59, tzinfo=dt.UTC), 8).isoformat()
    '2026-03-01T08:00:00+00:00'
    >>> digest_cutoff(dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC), 8).isoformat()
    '2026-03-02T08:00:00+00:00'
    """
    today = now.astimezone(dt.UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return today if today <= now else today - dt.timedelta(days=1)


def queue_due_alerts(now: dt.datetime | None = None) -> int:
    """Turn every user's due alerts into one outbox email per user and mode; commit.

    Safe with several workers: each alert is claimed by one UPDATE … RETURNING.
    Returns how many emails were queued.
    """
    now = now or utcnow()
    config = current_app.config
    batch = dt.timedelta(seconds=int(config.get("ALERT_BATCH_SECONDS", DEFAULT_BATCH_SECONDS)))
    cutoff = digest_cutoff(now, int(config.get("ALERT_DIGEST_HOUR", DEFAULT_DIGEST_HOUR)))
    session = db.session()
    # End any read transaction: on SQLite a write must open its own (see mail/outbox.py).
    session.commit()
    due_instant_users = (
        sa.select(Alert.user_id)
        .where(Alert.queued_at.is_(None), Alert.mode == "instant")
        .group_by(Alert.user_id)
        .having(sa.func.min(Alert.created_at) <= now - batch)
    )
    due = sa.or_(
        sa.and_(Alert.mode == "instant", Alert.user_id.in_(due_instant_users)),
        sa.and_(Alert.mode == "digest", Alert.created_at < cutoff),
    )
    claimed = session.execute(
        sa.update(Alert)
        .where(Alert.queued_at.is_(None), due)
        .values(queued_at=now)
        .returning(Alert.id, Alert.user_id, Alert.mode)
        .execution_options(synchronize_session=False)
    ).all()
    grouped: dict[tuple[int, str], list[int]] = defaultdict(list)
    for alert_id, user_id, mode in claimed:
        grouped[(user_id, mode)].append(alert_id)
    for (user_id, mode), alert_ids in sorted(grouped.items()):
        outbox.enqueue(
            "alert",
            payload={
                "user_id": user_id,
                "alert_ids": sorted(alert_ids),
                "digest": mode == "digest",
            },
        )
    session.commit()
    return len(grouped)


def load_alert_email(payload: Mapping[str, Any]) -> AlertEmail | None:
    """The recipient and cases of a queued alert email; None when nothing is left to send.

    Nothing is left when the user was deleted or deactivated, or every case is gone.
    """
    session = db.session()
    user = session.get(User, int(payload.get("user_id", 0)))
    if user is None or not user.is_active:
        return None
    alert_ids = [int(value) for value in payload.get("alert_ids", [])]
    rows = session.execute(
        sa.select(Case.id, Case.reason, Case.response_id, Survey.title, Response.score)
        .join(Alert, Alert.case_id == Case.id)
        .join(Survey, Survey.id == Case.survey_id)
        .join(Response, Response.id == Case.response_id)
        .where(Alert.id.in_(alert_ids))
        .order_by(Case.created_at, Case.id)
    ).all()
    if not rows:
        return None
    comments = first_comments((row.response_id for row in rows), COMMENT_EXCERPT)
    base = current_app.config["BASE_URL"]
    items = [
        AlertItem(
            case_id=row.id,
            survey_title=row.title,
            reason=row.reason,
            score=row.score,
            comment=comments.get(row.response_id),
            url=f"{base}/cases/{row.id}",
        )
        for row in rows
    ]
    return AlertEmail(user.email, user.name, bool(payload.get("digest")), items)


def alert_settings(user_id: int) -> AlertSettings:
    """The user's alert mode ("instant" when never set) and subscribed survey ids."""
    session = db.session()
    preference = session.get(AlertPreference, user_id)
    survey_ids = session.scalars(
        sa.select(AlertSubscription.survey_id).where(AlertSubscription.user_id == user_id)
    )
    return AlertSettings(preference.mode if preference else "instant", frozenset(survey_ids))


def save_alert_settings(user_id: int, mode: str, survey_ids: Iterable[int]) -> AlertSettings:
    """Replace the user's mode and subscriptions; commit. Raises InvalidInput."""
    if mode not in ALERT_MODES:
        raise InvalidInput(_("Choose how you want to be alerted."), "mode")
    session = db.session()
    wanted = set(survey_ids)
    known = set(session.scalars(sa.select(Survey.id).where(Survey.id.in_(wanted))))
    if wanted - known:
        raise InvalidInput(_("Unknown survey."), "survey_ids")
    preference = session.get(AlertPreference, user_id)
    if preference is None:
        session.add(AlertPreference(user_id=user_id, mode=mode))
    else:
        preference.mode = mode
    current = set(
        session.scalars(
            sa.select(AlertSubscription.survey_id).where(AlertSubscription.user_id == user_id)
        )
    )
    if current - wanted:
        session.execute(
            sa.delete(AlertSubscription).where(
                AlertSubscription.user_id == user_id,
                AlertSubscription.survey_id.in_(current - wanted),
            )
        )
    session.add_all(
        AlertSubscription(user_id=user_id, survey_id=survey_id)
        for survey_id in sorted(wanted - current)
    )
    session.commit()
    return AlertSettings(mode, frozenset(wanted))


def first_comments(response_ids: Iterable[int], max_length: int) -> dict[int, str]:
    """Response id -> its first text answer, cut to ``max_length`` characters with an ellipsis."""
    ids: Sequence[int] = list(response_ids)
    if not ids:
        return {}
    rows = db.session().execute(
        sa.select(Answer.response_id, Answer.text)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.response_id.in_(ids), Answer.text.is_not(None))
        .order_by(Answer.response_id, Question.position)
    )
    comments: dict[int, str] = {}
    for response_id, text in rows:
        if response_id not in comments and text:
            comments[response_id] = (
                text if len(text) <= max_length else text[: max_length - 1] + "…"
            )
    return comments
