"""Follow-up cases: every unhappy response becomes a case someone assigns, works on and closes.

A response qualifies when it is an NPS/eNPS detractor (0–6), a CSAT of 1 or
2, or a cancellation answer. ``open_case_for`` runs inside the respondent's
submit transaction (services.responses), so the case and its alerts exist
exactly when the response does.

Anonymous surveys never get cases: an alert sent within a minute would reveal
the time of an answer that the anonymity rules truncate to the day, and a
case is a group of one, below any reporting threshold.

Staff actions (assign, status, note, reply) each record the time of the first
one (``first_action_at``) for the time-to-first-action metric; a reply is an
email to the respondent queued in the outbox.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.analytics.periods import local_day, period_start, time_zone
from surveyapp.mail import outbox
from surveyapp.models import (
    Answer,
    Case,
    CaseNote,
    Contact,
    Question,
    Response,
    Survey,
    User,
    utcnow,
)
from surveyapp.models.followup import CASE_STATUSES
from surveyapp.services import alerts, rollups
from surveyapp.services.errors import InvalidInput, NotFound
from surveyapp.services.surveys import question_text

__all__ = [
    "CASE_STATUSES",
    "MAX_NOTE_LENGTH",
    "MAX_SUBJECT_LENGTH",
    "CaseFilters",
    "CaseMetrics",
    "CaseRow",
    "CaseView",
    "QuestionAnswer",
    "add_note",
    "assign_case",
    "case_metrics",
    "case_reason",
    "get_case",
    "list_cases",
    "open_case_for",
    "send_reply",
    "set_status",
]

MAX_NOTE_LENGTH = 5000
MAX_SUBJECT_LENGTH = 200
LIST_LIMIT = 200
COMMENT_EXCERPT = 160
DETRACTOR_MAX = 6
LOW_CSAT_MAX = 2


@dataclass(frozen=True)
class CaseFilters:
    """What the queue shows: a status, a survey, an assignee (0 = unassigned); None = any.

    ``hidden_survey_ids`` are surveys the reader may not see (services.survey_access).
    """

    status: str | None = None
    survey_id: int | None = None
    assignee_id: int | None = None
    hidden_survey_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class CaseRow:
    """One line of the queue."""

    id: int
    survey_id: int
    survey_title: str
    reason: str
    score: int | None
    status: str
    assignee: str | None
    created_at: dt.datetime
    comment: str | None


@dataclass(frozen=True)
class QuestionAnswer:
    """One question of the response and its answer as text."""

    question: str
    answer: str


@dataclass(frozen=True)
class CaseView:
    """Everything the case page shows."""

    case: Case
    survey: Survey
    response: Response
    answers: list[QuestionAnswer]
    contact: Contact | None
    assignee: User | None
    authors: dict[int, str]
    can_reply: bool


@dataclass(frozen=True)
class CaseMetrics:
    """Cases opened in one period and how fast they were handled (hours; None without data)."""

    period_start: dt.date
    opened: int
    acted: int
    closed: int
    median_hours_to_first_action: float | None
    median_hours_to_close: float | None


def case_reason(survey: Survey, response: Response) -> str | None:
    """Why this response needs a follow-up ("detractor", "low_csat", "cancellation"), or None."""
    if survey.anonymous:
        return None
    main = survey.main_question
    if main is None:
        return None
    if main.type == "nps" and response.score is not None and response.score <= DETRACTOR_MAX:
        return "detractor"
    if main.type == "csat" and response.score is not None and response.score <= LOW_CSAT_MAX:
        return "low_csat"
    if survey.kind == "cancellation" and any(
        answer.question_id == main.id and (answer.choices or answer.text)
        for answer in response.answers
    ):
        return "cancellation"
    return None


def open_case_for(survey: Survey, response: Response, *, new: bool = False) -> Case | None:
    """Open a case (and its alerts) for a qualifying, flushed response; no commit.

    Idempotent: a response that already has a case keeps it. ``new`` says the response
    was inserted in this transaction, so it has no case to look for. Returns the new
    case, or None when nothing was opened.
    """
    reason = case_reason(survey, response)
    if reason is None:
        return None
    session = db.session()
    if not new and session.scalar(sa.select(Case.id).where(Case.response_id == response.id)):
        return None
    case = Case(
        response_id=response.id,
        survey_id=survey.id,
        reason=reason,
        status="open",
        created_at=utcnow(),
    )
    session.add(case)
    session.flush()
    alerts.create_alerts(case, survey)
    return case


def list_cases(filters: CaseFilters = CaseFilters()) -> list[CaseRow]:
    """The queue: cases matching ``filters``, newest first (at most LIST_LIMIT)."""
    query = (
        sa.select(Case, Survey.title, Response.score, User.name, User.email)
        .join(Survey, Survey.id == Case.survey_id)
        .join(Response, Response.id == Case.response_id)
        .outerjoin(User, User.id == Case.assignee_id)
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(LIST_LIMIT)
    )
    if filters.status is not None:
        query = query.where(Case.status == filters.status)
    if filters.survey_id is not None:
        query = query.where(Case.survey_id == filters.survey_id)
    if filters.hidden_survey_ids:
        query = query.where(Case.survey_id.not_in(filters.hidden_survey_ids))
    if filters.assignee_id == 0:
        query = query.where(Case.assignee_id.is_(None))
    elif filters.assignee_id is not None:
        query = query.where(Case.assignee_id == filters.assignee_id)
    rows = db.session().execute(query).all()
    comments = alerts.first_comments([row[0].response_id for row in rows], COMMENT_EXCERPT)
    return [
        CaseRow(
            id=case.id,
            survey_id=case.survey_id,
            survey_title=title,
            reason=case.reason,
            score=score,
            status=case.status,
            assignee=(name or email) if email else None,
            created_at=case.created_at,
            comment=comments.get(case.response_id),
        )
        for case, title, score, name, email in rows
    ]


def get_case(case_id: int) -> CaseView:
    """The case with its response, answers, contact and notes. Raises NotFound."""
    session = db.session()
    case = session.scalar(
        sa.select(Case).where(Case.id == case_id).options(so.selectinload(Case.notes))
    )
    if case is None:
        raise NotFound(_("No such case."))
    response = session.scalar(
        sa.select(Response)
        .where(Response.id == case.response_id)
        .options(
            so.selectinload(Response.answers),
            so.joinedload(Response.survey).selectinload(Survey.questions),
        )
    )
    if response is None:  # pragma: no cover - the case cascades with its response
        raise NotFound(_("No such case."))
    survey = response.survey
    contact = (
        session.get(Contact, response.contact_id)
        if response.contact_id is not None and not survey.anonymous
        else None
    )
    author_ids = {note.author_id for note in case.notes if note.author_id is not None}
    authors = {
        user.id: user.name or user.email
        for user in session.scalars(sa.select(User).where(User.id.in_(author_ids)))
    }
    return CaseView(
        case=case,
        survey=survey,
        response=response,
        answers=_answers(survey, response),
        contact=contact,
        assignee=session.get(User, case.assignee_id) if case.assignee_id is not None else None,
        authors=authors,
        can_reply=contact is not None,
    )


def assign_case(case_id: int, assignee_id: int | None, actor: User) -> Case:
    """Give the case to an active user (None: nobody). Raises NotFound, InvalidInput."""
    case = _case(case_id)
    assignee = None
    if assignee_id is not None:
        assignee = db.session().get(User, assignee_id)
        if assignee is None or not assignee.is_active:
            raise InvalidInput(_("Choose an active user."), "assignee_id")
    if case.assignee_id != assignee_id:
        case.assignee_id = assignee_id
        body = (
            _("Assigned to %(name)s.", name=assignee.name or assignee.email)
            if assignee is not None
            else _("Unassigned.")
        )
        _record(case, actor, "event", body)
    db.session().commit()
    return case


def set_status(case_id: int, status: str, actor: User) -> Case:
    """Move the case to open, in progress or closed. Raises NotFound, InvalidInput."""
    if status not in CASE_STATUSES:
        raise InvalidInput(_("Unknown status."), "status")
    case = _case(case_id)
    if case.status != status:
        now = utcnow()
        case.status = status
        case.closed_at = now if status == "closed" else None
        _record(case, actor, "event", _("Status changed to %(status)s.", status=status), now)
    db.session().commit()
    return case


def add_note(case_id: int, body: str, actor: User) -> CaseNote:
    """Add an internal note (never shown to the respondent). Raises NotFound, InvalidInput."""
    text = _clean_text(body, "body", MAX_NOTE_LENGTH)
    case = _case(case_id)
    note = _record(case, actor, "note", text)
    db.session().commit()
    return note


def send_reply(case_id: int, subject: str, body: str, actor: User) -> CaseNote:
    """Queue an email to the respondent and keep it on the case.

    Raises NotFound; InvalidInput when the survey is anonymous, the response has
    no contact (a public link), or the subject or text is empty or too long.
    """
    clean_subject = _clean_text(subject, "subject", MAX_SUBJECT_LENGTH)
    text = _clean_text(body, "body", MAX_NOTE_LENGTH)
    view = get_case(case_id)
    if view.survey.anonymous or view.contact is None:
        raise InvalidInput(
            _("This respondent cannot be emailed: the answer is anonymous or has no contact."),
            "body",
        )
    contact = view.contact
    language = view.response.language or view.survey.default_language
    outbox.enqueue(
        "case_reply",
        payload={
            "case_id": view.case.id,
            "to": contact.email,
            "name": contact.name,
            "subject": clean_subject,
            "body": text,
            "language": language,
            "company": view.survey.settings.get("company") or current_app.config["COMPANY_NAME"],
            "reply_to": actor.email,
        },
    )
    note = _record(view.case, actor, "reply", f"{clean_subject}\n\n{text}")
    db.session().commit()
    return note


def case_metrics(
    interval: str = "month",
    periods: int = 6,
    *,
    today: dt.date | None = None,
    hidden_survey_ids: frozenset[int] = frozenset(),
) -> list[CaseMetrics]:
    """Per period (month or quarter), newest last: cases opened and median handling times,
    leaving out the cases of ``hidden_survey_ids`` (surveys the reader may not see).

    Periods are in the workspace time zone. Raises InvalidInput for another interval.
    """
    if interval not in ("month", "quarter"):
        raise InvalidInput(_("Choose months or quarters."), "interval")
    tz = time_zone(rollups.configured_time_zone())
    current = period_start(today or local_day(utcnow(), tz), interval)
    starts = [current]
    for _index in range(max(1, periods) - 1):
        starts.insert(0, period_start(starts[0] - dt.timedelta(days=1), interval))
    first = dt.datetime.combine(starts[0], dt.time(), tz).astimezone(dt.UTC)
    query = sa.select(Case.created_at, Case.first_action_at, Case.closed_at).where(
        Case.created_at >= first
    )
    if hidden_survey_ids:
        query = query.where(Case.survey_id.not_in(hidden_survey_ids))
    rows = db.session().execute(query)
    grouped: dict[dt.date, list[tuple[dt.datetime, dt.datetime | None, dt.datetime | None]]] = {
        start: [] for start in starts
    }
    for created_at, first_action_at, closed_at in rows:
        key = period_start(local_day(created_at, tz), interval)
        if key in grouped:
            grouped[key].append((created_at, first_action_at, closed_at))
    return [_period_metrics(start, grouped[start]) for start in starts]


def _period_metrics(
    start: dt.date, cases: Sequence[tuple[dt.datetime, dt.datetime | None, dt.datetime | None]]
) -> CaseMetrics:
    to_action = [_hours(created, acted) for created, acted, _closed in cases if acted is not None]
    to_close = [_hours(created, closed) for created, _acted, closed in cases if closed is not None]
    return CaseMetrics(
        period_start=start,
        opened=len(cases),
        acted=len(to_action),
        closed=len(to_close),
        median_hours_to_first_action=round(statistics.median(to_action), 1) if to_action else None,
        median_hours_to_close=round(statistics.median(to_close), 1) if to_close else None,
    )


def _hours(start: dt.datetime, end: dt.datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 3600)


def _case(case_id: int) -> Case:
    case = db.session().get(Case, case_id)
    if case is None:
        raise NotFound(_("No such case."))
    return case


def _record(
    case: Case, actor: User, kind: str, body: str, now: dt.datetime | None = None
) -> CaseNote:
    """Keep what staff did on the case; the first thing done starts the clock of first action."""
    now = now or utcnow()
    if case.first_action_at is None:
        case.first_action_at = now
    note = CaseNote(author_id=actor.id, kind=kind, body=body, created_at=now)
    case.notes.append(note)
    return note


def _clean_text(value: str, field: str, limit: int) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if not text:
        raise InvalidInput(_("This field is required."), field)
    if len(text) > limit:
        raise InvalidInput(
            _(
                "The text is %(length)s characters long; the limit is %(limit)s.",
                length=len(text),
                limit=limit,
            ),
            field,
        )
    return text


def _answers(survey: Survey, response: Response) -> list[QuestionAnswer]:
    language = response.language or survey.default_language
    by_question = {answer.question_id: answer for answer in response.answers}
    shown: list[QuestionAnswer] = []
    for question in survey.questions:
        answer = by_question.get(question.id)
        if answer is None:
            continue
        shown.append(
            QuestionAnswer(
                question_text(survey, question, language), _answer_text(question, answer, language)
            )
        )
    return shown


def _answer_text(question: Question, answer: Answer, language: str) -> str:
    if answer.value_number is not None:
        return str(answer.value_number)
    labels = {
        str(option.get("value")): option.get("label", {}) for option in question.options or []
    }
    parts = [
        labels[choice].get(language) or labels[choice].get("en") or choice
        if choice in labels
        else choice
        for choice in answer.choices or []
    ]
    if answer.text:
        parts.append(answer.text)
    return "; ".join(parts)
