"""Churn-reason tags and sentiment of text answers, stored when the response is written.

PRODUCT.md § Churn reasons: every text answer of a cancellation survey, every
comment of a detractor (0–6) and every CSAT 1–2 comment gets zero or more
reason tags (``AnswerTag``) with a confidence and the words that triggered
them; every text answer gets its sentiment (``Answer.sentiment``). A
cancellation respondent's chosen reason is passed to the tagger as a strong
signal. Re-tagging replaces the tagger's own tags and never touches a tag whose
source is "manual" (a manager's correction).

No commit here: ``tag_response`` runs inside the submit transaction of
``services.responses`` and ``tag_surveys`` inside the demo's.

``surveyapp.text`` is imported inside the functions: its stemmers pull in nltk
(~40 MB), which processes that never tag (the worker) should not load.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from surveyapp import db
from surveyapp.models import Answer, AnswerTag, Response, Survey, utcnow
from surveyapp.services.cases import DETRACTOR_MAX, LOW_CSAT_MAX

if TYPE_CHECKING:
    from surveyapp.text.pipeline import Reading

__all__ = [
    "MANUAL",
    "TAGGED_LANGUAGES",
    "PlannedTag",
    "considered_condition",
    "is_considered",
    "tag_response",
    "tag_surveys",
]

MANUAL = "manual"
TAGGED_LANGUAGES = ("en", "fr")


@dataclass(frozen=True)
class PlannedTag:
    """A tag the tagger found for one answer, ready to be stored."""

    tag: str
    confidence: float
    words: list[str]
    source: str


def is_considered(survey: Survey, score: int | None) -> bool:
    """True when the comments of a response with ``score`` get reason tags.

    Cancellation surveys: always; NPS/eNPS: detractors (0–6); CSAT: 1–2.
    """
    if survey.kind == "cancellation":
        return True
    main = survey.main_question
    if main is None or score is None:
        return False
    if main.type == "nps":
        return score <= DETRACTOR_MAX
    if main.type == "csat":
        return score <= LOW_CSAT_MAX
    return False


def considered_condition(survey: Survey) -> sa.ColumnElement[bool]:
    """The SQL condition on ``Response`` that matches ``is_considered`` for this survey."""
    if survey.kind == "cancellation":
        return sa.true()
    main = survey.main_question
    if main is not None and main.type == "nps":
        return Response.score <= DETRACTOR_MAX
    if main is not None and main.type == "csat":
        return Response.score <= LOW_CSAT_MAX
    return sa.false()


def _chosen_reason(survey: Survey, choices_by_question: dict[int, list[Any] | None]) -> str | None:
    """The option a cancellation respondent chose as their main reason, if any."""
    main = survey.main_question
    if survey.kind != "cancellation" or main is None or main.type != "single_choice":
        return None
    chosen = choices_by_question.get(main.id) or []
    return str(chosen[0]) if chosen else None


def _read(text: str, language: str, chosen_reason: str | None) -> Reading:
    from surveyapp.text.pipeline import read_text

    return read_text(
        text, language if language in TAGGED_LANGUAGES else None, chosen_reason=chosen_reason
    )


def _planned(reading: Reading, chosen_reason: str | None) -> list[PlannedTag]:
    return [
        PlannedTag(
            tag=tag.tag,
            confidence=float(tag.confidence),
            words=list(tag.words),
            # The respondent's own choice outweighs any lexicon match on that tag.
            source="choice" if tag.tag == chosen_reason else "rule",
        )
        for tag in reading.tags
    ]


def tag_response(survey: Survey, response: Response, *, new: bool = False) -> None:
    """Store the sentiment of each text answer of a flushed response, and its reason tags
    when the response qualifies (``is_considered``); no commit.

    Tags from an earlier submission are replaced, except manual ones, which are kept
    (and the tagger does not add a second row for a tag a manager set). ``new`` says the
    response was inserted in this transaction, so it has no tags to read yet.
    """
    answers = [answer for answer in response.answers if answer.id is not None]
    if not answers:
        return
    session = db.session()
    existing: dict[int, dict[str, AnswerTag]] = {}
    if not new:
        for row in session.scalars(
            sa.select(AnswerTag).where(AnswerTag.answer_id.in_([answer.id for answer in answers]))
        ):
            existing.setdefault(row.answer_id, {})[row.tag] = row
    considered = is_considered(survey, response.score)
    chosen = _chosen_reason(survey, {answer.question_id: answer.choices for answer in answers})
    now = utcnow()
    for answer in answers:
        planned: list[PlannedTag] = []
        if answer.text and answer.text.strip():
            reading = _read(answer.text, response.language, chosen)
            answer.sentiment = reading.sentiment
            if considered:
                planned = _planned(reading, chosen)
        elif answer.sentiment is not None:
            # Assigning even an equal value would make the flush below visit the answer.
            answer.sentiment = None
        kept = existing.get(answer.id, {})
        wanted = {tag.tag: tag for tag in planned}
        for name, row in kept.items():
            if row.source == MANUAL:
                continue
            if name in wanted:
                tag = wanted[name]
                row.confidence, row.words, row.source = tag.confidence, tag.words, tag.source
            else:
                session.delete(row)
        for name, tag in wanted.items():
            if name not in kept:
                session.add(
                    AnswerTag(
                        answer_id=answer.id,
                        tag=name,
                        confidence=tag.confidence,
                        words=tag.words,
                        source=tag.source,
                        created_at=now,
                    )
                )
    session.flush()


def tag_surveys(survey_ids: Iterable[int]) -> int:
    """Tag every stored text answer of these surveys in bulk (sentiment and reason tags);
    return how many tags were written. No commit.

    For rows written without the ORM (the demo's bulk inserts). The tagger's previous
    tags on those answers are replaced; manual tags are kept.
    """
    session = db.session()
    written = 0
    now = utcnow()
    for survey_id in survey_ids:
        survey = session.get(Survey, survey_id)
        if survey is None:
            continue
        rows = session.execute(
            sa.select(
                Answer.id,
                Answer.response_id,
                Answer.question_id,
                Answer.text,
                Answer.choices,
                Response.score,
                Response.language,
            )
            .join(Response, Response.id == Answer.response_id)
            .where(Response.survey_id == survey.id)
            .order_by(Answer.id)
        ).all()
        choices: dict[int, dict[int, list[Any] | None]] = {}
        for row in rows:
            choices.setdefault(row.response_id, {})[row.question_id] = row.choices
        texts = [row for row in rows if row.text and row.text.strip()]
        if not texts:
            continue
        answer_ids = [row.id for row in texts]
        manual = _manual_tags(answer_ids)
        _delete_machine_tags(answer_ids)
        sentiments: list[dict[str, Any]] = []
        tags: list[dict[str, Any]] = []
        for row in texts:
            chosen = _chosen_reason(survey, choices[row.response_id])
            reading = _read(row.text, row.language, chosen)
            sentiments.append({"id": row.id, "sentiment": reading.sentiment})
            if not is_considered(survey, row.score):
                continue
            tags.extend(
                {
                    "answer_id": row.id,
                    "tag": tag.tag,
                    "confidence": tag.confidence,
                    "words": tag.words,
                    "source": tag.source,
                    "created_at": now,
                }
                for tag in _planned(reading, chosen)
                if (row.id, tag.tag) not in manual
            )
        session.execute(sa.update(Answer), sentiments)
        if tags:
            session.execute(sa.insert(AnswerTag), tags)
        written += len(tags)
    return written


def _manual_tags(answer_ids: Sequence[int]) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    for chunk in _chunks(answer_ids):
        found.update(
            (answer_id, tag)
            for answer_id, tag in db.session().execute(
                sa.select(AnswerTag.answer_id, AnswerTag.tag).where(
                    AnswerTag.answer_id.in_(chunk), AnswerTag.source == MANUAL
                )
            )
        )
    return found


def _delete_machine_tags(answer_ids: Sequence[int]) -> None:
    for chunk in _chunks(answer_ids):
        db.session().execute(
            sa.delete(AnswerTag).where(AnswerTag.answer_id.in_(chunk), AnswerTag.source != MANUAL)
        )


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    # Keeps each IN list well under SQLite's bound-parameter limit.
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
