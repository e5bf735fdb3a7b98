"""CSAT, CES, means and distributions against values computed by hand."""

from __future__ import annotations

import pytest

from surveyapp.analytics import AnalyticsError
from surveyapp.analytics.csat import (
    CsatSummary,
    ces,
    csat,
    csat_margin_of_error,
    distribution,
    mean_score,
)


def test_no_answer_means_no_csat() -> None:
    summary = CsatSummary.from_histogram({})
    assert (summary.n, summary.score, summary.margin_of_error) == (0, None, None)
    assert csat({}) is None
    assert ces({}) is None
    assert mean_score({}, (1, 5)) is None


def test_csat_counts_four_and_five_as_satisfied() -> None:
    # 4 and 5 satisfied (3 + 2 = 5), 1–3 not (1 + 2 + 2 = 5): 50 %.
    histogram = {5: 2, 4: 3, 3: 2, 2: 2, 1: 1}
    assert csat(histogram) == 50.0
    summary = CsatSummary.from_histogram(histogram)
    assert (summary.n, summary.satisfied) == (10, 5)
    # 100 × 1.96 × sqrt(0.5 × 0.5 / 10) = 196 × 0.158114 = 30.99.
    assert summary.margin_of_error == pytest.approx(30.99, abs=0.01)


def test_one_answer_and_unanimous_answers_have_no_margin() -> None:
    assert CsatSummary.from_histogram({3: 1}).score == 0.0
    assert CsatSummary.from_histogram({5: 7}).margin_of_error == 0.0
    assert csat_margin_of_error(0, 7) == 0.0


def test_csat_margin_requires_a_possible_count() -> None:
    with pytest.raises(AnalyticsError):
        csat_margin_of_error(3, 2)
    with pytest.raises(AnalyticsError):
        CsatSummary(n=1, satisfied=2)


@pytest.mark.parametrize("histogram", [{0: 1}, {6: 1}, {4: -1}])
def test_csat_refuses_answers_off_the_scale(histogram: dict[int, int]) -> None:
    with pytest.raises(AnalyticsError):
        csat(histogram)


def test_ces_is_the_mean_of_one_to_seven() -> None:
    # (1 × 2 + 7 × 1 + 4 × 1) / 4 = 13 / 4.
    assert ces({1: 2, 7: 1, 4: 1}) == 3.25
    with pytest.raises(AnalyticsError):
        ces({8: 1})


def test_distribution_lists_every_point_with_zeros() -> None:
    rows = distribution({0: 1, 10: 3}, (0, 10))
    assert [row.score for row in rows] == list(range(11))
    assert (rows[0].count, rows[0].share) == (1, 25.0)
    assert (rows[5].count, rows[5].share) == (0, 0.0)
    assert (rows[10].count, rows[10].share) == (3, 75.0)


def test_empty_distribution_has_no_shares() -> None:
    assert [row.share for row in distribution({}, (1, 3))] == [None, None, None]
