"""The two-period NPS z test of PRODUCT.md, against values computed by hand."""

from __future__ import annotations

import math

import pytest

from surveyapp.analytics.nps import NpsSummary
from surveyapp.analytics.significance import nps_change_significance


def test_large_change_is_significant() -> None:
    # Before: 40/30/30 of 100 → NPS 10, var = 0.7 − 0.01 = 0.69, se = 100 × sqrt(0.0069) = 8.307.
    # After: 60/25/15 of 100 → NPS 45, var = 0.75 − 0.2025 = 0.5475, se = 7.399.
    # z = 35 / sqrt(8.307² + 7.399²) = 35 / 11.124 = 3.146.
    change = nps_change_significance(NpsSummary(40, 30, 30), NpsSummary(60, 25, 15))
    assert change is not None
    assert change.difference == pytest.approx(35.0)
    assert change.z == pytest.approx(3.146, abs=0.001)
    assert change.significant
    assert not change.too_few_responses


def test_small_change_is_not_significant() -> None:
    # NPS 10 → 15 with the same spread: z ≈ 5 / 11.6 ≈ 0.43.
    change = nps_change_significance(NpsSummary(40, 30, 30), NpsSummary(45, 25, 30))
    assert change is not None
    assert 0 < change.z < 1.96
    assert not change.significant


def test_a_drop_gives_a_negative_z() -> None:
    change = nps_change_significance(NpsSummary(60, 25, 15), NpsSummary(40, 30, 30))
    assert change is not None
    assert change.z == pytest.approx(-3.146, abs=0.001)
    assert change.significant


def test_too_few_responses_are_never_significant() -> None:
    # 29 responses in the first period: below MIN_RESPONSES_FOR_TREND.
    change = nps_change_significance(NpsSummary(0, 0, 29), NpsSummary(100, 0, 0))
    assert change is not None
    assert change.too_few_responses
    assert not change.significant


def test_empty_period_has_no_test() -> None:
    assert nps_change_significance(NpsSummary(0, 0, 0), NpsSummary(50, 0, 0)) is None
    assert nps_change_significance(NpsSummary(50, 0, 0), NpsSummary(0, 0, 0)) is None


def test_no_spread_in_either_period() -> None:
    same = nps_change_significance(NpsSummary(40, 0, 0), NpsSummary(40, 0, 0))
    assert same is not None
    assert (same.z, same.significant) == (0.0, False)
    opposite = nps_change_significance(NpsSummary(40, 0, 0), NpsSummary(0, 0, 40))
    assert opposite is not None
    assert opposite.z == -math.inf
    assert opposite.significant
