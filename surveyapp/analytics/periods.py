"""Reporting periods in the workspace time zone: days, ISO weeks, months and quarters.

A response belongs to the *local* day of its UTC timestamp in the workspace
time zone (``zoneinfo``), and a period is a run of whole local days, so every
bucket follows daylight-saving changes: a local day lasts 23, 24 or 25 hours
and its bounds in UTC come from the zone's rules, never from a fixed offset.

Periods are named by their first local day (``period_start``); date ranges
are ``start`` inclusive and ``end`` exclusive.

>>> paris = zoneinfo.ZoneInfo("Europe/Paris")
>>> local_day(dt.datetime(2026, 3, 28, 23, 30, tzinfo=dt.UTC), paris)
datetime.date(2026, 3, 29)
>>> period_start(dt.date(2026, 1, 1), "week")
datetime.date(2025, 12, 29)
>>> [d.isoformat() for d in period_starts(dt.date(2026, 1, 15), dt.date(2026, 4, 2), "month")]
['2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01']
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

from surveyapp.analytics import AnalyticsError

__all__ = [
    "INTERVALS",
    "OffsetSpan",
    "day_bounds",
    "local_day",
    "next_period_start",
    "offset_spans",
    "period_bounds",
    "period_start",
    "period_starts",
    "time_zone",
]

INTERVALS = ("day", "week", "month", "quarter")

_ONE_DAY = dt.timedelta(days=1)


def time_zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone named ``name`` (an IANA name such as "Europe/Paris"); raises AnalyticsError.

    >>> time_zone("Mars/Olympus")
    Traceback (most recent call last):
    ...
    surveyapp.analytics.AnalyticsError: unknown time zone 'Mars/Olympus'
    """
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise AnalyticsError(f"unknown time zone {name!r}") from None


def _check_interval(interval: str) -> None:
    if interval not in INTERVALS:
        raise AnalyticsError(f"unknown interval {interval!r}: use one of {', '.join(INTERVALS)}")


def local_day(moment: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """The calendar day of an aware ``moment`` in ``tz``; raises AnalyticsError when naive.

    >>> ny = zoneinfo.ZoneInfo("America/New_York")
    >>> local_day(dt.datetime(2026, 1, 1, 3, 0, tzinfo=dt.UTC), ny)
    datetime.date(2025, 12, 31)
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise AnalyticsError("a naive datetime has no day in a time zone")
    return moment.astimezone(tz).date()


def period_start(day: dt.date, interval: str) -> dt.date:
    """The first day of the ``interval`` containing ``day`` (ISO weeks start on Monday).

    Raises AnalyticsError for an unknown interval.

    >>> period_start(dt.date(2026, 8, 19), "quarter")
    datetime.date(2026, 7, 1)
    """
    _check_interval(interval)
    if interval == "day":
        return day
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def next_period_start(start: dt.date, interval: str) -> dt.date:
    """The first day of the period after the one starting on ``start``; raises AnalyticsError.

    >>> next_period_start(dt.date(2026, 12, 1), "month")
    datetime.date(2027, 1, 1)
    >>> next_period_start(dt.date(2026, 10, 1), "quarter")
    datetime.date(2027, 1, 1)
    """
    start = period_start(start, interval)
    if interval == "day":
        return start + _ONE_DAY
    if interval == "week":
        return start + dt.timedelta(days=7)
    months = 1 if interval == "month" else 3
    month_index = start.year * 12 + start.month - 1 + months
    return dt.date(month_index // 12, month_index % 12 + 1, 1)


def period_starts(
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    interval: str,
    tz: dt.tzinfo = dt.UTC,
) -> list[dt.date]:
    """The first days of every ``interval`` that overlaps ``[start, end)``, in order.

    Aware datetimes are first turned into local days in ``tz`` (an ``end`` at
    local midnight excludes that day). Raises AnalyticsError for an unknown
    interval or a naive datetime; an empty or reversed range gives [].

    >>> period_starts(dt.date(2026, 12, 28), dt.date(2027, 1, 5), "week")
    [datetime.date(2026, 12, 28), datetime.date(2027, 1, 4)]
    >>> period_starts(dt.date(2026, 1, 2), dt.date(2026, 1, 2), "day")
    []
    """
    _check_interval(interval)
    first = _as_day(start, tz, end=False)
    stop = _as_day(end, tz, end=True)
    starts: list[dt.date] = []
    current = period_start(first, interval)
    while current < stop:
        starts.append(current)
        current = next_period_start(current, interval)
    return starts


def _as_day(value: dt.date | dt.datetime, tz: dt.tzinfo, *, end: bool) -> dt.date:
    if not isinstance(value, dt.datetime):
        return value
    day = local_day(value, tz)
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    # An exclusive end after local midnight still covers part of its day.
    if end and value.astimezone(tz) > midnight:
        return day + _ONE_DAY
    return day


def day_bounds(day: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where local ``day`` starts and the next one starts.

    >>> paris = zoneinfo.ZoneInfo("Europe/Paris")
    >>> start, end = day_bounds(dt.date(2026, 3, 29), paris)
    >>> start.isoformat(), (end - start).total_seconds() / 3600
    ('2026-03-28T23:00:00+00:00', 23.0)
    """
    return _midnight_utc(day, tz), _midnight_utc(day + _ONE_DAY, tz)


def period_bounds(start: dt.date, interval: str, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where the period starting on ``start`` begins and ends.

    Raises AnalyticsError for an unknown interval.

    >>> london = zoneinfo.ZoneInfo("Europe/London")
    >>> [b.isoformat() for b in period_bounds(dt.date(2026, 7, 1), "month", london)]
    ['2026-06-30T23:00:00+00:00', '2026-07-31T23:00:00+00:00']
    """
    first = period_start(start, interval)
    return _midnight_utc(first, tz), _midnight_utc(next_period_start(first, interval), tz)


def _midnight_utc(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    # A midnight skipped by a DST jump resolves (fold=0) to the instant the day really starts.
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)


@dataclass(frozen=True)
class OffsetSpan:
    """From ``start`` (UTC, inclusive) to ``end`` (exclusive) the zone is ``minutes`` ahead."""

    start: dt.datetime
    end: dt.datetime
    minutes: int


def offset_spans(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> list[OffsetSpan]:
    """Split ``[start, end)`` (aware) where the UTC offset of ``tz`` changes.

    SQL can then compute local days with one fixed offset per span, which
    SQLite (no time-zone database) and PostgreSQL do alike. Transitions are
    found to the second. Raises AnalyticsError for a naive bound.

    >>> paris = zoneinfo.ZoneInfo("Europe/Paris")
    >>> spans = offset_spans(
    ...     dt.datetime(2026, 3, 1, tzinfo=dt.UTC), dt.datetime(2026, 4, 1, tzinfo=dt.UTC), paris
    ... )
    >>> [(s.start.isoformat(), s.minutes) for s in spans]
    [('2026-03-01T00:00:00+00:00', 60), ('2026-03-29T01:00:00+00:00', 120)]
    """
    for bound in (start, end):
        if bound.tzinfo is None:
            raise AnalyticsError("offset spans need aware datetimes")
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    spans: list[OffsetSpan] = []
    span_start = start
    offset = _offset_minutes(start, tz)
    for change in _transitions(start, end, tz):
        spans.append(OffsetSpan(span_start, change, offset))
        span_start, offset = change, _offset_minutes(change, tz)
    if span_start < end or not spans:
        spans.append(OffsetSpan(span_start, end, offset))
    return spans


def _offset_minutes(moment: dt.datetime, tz: dt.tzinfo) -> int:
    offset = moment.astimezone(tz).utcoffset() or dt.timedelta(0)
    return round(offset.total_seconds() / 60)


def _transitions(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> Iterator[dt.datetime]:
    """The UTC instants in ``(start, end)`` where the offset of ``tz`` changes."""
    # Zones change offset at most a few times a year, never twice within six hours.
    step = dt.timedelta(hours=6)
    low = start
    while low < end:
        high = min(low + step, end)
        if _offset_minutes(low, tz) != _offset_minutes(high, tz):
            lo, hi = low, high
            while hi - lo > dt.timedelta(seconds=1):
                middle = lo + (hi - lo) / 2
                if _offset_minutes(middle, tz) == _offset_minutes(lo, tz):
                    lo = middle
                else:
                    hi = middle
            yield hi.replace(microsecond=0)
        low = high
