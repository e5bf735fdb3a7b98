"""The reporting threshold of each survey, and when an anonymous answer may first count.

PRODUCT.md § Anonymity. Every report of a survey (dashboards, charts,
comment lists, exports, webhooks, API answers) asks this module two things:

- ``reporting_k(survey)``: the survey's threshold k (its own setting, else
  the workspace's ``REPORTING_THRESHOLD``, default 5, never below 3), and
  ``withheld(survey, groups, ...)``: which groups about to be shown must be
  withheld, with complementary suppression across a shown total and across
  crossed or nested breakdowns (``analytics.suppression``).
- ``released(...)``: the days of an anonymous survey's answers as they may
  be reported. A threshold alone does not stop a reader from comparing the
  numbers just before and just after one person answered (12 responses and
  eNPS +25, then 13 and +31: the newcomer is a promoter), nor two date ranges
  that differ by one day. So anonymous answers are released in blocks: days
  that are over are gathered, in order, until they hold at least k answers,
  and the whole block becomes visible at once, dated on its last day;
  today's answers and an unfinished block wait. Any two reports then differ
  by whole blocks of at least k answers, per group (a team's blocks are its
  own). Rounding counts was rejected: a rounded count still moves with the
  score, and a score cannot be rounded enough to hide one answer among 12.

Webhooks ask ``sends_single_responses`` before sending anything about one
response; an anonymous survey's event carries no answer (``services.webhooks``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from flask import current_app
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.analytics import AnalyticsError
from surveyapp.analytics.suppression import (
    MIN_K,
    check_k,
    release_days,
    suppress_linked,
    withheld_groups,
)
from surveyapp.models import Survey
from surveyapp.services import audit
from surveyapp.services.errors import InvalidInput, NotFound
from surveyapp.services.rollups import DayCounts

__all__ = [
    "MIN_K",
    "release_window",
    "released",
    "reporting_k",
    "sends_single_responses",
    "set_reporting_threshold",
    "withheld",
]

K = TypeVar("K")


def reporting_k(survey: Survey | None = None) -> int:
    """The threshold k of ``survey`` (else of the workspace); raises AnalyticsError below 3."""
    if survey is not None and survey.reporting_threshold is not None:
        return check_k(survey.reporting_threshold)
    return check_k(int(current_app.config["REPORTING_THRESHOLD"]))


def withheld(
    survey: Survey,
    groups: Mapping[K, int],
    *,
    total: int | None = None,
    totals: Iterable[Collection[Any]] = (),
    rest: Mapping[Any, int] | None = None,
) -> set[K]:
    """The keys of ``groups`` ({group: responses}) that must not be shown for ``survey``.

    ``total`` is a shown sum of all the groups; ``totals`` lists other sets of
    groups whose sums are shown (a department over its teams, a period over
    its teams). ``rest`` names what a shown total holds beyond its groups
    (answers of groups still waiting for release, answers without a group):
    never shown, but derivable by subtraction, so treated as withheld; list
    its keys in ``totals`` with the groups they complete. Named
    (non-anonymous) surveys withhold nothing.
    """
    if not survey.anonymous:
        return set()
    k = reporting_k(survey)
    if not totals and not rest:
        return withheld_groups(groups, anonymous=True, k=k, total=total)
    unshown = {key: n for key, n in (rest or {}).items() if n > 0}
    every: dict[Any, int] = {**groups, **unshown}
    linked = [*totals, *([list(every)] if total is not None else [])]
    hidden = suppress_linked(every, k=k, totals=linked, unshown=list(unshown))
    return {key for key in groups if key in hidden}


def sends_single_responses(survey: Survey) -> bool:
    """True when one response may leave the app on its own (a webhook, an API item).

    Never for an anonymous survey: a single answer is a group of one.
    """
    return not survey.anonymous


def released(survey: Survey, days: Sequence[DayCounts]) -> list[DayCounts]:
    """An anonymous survey's days (``(value, day, n, histogram)``) as they may be reported.

    Each segment value's days are gathered into release blocks of at least k
    answers and re-dated on the block's last day; days of an unfinished block
    are left out. Give every day from the first answer to yesterday. Named
    surveys' days are returned as they are.
    """
    if not survey.anonymous:
        return list(days)
    k = reporting_k(survey)
    by_value: dict[str, dict[dt.date, int]] = {}
    for value, day, n, _histogram in days:
        counts = by_value.setdefault(value, {})
        counts[day] = counts.get(day, 0) + n
    schedules = {value: release_days(counts, k=k) for value, counts in by_value.items()}
    return [
        (value, schedules[value][day], n, histogram)
        for value, day, n, histogram in days
        if day in schedules[value]
    ]


def release_window(
    survey: Survey, days: Sequence[DayCounts], first: dt.date, end: dt.date
) -> tuple[dt.date, dt.date] | None:
    """The first and last answer days of the blocks released within ``[first, end)``.

    ``days`` as for ``released`` (one segment value). None when no block is
    released in the range. Lists that read single answers (comments, other
    questions) use this window, so they cover exactly the released blocks.
    """
    if not survey.anonymous:
        return (first, end - dt.timedelta(days=1)) if first < end else None
    counts: dict[dt.date, int] = {}
    for _value, day, n, _histogram in days:
        counts[day] = counts.get(day, 0) + n
    schedule = release_days(counts, k=reporting_k(survey))
    inside = [day for day, release in schedule.items() if first <= release < end]
    return (min(inside), max(inside)) if inside else None


def set_reporting_threshold(survey_id: int, k: int | None) -> Survey:
    """Set a survey's own threshold k (None: the workspace's). Raises NotFound, InvalidInput."""
    session = db.session()
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound(_("No such survey."))
    if k is not None:
        try:
            check_k(k)
        except AnalyticsError:
            raise InvalidInput(
                _(
                    "The reporting threshold is at least %(min)s: below that, colleagues "
                    "could tell each other's answers apart.",
                    min=MIN_K,
                ),
                "reporting_threshold",
            ) from None
    if survey.reporting_threshold != k:
        survey.reporting_threshold = k
        audit.record(None, "survey.threshold_changed", survey, {"k": k})
        session.commit()
    return survey
