"""Reporting: the SQL that aggregates responses, handing plain rows to ``surveyapp.analytics``.

Metrics are computed from GROUP BY results (a score histogram reads only the
covering index on ``responses(survey_id, created_at, score)``); response rows
are never loaded to compute a number. For an anonymous survey with fewer than
``k`` responses in the period, every number and comment is withheld
(PRODUCT.md § Anonymity); admins get the same answer as everyone else.

Date ranges are ``start`` inclusive, ``end`` exclusive, as aware datetimes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app

from surveyapp import db
from surveyapp.analytics.csat import CsatSummary, DistributionRow, distribution, mean_score
from surveyapp.analytics.nps import NpsSummary
from surveyapp.analytics.suppression import DEFAULT_K, check_k, is_withheld
from surveyapp.models import Answer, Question, Response, Survey
from surveyapp.services import surveys

__all__ = [
    "COMMENT_LIMIT",
    "ChoiceCount",
    "Comment",
    "SurveyResults",
    "choice_counts",
    "latest_comments",
    "reporting_threshold",
    "response_count",
    "score_histogram",
    "survey_results",
]

COMMENT_LIMIT = 20
CHOICE_TYPES = ("single_choice", "multiple_choice")


@dataclass(frozen=True)
class Comment:
    """One text answer with the context a reader needs.

    ``created_at`` is None on an anonymous survey: a day matched against the
    invitations answered that day could point at the author.
    """

    text: str
    score: int | None
    language: str
    created_at: dt.datetime | None


@dataclass(frozen=True)
class ChoiceCount:
    """How many responses chose one option; ``label`` is {} for a value no longer offered."""

    value: str
    label: dict[str, str]
    count: int
    share: float


@dataclass(frozen=True)
class SurveyResults:
    """Everything the results page shows about one survey over one period.

    When ``withheld`` is True (an anonymous survey under ``k`` responses) only
    ``survey``, ``k`` and ``withheld`` are meaningful: ``n`` is 0 and every
    other field is empty, so a template cannot leak what it was not given.
    """

    survey: Survey
    k: int
    withheld: bool = False
    n: int = 0
    nps: NpsSummary | None = None
    csat: CsatSummary | None = None
    mean: float | None = None
    distribution: list[DistributionRow] = field(default_factory=list)
    choices: list[ChoiceCount] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)

    @property
    def main_question(self) -> Question | None:
        """The survey's headline question."""
        return self.survey.main_question


def reporting_threshold() -> int:
    """The anonymity threshold k (``REPORTING_THRESHOLD``, default 5); raises AnalyticsError < 3."""
    return check_k(int(current_app.config["REPORTING_THRESHOLD"]))


def _in_period(
    query: sa.Select[Any], start: dt.datetime | None, end: dt.datetime | None
) -> sa.Select[Any]:
    if start is not None:
        query = query.where(Response.created_at >= start)
    if end is not None:
        query = query.where(Response.created_at < end)
    return query


def response_count(
    survey_id: int, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> int:
    """How many responses the survey received in the period."""
    query = sa.select(sa.func.count(Response.id)).where(Response.survey_id == survey_id)
    return db.session().scalar(_in_period(query, start, end)) or 0


def score_histogram(
    survey_id: int, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> dict[int, int]:
    """``{score: count}`` of the survey's main-question scores in the period."""
    query = (
        sa.select(Response.score, sa.func.count())
        .where(Response.survey_id == survey_id, Response.score.is_not(None))
        .group_by(Response.score)
    )
    rows = db.session().execute(_in_period(query, start, end))
    return {int(score): int(count) for score, count in rows}


def _counts_by_score(
    survey_id: int, start: dt.datetime | None, end: dt.datetime | None
) -> tuple[int, dict[int, int]]:
    """The response count and the score histogram in one pass over the covering index."""
    query = (
        sa.select(Response.score, sa.func.count())
        .where(Response.survey_id == survey_id)
        .group_by(Response.score)
    )
    histogram: dict[int, int] = {}
    total = 0
    for score, count in db.session().execute(_in_period(query, start, end)):
        total += int(count)
        if score is not None:
            histogram[int(score)] = int(count)
    return total, histogram


def choice_counts(
    survey_id: int,
    question_id: int,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> tuple[dict[str, int], int]:
    """``({option value: responses that chose it}, responses that answered)`` in the period.

    A multiple-choice response counts once for each value it chose and once in the total.
    """
    # Grouping by the whole JSON list keeps the SQL identical on SQLite and
    # PostgreSQL; the few distinct lists are then spread over their values.
    query = (
        sa.select(Answer.choices, sa.func.count())
        .join(Response, Response.id == Answer.response_id)
        .where(
            Response.survey_id == survey_id,
            Answer.question_id == question_id,
            Answer.choices.is_not(None),
        )
        .group_by(Answer.choices)
    )
    counts: dict[str, int] = {}
    answered = 0
    for chosen, count in db.session().execute(_in_period(query, start, end)):
        values = dict.fromkeys(str(value) for value in chosen or ())
        if values:
            answered += int(count)
        for value in values:
            counts[value] = counts.get(value, 0) + int(count)
    return counts, answered


def latest_comments(
    survey: Survey,
    *,
    limit: int = COMMENT_LIMIT,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> list[Comment]:
    """The ``limit`` latest non-empty text answers of the survey, newest first."""
    text_ids = [question.id for question in survey.questions if question.type == "text"]
    if not text_ids or limit <= 0:
        return []
    query = (
        sa.select(Answer.text, Response.score, Response.language, Response.created_at)
        .join(Response, Response.id == Answer.response_id)
        .where(
            Response.survey_id == survey.id,
            Answer.question_id.in_(text_ids),
            Answer.text.is_not(None),
            Answer.text != "",
        )
        .limit(limit)
    )
    if survey.anonymous:
        # Ids follow submission order; ordering by text within a day hides it.
        query = query.order_by(Response.created_at.desc(), Answer.text)
    else:
        query = query.order_by(Response.created_at.desc(), Response.id.desc())
    return [
        Comment(
            text=text,
            score=score,
            language=language,
            created_at=None if survey.anonymous else created_at,
        )
        for text, score, language, created_at in db.session().execute(_in_period(query, start, end))
    ]


def survey_results(
    survey_id: int,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    comment_limit: int = COMMENT_LIMIT,
) -> SurveyResults:
    """The results page's numbers for one survey, suppressed when anonymity requires it.

    Raises NotFound for an unknown survey.
    """
    survey = surveys.get_survey(survey_id)
    k = reporting_threshold()
    n, histogram = _counts_by_score(survey.id, start, end)
    if survey.anonymous and is_withheld(n, k=k):
        return SurveyResults(survey=survey, k=k, withheld=True)

    main = survey.main_question
    results: dict[str, Any] = {}
    if main is not None and main.scale is not None:
        results["distribution"] = distribution(histogram, main.scale)
        if main.type == "nps":
            results["nps"] = NpsSummary.from_histogram(histogram)
        elif main.type == "csat":
            results["csat"] = CsatSummary.from_histogram(histogram)
        else:
            results["mean"] = mean_score(histogram, main.scale)
    elif main is not None and main.type in CHOICE_TYPES:
        counts, answered = choice_counts(survey.id, main.id, start=start, end=end)
        results["choices"] = _choice_rows(main.options, counts, answered)
    return SurveyResults(
        survey=survey,
        k=k,
        n=n,
        comments=latest_comments(survey, limit=comment_limit, start=start, end=end),
        **results,
    )


def _choice_rows(
    options: Sequence[dict[str, Any]], counts: dict[str, int], answered: int
) -> list[ChoiceCount]:
    """Every option offered or chosen, most chosen first (ties in the survey's order)."""
    labels = {str(option["value"]): dict(option.get("label") or {}) for option in options}
    values = [*labels, *(value for value in counts if value not in labels)]
    rows = [
        ChoiceCount(
            value=value,
            label=labels.get(value, {}),
            count=counts.get(value, 0),
            share=100 * counts.get(value, 0) / answered if answered else 0.0,
        )
        for value in values
    ]
    # sorted() is stable, so equal counts keep the survey's option order.
    return sorted(rows, key=lambda row: -row.count)
