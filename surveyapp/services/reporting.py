"""Reporting: the SQL that aggregates responses, handing plain rows to ``surveyapp.analytics``.

Metrics are computed from GROUP BY results (a score histogram reads only the
covering index on ``responses(survey_id, created_at, score)``); response rows
are never loaded to compute a number. For an anonymous survey with fewer than
``k`` responses in the period, every number and comment is withheld
(PRODUCT.md § Anonymity); admins get the same answer as everyone else.

Date ranges are ``start`` inclusive, ``end`` exclusive, as aware datetimes
(``survey_results``) or as local days of the workspace time zone (the
per-period functions: ``metrics_by_period``, ``dashboard``, ``overview``).

The per-period functions read the daily rollups (``services.rollups``) rather
than the responses, and pass every group they are about to report through
``services.anonymity`` (the one gate of PRODUCT.md § Anonymity: the
survey's threshold k, complementary suppression) before any number leaves
this module. An anonymous survey's answers are reported by release block
(``anonymity.released``): today's answers and an unfinished block of fewer
than k answers wait, so no report differs from another by one person.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.analytics import Z_95
from surveyapp.analytics.csat import (
    CsatSummary,
    DistributionRow,
    distribution,
    mean_margin_of_error,
    mean_score,
    mean_standard_error,
)
from surveyapp.analytics.nps import MIN_RESPONSES_FOR_TREND, NpsSummary, display_nps
from surveyapp.analytics.periods import (
    INTERVALS,
    day_bounds,
    local_day,
    next_period_start,
    period_start,
    period_starts,
    time_zone,
)
from surveyapp.analytics.significance import Change, change_significance
from surveyapp.analytics.suppression import is_withheld, release_days, withheld_groups
from surveyapp.models import (
    Answer,
    AttributeDefinition,
    Invitation,
    Question,
    Response,
    Survey,
    utcnow,
)
from surveyapp.services import anonymity, org_chart, rollups, surveys
from surveyapp.services.errors import InvalidInput

__all__ = [
    "COMMENT_LIMIT",
    "MAX_PERIODS",
    "ChoiceCount",
    "Comment",
    "Dashboard",
    "GroupScore",
    "MetricsQuery",
    "OverviewRow",
    "PeriodScore",
    "QuestionStats",
    "SegmentScore",
    "SurveyResults",
    "choice_counts",
    "dashboard",
    "group_score",
    "latest_comments",
    "local_answer_day",
    "metrics_by_period",
    "nested_totals",
    "overview",
    "parse_metrics_query",
    "release_schedule",
    "released_range",
    "reporting_threshold",
    "response_count",
    "score_histogram",
    "segment_attributes",
    "segment_clause",
    "survey_results",
    "today",
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


def reporting_threshold(survey: Survey | None = None) -> int:
    """The anonymity threshold k of ``survey`` (``anonymity.reporting_k``); AnalyticsError < 3."""
    return anonymity.reporting_k(survey)


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
    segment: tuple[str, str] | None = None,
    within: tuple[str, Collection[str]] | None = None,
) -> list[Comment]:
    """The ``limit`` latest non-empty text answers of the survey, newest first.

    ``segment`` (attribute, value) keeps only the responses of that segment;
    ``within`` (attribute, values) only those of the values a breakdown shows, so
    a withheld group's comments are not listed beside it.
    """
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
    if segment is not None:
        query = query.where(segment_clause(*segment))
    if within is not None:
        query = query.where(_segment_value(within[0]).in_(list(within[1])))
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
    k = reporting_threshold(survey)
    start, end = released_range(survey, start, end)
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


# --- per-period metrics, segments, the dashboard and the overview ---------------------------

# More periods than this in one answer is a mistake (ten years of days), not a report.
MAX_PERIODS = 400
SEGMENT_BUILT_INS = rollups.BUILT_IN_SEGMENTS
# Pulse surveys record their wave in Response.segment under this key.
WAVE_SEGMENT = "wave"
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# How far back the default range reaches, per interval.
_DEFAULT_SPAN = {"day": 30, "week": 7 * 12, "month": 365, "quarter": 2 * 365}
DELIVERED_STATUSES = ("sent", "opened", "answered")


@dataclass(frozen=True)
class MetricsQuery:
    """A checked request for metrics: interval, local days ``[start, end)``, segment."""

    interval: str
    start: dt.date
    end: dt.date
    segment: str | None = None
    value: str | None = None

    @property
    def last_day(self) -> dt.date:
        """The last day included (``end`` is exclusive)."""
        return self.end - dt.timedelta(days=1)

    @property
    def value_filter(self) -> tuple[str, str] | None:
        """(attribute, value) when the query keeps one segment value only, else None."""
        if self.segment and self.value is not None:
            return self.segment, self.value
        return None


def today() -> dt.date:
    """Today in the workspace time zone (config ``TIMEZONE``)."""
    return local_day(utcnow(), _tz())


def _tz() -> dt.tzinfo:
    return time_zone(rollups.configured_time_zone())


def segment_attributes() -> list[str]:
    """The attributes reports may break down by: language, channel, wave, reportable ones."""
    reportable = db.session().scalars(
        sa.select(AttributeDefinition.key)
        .where(AttributeDefinition.reportable.is_(True))
        .order_by(AttributeDefinition.key)
    )
    return list(dict.fromkeys([*SEGMENT_BUILT_INS, WAVE_SEGMENT, *reportable]))


def _parse_day(raw: object, field_name: str) -> dt.date | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, dt.datetime):
        raise InvalidInput(_("Give a date as YYYY-MM-DD."), field_name)
    if isinstance(raw, dt.date):
        return raw
    text = str(raw).strip()
    try:
        if _ISO_DATE.fullmatch(text) is None:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            _("%(value)s is not a date: use YYYY-MM-DD.", value=text[:40]), field_name
        ) from None


def parse_metrics_query(
    interval: object = None,
    start: object = None,
    end: object = None,
    segment: object = None,
    value: object = None,
    *,
    end_inclusive: bool = False,
    default_interval: str = "week",
) -> MetricsQuery:
    """Check a metrics request (strings from a form or a query string, or dates).

    ``end`` is exclusive unless ``end_inclusive`` (a form's "to" date). Missing
    dates give a default range ending today. Raises InvalidInput naming the field
    ("interval", "start", "end", "segment", "value") for an unknown interval, a
    malformed or reversed date, too many periods or an unknown segment attribute.
    """
    interval = str(interval).strip() if interval not in (None, "") else default_interval
    if interval not in INTERVALS:
        raise InvalidInput(_("Choose the interval among day, week, month and quarter."), "interval")
    first = _parse_day(start, "start")
    last = _parse_day(end, "end")
    if last is not None and end_inclusive:
        last += dt.timedelta(days=1)
    if last is None:
        last = today() + dt.timedelta(days=1)
    if first is None:
        first = period_start(last - dt.timedelta(days=_DEFAULT_SPAN[interval]), interval)
    if first >= last:
        raise InvalidInput(_("The start date must come before the end date."), "start")
    if len(period_starts(first, last, interval)) > MAX_PERIODS:
        raise InvalidInput(
            _(
                "That is more than %(max)s periods: choose a longer interval or a shorter range.",
                max=MAX_PERIODS,
            ),
            "interval",
        )
    key = str(segment).strip() if segment not in (None, "") else None
    if key is not None and key not in segment_attributes():
        raise InvalidInput(_("%(name)s is not a segment attribute.", name=key[:64]), "segment")
    chosen = str(value).strip() if value not in (None, "") else None
    if chosen is not None and key is None:
        raise InvalidInput(_("Choose the segment attribute of this value."), "segment")
    return MetricsQuery(interval=interval, start=first, end=last, segment=key, value=chosen)


@dataclass(frozen=True)
class GroupScore:
    """The headline metric of one group of responses (a period, a segment value, a range).

    ``kind`` is "nps", "csat", "mean" or "count" (choice surveys). ``n`` counts
    the responses that answered the main question: skipped answers are never
    in the denominator. When ``suppressed`` every number is zero or None.
    """

    kind: str
    responses: int = 0
    n: int = 0
    histogram: Mapping[int, int] = field(default_factory=dict)
    value: float | None = None
    margin_of_error: float | None = None
    standard_error: float | None = None
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    satisfied: int = 0
    suppressed: bool = False

    @property
    def too_few(self) -> bool:
        """True below MIN_RESPONSES_FOR_TREND answers: no confident trend."""
        return self.n < MIN_RESPONSES_FOR_TREND

    def share(self, count: int) -> float | None:
        """``count`` as a percentage of ``n``, or None without answers."""
        return None if self.n == 0 else 100 * count / self.n

    @property
    def display_nps(self) -> int | None:
        """The NPS rounded for display (halves away from zero), or None."""
        return display_nps(self.value) if self.kind == "nps" else None

    def as_change_input(self) -> tuple[float, float, int] | None:
        """(value, standard error, n) for ``change_significance``, or None."""
        if self.suppressed or self.value is None or self.standard_error is None:
            return None
        return self.value, self.standard_error, self.n


def _score_kind(main: Question | None) -> str:
    if main is None or main.scale is None:
        return "count"
    if main.type == "nps":
        return "nps"
    if main.type == "csat":
        return "csat"
    return "mean"


def group_score(
    main: Question | None, responses: int, histogram: Mapping[int, int], suppressed: bool
) -> GroupScore:
    """The headline metric of a group of ``responses`` with this main-score ``histogram``.

    ``suppressed`` gives an empty, withheld score (the caller asked services.anonymity).
    """
    kind = _score_kind(main)
    if suppressed:
        return GroupScore(kind=kind, suppressed=True)
    if kind == "nps":
        summary = NpsSummary.from_histogram(histogram)
        return GroupScore(
            kind=kind,
            responses=responses,
            n=summary.n,
            histogram=dict(histogram),
            value=summary.score,
            margin_of_error=summary.margin_of_error,
            standard_error=summary.standard_error,
            promoters=summary.promoters,
            passives=summary.passives,
            detractors=summary.detractors,
        )
    if kind == "csat":
        csat = CsatSummary.from_histogram(histogram)
        moe = csat.margin_of_error
        return GroupScore(
            kind=kind,
            responses=responses,
            n=csat.n,
            histogram=dict(histogram),
            value=csat.score,
            margin_of_error=moe,
            standard_error=None if moe is None else moe / Z_95,
            satisfied=csat.satisfied,
        )
    if kind == "mean" and main is not None and main.scale is not None:
        return GroupScore(
            kind=kind,
            responses=responses,
            n=sum(histogram.values()),
            histogram=dict(histogram),
            value=mean_score(histogram, main.scale),
            margin_of_error=mean_margin_of_error(histogram, main.scale),
            standard_error=mean_standard_error(histogram, main.scale),
        )
    return GroupScore(kind="count", responses=responses, n=responses)


@dataclass(frozen=True)
class PeriodScore:
    """One period (by its first local day) with its score and the change since the previous."""

    period_start: dt.date
    score: GroupScore
    change: Change | None = None


@dataclass(frozen=True)
class SegmentScore:
    """One value of the segment attribute over the whole range."""

    value: str
    score: GroupScore


# What a shown total holds beyond its shown groups (anonymity.withheld's ``rest``).
_REST = "\x00rest"
# Anonymous surveys' release blocks are counted from their very first answer.
_BEGINNING = dt.date(1970, 1, 1)


def _read_days(
    survey_ids: Sequence[int], first: dt.date, end: dt.date, key: str, value: str | None
) -> dict[int, list[rollups.DayCounts]]:
    """Rolled-up days, or the raw responses while the rollups are in another time zone."""
    if not survey_ids:
        return {}
    if rollups.rollups_usable():
        return rollups.daily_counts(survey_ids, first, end, key, value)
    return rollups.raw_daily_counts(survey_ids, first, end, key, value)


def _daily(
    chosen: Sequence[Survey],
    first: dt.date,
    end: dt.date,
    key: str = "",
    value: str | None = None,
) -> dict[int, list[rollups.DayCounts]]:
    """Per survey, its days in ``[first, end)``; an anonymous survey's as released.

    An anonymous survey's answers count on the day their release block ends
    (``anonymity.released``): the range selects whole blocks, never a part of one.
    """
    named = [survey.id for survey in chosen if not survey.anonymous]
    result = _read_days(named, first, end, key, value)
    hidden = [survey for survey in chosen if survey.anonymous]
    everything = _read_days([survey.id for survey in hidden], _BEGINNING, today(), key, value)
    for survey in hidden:
        result[survey.id] = [
            row
            for row in anonymity.released(survey, everything[survey.id])
            if first <= row[1] < end
        ]
    return result


def _answer_window(
    survey: Survey, query: MetricsQuery, key: str, tz: dt.tzinfo
) -> tuple[dt.datetime, dt.datetime]:
    """The UTC range of the single answers (comments, other questions) a report may read.

    For an anonymous survey, exactly the answers of the blocks released in the range.
    """
    if not survey.anonymous:
        return day_bounds(query.start, tz)[0], day_bounds(query.end, tz)[0]
    days = _read_days([survey.id], _BEGINNING, today(), key, query.value if key else None)
    window = anonymity.release_window(survey, days[survey.id], query.start, query.end)
    if window is None:
        moment = day_bounds(query.start, tz)[0]
        return moment, moment
    return day_bounds(window[0], tz)[0], day_bounds(window[1] + dt.timedelta(days=1), tz)[0]


def release_schedule(survey: Survey) -> dict[dt.date, dt.date]:
    """An anonymous survey's answer days (local) mapped to the day they are released.

    Days of the unfinished block, and today, are missing (``anonymity.released``).
    """
    days = _read_days([survey.id], _BEGINNING, today(), "", None)[survey.id]
    counts: dict[dt.date, int] = {}
    for _value, day, n, _histogram in days:
        counts[day] = counts.get(day, 0) + n
    return release_days(counts, k=reporting_threshold(survey))


def local_answer_day(moment: dt.datetime) -> dt.date:
    """The local day (workspace time zone) of an answer's timestamp."""
    return local_day(moment, _tz())


def released_range(
    survey: Survey, start: dt.datetime | None, end: dt.datetime | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``[start, end)`` as an anonymous survey may report it: the whole release blocks
    released from ``start``'s local day to the day before ``end``'s (an empty range when
    none is). A named survey's range is returned as it is.
    """
    if not survey.anonymous:
        return start, end
    tz = _tz()
    first = local_day(start, tz) if start is not None else _BEGINNING
    last = min(local_day(end, tz), today()) if end is not None else today()
    days = _read_days([survey.id], _BEGINNING, today(), "", None)[survey.id]
    window = anonymity.release_window(survey, days, first, last) if first < last else None
    if window is None:
        nothing = day_bounds(_BEGINNING, tz)[0]
        return nothing, nothing
    return day_bounds(window[0], tz)[0], day_bounds(window[1] + dt.timedelta(days=1), tz)[0]


def nested_totals(key: str | None, counts: Mapping[str, int]) -> list[list[str]]:
    """The groups of a breakdown by ``key`` whose sums other pages show.

    A breakdown by team is nested in the departments of the org chart: each
    department's total is shown by the department breakdown, so a withheld
    team must not follow from its department minus its other teams.
    """
    if key != org_chart.TEAM_ATTRIBUTE:
        return []
    departments: dict[str, list[str]] = {}
    for team, department in org_chart.team_departments().items():
        if team in counts and department:
            departments.setdefault(department, []).append(team)
    return list(departments.values())


def _add(target: dict[int, int], histogram: Mapping[int, int]) -> None:
    for score, count in histogram.items():
        target[score] = target.get(score, 0) + count


def _by_period(
    days: Iterable[rollups.DayCounts], interval: str
) -> dict[tuple[str, dt.date], tuple[int, dict[int, int]]]:
    """(segment value, period start) -> (responses, histogram)."""
    groups: dict[tuple[str, dt.date], tuple[int, dict[int, int]]] = {}
    for value, day, n, histogram in days:
        key = (value, period_start(day, interval))
        responses, merged = groups.get(key, (0, {}))
        _add(merged, histogram)
        groups[key] = (responses + n, merged)
    return groups


def _totals(days: Iterable[rollups.DayCounts]) -> dict[str, tuple[int, dict[int, int]]]:
    """segment value -> (responses, histogram) over all the days."""
    totals: dict[str, tuple[int, dict[int, int]]] = {}
    for value, _day, n, histogram in days:
        responses, merged = totals.get(value, (0, {}))
        _add(merged, histogram)
        totals[value] = (responses + n, merged)
    return totals


def _trend(
    main: Question | None,
    starts: Sequence[dt.date],
    groups: Mapping[tuple[str, dt.date], tuple[int, dict[int, int]]],
    value: str,
    withheld: set[Any],
) -> list[PeriodScore]:
    rows: list[PeriodScore] = []
    previous: GroupScore | None = None
    for start in starts:
        responses, histogram = groups.get((value, start), (0, {}))
        score = group_score(main, responses, histogram, (value, start) in withheld)
        change = None
        if previous is not None:
            change = change_significance(previous.as_change_input(), score.as_change_input())
        rows.append(PeriodScore(period_start=start, score=score, change=change))
        previous = score
    return rows


def metrics_by_period(
    survey_id: int,
    interval: object = "week",
    start: object = None,
    end: object = None,
    segment: object = None,
) -> list[dict[str, Any]]:
    """One row per period (and per segment value) with exactly the PRODUCT.md metrics fields.

    ``start``/``end`` are local days (``end`` exclusive) as dates or "YYYY-MM-DD".
    Rows: ``period_start`` (ISO), ``segment`` (the value, or None), ``n`` (answers
    of the main question), then ``promoters``, ``passives``, ``detractors``,
    ``nps``, ``moe`` for NPS/eNPS, ``csat`` and ``moe`` for CSAT, ``mean`` and
    ``moe`` for other scales, and ``suppressed``; a suppressed row carries no
    number. Raises NotFound for an unknown survey, InvalidInput for bad input.
    """
    survey = surveys.get_survey(survey_id)
    query = parse_metrics_query(interval, start, end, segment)
    main = survey.main_question
    k = reporting_threshold(survey)
    starts = period_starts(query.start, query.end, query.interval)
    key = query.segment or ""
    days = _daily([survey], query.start, query.end, key)[survey.id]
    groups = _by_period(days, query.interval)
    overall = (
        _by_period(_daily([survey], query.start, query.end)[survey.id], query.interval)
        if query.segment
        else groups
    )
    withheld = _withheld_periods(
        survey, k, starts, groups, segmented=bool(query.segment), overall=overall
    )
    values = sorted({value for value, _day in groups}) if query.segment else [""]
    rows: list[dict[str, Any]] = []
    for start_day in starts:
        for value in values:
            responses, histogram = groups.get((value, start_day), (0, {}))
            score = group_score(main, responses, histogram, (value, start_day) in withheld)
            rows.append(_api_row(start_day, value if query.segment else None, score))
    return rows


def _withheld_periods(
    survey: Survey,
    k: int,
    starts: Sequence[dt.date],
    groups: Mapping[tuple[str, dt.date], tuple[int, dict[int, int]]],
    *,
    segmented: bool,
    overall: Mapping[tuple[str, dt.date], tuple[int, dict[int, int]]],
) -> set[tuple[str, dt.date]]:
    """Which (value, period) groups the anonymity gate withholds.

    ``overall`` holds each period's total as the unsegmented answer shows it:
    what it holds beyond the values shown is withheld mass as well.
    """
    if not segmented:
        counts = {("", start): groups.get(("", start), (0, {}))[0] for start in starts}
        return withheld_groups(counts, anonymous=survey.anonymous, k=k, total=sum(counts.values()))
    values = sorted({value for value, _day in groups})
    counts = {
        (value, start): groups.get((value, start), (0, {}))[0]
        for value in values
        for start in starts
    }
    # Each period's total over the values is shown, and each value's total over the
    # periods is shown by the segment breakdown: both must not give a withheld cell away.
    rest = {
        (_REST, start): max(
            overall.get(("", start), (0, {}))[0] - sum(counts[(value, start)] for value in values),
            0,
        )
        for start in starts
    }
    periods = [[*((value, start) for value in values), (_REST, start)] for start in starts]
    values_over_time = [[(value, start) for start in starts] for value in values]
    return anonymity.withheld(survey, counts, totals=[*periods, *values_over_time], rest=rest)


def _api_row(start: dt.date, segment: str | None, score: GroupScore) -> dict[str, Any]:
    row: dict[str, Any] = {"period_start": start.isoformat(), "segment": segment}
    if score.suppressed:
        row["suppressed"] = True
        return row
    row["n"] = score.n
    if score.kind == "nps":
        row.update(
            promoters=score.promoters,
            passives=score.passives,
            detractors=score.detractors,
            nps=score.value,
            moe=score.margin_of_error,
        )
    elif score.kind == "csat":
        row.update(csat=score.value, moe=score.margin_of_error)
    elif score.kind == "mean":
        row.update(mean=score.value, moe=score.margin_of_error)
    row["suppressed"] = False
    return row


@dataclass(frozen=True)
class QuestionStats:
    """A question other than the headline score: its mean and distribution, or its choices."""

    question: Question
    n: int
    suppressed: bool = False
    mean: float | None = None
    margin_of_error: float | None = None
    distribution: list[DistributionRow] = field(default_factory=list)
    choices: list[ChoiceCount] = field(default_factory=list)


@dataclass(frozen=True)
class Dashboard:
    """Everything the results page shows for one survey, range and segment.

    ``results`` is the summary over the whole range in the shape of the first
    results page (withheld as a whole for an anonymous survey under k);
    ``periods`` the trend; ``segments`` the breakdown by ``query.segment``.
    """

    survey: Survey
    query: MetricsQuery
    k: int
    time_zone: str
    results: SurveyResults
    total: GroupScore
    periods: list[PeriodScore]
    segments: list[SegmentScore]
    questions: list[QuestionStats]
    delivered: int | None
    response_rate: float | None
    # The UTC range of the single answers the report covers (comments, reasons):
    # for an anonymous survey, exactly its released blocks.
    window: tuple[dt.datetime, dt.datetime] | None = None


def dashboard(
    survey_id: int, query: MetricsQuery, *, comment_limit: int = COMMENT_LIMIT
) -> Dashboard:
    """The results page's data: summary, trend, segment breakdown, other questions, rate.

    Raises NotFound for an unknown survey.
    """
    survey = surveys.get_survey(survey_id)
    k = reporting_threshold(survey)
    main = survey.main_question
    tz = _tz()
    starts = period_starts(query.start, query.end, query.interval)
    filter_key = query.segment if query.value is not None else None
    days = _daily([survey], query.start, query.end, filter_key or "", query.value)[survey.id]
    totals = _totals(days)
    responses, histogram = totals.get(query.value or "", (0, {}))
    overall_withheld = bool(withheld_groups({"all": responses}, anonymous=survey.anonymous, k=k))
    groups = _by_period(days, query.interval)
    value = query.value or ""
    counts = {(value, start): groups.get((value, start), (0, {}))[0] for start in starts}
    withheld = withheld_groups(counts, anonymous=survey.anonymous, k=k, total=responses)
    total = group_score(main, responses, histogram, overall_withheld)
    utc_start, utc_end = _answer_window(survey, query, filter_key or "", tz)
    segment = (query.segment, query.value) if filter_key and query.value is not None else None

    if overall_withheld:
        return Dashboard(
            survey=survey,
            query=query,
            k=k,
            time_zone=rollups.configured_time_zone(),
            results=SurveyResults(survey=survey, k=k, withheld=True),
            total=total,
            periods=[],
            segments=[],
            questions=[],
            delivered=None,
            response_rate=None,
        )
    periods = _trend(main, starts, groups, value, withheld)
    segments = (
        _segments(survey, main, query, responses) if query.segment and query.value is None else []
    )
    summary: dict[str, Any] = {}
    if main is not None and main.scale is not None:
        summary["distribution"] = distribution(histogram, main.scale)
        if total.kind == "nps":
            summary["nps"] = NpsSummary.from_histogram(histogram)
        elif total.kind == "csat":
            summary["csat"] = CsatSummary.from_histogram(histogram)
        else:
            summary["mean"] = mean_score(histogram, main.scale)
    questions = _question_stats(survey, k, utc_start, utc_end, segment)
    if main is not None and main.type in CHOICE_TYPES:
        main_stats = next((q for q in questions if q.question.id == main.id), None)
        summary["choices"] = main_stats.choices if main_stats and not main_stats.suppressed else []
    results = SurveyResults(
        survey=survey,
        k=k,
        n=responses,
        comments=latest_comments(
            survey,
            limit=comment_limit,
            start=utc_start,
            end=utc_end,
            segment=segment,
            within=_shown_values(survey, query, segments),
        ),
        **summary,
    )
    delivered, answered = (None, 0) if segment else _delivered(survey.id, utc_start, utc_end)
    return Dashboard(
        survey=survey,
        query=query,
        k=k,
        time_zone=rollups.configured_time_zone(),
        results=results,
        total=total,
        periods=periods,
        segments=segments,
        questions=[q for q in questions if main is None or q.question.id != main.id],
        delivered=delivered,
        response_rate=100 * answered / delivered if delivered else None,
        window=(utc_start, utc_end),
    )


def _shown_values(
    survey: Survey, query: MetricsQuery, segments: Sequence[SegmentScore]
) -> tuple[str, list[str]] | None:
    """On an anonymous survey's breakdown, the values shown: comments come from those only."""
    if not survey.anonymous or query.segment is None or query.value is not None:
        return None
    return query.segment, [row.value for row in segments if not row.score.suppressed]


def _segments(
    survey: Survey, main: Question | None, query: MetricsQuery, shown_total: int
) -> list[SegmentScore]:
    """The breakdown by ``query.segment``; ``shown_total`` is the page's response count.

    An anonymous survey releases each value's answers on its own (services.anonymity),
    so the shown total can hold answers no value shows yet: that rest is withheld
    mass too, never below k once subtracted.
    """
    assert query.segment is not None
    days = _daily([survey], query.start, query.end, query.segment)[survey.id]
    totals = _totals(days)
    counts = {value: n for value, (n, _h) in totals.items()}
    rest = {_REST: max(shown_total - sum(counts.values()), 0)}
    withheld = anonymity.withheld(
        survey,
        counts,
        total=shown_total,
        totals=nested_totals(query.segment, counts),
        rest=rest,
    )
    rows = [
        SegmentScore(value=value, score=group_score(main, n, histogram, value in withheld))
        for value, (n, histogram) in totals.items()
    ]
    return sorted(rows, key=lambda row: (row.score.suppressed, -row.score.n, row.value))


def _segment_value(key: str) -> sa.ColumnElement[Any]:
    if key in SEGMENT_BUILT_INS:
        return getattr(Response, key)
    return sa.cast(Response.segment[key].as_string(), sa.String)


def segment_clause(key: str, value: str) -> sa.ColumnElement[bool]:
    """The SQL condition on ``Response`` matching the responses whose ``key`` is ``value``."""
    return _segment_value(key) == value


def _question_stats(
    survey: Survey,
    k: int,
    start: dt.datetime,
    end: dt.datetime,
    segment: tuple[str, str] | None,
) -> list[QuestionStats]:
    """Means and distributions of the other numeric questions, and every choice question."""
    main = survey.main_question
    numeric = [q for q in survey.questions if q.scale is not None and q is not main]
    choice = [q for q in survey.questions if q.type in (*CHOICE_TYPES, "yes_no")]
    if not numeric and not choice:
        return []

    def answered(*conditions: sa.ColumnElement[bool]) -> sa.Select[Any]:
        query = (
            sa.select()
            .select_from(Answer)
            .join(Response, Response.id == Answer.response_id)
            .where(
                Response.survey_id == survey.id,
                Response.created_at >= start,
                Response.created_at < end,
                *conditions,
            )
        )
        return query.where(segment_clause(*segment)) if segment else query

    histograms: dict[int, dict[int, int]] = {q.id: {} for q in numeric}
    if numeric:
        query = answered(
            Answer.question_id.in_([q.id for q in numeric]), Answer.value_number.is_not(None)
        ).add_columns(Answer.question_id, Answer.value_number, sa.func.count())
        query = query.group_by(Answer.question_id, Answer.value_number)
        for question_id, number, count in db.session().execute(query):
            histograms[question_id][int(number)] = int(count)
    chosen: dict[int, tuple[dict[str, int], int]] = {q.id: ({}, 0) for q in choice}
    if choice:
        query = answered(
            Answer.question_id.in_([q.id for q in choice]), Answer.choices.is_not(None)
        ).add_columns(Answer.question_id, Answer.choices, sa.func.count())
        query = query.group_by(Answer.question_id, Answer.choices)
        for question_id, values, count in db.session().execute(query):
            counts, total = chosen[question_id]
            picked = dict.fromkeys(str(value) for value in values or ())
            for value in picked:
                counts[value] = counts.get(value, 0) + int(count)
            chosen[question_id] = (counts, total + (int(count) if picked else 0))

    stats: list[QuestionStats] = []
    for question in survey.questions:
        if question.id in histograms and question.scale is not None:
            histogram = histograms[question.id]
            n = sum(histogram.values())
            if withheld_groups({0: n}, anonymous=survey.anonymous, k=k):
                stats.append(QuestionStats(question=question, n=0, suppressed=True))
                continue
            stats.append(
                QuestionStats(
                    question=question,
                    n=n,
                    mean=mean_score(histogram, question.scale),
                    margin_of_error=mean_margin_of_error(histogram, question.scale),
                    distribution=distribution(histogram, question.scale),
                )
            )
        elif question.id in chosen:
            counts, n = chosen[question.id]
            hidden = withheld_groups(counts, anonymous=survey.anonymous, k=k, total=n)
            if withheld_groups({0: n}, anonymous=survey.anonymous, k=k):
                stats.append(QuestionStats(question=question, n=0, suppressed=True))
                continue
            options = _yes_no_options() if question.type == "yes_no" else question.options
            rows = [row for row in _choice_rows(options, counts, n) if row.value not in hidden]
            stats.append(QuestionStats(question=question, n=n, choices=rows))
    return stats


def _yes_no_options() -> list[dict[str, Any]]:
    return [
        {"value": "yes", "label": {"en": "Yes", "fr": "Oui"}},
        {"value": "no", "label": {"en": "No", "fr": "Non"}},
    ]


def _delivered(survey_id: int, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """Invitations delivered with a send time in the range, and how many of them were answered.

    The rate is answered / delivered among the same invitations: answers from the
    public link have no invitation and must not push it over 100 %.
    """
    return _delivered_by_survey([survey_id], start, end).get(survey_id, (0, 0))


@dataclass(frozen=True)
class OverviewRow:
    """One active survey on the overview: score now, the previous window, change and rate."""

    survey: Survey
    current: GroupScore
    previous: GroupScore
    change: Change | None
    delivered: int
    response_rate: float | None


def overview(days: int = 30) -> list[OverviewRow]:
    """Every active survey's last ``days`` days against the ``days`` before, from rollups.

    Raises InvalidInput unless 1 <= days <= 366.
    """
    if not 1 <= days <= 366:
        raise InvalidInput(_("Choose a window from 1 to 366 days."), "days")
    active = list(
        db.session().scalars(
            sa.select(Survey).where(Survey.status == "active").order_by(Survey.title, Survey.id)
        )
    )
    if not active:
        return []
    tz = _tz()
    end = today() + dt.timedelta(days=1)
    middle = end - dt.timedelta(days=days)
    first = middle - dt.timedelta(days=days)
    daily = _daily(active, first, end)
    utc_middle = day_bounds(middle, tz)[0]
    utc_end = day_bounds(end, tz)[0]
    delivered = _delivered_by_survey([survey.id for survey in active], utc_middle, utc_end)
    rows: list[OverviewRow] = []
    for survey in active:
        main = survey.main_question
        windows: dict[bool, tuple[int, dict[int, int]]] = {True: (0, {}), False: (0, {})}
        for _value, day, n, histogram in daily[survey.id]:
            responses, merged = windows[day >= middle]
            _add(merged, histogram)
            windows[day >= middle] = (responses + n, merged)
        hidden = anonymity.withheld(survey, {window: n for window, (n, _h) in windows.items()})
        current = group_score(main, *windows[True], True in hidden)
        previous = group_score(main, *windows[False], False in hidden)
        sent, answered = delivered.get(survey.id, (0, 0))
        rows.append(
            OverviewRow(
                survey=survey,
                current=current,
                previous=previous,
                change=change_significance(previous.as_change_input(), current.as_change_input()),
                delivered=sent,
                response_rate=(100 * answered / sent if sent and not current.suppressed else None),
            )
        )
    return rows


def _delivered_by_survey(
    survey_ids: Sequence[int], start: dt.datetime, end: dt.datetime
) -> dict[int, tuple[int, int]]:
    """Survey id -> (invitations delivered in the range, how many of those were answered)."""
    query = (
        sa.select(
            Invitation.survey_id,
            sa.func.count(Invitation.id),
            sa.func.count(Invitation.answered_at),
        )
        .where(
            Invitation.survey_id.in_(survey_ids),
            Invitation.status.in_(DELIVERED_STATUSES),
            Invitation.sent_at >= start,
            Invitation.sent_at < end,
        )
        .group_by(Invitation.survey_id)
    )
    return {
        survey_id: (int(delivered), int(answered))
        for survey_id, delivered, answered in db.session().execute(query)
    }


def period_end(query: MetricsQuery, start: dt.date) -> dt.date:
    """The last local day of the period starting on ``start`` within the query's range."""
    return min(next_period_start(start, query.interval), query.end) - dt.timedelta(days=1)
