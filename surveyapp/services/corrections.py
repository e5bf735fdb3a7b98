"""A manager's corrections of the reason tags of one comment, and the model they train.

A correction adds or removes one tag on one text answer and is stored for good
(``TagCorrection``: who, when, what). An added tag is stored with source
"manual", which no re-tagging or resubmission overwrites; a removal is
remembered, so the tagger never brings the tag back (``tagging.removed_tags``).

The corrected comments, with the tags they carry after correction, train a
``text.classifier.CorrectionModel`` that revises the rules at submit time and
when re-tagging. It is trained on first use in a process and kept until the
corrections or the taxonomy change (the count and latest id of the corrections
are part of its key): a workspace with no correction never trains anything.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.models import (
    Answer,
    AnswerTag,
    Case,
    ReasonTag,
    Response,
    Survey,
    TagCorrection,
    User,
    utcnow,
)
from surveyapp.services import audit, taxonomy
from surveyapp.services.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    import datetime as dt

    from surveyapp.text.classifier import CorrectionModel
    from surveyapp.text.tagging import Keywords

__all__ = [
    "TRAINING_LIMIT",
    "AnswerTags",
    "CorrectionRow",
    "correct_tags",
    "current_model",
    "get_answer_tags",
]

# The most recently corrected comments a model learns from: bounds the training time.
TRAINING_LIMIT = 2000
_models: dict[str, tuple[tuple[Any, ...], CorrectionModel]] = {}
_models_lock = threading.Lock()


@dataclass(frozen=True)
class CorrectionRow:
    """One stored correction as the page lists it."""

    tag: str
    action: str
    who: str | None
    created_at: dt.datetime


@dataclass(frozen=True)
class AnswerTags:
    """One comment, the tags it carries (retired ones aside), its corrections and the
    active reasons a manager may choose from."""

    answer: Answer
    response: Response
    survey: Survey
    tags: list[AnswerTag]
    history: list[CorrectionRow]
    choices: list[ReasonTag]
    case_id: int | None


def get_answer_tags(answer_id: int) -> AnswerTags:
    """The correction page of one text answer. Raises NotFound (no such answer, no text,
    or an anonymous survey's: one comment by id is a group of one, and ids follow
    submission order)."""
    session = db.session()
    answer = session.get(Answer, answer_id)
    if answer is None or not (answer.text or "").strip():
        raise NotFound(_("No such comment."))
    response = session.get(Response, answer.response_id)
    if response is None:  # pragma: no cover - an answer cascades with its response
        raise NotFound(_("No such comment."))
    survey = session.get(Survey, response.survey_id)
    if survey is None or survey.anonymous:
        raise NotFound(_("No such comment."))
    tags = list(
        session.scalars(
            sa.select(AnswerTag)
            .where(AnswerTag.answer_id == answer.id, taxonomy.is_shown(AnswerTag.tag))
            .order_by(AnswerTag.tag)
        )
    )
    history = [
        CorrectionRow(tag=tag, action=action, who=email, created_at=created_at)
        for tag, action, email, created_at in session.execute(
            sa.select(TagCorrection.tag, TagCorrection.action, User.email, TagCorrection.created_at)
            .outerjoin(User, User.id == TagCorrection.user_id)
            .where(TagCorrection.answer_id == answer.id)
            .order_by(TagCorrection.id.desc())
        )
    ]
    return AnswerTags(
        answer=answer,
        response=response,
        survey=survey,
        tags=tags,
        history=history,
        choices=[tag for tag in taxonomy.list_tags() if tag.status == "active"],
        case_id=session.scalar(sa.select(Case.id).where(Case.response_id == response.id)),
    )


def correct_tags(answer_id: int, wanted: Iterable[str], user: User) -> tuple[list[str], list[str]]:
    """Make the comment's active tags exactly ``wanted``; return (added, removed) codes.

    Each change is stored as a correction by ``user``; added tags become manual.
    Retired tags stored on the comment are left alone. Raises NotFound,
    InvalidInput (a code that is not an active reason).
    """
    view = get_answer_tags(answer_id)
    active = {tag.code for tag in view.choices}
    chosen = set(wanted)
    unknown = sorted(chosen - active)
    if unknown:
        raise InvalidInput(_("Choose among the active reasons."), "tags")
    current = {row.tag: row for row in view.tags if row.tag in active}
    added = sorted(chosen - current.keys())
    removed = sorted(current.keys() - chosen)
    session = db.session()
    now = utcnow()
    for code in removed:
        session.delete(current[code])
    for code in added:
        session.add(
            AnswerTag(
                answer_id=answer_id,
                tag=code,
                confidence=1.0,
                words=[],
                source="manual",
                created_at=now,
            )
        )
    for code, action in [*((c, "add") for c in added), *((c, "remove") for c in removed)]:
        session.add(
            TagCorrection(
                answer_id=answer_id, tag=code, action=action, user_id=user.id, created_at=now
            )
        )
    if added or removed:
        audit.record(
            None, "reason.corrected", f"answer {answer_id}", {"added": added, "removed": removed}
        )
    session.commit()
    return added, removed


def current_model(keywords: Keywords | None) -> CorrectionModel | None:
    """The model trained on the stored corrections, or None when there is none yet.

    Trained on first use and cached per process and database until the corrections
    or ``keywords`` change.
    """
    session = db.session()
    count, last = session.execute(
        sa.select(sa.func.count(TagCorrection.id), sa.func.max(TagCorrection.id))
    ).one()
    if not count:
        return None
    current = taxonomy.current()
    url = str(session.get_bind().engine.url)
    key = (count, last, keywords, current)
    with _models_lock:
        cached = _models.get(url)
    if cached is not None and cached[0] == key:
        return cached[1]
    model = _train(current, keywords)
    with _models_lock:
        _models[url] = (key, model)
    return model


def _train(current: taxonomy.Taxonomy, keywords: Keywords | None) -> CorrectionModel:
    """Learn from the latest corrected comments and the tags they carry now."""
    from surveyapp.text.classifier import CorrectionModel

    session = db.session()
    corrected = (
        sa.select(TagCorrection.answer_id, sa.func.max(TagCorrection.id).label("last"))
        .group_by(TagCorrection.answer_id)
        .order_by(sa.func.max(TagCorrection.id).desc())
        .limit(TRAINING_LIMIT)
        .subquery()
    )
    rows = session.execute(
        sa.select(Answer.id, Answer.text, Response.language)
        .join(corrected, corrected.c.answer_id == Answer.id)
        .join(Response, Response.id == Answer.response_id)
        .order_by(Answer.id)
    ).all()
    tags: dict[int, set[str]] = {row.id: set() for row in rows}
    for answer_id, code in session.execute(
        sa.select(AnswerTag.answer_id, AnswerTag.tag).where(AnswerTag.answer_id.in_(list(tags)))
    ):
        resolved = current.resolve(code)
        if resolved is not None:
            tags[answer_id].add(resolved)
    examples = [
        (row.text, tags[row.id], row.language if row.language in ("en", "fr") else "auto")
        for row in rows
        if (row.text or "").strip()
    ]
    return CorrectionModel().learn(examples, keywords=keywords)
