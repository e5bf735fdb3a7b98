"""NPS formulas against values computed by hand (PRODUCT.md § Formulas)."""

from __future__ import annotations

import math

import pytest

from surveyapp.analytics import AnalyticsError
from surveyapp.analytics.nps import (
    MIN_RESPONSES_FOR_TREND,
    Buckets,
    NpsSummary,
    bucket,
    count_buckets,
    display_nps,
    nps,
    nps_margin_of_error,
)


def test_no_response_means_no_score_not_zero() -> None:
    summary = NpsSummary.from_histogram({})
    assert summary.n == 0
    assert summary.score is None
    assert summary.display_score is None
    assert summary.margin_of_error is None
    assert summary.share(0) is None
    assert nps(0, 0, 0) is None
    assert nps_margin_of_error(0, 0, 0) is None


def test_one_response() -> None:
    assert NpsSummary.from_histogram({9: 1}).score == 100.0
    assert NpsSummary.from_histogram({7: 1}).score == 0.0
    assert NpsSummary.from_histogram({0: 1}).score == -100.0
    # Everyone in one bucket: no spread, so no margin of error.
    assert NpsSummary.from_histogram({0: 1}).margin_of_error == 0.0


def test_all_promoters() -> None:
    summary = NpsSummary.from_histogram({9: 4, 10: 6})
    assert (summary.score, summary.margin_of_error, summary.display_score) == (100.0, 0.0, 100)


def test_all_detractors() -> None:
    summary = NpsSummary.from_histogram({score: 2 for score in range(7)})
    assert (summary.n, summary.detractors) == (14, 14)
    assert (summary.score, summary.margin_of_error, summary.display_score) == (-100.0, 0.0, -100)


def test_all_passives_score_zero_with_no_margin() -> None:
    summary = NpsSummary.from_histogram({7: 3, 8: 3})
    assert (summary.score, summary.margin_of_error) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ],
)
def test_bucket_edges(score: int, expected: str) -> None:
    assert bucket(score) == expected


def test_other_cut_offs_can_be_chosen() -> None:
    lenient = Buckets(promoter_min=8, passive_min=6)
    assert count_buckets({8: 1, 6: 1, 5: 1}, lenient) == (1, 1, 1)
    assert count_buckets({8: 1, 6: 1, 5: 1}) == (0, 1, 2)


@pytest.mark.parametrize(("promoter_min", "passive_min"), [(7, 8), (11, 7), (9, 0)])
def test_impossible_cut_offs_are_refused(promoter_min: int, passive_min: int) -> None:
    with pytest.raises(AnalyticsError):
        Buckets(promoter_min=promoter_min, passive_min=passive_min)


def test_mixed_example_computed_by_hand() -> None:
    # 50 promoters, 30 passives, 20 detractors, n = 100.
    # NPS = 100 × (50 − 20) / 100 = 30.
    # p = 0.5, d = 0.2, var = 0.5 + 0.2 − (0.5 − 0.2)² = 0.7 − 0.09 = 0.61.
    # moe = 100 × 1.96 × sqrt(0.61 / 100) = 196 × 0.0781025 = 15.308.
    summary = NpsSummary.from_histogram({10: 30, 9: 20, 8: 20, 7: 10, 6: 5, 3: 10, 0: 5})
    assert (summary.promoters, summary.passives, summary.detractors) == (50, 30, 20)
    assert summary.score == pytest.approx(30.0)
    assert summary.margin_of_error == pytest.approx(15.308, abs=0.001)
    assert summary.share(summary.passives) == 30.0
    assert not summary.too_few_for_trend


def test_product_example_margin() -> None:
    # PRODUCT.md's API example: 120 responses, 60/30/30 → NPS 25.0, moe 14.84.
    assert nps(60, 30, 30) == 25.0
    assert round(nps_margin_of_error(60, 30, 30) or 0, 2) == 14.84


def test_full_precision_is_kept() -> None:
    assert nps(2, 0, 1) == pytest.approx(100 / 3)
    assert not math.isclose(nps(2, 0, 1) or 0, 33.0)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(12.5, 13), (-12.5, -13), (11.5, 12), (0.4, 0), (-0.4, 0), (99.6, 100), (-33.3, -33)],
)
def test_display_rounds_halves_away_from_zero(value: float, shown: int) -> None:
    assert display_nps(value) == shown


def test_trend_threshold() -> None:
    assert MIN_RESPONSES_FOR_TREND == 30
    assert NpsSummary(10, 10, 9).too_few_for_trend
    assert not NpsSummary(10, 10, 10).too_few_for_trend


@pytest.mark.parametrize("histogram", [{11: 1}, {-1: 1}, {5: -1}])
def test_bad_input_raises(histogram: dict[int, int]) -> None:
    with pytest.raises(AnalyticsError):
        NpsSummary.from_histogram(histogram)


def test_negative_counts_raise() -> None:
    with pytest.raises(AnalyticsError):
        nps(1, -1, 0)
    with pytest.raises(AnalyticsError):
        NpsSummary(1, 0, -2)
