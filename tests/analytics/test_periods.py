"""Period bucketing in a time zone: month, ISO week, year and DST boundaries."""

from __future__ import annotations

import datetime as dt
import doctest
import itertools
import zoneinfo

import pytest

from surveyapp.analytics import AnalyticsError, charts, periods
from surveyapp.analytics.periods import (
    day_bounds,
    local_day,
    offset_spans,
    period_bounds,
    period_start,
    period_starts,
)

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
KOLKATA = zoneinfo.ZoneInfo("Asia/Kolkata")


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.mark.parametrize("module", [periods, charts])
def test_doctests(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    ("moment", "tz", "day"),
    [
        # 23:30 UTC on 31 January is already 1 February in Paris (UTC+1).
        (utc(2026, 1, 31, 23, 30), PARIS, dt.date(2026, 2, 1)),
        (utc(2026, 1, 31, 22, 59), PARIS, dt.date(2026, 1, 31)),
        # New Year: 04:59 UTC is still 31 December in New York (UTC−5).
        (utc(2027, 1, 1, 4, 59), NEW_YORK, dt.date(2026, 12, 31)),
        (utc(2027, 1, 1, 5, 0), NEW_YORK, dt.date(2027, 1, 1)),
        # Half-hour zone: 18:30 UTC is midnight in Kolkata (UTC+5:30).
        (utc(2026, 6, 1, 18, 29), KOLKATA, dt.date(2026, 6, 1)),
        (utc(2026, 6, 1, 18, 30), KOLKATA, dt.date(2026, 6, 2)),
    ],
)
def test_local_day_at_month_and_year_edges(
    moment: dt.datetime, tz: dt.tzinfo, day: dt.date
) -> None:
    assert local_day(moment, tz) == day


def test_local_day_follows_daylight_saving_in_paris() -> None:
    # Before 29 March 2026 Paris is UTC+1, after it UTC+2: 22:30 UTC is the next day only after.
    assert local_day(utc(2026, 3, 27, 22, 30), PARIS) == dt.date(2026, 3, 27)
    assert local_day(utc(2026, 3, 30, 22, 30), PARIS) == dt.date(2026, 3, 31)
    # Back to UTC+1 on 25 October 2026.
    assert local_day(utc(2026, 10, 24, 22, 30), PARIS) == dt.date(2026, 10, 25)
    assert local_day(utc(2026, 10, 25, 22, 30), PARIS) == dt.date(2026, 10, 25)


def test_dst_days_last_23_and_25_hours() -> None:
    spring = day_bounds(dt.date(2026, 3, 29), PARIS)
    autumn = day_bounds(dt.date(2026, 10, 25), PARIS)
    assert spring[1] - spring[0] == dt.timedelta(hours=23)
    assert autumn[1] - autumn[0] == dt.timedelta(hours=25)
    assert autumn[0] == utc(2026, 10, 24, 22, 0)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(AnalyticsError):
        local_day(dt.datetime(2026, 1, 1), PARIS)


@pytest.mark.parametrize(
    ("day", "interval", "start"),
    [
        (dt.date(2026, 1, 1), "week", dt.date(2025, 12, 29)),  # ISO week 1 of 2026 starts in 2025
        (dt.date(2027, 1, 3), "week", dt.date(2026, 12, 28)),  # a Sunday: still week 53 of 2026
        (dt.date(2027, 1, 4), "week", dt.date(2027, 1, 4)),
        (dt.date(2026, 2, 28), "month", dt.date(2026, 2, 1)),
        (dt.date(2026, 3, 1), "month", dt.date(2026, 3, 1)),
        (dt.date(2026, 3, 31), "quarter", dt.date(2026, 1, 1)),
        (dt.date(2026, 4, 1), "quarter", dt.date(2026, 4, 1)),
        (dt.date(2026, 12, 31), "quarter", dt.date(2026, 10, 1)),
        (dt.date(2026, 12, 31), "day", dt.date(2026, 12, 31)),
    ],
)
def test_period_start(day: dt.date, interval: str, start: dt.date) -> None:
    assert period_start(day, interval) == start


def test_iso_weeks_across_new_year() -> None:
    starts = period_starts(dt.date(2026, 12, 24), dt.date(2027, 1, 12), "week")
    assert starts == [
        dt.date(2026, 12, 21),
        dt.date(2026, 12, 28),
        dt.date(2027, 1, 4),
        dt.date(2027, 1, 11),
    ]
    assert all(start.isocalendar().weekday == 1 for start in starts)


def test_quarters_across_a_year() -> None:
    starts = period_starts(dt.date(2025, 11, 1), dt.date(2026, 11, 1), "quarter")
    assert starts == [
        dt.date(2025, 10, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 4, 1),
        dt.date(2026, 7, 1),
        dt.date(2026, 10, 1),
    ]


def test_period_starts_from_datetimes_uses_the_zone() -> None:
    # 23:30 UTC on 31 March is 1 April in Paris: the April month is included, March too.
    starts = period_starts(utc(2026, 3, 31, 23, 30), utc(2026, 4, 2), "month", PARIS)
    assert starts == [dt.date(2026, 4, 1)]
    assert period_starts(dt.date(2026, 1, 2), dt.date(2026, 1, 1), "day") == []


def test_month_bounds_in_utc_follow_dst() -> None:
    start, end = period_bounds(dt.date(2026, 3, 1), "month", PARIS)
    assert start == utc(2026, 2, 28, 23, 0)
    assert end == utc(2026, 3, 31, 22, 0)


def test_unknown_interval() -> None:
    with pytest.raises(AnalyticsError):
        period_start(dt.date(2026, 1, 1), "fortnight")
    with pytest.raises(AnalyticsError):
        period_starts(dt.date(2026, 1, 1), dt.date(2026, 2, 1), "year")


def test_offset_spans_cover_the_range_with_transitions_to_the_second() -> None:
    spans = offset_spans(utc(2025, 1, 1), utc(2027, 1, 1), NEW_YORK)
    assert [span.minutes for span in spans] == [-300, -240, -300, -240, -300]
    assert spans[1].start == utc(2025, 3, 9, 7, 0)
    assert spans[0].start == utc(2025, 1, 1) and spans[-1].end == utc(2027, 1, 1)
    assert all(a.end == b.start for a, b in itertools.pairwise(spans))
    assert [span.minutes for span in offset_spans(utc(2026, 1, 1), utc(2026, 2, 1), KOLKATA)] == [
        330
    ]
