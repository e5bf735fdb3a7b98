"""Net Promoter Score (NPS and eNPS), as defined in PRODUCT.md § Formulas.

Promoters answer 9–10, passives 7–8, detractors 0–6 on the 0–10 scale::

    NPS = 100 × (promoters − detractors) / n

kept at full precision (the API returns it so) and rounded to an integer from
−100 to +100 for display. The 95 % margin of error, with ``p = promoters / n``
and ``d = detractors / n``::

    var = p + d − (p − d)²        moe = 100 × 1.96 × sqrt(var / n)

With no response there is no score: the functions return None, never 0,
because an NPS of 0 is a real (and common) result.

>>> summary = NpsSummary.from_histogram({10: 3, 9: 1, 8: 1, 3: 2})
>>> summary.n, summary.promoters, summary.passives, summary.detractors
(7, 4, 1, 2)
>>> summary.display_score
29
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from surveyapp.analytics import Z_95, AnalyticsError

__all__ = [
    "MIN_RESPONSES_FOR_TREND",
    "NPS_SCALE",
    "STANDARD_BUCKETS",
    "Buckets",
    "NpsSummary",
    "bucket",
    "count_buckets",
    "display_nps",
    "nps",
    "nps_margin_of_error",
    "nps_standard_error",
]

# The 0–10 scale of an NPS question, inclusive.
NPS_SCALE = (0, 10)

# Below this many responses a score is shown with "too few responses" instead of a trend.
MIN_RESPONSES_FOR_TREND = 30

# The two-sided 95 % quantile of the normal distribution.


@dataclass(frozen=True)
class Buckets:
    """Where promoters and passives start on the 0–10 scale; everything below is a detractor.

    The standard buckets (9–10, 7–8, 0–6) are the default; some articles use
    others (promoters ≥ 8), which is why they can be changed.

    >>> Buckets(promoter_min=8, passive_min=6).classify(8)
    'promoter'
    >>> Buckets(promoter_min=7, passive_min=8)
    Traceback (most recent call last):
    ...
    surveyapp.analytics.AnalyticsError: need 0 < passive_min <= promoter_min <= 10, got 8 and 7
    """

    promoter_min: int = 9
    passive_min: int = 7

    def __post_init__(self) -> None:
        if not 0 < self.passive_min <= self.promoter_min <= NPS_SCALE[1]:
            raise AnalyticsError(
                "need 0 < passive_min <= promoter_min <= 10, "
                f"got {self.passive_min} and {self.promoter_min}"
            )

    def classify(self, score: int) -> str:
        """``"promoter"``, ``"passive"`` or ``"detractor"``; raises AnalyticsError off 0–10."""
        _check_score(score)
        if score >= self.promoter_min:
            return "promoter"
        if score >= self.passive_min:
            return "passive"
        return "detractor"


STANDARD_BUCKETS = Buckets()


def bucket(score: int, buckets: Buckets = STANDARD_BUCKETS) -> str:
    """The bucket of one 0–10 answer; raises AnalyticsError off the scale.

    >>> [bucket(s) for s in (6, 7, 8, 9)]
    ['detractor', 'passive', 'passive', 'promoter']
    """
    return buckets.classify(score)


def count_buckets(
    histogram: Mapping[int, int], buckets: Buckets = STANDARD_BUCKETS
) -> tuple[int, int, int]:
    """``(promoters, passives, detractors)`` from a histogram ``{score: count}``.

    Raises AnalyticsError for a score off 0–10 or a negative count.

    >>> count_buckets({10: 5, 7: 2, 0: 1})
    (5, 2, 1)
    >>> count_buckets({})
    (0, 0, 0)
    """
    counts = {"promoter": 0, "passive": 0, "detractor": 0}
    for score, count in histogram.items():
        _check_count(count)
        counts[buckets.classify(score)] += count
    return counts["promoter"], counts["passive"], counts["detractor"]


def nps(promoters: int, passives: int, detractors: int) -> float | None:
    """The NPS at full precision, from −100 to +100; None when there is no response.

    Raises AnalyticsError for a negative count.

    >>> nps(3, 1, 1)
    40.0
    >>> nps(1, 0, 2)
    -33.333333333333336
    >>> nps(0, 0, 0) is None
    True
    """
    n = _total(promoters, passives, detractors)
    if n == 0:
        return None
    return 100 * (promoters - detractors) / n


def display_nps(value: float | None) -> int | None:
    """A score rounded for display, halves away from zero (12.5 → 13, −12.5 → −13).

    Python's ``round`` would send both 12.5 and 11.5 to 12; people expect the
    school rule, and the same rule on both sides of zero.

    >>> display_nps(12.5), display_nps(-12.5), display_nps(33.3), display_nps(None)
    (13, -13, 33, None)
    """
    if value is None:
        return None
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def nps_standard_error(promoters: int, passives: int, detractors: int) -> float | None:
    """The standard error of the NPS, in NPS points; None when there is no response.

    Raises AnalyticsError for a negative count.

    >>> nps_standard_error(1, 0, 1)
    70.71067811865476
    """
    n = _total(promoters, passives, detractors)
    if n == 0:
        return None
    p = promoters / n
    d = detractors / n
    # Rounding can leave a tiny negative variance when everyone is in one bucket.
    variance = max(p + d - (p - d) ** 2, 0.0)
    return 100 * math.sqrt(variance / n)


def nps_margin_of_error(promoters: int, passives: int, detractors: int) -> float | None:
    """The 95 % margin of error of the NPS, in points; None when there is no response.

    Raises AnalyticsError for a negative count.

    >>> round(nps_margin_of_error(60, 30, 30), 2)
    14.84
    >>> nps_margin_of_error(10, 0, 0)
    0.0
    """
    error = nps_standard_error(promoters, passives, detractors)
    return None if error is None else Z_95 * error


@dataclass(frozen=True)
class NpsSummary:
    """The NPS of a set of responses with its bucket counts and margin of error.

    ``score`` and ``margin_of_error`` are None when ``n`` is 0.
    """

    promoters: int
    passives: int
    detractors: int

    def __post_init__(self) -> None:
        _total(self.promoters, self.passives, self.detractors)

    @classmethod
    def from_histogram(
        cls, histogram: Mapping[int, int], buckets: Buckets = STANDARD_BUCKETS
    ) -> NpsSummary:
        """Summarise a histogram ``{score: count}`` of 0–10 answers; raises AnalyticsError.

        >>> NpsSummary.from_histogram({}).score is None
        True
        """
        return cls(*count_buckets(histogram, buckets))

    @property
    def n(self) -> int:
        """The number of responses."""
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float | None:
        """The NPS at full precision, or None without responses."""
        return nps(self.promoters, self.passives, self.detractors)

    @property
    def display_score(self) -> int | None:
        """The NPS rounded for display, or None without responses."""
        return display_nps(self.score)

    @property
    def margin_of_error(self) -> float | None:
        """The 95 % margin of error in NPS points, or None without responses."""
        return nps_margin_of_error(self.promoters, self.passives, self.detractors)

    @property
    def standard_error(self) -> float | None:
        """The standard error in NPS points, or None without responses."""
        return nps_standard_error(self.promoters, self.passives, self.detractors)

    @property
    def too_few_for_trend(self) -> bool:
        """True below MIN_RESPONSES_FOR_TREND responses.

        >>> NpsSummary(20, 5, 4).too_few_for_trend, NpsSummary(20, 5, 5).too_few_for_trend
        (True, False)
        """
        return self.n < MIN_RESPONSES_FOR_TREND

    def share(self, count: int) -> float | None:
        """``count`` as a percentage of ``n``, or None without responses.

        >>> summary = NpsSummary(3, 1, 1)
        >>> summary.share(summary.promoters)
        60.0
        """
        return None if self.n == 0 else 100 * count / self.n


def _check_score(score: int) -> None:
    if not NPS_SCALE[0] <= score <= NPS_SCALE[1]:
        raise AnalyticsError(f"an NPS answer is from 0 to 10, got {score!r}")


def _check_count(count: int) -> None:
    if count < 0:
        raise AnalyticsError(f"a count cannot be negative, got {count!r}")


def _total(*counts: int) -> int:
    for count in counts:
        _check_count(count)
    return sum(counts)
