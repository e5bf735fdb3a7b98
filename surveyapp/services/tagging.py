"""Churn-reason tags and sentiment of text answers, stored when the response is written.

PRODUCT.md § Churn reasons: every text answer of a cancellation survey, every
comment of a detractor (0–6) and every CSAT 1–2 comment gets zero or more
reason tags (``AnswerTag``) with a confidence and the words that triggered
them; every text answer gets its sentiment (``Answer.sentiment``). A
cancellation respondent's chosen reason is passed to the tagger as a strong
signal. Re-tagging replaces the tagger's own tags and never touches a tag whose
source is "manual" (a manager's correction), nor brings back a tag a manager
removed (``TagCorrection``).

The workspace's taxonomy (``services.taxonomy``) joins in: its keywords extend
the lexicons, a merged tag is stored under the tag it was merged into, a retired
one is not stored, and a model trained on the corrections (``services.corrections``)
revises the rules; a tag only the model found is stored with source "model".

No commit here: ``tag_response`` runs inside the submit transaction of
``services.responses`` and ``tag_surveys`` inside the demo's.

``surveyapp.text`` is imported inside the functions: its stemmers pull in nltk
(~40 MB), which processes that never tag (the worker, until a re-tag job comes)
should not load.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from surveyapp import db
from surveyapp.models import (
    Answer,
    AnswerTag,
    ReasonKeyword,
    ReasonTag,
    Response,
    Survey,
    TagCorrection,
    utcnow,
)
from surveyapp.services import corrections, taxonomy
from surveyapp.services.cases import DETRACTOR_MAX, LOW_CSAT_MAX

if TYPE_CHECKING:
    from surveyapp.text.classifier import CorrectionModel
    from surveyapp.text.pipeline import Reading
    from surveyapp.text.tagging import Keywords

__all__ = [
    "MANUAL",
    "TAGGED_LANGUAGES",
    "Context",
    "NewText",
    "PlannedTag",
    "considered_condition",
    "context",
    "insert_tags",
    "is_considered",
    "read_new_texts",
    "removed_tags",
    "retag_answers",
    "tag_response",
    "tag_surveys",
    "text_tags",
]

MANUAL = "manual"
TAGGED_LANGUAGES = ("en", "fr")
_contexts: dict[str, tuple[tuple[Any, ...], Context]] = {}
_contexts_lock = threading.Lock()


@dataclass(frozen=True)
class PlannedTag:
    """A tag the tagger found for one answer, ready to be stored."""

    tag: str
    confidence: float
    words: list[str]
    source: str


@dataclass(frozen=True)
class Context:
    """What tagging reads besides the text: the taxonomy, its keywords, the correction model."""

    taxonomy: taxonomy.Taxonomy
    keywords: Keywords | None
    model: CorrectionModel | None


def _state() -> tuple[Any, ...]:
    """What a context is read from, in one query: the taxonomy's latest change, and the
    counts and latest ids of the reasons, keywords and corrections."""
    return tuple(db.session().connection().execute(_state_query()).one())


@functools.cache
def _state_query() -> sa.Select[Any]:
    # Read on every submission with a comment: built once, run as a Core statement
    # (building its six subqueries cost more than running them).
    return sa.select(
        sa.select(sa.func.max(ReasonTag.updated_at)).scalar_subquery(),
        sa.select(sa.func.count(ReasonTag.id)).scalar_subquery(),
        sa.select(sa.func.count(ReasonKeyword.id)).scalar_subquery(),
        sa.select(sa.func.max(ReasonKeyword.id)).scalar_subquery(),
        sa.select(sa.func.count(TagCorrection.id)).scalar_subquery(),
        sa.select(sa.func.max(TagCorrection.id)).scalar_subquery(),
    )


def context() -> Context:
    """The current taxonomy and correction model, kept per process and database until
    the taxonomy or the corrections change (so a submit reads one row to check)."""
    from surveyapp.text.tagging import Keywords

    state = _state()
    url = str(db.session().get_bind().engine.url)
    with _contexts_lock:
        cached = _contexts.get(url)
    if cached is not None and cached[0] == state:
        return cached[1]
    current = taxonomy.current()
    keywords = (
        Keywords.of(current.keywords, current.custom)
        if current.keywords or current.custom
        else None
    )
    found = Context(current, keywords, corrections.current_model(keywords))
    with _contexts_lock:
        _contexts[url] = (state, found)
    return found


def workspace_reader() -> Callable[[str, str], Reading] | None:
    """A function reading one text (and its language: "en", "fr" or "auto") as submitted
    comments are read: the workspace's keywords and correction model, merged reasons
    under the one they count for, retired ones left out. None when the database has no
    taxonomy (not migrated yet): the built-in lexicons then apply alone."""
    from surveyapp.text.tagging import Tag

    if not sa.inspect(db.session().connection()).has_table(ReasonTag.__tablename__):
        return None
    ctx = context()

    def read(text: str, language: str) -> Reading:
        reading = _read(text, language, None, ctx)
        tags = [
            Tag(tag.tag, tag.confidence, tuple(tag.words)) for tag in _planned(reading, None, ctx)
        ]
        return replace(reading, tags=tags)

    return read


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


def _read(text: str, language: str, chosen_reason: str | None, ctx: Context) -> Reading:
    from surveyapp.text.pipeline import read_text

    return read_text(
        text,
        language if language in TAGGED_LANGUAGES else None,
        chosen_reason=chosen_reason,
        keywords=ctx.keywords,
        model=ctx.model,
    )


def _planned(reading: Reading, chosen_reason: str | None, ctx: Context) -> list[PlannedTag]:
    """The tags to store: under the code each counts for now, retired ones left out."""
    planned: dict[str, PlannedTag] = {}
    for tag in reading.tags:
        code = ctx.taxonomy.resolve(tag.tag)
        if code is None:
            continue
        previous = planned.get(code)
        if previous is not None and previous.confidence >= tag.confidence:
            continue
        planned[code] = PlannedTag(
            tag=code,
            confidence=float(tag.confidence),
            words=list(tag.words),
            # The respondent's own choice outweighs any lexicon match on that tag.
            source="choice"
            if tag.tag == chosen_reason
            else "model"
            if tag.tag in reading.learned
            else "rule",
        )
    return list(planned.values())


def text_tags(text: str, language: str, ctx: Context) -> list[str]:
    """The codes the tagger finds in one text with ``ctx`` (keywords, merges, retirements
    and the correction model applied), for exports, which tag every text."""
    from surveyapp.text import TextAnalyticsError

    try:
        reading = _read(text, language, None, ctx)
    except TextAnalyticsError:
        return []
    return [tag.tag for tag in _planned(reading, None, ctx)]


def removed_tags(answer_ids: Sequence[int]) -> set[tuple[int, str]]:
    """The (answer, tag) pairs whose latest correction removed the tag: never tagged again."""
    latest: dict[tuple[int, str], str] = {}
    for chunk in _chunks(answer_ids):
        for answer_id, tag, action in db.session().execute(
            sa.select(TagCorrection.answer_id, TagCorrection.tag, TagCorrection.action)
            .where(TagCorrection.answer_id.in_(chunk))
            .order_by(TagCorrection.id)
        ):
            latest[(answer_id, tag)] = action
    return {key for key, action in latest.items() if action == "remove"}


def _apply(
    answer_id: int,
    planned: list[PlannedTag],
    kept: dict[str, AnswerTag],
    removed: set[tuple[int, str]],
    now: Any,
) -> bool:
    """Make one answer's machine tags ``planned``; manual tags and removals stay as the
    manager left them. Returns whether anything changed."""
    session = db.session()
    wanted = {tag.tag: tag for tag in planned if (answer_id, tag.tag) not in removed}
    changed = False
    for name, row in kept.items():
        if row.source == MANUAL:
            continue
        if name in wanted:
            tag = wanted[name]
            if (row.confidence, row.words, row.source) != (tag.confidence, tag.words, tag.source):
                row.confidence, row.words, row.source = tag.confidence, tag.words, tag.source
                changed = True
        else:
            session.delete(row)
            changed = True
    for name, tag in wanted.items():
        if name not in kept:
            session.add(
                AnswerTag(
                    answer_id=answer_id,
                    tag=name,
                    confidence=tag.confidence,
                    words=tag.words,
                    source=tag.source,
                    created_at=now,
                )
            )
            changed = True
    return changed


@dataclass(frozen=True)
class NewText:
    """What a text answer about to be inserted is stored with: its sentiment and its tags."""

    sentiment: float
    tags: list[PlannedTag]


def read_new_texts(
    survey: Survey,
    texts: Mapping[int, str],
    choices: Mapping[int, list[Any] | None],
    *,
    language: str,
    score: int | None,
) -> dict[int, NewText]:
    """Question id -> sentiment and tags of each non-blank text of a response not yet
    written, as ``tag_response`` would store them for a new one (it has no manual tags
    or corrections yet), so the rows can be inserted with them."""
    texts = {question_id: text for question_id, text in texts.items() if text.strip()}
    if not texts:
        return {}
    ctx = context()
    considered = is_considered(survey, score)
    chosen = _chosen_reason(survey, dict(choices))
    read = {}
    for question_id, text in texts.items():
        reading = _read(text, language, chosen, ctx)
        tags = _planned(reading, chosen, ctx) if considered else []
        read[question_id] = NewText(reading.sentiment, tags)
    return read


def insert_tags(
    connection: sa.Connection, tags: Mapping[int, list[PlannedTag]], now: dt.datetime
) -> None:
    """Insert the machine tags of new answers (answer id -> tags) with one statement."""
    rows = [
        {
            "answer_id": answer_id,
            "tag": tag.tag,
            "confidence": tag.confidence,
            "words": tag.words,
            "source": tag.source,
            "created_at": now,
        }
        for answer_id, planned in tags.items()
        for tag in planned
    ]
    if rows:
        connection.execute(sa.insert(AnswerTag), rows)


def tag_response(survey: Survey, response: Response, *, new: bool = False) -> None:
    """Store the sentiment of each text answer of a flushed response, and its reason tags
    when the response qualifies (``is_considered``); no commit.

    Tags from an earlier submission are replaced, except manual ones, which are kept
    (and the tagger does not add a second row for a tag a manager set), and a tag a
    manager removed is not brought back. ``new`` says the response was inserted in this
    transaction, so it has no tags or corrections to read yet.
    """
    answers = [answer for answer in response.answers if answer.id is not None]
    if not answers:
        return
    session = db.session()
    ctx: Context | None = None
    existing: dict[int, dict[str, AnswerTag]] = {}
    if not new:
        for row in session.scalars(
            sa.select(AnswerTag).where(AnswerTag.answer_id.in_([answer.id for answer in answers]))
        ):
            existing.setdefault(row.answer_id, {})[row.tag] = row
    considered = is_considered(survey, response.score)
    chosen = _chosen_reason(survey, {answer.question_id: answer.choices for answer in answers})
    # Removals only matter where tags are planned.
    removed = removed_tags([answer.id for answer in answers]) if considered and not new else set()
    # An anonymous answer's time is known to the day only (PRODUCT.md § Anonymity).
    now = response.updated_at if survey.anonymous else utcnow()
    for answer in answers:
        planned: list[PlannedTag] = []
        if answer.text and answer.text.strip():
            # Read once per response, and only when there is a text to tag.
            ctx = ctx or context()
            reading = _read(answer.text, response.language, chosen, ctx)
            answer.sentiment = reading.sentiment
            if considered:
                planned = _planned(reading, chosen, ctx)
        elif answer.sentiment is not None:
            # Assigning even an equal value would make the flush below visit the answer.
            answer.sentiment = None
        _apply(answer.id, planned, existing.get(answer.id, {}), removed, now)
    session.flush()


def retag_answers(answer_ids: Sequence[int], ctx: Context) -> int:
    """Tag these stored answers again with ``ctx``; return how many changed. No commit.

    Manual tags and a manager's removals are kept; an answer whose response no
    longer qualifies loses its machine tags. Sentiment is left as stored.
    """
    session = db.session()
    rows = session.execute(
        sa.select(
            Answer.id,
            Answer.text,
            Answer.response_id,
            Response.survey_id,
            Response.score,
            Response.language,
        )
        .join(Response, Response.id == Answer.response_id)
        .where(Answer.id.in_(answer_ids))
        .order_by(Answer.id)
    ).all()
    if not rows:
        return 0
    response_ids = sorted({row.response_id for row in rows})
    choices: dict[int, dict[int, list[Any] | None]] = {}
    for response_id, question_id, chosen in session.execute(
        sa.select(Answer.response_id, Answer.question_id, Answer.choices).where(
            Answer.response_id.in_(response_ids), Answer.choices.is_not(None)
        )
    ):
        choices.setdefault(response_id, {})[question_id] = chosen
    existing: dict[int, dict[str, AnswerTag]] = {}
    for tag_row in session.scalars(sa.select(AnswerTag).where(AnswerTag.answer_id.in_(answer_ids))):
        existing.setdefault(tag_row.answer_id, {})[tag_row.tag] = tag_row
    removed = removed_tags([row.id for row in rows])
    now = utcnow()
    changed = 0
    for row in rows:
        survey = session.get(Survey, row.survey_id)
        planned: list[PlannedTag] = []
        text = (row.text or "").strip()
        if survey is not None and text and is_considered(survey, row.score):
            chosen = _chosen_reason(survey, choices.get(row.response_id, {}))
            planned = _planned(_read(row.text, row.language, chosen, ctx), chosen, ctx)
        changed += _apply(row.id, planned, existing.get(row.id, {}), removed, now)
    session.flush()
    return changed


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
        # Tags a manager set or removed stay as they are.
        manual = _manual_tags(answer_ids) | removed_tags(answer_ids)
        _delete_machine_tags(answer_ids)
        ctx = context()
        sentiments: list[dict[str, Any]] = []
        tags: list[dict[str, Any]] = []
        for row in texts:
            chosen = _chosen_reason(survey, choices[row.response_id])
            reading = _read(row.text, row.language, chosen, ctx)
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
                for tag in _planned(reading, chosen, ctx)
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
