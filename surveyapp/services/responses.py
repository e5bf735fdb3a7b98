"""Respondents' answers: opening invitations and public links, one-click scores, submissions.

Every write a respondent causes happens here, one transaction per call.
A survey keeps one response per invitation (``Response.invitation_id`` is
unique) and one per submission key on public links, so a double click, a
replayed POST or the back button updates a response instead of adding one.

Anonymous surveys (PRODUCT.md § Anonymity): the response stores no contact,
no invitation and day-truncated timestamps, only the contact's reportable
attributes (groups such as a team); the invitation only records that it was
answered, also to the day, so that the order of invitation events cannot be
matched with the order of responses.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.models import (
    Answer,
    AttributeDefinition,
    Contact,
    Invitation,
    Question,
    Response,
    Survey,
    utcnow,
)
from surveyapp.services import cases, pulses, rollups, survey_cache, tagging, webhooks
from surveyapp.services.contact_csv import ATTRIBUTE_KEY_PATTERN, MAX_VALUE_LENGTH, clean_email
from surveyapp.services.errors import Conflict, Gone, InvalidInput, NotFound

__all__ = [
    "AnswerValue",
    "answer_values",
    "api_answer",
    "contact_segment",
    "find_response",
    "is_submission_key",
    "new_submission_key",
    "open_invitation",
    "open_public_link",
    "parse_score",
    "record_score",
    "submit_api_response",
    "submit_response",
]

# 128 random bits, URL-safe base64 without padding: 22 characters.
SUBMISSION_KEY_BYTES = 16
_SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{22}")
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,9}")
YES_NO_VALUES = ("yes", "no")
OTHER_VALUE = "other"


@dataclass(frozen=True)
class AnswerValue:
    """One question's answer as given: a number, the chosen option values, and/or a text."""

    number: int | None = None
    choices: tuple[str, ...] = ()
    text: str | None = None

    @property
    def is_empty(self) -> bool:
        """True when nothing was answered (an optional question left blank)."""
        return self.number is None and not self.choices and not self.text


class _Retry(Exception):
    """A concurrent request changed what this one read: start the transaction again."""


@dataclass(frozen=True)
class _Submission:
    """What a respondent sent: checked answers (question id -> answer) and where from."""

    survey: Survey
    answers: Mapping[int, AnswerValue]
    complete: bool
    language: str
    invitation: Invitation | None
    submission_key: str | None
    channel: str | None


def new_submission_key() -> str:
    """A fresh random submission key (128 bits) for one respondent's form."""
    return secrets.token_urlsafe(SUBMISSION_KEY_BYTES)


def is_submission_key(value: object) -> bool:
    """True when ``value`` has the shape of a key made by ``new_submission_key``."""
    return isinstance(value, str) and _SUBMISSION_KEY.fullmatch(value) is not None


def open_invitation(token: str, *, mark_opened: bool = True) -> Invitation:
    """The invitation of ``token``, with its survey and contact; records the first opening.

    Raises NotFound for an unknown token or a draft survey, Gone for a closed survey.
    """
    session = db.session()
    invitation = session.scalar(
        sa.select(Invitation)
        .where(Invitation.token == token)
        .options(
            so.joinedload(Invitation.survey).selectinload(Survey.questions),
            so.joinedload(Invitation.contact),
        )
    )
    if invitation is None:
        raise NotFound(_("No such invitation."))
    _require_open(invitation.survey)
    if mark_opened and (
        invitation.opened_at is None or invitation.status not in ("opened", "answered")
    ):
        if invitation.opened_at is None:
            invitation.opened_at = _stamp(invitation.survey, utcnow())
        if invitation.status != "answered":
            invitation.status = "opened"
        session.commit()
    return invitation


def open_public_link(slug: str) -> Survey:
    """The survey behind a public link, questions loaded.

    Raises NotFound for an unknown slug or a draft survey, Gone for a closed survey.
    """
    survey = survey_cache.survey_by_slug(slug)
    if survey is None:
        raise NotFound(_("No such survey."))
    _require_open(survey)
    return survey


def find_response(
    survey: Survey,
    *,
    invitation: Invitation | None = None,
    submission_key: str | None = None,
) -> Response | None:
    """The response this respondent may see and update, answers loaded, or None.

    Non-anonymous invitations are found by invitation; anonymous ones and public
    links only by the submission key the respondent holds. Raises Conflict when
    an anonymous invitation was answered and the key does not lead to the response.
    """
    response = _locate(survey, invitation, submission_key)
    if response is None and _answered_elsewhere(survey, invitation):
        raise Conflict(_("This invitation has already been answered."))
    return response


def parse_score(survey: Survey, raw: str) -> int:
    """The whole number in ``raw`` when it lies on the main question's scale.

    Raises InvalidInput (field "score") for anything else: "11", "-1", "abc", "3.5",
    or a survey whose main question has no numeric scale.
    """
    main = survey.main_question
    scale = main.scale if main is not None else None
    if scale is None:
        raise InvalidInput(_("This survey has no score question."), "score")
    low, high = scale
    text = raw.strip()
    if _WHOLE_NUMBER.fullmatch(text) is None or not low <= int(text) <= high:
        raise InvalidInput(
            _("The score must be a whole number from %(low)s to %(high)s.", low=low, high=high),
            "score",
        )
    return int(text)


def record_score(
    survey: Survey,
    score: int,
    *,
    language: str,
    invitation: Invitation | None = None,
    submission_key: str | None = None,
) -> Response:
    """Record ``score`` as the main answer (the one-click link), creating or updating the response.

    Repeating it updates the same response. Other answers are kept. Raises InvalidInput
    when the score is off the scale, NotFound/Gone when the survey is not active, and
    Conflict when an anonymous invitation was already answered from elsewhere.
    """
    _require_open(survey)
    main = survey.main_question
    if main is None or main.scale is None:
        raise InvalidInput(_("This survey has no score question."), "score")
    low, high = main.scale
    if not low <= score <= high:
        raise InvalidInput(
            _("The score must be a whole number from %(low)s to %(high)s.", low=low, high=high),
            "score",
        )
    return _save(
        _Submission(
            survey,
            {main.id: AnswerValue(number=score)},
            complete=False,
            language=language,
            invitation=invitation,
            submission_key=submission_key,
            channel=None,
        )
    )


def submit_response(
    survey: Survey,
    answers: Mapping[int, AnswerValue],
    *,
    language: str,
    invitation: Invitation | None = None,
    submission_key: str | None = None,
    channel: str | None = None,
) -> Response:
    """Store a whole submission (question id -> answer), creating or updating the response.

    An optional question left empty deletes its previous answer. The channel is
    "email" for an invitation and "link" otherwise unless given. Raises InvalidInput
    for a missing required answer, an unknown option, a number off the scale or a text
    over MAX_TEXT_ANSWER_LENGTH; NotFound/Gone when the survey is not active; Conflict
    when an anonymous invitation was already answered from elsewhere.
    """
    _require_open(survey)
    checked = _checked_answers(survey, answers)
    return _save(
        _Submission(
            survey,
            checked,
            complete=True,
            language=language,
            invitation=invitation,
            submission_key=submission_key,
            channel=channel,
        )
    )


def answer_values(response: Response) -> dict[int, AnswerValue]:
    """The stored answers of ``response`` as question id -> AnswerValue, to fill a form again."""
    return {
        answer.question_id: AnswerValue(
            number=answer.value_number, choices=tuple(answer.choices or ()), text=answer.text
        )
        for answer in response.answers
    }


def contact_segment(contact: Contact) -> dict[str, Any]:
    """The contact's reportable attributes (AttributeDefinition.reportable), for a response."""
    reportable = db.session().scalars(
        sa.select(AttributeDefinition.key)
        .where(AttributeDefinition.reportable.is_(True))
        .order_by(AttributeDefinition.key)
    )
    attributes = contact.attributes or {}
    return {key: attributes[key] for key in reportable if key in attributes}


def _require_open(survey: Survey) -> None:
    # A draft is not revealed to respondents at all; a closed survey says so politely.
    if survey.status == "draft":
        raise NotFound(_("No such survey."))
    if survey.status == "closed":
        raise Gone(_("This survey is closed."))


def _stamp(survey: Survey, moment: dt.datetime) -> dt.datetime:
    """``moment``, truncated to the day on an anonymous survey."""
    if survey.anonymous:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment


def _answered_elsewhere(survey: Survey, invitation: Invitation | None) -> bool:
    return survey.anonymous and invitation is not None and invitation.answered_at is not None


def _locate(
    survey: Survey, invitation: Invitation | None, submission_key: str | None
) -> Response | None:
    """The response this submission updates, read fresh and locked for this transaction.

    Two submissions of the same response at once (a double click reaching two
    workers) must not both read the old answers: the rollups subtract the old
    score and add the new one, and two stale reads would subtract it twice.
    """
    session = db.session()
    if session.get_bind().dialect.name == "sqlite":
        # SQLite locks on the first write: take the write lock before reading.
        session.execute(sa.update(Response).where(sa.false()).values(score=Response.score))
    query = (
        sa.select(Response)
        .options(so.selectinload(Response.answers))
        .execution_options(populate_existing=True)
        .with_for_update()
    )
    if invitation is not None and not survey.anonymous:
        return session.scalar(query.where(Response.invitation_id == invitation.id))
    if not is_submission_key(submission_key):
        return None
    return session.scalar(
        query.where(
            Response.survey_id == survey.id,
            Response.submission_key == submission_key,
            Response.invitation_id.is_(None),
        )
    )


def _save(submission: _Submission) -> Response:
    session = db.session()

    def attempt(*, insert_first: bool) -> Response:
        response = _write(submission, insert_first=insert_first)
        session.commit()
        return response

    # Respondents' writes are the busiest: they queue for SQLite's lock (db.write_gate).
    with db.write_gate():
        try:
            # A public link's key is nearly always new: insert without reading and locking
            # first. A key already used (a one-click score, a double click) breaks the unique
            # constraint, and the second attempt finds that response and updates it.
            return _once(lambda: attempt(insert_first=submission.invitation is None))
        except _Retry:
            # Or a concurrent submit of the same invitation or key won the insert; now it
            # is committed, this second attempt finds that response and updates it.
            pass
        try:
            return _once(lambda: attempt(insert_first=False))
        except _Retry as exc:
            raise Conflict(
                _("The response changed while it was being saved: send it again.")
            ) from exc


def _once(attempt: Callable[[], Response]) -> Response:
    session = db.session()
    try:
        return attempt()
    except sa.exc.IntegrityError as exc:
        session.rollback()
        raise _Retry from exc
    except _Retry:
        session.rollback()
        raise


def _write(submission: _Submission, *, insert_first: bool) -> Response:
    """Create or update the response in the session and flush it, hooks included.

    ``insert_first`` (public links only) skips looking for an existing response: the
    caller retries without it when the insert breaks a unique constraint.
    """
    survey = submission.survey
    now = utcnow()
    if insert_first:
        # Tagged as it is inserted.
        response, new = _insert_public(submission, _stamp(survey, now)), True
    else:
        response, new = _upsert(submission, now)
        # Reason tags and sentiment are stored with the answers, so dashboards only aggregate.
        tagging.tag_response(survey, response, new=new)
    # A detractor, a low CSAT or a cancellation opens a case and its alerts in this transaction.
    case = cases.open_case_for(survey, response, new=new)
    # Webhooks are queued in this transaction too: none for a change that is rolled back.
    webhooks.response_saved(survey, response, created=new, case=case)
    return response


def _upsert(submission: _Submission, now: dt.datetime) -> tuple[Response, bool]:
    """Find (and lock) the response this submission updates, or create it, through the ORM.

    Returns the flushed response and whether it is new.
    """
    survey, answers, invitation = submission.survey, submission.answers, submission.invitation
    session = db.session()
    stamp = _stamp(survey, now)
    key = submission.submission_key
    response = _locate(survey, invitation, key)
    new = response is None
    if response is None:
        if _answered_elsewhere(survey, invitation):
            raise Conflict(_("This invitation has already been answered."))
        response = Response(
            survey_id=survey.id,
            channel=submission.channel or ("email" if invitation is not None else "link"),
            language=submission.language,
            completed=False,
            segment={},
            created_at=stamp,
            updated_at=stamp,
            # On an invitation of a non-anonymous survey the invitation is the key.
            submission_key=(
                key if is_submission_key(key) and (invitation is None or survey.anonymous) else None
            ),
        )
        if invitation is not None and survey.anonymous:
            _claim_anonymous_invitation(invitation, stamp)
            # Groups (team, location), never the person: only reportable attributes.
            response.segment = contact_segment(invitation.contact)
        elif invitation is not None:
            response.invitation_id = invitation.id
            response.contact_id = invitation.contact_id
        session.add(response)
    if invitation is not None and not survey.anonymous:
        response.segment = contact_segment(invitation.contact)
        if invitation.answered_at is None:
            invitation.answered_at = now
        invitation.opened_at = invitation.opened_at or now
        invitation.status = "answered"
    wave = pulses.wave_for_response(survey, invitation)
    if wave is not None:
        # The wave is a group, never a person: anonymous answers carry it too.
        response.segment = {**response.segment, "wave": wave}
    response.language = submission.language
    response.updated_at = stamp
    if submission.complete:
        response.completed = True

    existing = {answer.question_id: answer for answer in response.answers}
    for question_id, value in answers.items():
        answer = existing.get(question_id)
        if value.is_empty:
            if answer is not None:
                response.answers.remove(answer)
            continue
        if answer is None:
            # A known sentiment: tagging setting it to None again then writes nothing.
            answer = Answer(question_id=question_id, sentiment=None)
            response.answers.append(answer)
        answer.value_number = value.number
        answer.choices = list(value.choices) or None
        answer.text = value.text

    main = survey.main_question
    if main is not None and main.scale is not None:
        main_answer = next((a for a in response.answers if a.question_id == main.id), None)
        response.score = main_answer.value_number if main_answer is not None else None
    session.flush()
    return response, new


def _insert_public(submission: _Submission, stamp: dt.datetime) -> Response:
    """Insert a new public-link response, its answers and their tags with Core statements.

    The busiest write of the service: a unit-of-work flush cost more than the
    statements themselves. Texts are read first, so each answer is inserted with
    its sentiment and tags. The stored rows (``RETURNING``) become persistent
    objects in the session without another query, so the hooks that follow
    (cases, webhooks) see an ordinary response; the rollups, which only follow
    ORM flushes, are counted here. A key already used breaks the unique
    constraint, as the ORM insert would.
    """
    survey, answers, key = submission.survey, submission.answers, submission.submission_key
    session = db.session()
    connection = session.connection()
    wave = pulses.wave_for_response(survey, None)
    main = survey.main_question
    main_value = answers.get(main.id) if main is not None and main.scale is not None else None
    score = main_value.number if main_value is not None else None
    texts = tagging.read_new_texts(
        survey,
        {question_id: value.text for question_id, value in answers.items() if value.text},
        {question_id: list(value.choices) or None for question_id, value in answers.items()},
        language=submission.language,
        score=score,
    )
    stored = connection.execute(
        _insert_returning(Response),
        {
            "survey_id": survey.id,
            "invitation_id": None,
            "contact_id": None,
            "submission_key": key if is_submission_key(key) else None,
            "language": submission.language,
            "channel": submission.channel or "link",
            "score": score,
            "completed": submission.complete,
            # The wave is a group, never a person: anonymous answers carry it too.
            "segment": {} if wave is None else {"wave": wave},
            "created_at": stamp,
            "updated_at": stamp,
        },
    ).one()
    rows = [
        {
            "response_id": stored.id,
            "question_id": question_id,
            "value_number": value.number,
            "choices": list(value.choices) or None,
            "text": value.text,
            "sentiment": texts[question_id].sentiment if question_id in texts else None,
        }
        for question_id, value in answers.items()
        if not value.is_empty
    ]
    stored_answers = connection.execute(_insert_returning(Answer), rows).all() if rows else []
    # An anonymous answer's time is known to the day only (PRODUCT.md § Anonymity).
    tags_stamp = stamp if survey.anonymous else utcnow()
    tagging.insert_tags(
        connection,
        {row.id: texts[row.question_id].tags for row in stored_answers if row.question_id in texts},
        tags_stamp,
    )
    rollups.count_inserted(connection, stored._asdict())
    response = Response(**stored._asdict())
    response.answers = [
        Answer(**row._asdict()) for row in sorted(stored_answers, key=lambda row: row.id)
    ]
    for obj in (response, *response.answers):
        so.make_transient_to_detached(obj)
    session.add(response)
    return response


@functools.cache
def _insert_returning(model: type[Response] | type[Answer]) -> sa.Insert:
    # Built once: building the statement cost about as much as running it.
    table = model.__table__
    return sa.insert(table).returning(*table.c)


def _claim_anonymous_invitation(invitation: Invitation, stamp: dt.datetime) -> None:
    """Mark the invitation answered, only if no one else did first (raises _Retry)."""
    result = db.session().execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.answered_at.is_(None))
        .values(
            answered_at=stamp,
            opened_at=sa.func.coalesce(Invitation.opened_at, stamp),
            status="answered",
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        # Another request answered it: either with this respondent's key (a double
        # click, found on retry) or from elsewhere (refused on retry).
        raise _Retry
    db.session().expire(invitation, ["answered_at", "opened_at", "status"])


def _checked_answers(survey: Survey, answers: Mapping[int, AnswerValue]) -> dict[int, AnswerValue]:
    """Every question of the survey with its answer (empty when not given), checked."""
    known = {question.id for question in survey.questions}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise InvalidInput(
            _("Question %(id)s is not part of this survey.", id=unknown[0]), "answers"
        )
    limit = int(current_app.config["MAX_TEXT_ANSWER_LENGTH"])
    checked: dict[int, AnswerValue] = {}
    for number, question in enumerate(survey.questions, start=1):
        value = _normalised(answers.get(question.id, AnswerValue()))
        if (
            question.type == "single_choice"
            and question.settings.get("allow_other")
            and value.text
            and not value.choices
        ):
            # Typing in the "other" box without ticking "Other" still means "Other".
            value = replace(value, choices=(OTHER_VALUE,))
        field = f"q{question.id}"
        if value.is_empty:
            if question.required:
                raise InvalidInput(_("Question %(number)s needs an answer.", number=number), field)
            checked[question.id] = value
            continue
        problem = _problem(question, value, limit)
        if problem is not None:
            raise InvalidInput(
                _("Question %(number)s: %(problem)s", number=number, problem=problem), field
            )
        checked[question.id] = value
    return checked


def _normalised(value: AnswerValue) -> AnswerValue:
    text = value.text.replace("\r\n", "\n").strip() if value.text is not None else None
    choices = tuple(dict.fromkeys(choice for choice in value.choices if choice))
    return AnswerValue(number=value.number, choices=choices, text=text or None)


def _problem(question: Question, value: AnswerValue, limit: int) -> str | None:
    """What is wrong with a non-empty answer to ``question``, or None."""
    if value.text is not None and len(value.text) > limit:
        return _(
            "the text is %(length)s characters long; the limit is %(limit)s.",
            length=len(value.text),
            limit=limit,
        )
    if question.scale is not None:
        low, high = question.scale
        if value.number is None or value.choices or value.text is not None:
            return _("give a whole number from %(low)s to %(high)s.", low=low, high=high)
        if not low <= value.number <= high:
            return _("the number must be from %(low)s to %(high)s.", low=low, high=high)
        return None
    if value.number is not None:
        return _("this question does not take a number.")
    if question.type == "text":
        return _("give a text answer.") if value.choices else None
    allowed = _option_values(question)
    if any(choice not in allowed for choice in value.choices):
        return _("choose among the options offered.")
    if question.type == "multiple_choice":
        return None if value.text is None else _("this question does not take a text.")
    if len(value.choices) > 1:
        return _("choose only one option.")
    if value.text is not None and not question.settings.get("allow_other"):
        return _("this question does not take a text.")
    if not value.choices:
        return _("choose one of the options offered.")
    return None


def _option_values(question: Question) -> set[str]:
    if question.type == "yes_no":
        return set(YES_NO_VALUES)
    values = {str(option.get("value")) for option in question.options}
    if question.type == "single_choice" and question.settings.get("allow_other"):
        values.add(OTHER_VALUE)
    return values


# ---- Responses sent through the JSON API ------------------------------------------------------


def api_answer(question: Question, value: Any, text: str | None = None) -> AnswerValue:
    """The answer to ``question`` from its JSON form: a whole number for a score question,
    a text for a text question, an option value (or a list of them) for a choice or yes/no
    question, with ``text`` for the "other" box.

    Raises InvalidInput when the value has the wrong type for the question.
    """
    field = f"q{question.id}"
    if question.scale is not None:
        if isinstance(value, bool) or not isinstance(value, int) or text is not None:
            raise InvalidInput(_("Question %(id)s takes a whole number.", id=question.id), field)
        return AnswerValue(number=value)
    if question.type == "text":
        if not isinstance(value, str) or text is not None:
            raise InvalidInput(_("Question %(id)s takes a text.", id=question.id), field)
        return AnswerValue(text=value)
    choices = [value] if isinstance(value, str) else value
    if not isinstance(choices, list) or not all(isinstance(choice, str) for choice in choices):
        raise InvalidInput(
            _("Question %(id)s takes an option value or a list of them.", id=question.id), field
        )
    return AnswerValue(choices=tuple(choices), text=text)


def submit_api_response(
    survey: Survey,
    answers: Mapping[int, AnswerValue],
    *,
    language: str | None = None,
    contact_email: str | None = None,
    attributes: Mapping[str, str | int | float] | None = None,
    created_at: dt.datetime | None = None,
) -> Response:
    """Store one complete response sent by another system; each call adds a new response.

    ``contact_email`` links it to that contact (created when unknown) and copies
    their reportable attributes; ``attributes`` adds or overrides segment values;
    ``created_at`` (aware, not in the future) imports a past answer, channel
    "import" instead of "api". Anonymous surveys take neither a contact nor
    attributes, and their timestamp is truncated to the day. Raises Conflict
    when the survey is not active, InvalidInput as ``submit_response`` does and
    for a bad email, language, attribute or date.
    """
    if survey.status != "active":
        raise Conflict(_("This survey is not active: activate it before adding responses."))
    if survey.anonymous and (contact_email is not None or attributes):
        raise InvalidInput(
            _("This survey is anonymous: a response cannot carry a contact or attributes."),
            "contact_email" if contact_email is not None else "attributes",
        )
    language = language or survey.default_language
    if language not in survey.languages:
        raise InvalidInput(_("This survey is not offered in %(code)r.", code=language), "language")
    now = utcnow()
    if created_at is not None and (created_at.tzinfo is None or created_at > now):
        raise InvalidInput(
            _("created_at must be a past date and time with a time zone."), "created_at"
        )
    checked = _checked_answers(survey, answers)
    session = db.session()
    try:
        response = _api_response(
            survey, checked, language, contact_email, attributes, _stamp(survey, created_at or now)
        )
        response.channel = "import" if created_at is not None else "api"
        session.add(response)
        session.flush()
        # Imported history is tagged too: reasons are facts about the answers.
        tagging.tag_response(survey, response)
        if created_at is None:
            # A live answer from another system is followed up like any other; imported
            # history is not (alerts and webhooks about last year's answers would be noise).
            case = cases.open_case_for(survey, response)
            webhooks.response_saved(survey, response, created=True, case=case)
        session.commit()
    except sa.exc.IntegrityError as exc:
        session.rollback()
        raise Conflict(
            _("The contact was created by another request at the same time: send it again.")
        ) from exc
    return response


def _api_response(
    survey: Survey,
    checked: Mapping[int, AnswerValue],
    language: str,
    contact_email: str | None,
    attributes: Mapping[str, str | int | float] | None,
    stamp: dt.datetime,
) -> Response:
    """A new complete response (not yet added to the session) with its answers and segment."""
    for key, value in (attributes or {}).items():
        if not ATTRIBUTE_KEY_PATTERN.fullmatch(key) or len(str(value)) > MAX_VALUE_LENGTH:
            raise InvalidInput(_("Attribute %(key)r is not valid.", key=key), "attributes")
    # Checked before the contact is created, so a refused response leaves nothing behind.
    contact = _contact_for(contact_email) if contact_email is not None else None
    segment = {**(contact_segment(contact) if contact is not None else {}), **(attributes or {})}
    response = Response(
        survey_id=survey.id,
        contact_id=contact.id if contact is not None else None,
        language=language,
        completed=True,
        segment=segment,
        created_at=stamp,
        updated_at=stamp,
        answers=[
            Answer(
                question_id=question_id,
                value_number=value.number,
                choices=list(value.choices) or None,
                text=value.text,
            )
            for question_id, value in checked.items()
            if not value.is_empty
        ],
    )
    main = survey.main_question
    if main is not None and main.scale is not None:
        response.score = checked[main.id].number
    return response


def _contact_for(email: str) -> Contact:
    """The contact with this address, added to the session when new. Raises InvalidInput."""
    try:
        address = clean_email(email)
    except ValueError as exc:
        raise InvalidInput(str(exc), "contact_email") from None
    session = db.session()
    contact = session.scalar(sa.select(Contact).where(Contact.email == address))
    if contact is None:
        contact = Contact(email=address, name="")
        session.add(contact)
        session.flush()
    return contact
