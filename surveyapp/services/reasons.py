"""Why customers leave: reason tags ranked by share, their trend, segments, MRR and verbatims.

The SQL aggregates the tags stored at submit time (``services.tagging``); no
text is tagged while a page is drawn. The interval math is
``analytics.retention.wilson_interval``, the MRR weighting
``analytics.retention.weigh_by_mrr`` and the emerging terms
``text.terms.emerging_terms``. A "comment considered" is a response that
qualifies for tagging (a cancellation, a detractor 0–6, a CSAT 1–2) and has at
least one non-empty text answer; a reason's count is the number of those
responses with that tag on any of their answers, so a reason given twice in one
response counts once and ``share = count / n`` (PRODUCT.md § Churn reasons)
stays a share of people.

Every query takes the same scope: a range ``[start, end)`` of aware datetimes
and an optional segment filter ``(attribute, value)`` (``_scope``); ``n``
counts the ``_considered`` responses of the scope. The stored tags are read
through ``_tagged`` only, which leaves out the tags of retired (or merged)
reasons of the taxonomy; their stored tags stay.

Anonymous surveys (PRODUCT.md § Anonymity): with fewer than ``k`` comments
considered, no row is shown; the verbatims of a reason are withheld when fewer
than ``k`` responses carry it; periods and segment values under ``k`` (and
any group that subtraction would reveal) are withheld; emerging terms need
``k`` comments each. Anonymous responses have no contact, so no MRR.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp import db
from surveyapp.analytics.periods import day_bounds, period_start, period_starts
from surveyapp.analytics.periods import time_zone as zone_named
from surveyapp.analytics.retention import WeightedReason, weigh_by_mrr, wilson_interval
from surveyapp.analytics.suppression import is_withheld, withheld_groups
from surveyapp.models import Answer, AnswerTag, Contact, Response, Survey
from surveyapp.services import exports, reporting, rollups, surveys, tagging, taxonomy
from surveyapp.services.errors import InvalidInput

if TYPE_CHECKING:
    from surveyapp.text.terms import Term

__all__ = [
    "EMERGING_WINDOWS",
    "REASON_NAMES",
    "TREND_REASONS",
    "VERBATIM_LIMIT",
    "EmergingTerms",
    "ReasonMrr",
    "ReasonReport",
    "ReasonRow",
    "ReasonSegments",
    "ReasonTrend",
    "SegmentShares",
    "TrendPeriod",
    "Verbatim",
    "VerbatimList",
    "day_range",
    "emerging_terms",
    "highlight",
    "reason_mrr",
    "reason_namer",
    "reason_overview",
    "reason_segments",
    "reason_shares",
    "reason_trend",
    "reason_verbatims",
    "reasons_csv",
]

VERBATIM_LIMIT = 50
# The trend and the segment table show this many reasons, the most frequent first.
TREND_REASONS = 6
# "Recent" for emerging terms: the last N days of the range (the choices offered).
EMERGING_WINDOWS = (7, 30, 90)
# The newest comments read per window: enough for a stable ranking, bounded in time.
MAX_TERM_COMMENTS = 2_000
MAX_SEARCH_LENGTH = 100
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

# PRODUCT.md § Churn reasons: the default taxonomy's names as a manager reads them.
REASON_NAMES = {
    "price": _l("Price"),
    "missing_feature": _l("Missing feature"),
    "bugs_reliability": _l("Bugs and reliability"),
    "performance": _l("Performance"),
    "support": _l("Support"),
    "usability": _l("Usability"),
    "onboarding": _l("Onboarding"),
    "competitor": _l("Competitor"),
    "no_longer_needed": _l("No longer needed"),
    "business_closed": _l("Business closed"),
    "billing": _l("Billing"),
    "privacy_security": _l("Privacy and security"),
    "other": _l("Other"),
}


def reason_namer(language: str | None = None) -> Callable[[str], str]:
    """A function naming each reason in ``language`` (default: the request's): the label
    the workspace gave it, else the translated built-in name, else its code spelled out."""
    labels = taxonomy.labels(language or str(get_locale() or "en"))

    def name(tag: str) -> str:
        if tag in labels:
            return labels[tag]
        builtin = REASON_NAMES.get(tag)
        return str(builtin) if builtin is not None else tag.replace("_", " ")

    return name


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
    ``answer_id`` (the key of the correction page), as ids follow submission order;
    ``source`` is how the tag was set ("rule", "choice", "manual", "model").
    """

    text: str
    pieces: list[tuple[str, bool]]
    score: int | None
    language: str
    created_at: dt.datetime | None
    confidence: float
    source: str = "rule"
    answer_id: int | None = None


@dataclass(frozen=True)
class VerbatimList:
    """One page of the comments tagged with one reason, newest first; empty when ``withheld``.

    ``total`` counts the comments matching ``search`` (all of them without one).
    """

    tag: str
    items: list[Verbatim] = field(default_factory=list)
    withheld: bool = False
    total: int = 0
    page: int = 1
    per_page: int = VERBATIM_LIMIT
    search: str = ""

    @property
    def pages(self) -> int:
        """How many pages the matching comments fill (at least 1)."""
        return max(1, math.ceil(self.total / self.per_page))


class _Shares:
    """A group of comments considered (``n``), responses per reason (``counts``), and
    whether the anonymity gate withheld it (``suppressed``)."""

    n: int
    counts: dict[str, int]
    suppressed: bool

    def share(self, tag: str) -> float | None:
        """The share of the group's comments carrying ``tag``, or None (none or withheld)."""
        if self.suppressed or self.n == 0:
            return None
        return self.counts.get(tag, 0) / self.n


@dataclass(frozen=True)
class TrendPeriod(_Shares):
    """One period: comments considered, and responses per reason; no number when suppressed."""

    period_start: dt.date
    n: int
    counts: dict[str, int] = field(default_factory=dict)
    suppressed: bool = False


@dataclass(frozen=True)
class ReasonTrend:
    """The share of each of ``tags`` per period of ``interval``, oldest first."""

    interval: str
    tags: list[str]
    periods: list[TrendPeriod]


@dataclass(frozen=True)
class SegmentShares(_Shares):
    """One value of the segment attribute: comments considered and responses per reason."""

    value: str
    n: int
    counts: dict[str, int] = field(default_factory=dict)
    suppressed: bool = False


@dataclass(frozen=True)
class ReasonSegments:
    """The reasons broken down by the values of ``key``, largest value first (withheld last)."""

    key: str
    tags: list[str]
    rows: list[SegmentShares]


@dataclass(frozen=True)
class ReasonMrr:
    """Reasons weighted by the MRR of the customers behind the comments.

    Each customer counts once, with their latest comment considered in the
    range; ``customers`` and ``total_mrr_cents`` cover those with a known MRR,
    tagged or not, and ``share`` is a reason's MRR over that total. ``available``
    is False on an anonymous survey or when no such customer has an MRR.
    """

    available: bool
    customers: int = 0
    total_mrr_cents: int = 0
    rows: list[WeightedReason] = field(default_factory=list)


@dataclass(frozen=True)
class EmergingTerms:
    """Frequent phrases of the recent negative comments that no tag covers, by lift.

    ``recent`` and ``baseline`` count the comments read in each window; when
    ``withheld`` (an anonymous survey under ``k`` recent comments) ``terms`` is empty.
    """

    recent_days: int
    recent_start: dt.datetime
    recent: int
    baseline: int
    min_count: int
    terms: list[Term] = field(default_factory=list)
    withheld: bool = False


def day_range(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants bounding local days [start, end) of the workspace time zone."""
    tz = zone_named(rollups.configured_time_zone())
    return day_bounds(start, tz)[0], day_bounds(end, tz)[0]


# --- the queries: the scope, then the stored tags in it ----------------------------------------


def _scope(
    survey: Survey,
    start: dt.datetime | None,
    end: dt.datetime | None,
    segment: tuple[str, str] | None = None,
) -> list[sa.ColumnElement[bool]]:
    """The conditions on ``Response`` of a scope: the survey's responses that qualify for
    tagging, in [start, end), of one segment value.

    An anonymous survey's range shrinks to its released blocks (``services.anonymity``):
    a range one answer wider than another would give that answer's reasons away.
    """
    start, end = reporting.released_range(survey, start, end)
    conditions = [Response.survey_id == survey.id, tagging.considered_condition(survey)]
    if segment is not None:
        conditions.append(reporting.segment_clause(*segment))
    if start is not None:
        conditions.append(Response.created_at >= start)
    if end is not None:
        conditions.append(Response.created_at < end)
    return conditions


def _considered(
    survey: Survey,
    start: dt.datetime | None,
    end: dt.datetime | None,
    segment: tuple[str, str] | None = None,
) -> list[sa.ColumnElement[bool]]:
    """The conditions on ``Response`` of the comments considered in a scope (``n``)."""
    commented = sa.exists().where(
        Answer.response_id == Response.id, Answer.text.is_not(None), Answer.text != ""
    )
    return [*_scope(survey, start, end, segment), commented]


def _tagged(query: sa.Select[Any], scope: list[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    """``query`` (over ``Response``) joined to the tags of the answers of the scope.

    Tags are stored on answers with text, so the text is not read again and
    the join runs on indexes alone (a text answer emptied later is deleted with
    its tags; only a manager's tag on a cancellation choice whose "other" text
    was removed outlives the text, and it still describes that response).
    Joining, rather than testing ``Response.id IN (...)``, lets the database
    walk the responses once.
    """
    return (
        query.join(Answer, Answer.response_id == Response.id)
        .join(AnswerTag, AnswerTag.answer_id == Answer.id)
        .where(*scope, taxonomy.is_shown(AnswerTag.tag))
    )


def _per_tag() -> sa.ColumnElement[int]:
    return sa.func.count(sa.distinct(Response.id))


def reason_shares(
    survey_id: int,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    segment: tuple[str, str] | None = None,
) -> ReasonReport:
    """The survey's reasons in [start, end) (of one segment value), by count descending.

    Raises NotFound for an unknown survey.
    """
    survey = surveys.get_survey(survey_id)
    session = db.session()
    n = (
        session.scalar(
            sa.select(sa.func.count(Response.id)).where(*_considered(survey, start, end, segment))
        )
        or 0
    )
    counted = session.execute(
        _tagged(
            sa.select(AnswerTag.tag, _per_tag()).select_from(Response),
            _scope(survey, start, end, segment),
        ).group_by(AnswerTag.tag)
    )
    return _report(survey, n, {tag: int(count) for tag, count in counted})


def _report(survey: Survey, n: int, counts: dict[str, int]) -> ReasonReport:
    """The ranked report of ``n`` comments and the responses per tag, suppressed under k."""
    k = reporting.reporting_threshold(survey)
    if survey.anonymous and is_withheld(n, k=k):
        return ReasonReport(survey=survey, k=k, n=0, suppressed=True)
    rows = []
    for tag, tagged in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        low, high = wilson_interval(tagged, n) or (0.0, 0.0)
        rows.append(ReasonRow(tag=tag, count=tagged, share=tagged / n, low=low, high=high))
    return ReasonReport(survey=survey, k=k, n=n, rows=rows)


def reason_overview(
    survey_id: int,
    interval: str,
    first_day: dt.date,
    end_day: dt.date,
    *,
    segment: tuple[str, str] | None = None,
    trend_reasons: int = TREND_REASONS,
) -> tuple[ReasonReport, ReasonTrend]:
    """``reason_shares`` over the local days [first_day, end_day) and the trend of its
    ``trend_reasons`` most frequent reasons, from one pass over the days.

    A response falls on one day, so its day's counts add up to the range's. Raises
    NotFound for an unknown survey.
    """
    survey = surveys.get_survey(survey_id)
    n_by_day, tags_by_day = _by_day(survey, first_day, end_day, segment, None)
    totals: dict[str, int] = {}
    for counts in tags_by_day.values():
        for tag, count in counts.items():
            totals[tag] = totals.get(tag, 0) + count
    report = _report(survey, sum(n_by_day.values()), totals)
    if report.suppressed:
        return report, ReasonTrend(interval=interval, tags=[], periods=[])
    tags = [row.tag for row in report.rows[:trend_reasons]]
    return report, _trend(survey, interval, first_day, end_day, n_by_day, tags_by_day, tags)


def reason_trend(
    survey_id: int,
    interval: str,
    first_day: dt.date,
    end_day: dt.date,
    *,
    segment: tuple[str, str] | None = None,
    tags: Sequence[str] = (),
) -> ReasonTrend:
    """Per period of ``interval`` over the local days [first_day, end_day): the comments
    considered and the responses carrying each of ``tags``. Raises NotFound for an
    unknown survey.
    """
    survey = surveys.get_survey(survey_id)
    n_by_day, tags_by_day = _by_day(survey, first_day, end_day, segment, tags)
    return _trend(survey, interval, first_day, end_day, n_by_day, tags_by_day, list(tags))


def _by_day(
    survey: Survey,
    first_day: dt.date,
    end_day: dt.date,
    segment: tuple[str, str] | None,
    tags: Sequence[str] | None,
) -> tuple[dict[dt.date, int], dict[dt.date, dict[str, int]]]:
    """Per local day: the comments considered, and the responses per tag (of ``tags``,
    or every tag when None)."""
    start, end = day_range(first_day, end_day)
    session = db.session()
    day = rollups.local_day_sql(
        session.get_bind().dialect.name, rollups.configured_time_zone(), start, end
    ).label("day")
    n_by_day = {
        _as_date(local): int(count)
        for local, count in session.execute(
            sa.select(day, sa.func.count(Response.id))
            .where(*_considered(survey, start, end, segment))
            .group_by(day)
        )
    }
    tags_by_day: dict[dt.date, dict[str, int]] = {}
    if tags is not None and not tags:
        return n_by_day, tags_by_day
    query = _tagged(
        sa.select(day, AnswerTag.tag, _per_tag()).select_from(Response),
        _scope(survey, start, end, segment),
    ).group_by(day, AnswerTag.tag)
    if tags is not None:
        query = query.where(AnswerTag.tag.in_(list(tags)))
    for local, tag, count in session.execute(query):
        tags_by_day.setdefault(_as_date(local), {})[tag] = int(count)
    return n_by_day, tags_by_day


def _trend(
    survey: Survey,
    interval: str,
    first_day: dt.date,
    end_day: dt.date,
    n_by_day: dict[dt.date, int],
    tags_by_day: dict[dt.date, dict[str, int]],
    tags: list[str],
) -> ReasonTrend:
    """The days summed into periods, withheld where anonymity requires it."""
    starts = period_starts(first_day, end_day, interval)
    n_by_period: dict[dt.date, int] = dict.fromkeys(starts, 0)
    counts: dict[dt.date, dict[str, int]] = {start_day: {} for start_day in starts}
    for day, n in n_by_day.items():
        n_by_period[period_start(day, interval)] += n
    wanted = set(tags)
    for day, by_tag in tags_by_day.items():
        bucket = counts[period_start(day, interval)]
        for tag, count in by_tag.items():
            if tag in wanted:
                bucket[tag] = bucket.get(tag, 0) + count
    withheld = withheld_groups(
        n_by_period,
        anonymous=survey.anonymous,
        k=reporting.reporting_threshold(survey),
        total=sum(n_by_period.values()),
    )
    periods = [
        TrendPeriod(period_start=start_day, n=0, suppressed=True)
        if start_day in withheld
        else TrendPeriod(period_start=start_day, n=n_by_period[start_day], counts=counts[start_day])
        for start_day in starts
    ]
    return ReasonTrend(interval=interval, tags=tags, periods=periods)


def _as_date(value: Any) -> dt.date:
    # PostgreSQL gives a date, SQLite its ISO text.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def reason_segments(
    survey_id: int,
    key: str,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    tags: Sequence[str] = (),
) -> ReasonSegments:
    """Per value of the segment attribute ``key``: the comments considered and the
    responses carrying each of ``tags``. Raises NotFound for an unknown survey.
    """
    survey = surveys.get_survey(survey_id)
    k = reporting.reporting_threshold(survey)
    value = rollups.segment_expression(key).label("value")
    session = db.session()
    n_by_value = {
        str(found): int(count)
        for found, count in session.execute(
            sa.select(value, sa.func.count(Response.id))
            .where(*_considered(survey, start, end), value.is_not(None))
            .group_by(value)
        )
    }
    counts: dict[str, dict[str, int]] = {found: {} for found in n_by_value}
    if tags and n_by_value:
        for found, tag, count in session.execute(
            _tagged(
                sa.select(value, AnswerTag.tag, _per_tag()).select_from(Response),
                _scope(survey, start, end),
            )
            .where(value.is_not(None), AnswerTag.tag.in_(list(tags)))
            .group_by(value, AnswerTag.tag)
        ):
            counts[str(found)][tag] = int(count)
    withheld = withheld_groups(
        n_by_value, anonymous=survey.anonymous, k=k, total=sum(n_by_value.values())
    )
    rows = [
        SegmentShares(value=found, n=0, suppressed=True)
        if found in withheld
        else SegmentShares(value=found, n=n, counts=counts[found])
        for found, n in n_by_value.items()
    ]
    rows.sort(key=lambda row: (row.suppressed, -row.n, row.value))
    return ReasonSegments(key=key, tags=list(tags), rows=rows)


def reason_mrr(
    survey_id: int,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    segment: tuple[str, str] | None = None,
) -> ReasonMrr:
    """The reasons weighted by the MRR of the customers who gave them (see ``ReasonMrr``).

    Raises NotFound for an unknown survey.
    """
    survey = surveys.get_survey(survey_id)
    if survey.anonymous:
        return ReasonMrr(available=False)
    session = db.session()
    latest: dict[int, tuple[int, int]] = {}
    for contact_id, response_id, mrr in session.execute(
        sa.select(Response.contact_id, Response.id, Contact.mrr_cents)
        .join(Contact, Contact.id == Response.contact_id)
        .where(*_considered(survey, start, end, segment), Contact.mrr_cents.is_not(None))
        .order_by(Response.created_at, Response.id)
    ):
        latest[contact_id] = (response_id, int(mrr))
    if not latest:
        return ReasonMrr(available=False)
    tags_of: dict[int, list[str]] = {response_id: [] for response_id, _mrr in latest.values()}
    for response_id, tag in session.execute(
        _tagged(
            sa.select(Response.id, AnswerTag.tag).select_from(Response),
            _scope(survey, start, end, segment),
        )
        .join(Contact, Contact.id == Response.contact_id)
        .where(Contact.mrr_cents.is_not(None))
    ):
        if response_id in tags_of:
            tags_of[response_id].append(tag)
    total = sum(mrr for _response_id, mrr in latest.values())
    by_customer = {
        contact_id: (tags_of[response_id], mrr) for contact_id, (response_id, mrr) in latest.items()
    }
    return ReasonMrr(
        available=True,
        customers=len(latest),
        total_mrr_cents=total,
        rows=weigh_by_mrr(by_customer, total_mrr_cents=total),
    )


def reason_verbatims(
    survey_id: int,
    tag: str,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    segment: tuple[str, str] | None = None,
    search: str = "",
    page: int = 1,
    limit: int = VERBATIM_LIMIT,
) -> VerbatimList:
    """Page ``page`` (``limit`` a page) of the comments tagged ``tag`` in the scope, newest
    first, those containing ``search`` only (case and accents ignored), with their
    triggering words marked. Raises NotFound for an unknown survey.
    """
    survey = surveys.get_survey(survey_id)
    scope = _scope(survey, start, end, segment)
    search = " ".join(search.split())[:MAX_SEARCH_LENGTH]
    session = db.session()
    if survey.anonymous:
        people = session.scalar(
            _tagged(sa.select(_per_tag()).select_from(Response), scope).where(AnswerTag.tag == tag)
        )
        if is_withheld(people or 0, k=reporting.reporting_threshold(survey)):
            return VerbatimList(tag=tag, withheld=True, search=search)
    # The comments of the tag first, as a materialised CTE: left to itself, PostgreSQL
    # would fold the text of every answer of the table before looking at the tags.
    tagged = (
        _tagged(
            sa.select(
                Answer.id.label("answer_id"),
                Answer.text,
                AnswerTag.words,
                AnswerTag.confidence,
                AnswerTag.source,
                Response.score,
                Response.language,
                Response.created_at,
            ).select_from(Response),
            scope,
        )
        .where(AnswerTag.tag == tag)
        .cte("tagged")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    matching = sa.select().select_from(tagged)
    if search:
        matching = matching.where(
            db.folded(tagged.c.text).contains(db.fold_for_search(search), autoescape=True)
        )
    total = session.scalar(matching.add_columns(sa.func.count())) or 0
    page = max(1, min(page, max(1, math.ceil(total / limit))))
    listed = matching.add_columns(
        tagged.c.text,
        tagged.c.words,
        tagged.c.confidence,
        tagged.c.source,
        tagged.c.score,
        tagged.c.language,
        tagged.c.created_at,
        tagged.c.answer_id,
    )
    if survey.anonymous:
        # Ids follow submission order; ordering by text within a day hides it.
        listed = listed.order_by(tagged.c.created_at.desc(), tagged.c.text)
    else:
        listed = listed.order_by(tagged.c.created_at.desc(), tagged.c.answer_id.desc())
    items = [
        Verbatim(
            text=text,
            pieces=highlight(text, words or ()),
            score=score,
            language=language,
            created_at=None if survey.anonymous else created_at,
            confidence=float(confidence),
            source=source,
            answer_id=None if survey.anonymous else answer_id,
        )
        for text, words, confidence, source, score, language, created_at, answer_id in (
            session.execute(listed.limit(limit).offset((page - 1) * limit))
        )
    ]
    return VerbatimList(
        tag=tag, items=items, total=int(total), page=page, per_page=limit, search=search
    )


def emerging_terms(
    survey_id: int,
    *,
    start: dt.datetime,
    end: dt.datetime,
    recent_days: int = 30,
    segment: tuple[str, str] | None = None,
    limit: int = 20,
) -> EmergingTerms:
    """Phrases of the negative comments of the last ``recent_days`` days before ``end``
    that no tag covers, ranked by lift over the comments of [start, that window).

    A negative comment is a text answer with a negative sentiment, or one of the
    comments considered for tagging. Raises NotFound for an unknown survey and
    InvalidInput for a window not in ``EMERGING_WINDOWS``.
    """
    if recent_days not in EMERGING_WINDOWS:
        raise InvalidInput(_("Choose 7, 30 or 90 days."), "recent")
    # Pulls in the stemmers (nltk): only this page needs them.
    from surveyapp.text.terms import MIN_COUNT, Comment
    from surveyapp.text.terms import emerging_terms as rank_terms

    survey = surveys.get_survey(survey_id)
    k = reporting.reporting_threshold(survey)
    released_start, released_end = reporting.released_range(survey, start, end)
    start, end = released_start or start, released_end or end
    recent_start = max(start, end - dt.timedelta(days=recent_days))
    min_count = max(MIN_COUNT, k) if survey.anonymous else MIN_COUNT

    def comments(low: dt.datetime, high: dt.datetime) -> list[Comment]:
        if low >= high:
            return []
        tagged = sa.exists().where(AnswerTag.answer_id == Answer.id)
        query = (
            sa.select(Answer.text, Response.language, tagged)
            .join(Response, Response.id == Answer.response_id)
            .where(
                Response.survey_id == survey.id,
                Response.created_at >= low,
                Response.created_at < high,
                Answer.text.is_not(None),
                Answer.text != "",
                sa.or_(Answer.sentiment < 0, tagging.considered_condition(survey)),
            )
            .order_by(Response.created_at.desc(), Answer.id.desc())
            .limit(MAX_TERM_COMMENTS)
        )
        if segment is not None:
            query = query.where(reporting.segment_clause(*segment))
        return [
            Comment(text=text, language=language, tagged=bool(has_tag))
            for text, language, has_tag in db.session().execute(query)
        ]

    recent = comments(recent_start, end)
    baseline = comments(start, recent_start)
    found = EmergingTerms(
        recent_days=recent_days,
        recent_start=recent_start,
        recent=len(recent),
        baseline=len(baseline),
        min_count=min_count,
    )
    if survey.anonymous and is_withheld(len(recent), k=k):
        return replace(found, recent=0, baseline=0, withheld=True)
    return replace(
        found,
        terms=rank_terms(
            recent,
            baseline,
            min_count=min_count,
            limit=limit,
            keywords=[phrase for _code, _language, phrase in taxonomy.current().keywords],
        ),
    )


def reasons_csv(
    survey_id: int,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    segment: tuple[str, str] | None = None,
) -> str:
    """The reasons table as CSV: tag, reason, comments, share, 95 % bounds and, when
    customers have an MRR, customers and MRR (in the currency, not cents); every cell
    neutralised for spreadsheets. Empty rows when suppressed. Raises NotFound.
    """
    report = reason_shares(survey_id, start=start, end=end, segment=segment)
    weights = reason_mrr(survey_id, start=start, end=end, segment=segment)
    by_mrr = {row.reason: row for row in weights.rows}
    header = ["tag", "reason", "comments", "considered", "share", "low_95", "high_95"]
    if weights.available:
        header += ["customers", "mrr", "mrr_share"]
    name = reason_namer()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in report.rows:
        cells: list[Any] = [
            row.tag,
            name(row.tag),
            row.count,
            report.n,
            round(row.share, 6),
            round(row.low, 6),
            round(row.high, 6),
        ]
        if weights.available:
            weight = by_mrr.get(row.tag)
            cells += (
                [weight.customers, weight.mrr_cents / 100, round(weight.share, 6)]
                if weight
                else [0, 0, 0]
            )
        writer.writerow([exports.neutralise(cell) for cell in cells])
    return "\ufeff" + buffer.getvalue()


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
