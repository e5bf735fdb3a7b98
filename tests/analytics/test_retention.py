"""Retention KPIs on hand-computed customer histories (no app, no database)."""

from __future__ import annotations

import datetime as dt
import doctest

import pytest

from surveyapp.analytics import AnalyticsError, retention
from surveyapp.analytics.retention import CustomerEvent, movement

JAN = dt.date(2026, 1, 1)
FEB = dt.date(2026, 2, 1)
MAR = dt.date(2026, 3, 1)
APR = dt.date(2026, 4, 1)


def test_doctests_run() -> None:
    result = doctest.testmod(retention, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 10
    assert result.failed == 0


def seed_example() -> list[CustomerEvent]:
    """100 customers before January; in January 10 cancel and 15 start: 105 at the end."""
    events = [CustomerEvent(n, "started", dt.date(2025, 6, 1), 10_000) for n in range(1, 101)]
    events += [CustomerEvent(n, "cancelled", dt.date(2026, 1, 5 + n), 10_000) for n in range(1, 11)]
    events += [CustomerEvent(200 + n, "started", dt.date(2026, 1, 2 + n), 5_000) for n in range(15)]
    return events


def test_the_seed_example_gives_90_percent_retention() -> None:
    moved = movement(seed_example(), JAN, FEB)
    assert (moved.customers_start, moved.customers_new, moved.customers_lost) == (100, 15, 10)
    assert moved.customers_end == 105
    rate = retention.retention_rate(moved.customers_start, moved.customers_end, moved.customers_new)
    assert rate == 90.0
    assert retention.churn_rate(100, 105, 15) == 10.0
    # MRR: 100 × 100.00 at the start; 90 × 100.00 + 15 × 50.00 at the end.
    assert (moved.mrr_start, moved.mrr_end) == (1_000_000, 975_000)
    assert (moved.mrr_churned, moved.mrr_new, moved.mrr_expansion) == (100_000, 75_000, 0)
    assert retention.revenue_churn(moved.mrr_start, moved.mrr_end, moved.mrr_new, 0) == 10.0
    assert retention.arpa(moved.mrr_end, moved.customers_end) == pytest.approx(9285.714, abs=1e-3)


def test_an_empty_period_has_no_rates_instead_of_dividing_by_zero() -> None:
    moved = movement([], JAN, FEB)
    assert moved == retention.Movement(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    assert retention.retention_rate(0, 0, 0) is None
    assert retention.churn_rate(0, 0, 0) is None
    assert retention.arpa(0, 0) is None
    assert retention.revenue_churn(0, 0, 0, 0) is None
    assert retention.expansion_rate(0, 0) is None
    assert retention.clv(None, 12, None) is None


def test_a_quiet_period_after_activity_keeps_everyone() -> None:
    events = [CustomerEvent(1, "started", dt.date(2025, 12, 3), 2_000)]
    moved = movement(events, JAN, FEB)
    assert (moved.customers_start, moved.customers_end, moved.customers_new) == (1, 1, 0)
    assert retention.retention_rate(1, 1, 0) == 100.0
    # No churn: no lifetime can be inferred, so no CLV.
    assert retention.average_lifetime_years(0.0, 12) is None


def test_a_customer_who_cancels_and_comes_back() -> None:
    events = [
        CustomerEvent(1, "started", dt.date(2025, 11, 1), 3_000),
        CustomerEvent(2, "started", dt.date(2025, 11, 1), 1_000),
        CustomerEvent(1, "cancelled", dt.date(2026, 1, 20), 3_000),
        CustomerEvent(1, "started", dt.date(2026, 3, 10), 4_000),
        # Customer 2 leaves and returns within February: never lost.
        CustomerEvent(2, "cancelled", dt.date(2026, 2, 3), 1_000),
        CustomerEvent(2, "started", dt.date(2026, 2, 17), 1_000),
    ]
    january = movement(events, JAN, FEB)
    assert (january.customers_start, january.customers_lost, january.customers_end) == (2, 1, 1)
    assert retention.retention_rate(2, 1, 0) == 50.0
    february = movement(events, FEB, MAR)
    assert (february.customers_start, february.customers_new, february.customers_lost) == (1, 0, 0)
    assert february.customers_end == 1
    march = movement(events, MAR, APR)
    # Customer 1 is back: new in March, at the new price.
    assert (march.customers_start, march.customers_new, march.customers_end) == (1, 1, 2)
    assert (march.mrr_start, march.mrr_new, march.mrr_end) == (1_000, 4_000, 5_000)
    assert retention.retention_rate(1, 2, 1) == 100.0


def test_mrr_changes_mid_period_split_into_expansion_and_contraction() -> None:
    events = [
        CustomerEvent(1, "started", dt.date(2025, 12, 1), 10_000),
        CustomerEvent(2, "started", dt.date(2025, 12, 1), 10_000),
        CustomerEvent(3, "started", dt.date(2025, 12, 1), 10_000),
        CustomerEvent(1, "mrr_changed", dt.date(2026, 1, 15), 15_000),
        CustomerEvent(2, "mrr_changed", dt.date(2026, 1, 10), 6_000),
        # Up then back down within the month: no net movement for customer 3.
        CustomerEvent(3, "mrr_changed", dt.date(2026, 1, 5), 20_000),
        CustomerEvent(3, "mrr_changed", dt.date(2026, 1, 25), 10_000),
    ]
    moved = movement(events, JAN, FEB)
    assert (moved.mrr_start, moved.mrr_end) == (30_000, 31_000)
    assert (moved.mrr_expansion, moved.mrr_contraction, moved.mrr_churned) == (5_000, 4_000, 0)
    assert (
        moved.mrr_end
        == moved.mrr_start
        - moved.mrr_churned
        - moved.mrr_contraction
        + moved.mrr_expansion
        + moved.mrr_new
    )
    # Revenue churn counts the 40.00 downgrade: 4,000 / 30,000.
    assert retention.revenue_churn(30_000, 31_000, 0, 5_000) == pytest.approx(13.333, abs=1e-3)
    assert retention.expansion_rate(30_000, 5_000) == pytest.approx(16.667, abs=1e-3)


def test_an_event_on_the_first_day_belongs_to_the_period() -> None:
    events = [
        CustomerEvent(1, "started", dt.date(2025, 12, 1), 100),
        CustomerEvent(1, "cancelled", FEB, 100),
        CustomerEvent(2, "started", JAN, 200),
    ]
    january = movement(events, JAN, FEB)
    assert (january.customers_start, january.customers_new, january.customers_end) == (1, 1, 2)
    february = movement(events, FEB, MAR)
    assert (february.customers_start, february.customers_lost) == (2, 1)


def test_clv_from_arpa_and_churn() -> None:
    # 100.00 a month, 5 % monthly churn: lifetime 20 months = 1.667 years, CLV 2,000.00.
    lifetime = retention.average_lifetime_years(5.0, 12)
    assert lifetime == pytest.approx(20 / 12)
    assert retention.clv(10_000, 12, lifetime) == pytest.approx(200_000)
    # Quarterly churn of 10 %: 2.5 years.
    assert retention.average_lifetime_years(10.0, 4) == pytest.approx(2.5)
    assert retention.mrr(1_000, 105) == 105_000


def test_wilson_interval_hand_computed() -> None:
    low, high = retention.wilson_interval(5, 20)  # type: ignore[misc]
    assert (round(low, 4), round(high, 4)) == (0.1119, 0.4687)
    low, high = retention.wilson_interval(0, 10)  # type: ignore[misc]
    assert low == 0.0 and round(high, 4) == 0.2775
    low, high = retention.wilson_interval(10, 10)  # type: ignore[misc]
    assert round(low, 4) == 0.7225 and high == pytest.approx(1.0)
    assert retention.wilson_interval(0, 0) is None


@pytest.mark.parametrize(
    "call",
    [
        lambda: retention.retention_rate(-1, 0, 0),
        lambda: retention.retention_rate(10, 2, 5),
        lambda: retention.retention_rate(1, 5, 0),
        lambda: retention.wilson_interval(3, 2),
        lambda: retention.revenue_churn(-5, 0, 0, 0),
        lambda: retention.arpa(-1, 2),
        lambda: movement([CustomerEvent(1, "paused", JAN, 0)], JAN, FEB),
        lambda: movement([CustomerEvent(1, "started", JAN, -1)], JAN, FEB),
        lambda: movement([], FEB, JAN),
    ],
)
def test_impossible_input_raises(call: object) -> None:
    with pytest.raises(AnalyticsError):
        call()  # type: ignore[operator]
