"""Property tests (hypothesis) of the formulas of PRODUCT.md § Formulas."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from surveyapp.analytics.csat import csat, csat_margin_of_error, mean_score
from surveyapp.analytics.nps import (
    NpsSummary,
    count_buckets,
    display_nps,
    nps,
    nps_margin_of_error,
)
from surveyapp.analytics.significance import nps_change_significance

counts = st.integers(min_value=0, max_value=100_000)
nps_histograms = st.dictionaries(st.integers(0, 10), st.integers(1, 5000), max_size=11)
csat_histograms = st.dictionaries(st.integers(1, 5), st.integers(1, 5000), max_size=5)
FAST = settings(max_examples=200, deadline=None, derandomize=True)


@FAST
@given(counts, counts, counts)
def test_nps_lies_in_range_and_has_a_nonnegative_margin(p: int, s: int, d: int) -> None:
    score = nps(p, s, d)
    moe = nps_margin_of_error(p, s, d)
    if p + s + d == 0:
        assert score is None and moe is None
        return
    assert score is not None and moe is not None
    assert -100 <= score <= 100
    assert moe >= 0
    # The margin of error of a share never exceeds that of the widest possible spread.
    assert moe <= 100 * 1.96 * math.sqrt(1 / (p + s + d)) + 1e-9


@FAST
@given(counts, counts, counts)
def test_swapping_promoters_and_detractors_flips_the_sign_only(p: int, s: int, d: int) -> None:
    assert nps(p, s, d) == (None if p + s + d == 0 else -nps(d, s, p))  # type: ignore[operator]
    assert nps_margin_of_error(p, s, d) == nps_margin_of_error(d, s, p)


@FAST
@given(counts, counts, counts, st.integers(1, 50))
def test_nps_depends_only_on_proportions(p: int, s: int, d: int, factor: int) -> None:
    if p + s + d == 0:
        return
    assert math.isclose(nps(p, s, d), nps(p * factor, s * factor, d * factor))  # type: ignore[arg-type]


@FAST
@given(nps_histograms)
def test_buckets_partition_the_answers(histogram: dict[int, int]) -> None:
    summary = NpsSummary.from_histogram(histogram)
    assert summary.n == sum(histogram.values())
    assert count_buckets(histogram) == (summary.promoters, summary.passives, summary.detractors)
    shown = display_nps(summary.score)
    if summary.score is not None:
        assert shown is not None and abs(shown - summary.score) <= 0.5


@FAST
@given(nps_histograms, nps_histograms)
def test_significance_is_antisymmetric(first: dict[int, int], second: dict[int, int]) -> None:
    before, after = NpsSummary.from_histogram(first), NpsSummary.from_histogram(second)
    forward = nps_change_significance(before, after)
    backward = nps_change_significance(after, before)
    if forward is None:
        assert backward is None
        return
    assert backward is not None
    assert math.isclose(forward.difference, -backward.difference, abs_tol=1e-9)
    assert forward.significant == backward.significant
    if math.isfinite(forward.z):
        assert math.isclose(forward.z, -backward.z, abs_tol=1e-9)


@FAST
@given(csat_histograms)
def test_csat_and_mean_stay_on_their_scales(histogram: dict[int, int]) -> None:
    value = csat(histogram)
    mean = mean_score(histogram, (1, 5))
    if not histogram:
        assert value is None and mean is None
        return
    assert value is not None and 0 <= value <= 100
    assert mean is not None and 1 <= mean <= 5


@FAST
@given(st.integers(0, 100_000), st.integers(0, 100_000))
def test_csat_margin_is_symmetric_in_satisfied_and_not(a: int, b: int) -> None:
    n = a + b
    moe = csat_margin_of_error(a, n)
    if n == 0:
        assert moe is None
        return
    assert moe is not None and 0 <= moe <= 100 * 1.96 * 0.5 / math.sqrt(n) + 1e-9
    assert math.isclose(moe, csat_margin_of_error(b, n), abs_tol=1e-9)  # type: ignore[arg-type]
