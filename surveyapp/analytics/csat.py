"""Satisfaction metrics (PRODUCT.md § Formulas): CSAT %, CES, rating means, distributions.

- **CSAT %** = ``100 × (answers 4 or 5) / n`` on the 1–5 scale, with the
  binomial 95 % margin of error ``100 × 1.96 × sqrt(p (1 − p) / n)``.
- **CES** = the mean of the 1–7 answers.

Every function takes a histogram ``{score: count}`` as ``services.reporting``
returns it, and returns None when there is no answer (never 0).

>>> summary = CsatSummary.from_histogram({5: 6, 4: 2, 3: 1, 1: 1})
>>> summary.n, summary.satisfied, summary.score
(10, 8, 80.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from surveyapp.analytics import Z_95, AnalyticsError

__all__ = [
    "CES_SCALE",
    "CSAT_SATISFIED_MIN",
    "CSAT_SCALE",
    "CsatSummary",
    "DistributionRow",
    "ces",
    "csat",
    "csat_margin_of_error",
    "distribution",
    "mean_margin_of_error",
    "mean_score",
    "mean_standard_error",
]

CSAT_SCALE = (1, 5)
CES_SCALE = (1, 7)
# Answers from this one up count as satisfied.
CSAT_SATISFIED_MIN = 4


def csat(histogram: Mapping[int, int]) -> float | None:
    """CSAT % of 1–5 answers; None without answers. Raises AnalyticsError off the scale.

    >>> csat({5: 1, 4: 1, 2: 2})
    50.0
    >>> csat({}) is None
    True
    """
    satisfied, n = _satisfied(histogram)
    return None if n == 0 else 100 * satisfied / n


def csat_margin_of_error(satisfied: int, n: int) -> float | None:
    """The binomial 95 % margin of error of a CSAT %, in points; None when ``n`` is 0.

    Raises AnalyticsError unless ``0 <= satisfied <= n``.

    >>> round(csat_margin_of_error(80, 100), 2)
    7.84
    >>> csat_margin_of_error(5, 5)
    0.0
    """
    if not 0 <= satisfied <= n:
        raise AnalyticsError(f"need 0 <= satisfied <= n, got {satisfied} and {n}")
    if n == 0:
        return None
    p = satisfied / n
    return 100 * Z_95 * math.sqrt(p * (1 - p) / n)


def mean_score(histogram: Mapping[int, int], scale: tuple[int, int]) -> float | None:
    """The mean of the answers on ``scale`` (inclusive); None without answers.

    Raises AnalyticsError for an answer off the scale or a negative count.

    >>> mean_score({1: 1, 5: 3}, (1, 5))
    4.0
    """
    n = 0
    total = 0
    for score, count in _checked(histogram, scale):
        n += count
        total += score * count
    return None if n == 0 else total / n


def mean_standard_error(histogram: Mapping[int, int], scale: tuple[int, int]) -> float | None:
    """The standard error of the mean of the answers (sample deviation / sqrt n); None if n < 2.

    Raises AnalyticsError for an answer off the scale or a negative count.

    >>> round(mean_standard_error({1: 2, 3: 2}, (1, 5)), 4)
    0.5774
    >>> mean_standard_error({4: 1}, (1, 5)) is None
    True
    """
    pairs = _checked(histogram, scale)
    n = sum(count for _, count in pairs)
    if n < 2:
        return None
    mean = sum(score * count for score, count in pairs) / n
    squares = sum(count * (score - mean) ** 2 for score, count in pairs)
    return math.sqrt(squares / (n - 1) / n)


def mean_margin_of_error(histogram: Mapping[int, int], scale: tuple[int, int]) -> float | None:
    """The 95 % margin of error of the mean (1.96 standard errors); None if n < 2.

    Raises AnalyticsError for an answer off the scale or a negative count.

    >>> round(mean_margin_of_error({1: 2, 3: 2}, (1, 5)), 3)
    1.132
    """
    error = mean_standard_error(histogram, scale)
    return None if error is None else Z_95 * error


def ces(histogram: Mapping[int, int]) -> float | None:
    """The Customer Effort Score: the mean of 1–7 answers; None without answers.

    Raises AnalyticsError for an answer off 1–7.

    >>> ces({2: 1, 3: 1})
    2.5
    """
    return mean_score(histogram, CES_SCALE)


@dataclass(frozen=True)
class DistributionRow:
    """One point of a scale: how many answered it and their share in percent (None if n = 0)."""

    score: int
    count: int
    share: float | None


def distribution(histogram: Mapping[int, int], scale: tuple[int, int]) -> list[DistributionRow]:
    """Every point of ``scale`` in order with its count and share, zeros included.

    Raises AnalyticsError for an answer off the scale or a negative count.

    >>> [(row.score, row.count, row.share) for row in distribution({2: 1, 3: 3}, (1, 3))]
    [(1, 0, 0.0), (2, 1, 25.0), (3, 3, 75.0)]
    """
    counts = dict(_checked(histogram, scale))
    n = sum(counts.values())
    low, high = scale
    return [
        DistributionRow(
            score=score,
            count=counts.get(score, 0),
            share=None if n == 0 else 100 * counts.get(score, 0) / n,
        )
        for score in range(low, high + 1)
    ]


@dataclass(frozen=True)
class CsatSummary:
    """CSAT of a set of 1–5 answers: how many, how many satisfied, the % and its margin."""

    n: int
    satisfied: int

    def __post_init__(self) -> None:
        if not 0 <= self.satisfied <= self.n:
            raise AnalyticsError(f"need 0 <= satisfied <= n, got {self.satisfied} and {self.n}")

    @classmethod
    def from_histogram(cls, histogram: Mapping[int, int]) -> CsatSummary:
        """Summarise a histogram ``{score: count}`` of 1–5 answers; raises AnalyticsError."""
        satisfied, n = _satisfied(histogram)
        return cls(n=n, satisfied=satisfied)

    @property
    def score(self) -> float | None:
        """CSAT % at full precision, or None without answers."""
        return None if self.n == 0 else 100 * self.satisfied / self.n

    @property
    def margin_of_error(self) -> float | None:
        """The binomial 95 % margin of error in points, or None without answers."""
        return csat_margin_of_error(self.satisfied, self.n)


def _satisfied(histogram: Mapping[int, int]) -> tuple[int, int]:
    satisfied = 0
    n = 0
    for score, count in _checked(histogram, CSAT_SCALE):
        n += count
        if score >= CSAT_SATISFIED_MIN:
            satisfied += count
    return satisfied, n


def _checked(histogram: Mapping[int, int], scale: tuple[int, int]) -> list[tuple[int, int]]:
    low, high = scale
    for score, count in histogram.items():
        if not low <= score <= high:
            raise AnalyticsError(f"an answer on the {low}–{high} scale, got {score!r}")
        if count < 0:
            raise AnalyticsError(f"a count cannot be negative, got {count!r}")
    return list(histogram.items())
