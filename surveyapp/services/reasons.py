"""Why customers leave: reason tags ranked by share, and the verbatims behind each one.

The SQL aggregates the tags stored at submit time (``services.tagging``); the
interval math is ``analytics.retention.wilson_interval``. A "comment
considered" is a response that qualifies for tagging (a cancellation, a
detractor 0–6, a CSAT 1–2) and has at least one non-empty text answer; a
reason's count is the number of those responses with that tag on any of their
answers, so a reason given twice in one response counts once and
``share = count / n`` (PRODUCT.md § Churn reasons) stays a share of people.

A retired (or merged) reason of the taxonomy is left out; its stored tags stay.

Anonymous surveys (PRODUCT.md § Anonymity): with fewer than ``k`` comments
considered, no row is shown; the verbatims of a reason are withheld when fewer
than ``k`` responses carry it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from surveyapp import db
from surveyapp.analytics.periods import day_bounds, time_zone
from surveyapp.analytics.retention import wilson_interval
from surveyapp.analytics.suppression import is_withheld
from surveyapp.models import Answer, AnswerTag, Response, Survey
from surveyapp.services import reporting, rollups, surveys, tagging, taxonomy

__all__ = [
    "VERBATIM_LIMIT",
    "ReasonReport",
    "ReasonRow",
    "Verbatim",
    "VerbatimList",
    "day_range",
    "highlight",
    "reason_shares",
    "reason_verbatims",
]

VERBATIM_LIMIT = 50
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@dataclass(frozen=True)
class ReasonRow:
    """One reason: responses carrying it, their share of ``n`` and its 95 % Wilson interval."""

    tag: str
    count: int
    share: float
    low: float
    high: float


@dataclass(frozen=True)
class ReasonReport:
    """The reasons of one survey over a range; ``rows`` is empty when ``suppressed``."""

    survey: Survey
    k: int
    n: int
    rows: list[ReasonRow] = field(default_factory=list)
    suppressed: bool = False

    def as_json(self) -> dict[str, Any]:
        """The API's shape: n, rows (tag, count, share, low, high) and suppressed."""
        if self.suppressed:
            return {"n": None, "rows": [], "suppressed": True}
        return {
            "n": self.n,
            "rows": [
                {
                    "tag": row.tag,
                    "count": row.count,
                    "share": row.share,
                    "low": row.low,
                    "high": row.high,
                }
                for row in self.rows
            ],
            "suppressed": False,
        }


@dataclass(frozen=True)
class Verbatim:
    """One tagged comment, cut into (text, is_trigger) pieces for display (escape each piece).

    ``created_at`` is None on an anonymous survey, like ``reporting.Comment``, and so is
    ``answer_id`` (the key of the correction page), as ids follow submission order.
    """

    text: str
    pieces: list[tuple[str, bool]]
    score: int | None
    language: str
    created_at: dt.datetime | None
    confidence: float
    answer_id: int | None = None


@dataclass(frozen=True)
class VerbatimList:
    """The latest comments tagged with one reason; empty when ``withheld``."""

    tag: str
    items: list[Verbatim] = field(default_factory=list)
    withheld: bool = False


def day_range(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants bounding local days [start, end) of the workspace time zone."""
    tz = time_zone(rollups.configured_time_zone())
    return day_bounds(start, tz)[0], day_bounds(end, tz)[0]


def _considered(
    survey: Survey, start: dt.datetime | None, end: dt.datetime | None
) -> sa.Select[Any]:
    """The ids of the responses whose comments were considered for tagging in the range."""
    query = (
        sa.select(Response.id)
        .join(Answer, Answer.response_id == Response.id)
        .where(
            Response.survey_id == survey.id,
            tagging.considered_condition(survey),
            Answer.text.is_not(None),
            Answer.text != "",
        )
        .distinct()
    )
    if start is not None:
        query = query.where(Response.created_at >= start)
    if end is not None:
        query = query.where(Response.created_at < end)
    return query


def reason_shares(
    survey_id: int, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> ReasonReport:
    """The survey's reasons in [start, end), by count descending (then by name).

    Raises NotFound for an unknown survey.
    """
    survey = surveys.get_survey(survey_id)
    k = reporting.reporting_threshold(survey)
    considered = _considered(survey, start, end).subquery()
    session = db.session()
    n = session.scalar(sa.select(sa.func.count()).select_from(considered)) or 0
    if survey.anonymous and is_withheld(n, k=k):
        return ReasonReport(survey=survey, k=k, n=0, suppressed=True)
    count = sa.func.count(sa.distinct(Answer.response_id))
    counted = session.execute(
        sa.select(AnswerTag.tag, count)
        .join(Answer, Answer.id == AnswerTag.answer_id)
        .where(
            Answer.response_id.in_(sa.select(considered.c.id)),
            AnswerTag.tag.not_in(taxonomy.hidden_codes()),
        )
        .group_by(AnswerTag.tag)
        .order_by(count.desc(), AnswerTag.tag)
    ).all()
    rows = []
    for tag, tagged in counted:
        low, high = wilson_interval(int(tagged), n) or (0.0, 0.0)
        rows.append(ReasonRow(tag=tag, count=int(tagged), share=tagged / n, low=low, high=high))
    return ReasonReport(survey=survey, k=k, n=n, rows=rows)


def reason_verbatims(
    survey_id: int,
    tag: str,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int = VERBATIM_LIMIT,
) -> VerbatimList:
    """The ``limit`` latest comments tagged ``tag`` in [start, end), newest first, with
    their triggering words marked. Raises NotFound for an unknown survey.
    """
    survey = surveys.get_survey(survey_id)
    considered = _considered(survey, start, end)
    tagged = (
        sa.select(
            Answer.text,
            AnswerTag.words,
            AnswerTag.confidence,
            Response.score,
            Response.language,
            Response.created_at,
            Answer.id,
        )
        .join(Answer, Answer.id == AnswerTag.answer_id)
        .join(Response, Response.id == Answer.response_id)
        .where(AnswerTag.tag == tag, Response.id.in_(considered))
    )
    session = db.session()
    if survey.anonymous:
        people = session.scalar(
            sa.select(sa.func.count(sa.distinct(Answer.response_id)))
            .join(AnswerTag, AnswerTag.answer_id == Answer.id)
            .where(AnswerTag.tag == tag, Answer.response_id.in_(considered))
        )
        if is_withheld(people or 0, k=reporting.reporting_threshold(survey)):
            return VerbatimList(tag=tag, withheld=True)
        # Ids follow submission order; ordering by text within a day hides it.
        tagged = tagged.order_by(Response.created_at.desc(), Answer.text)
    else:
        tagged = tagged.order_by(Response.created_at.desc(), Answer.id.desc())
    items = [
        Verbatim(
            text=text,
            pieces=highlight(text, words or ()),
            score=score,
            language=language,
            created_at=None if survey.anonymous else created_at,
            confidence=float(confidence),
            answer_id=None if survey.anonymous else answer_id,
        )
        for text, words, confidence, score, language, created_at, answer_id in session.execute(
            tagged.limit(limit)
        )
    ]
    return VerbatimList(tag=tag, items=items)


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def highlight(text: str, words: Any) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_trigger) pairs: True for each word whose case- and
    accent-folded form is one of ``words``; joined, the pieces give back ``text``.

    >>> highlight("Trop CHER!", ["cher"])
    [('Trop ', False), ('CHER', True), ('!', False)]
    """
    wanted = {_fold(str(word)) for word in words if str(word)}
    pieces: list[tuple[str, bool]] = []
    position = 0
    for match in _WORD.finditer(text):
        if _fold(match.group()) not in wanted:
            continue
        if match.start() > position:
            pieces.append((text[position : match.start()], False))
        pieces.append((match.group(), True))
        position = match.end()
    if position < len(text):
        pieces.append((text[position:], False))
    return pieces
