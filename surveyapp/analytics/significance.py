"""Is the change of NPS between two periods real? (PRODUCT.md § Formulas, period change)

A two-sample z test on the two scores, each with its standard error
``se = 100 × sqrt(var / n)`` (see ``analytics.nps``)::

    z = (nps2 − nps1) / sqrt(se1² + se2²)

The change is significant at 95 % when ``|z| ≥ 1.96``. Below
MIN_RESPONSES_FOR_TREND responses in either period the normal approximation
behind the test does not hold, so such a change is never called significant.

>>> before = NpsSummary(promoters=40, passives=30, detractors=30)
>>> after = NpsSummary(promoters=60, passives=25, detractors=15)
>>> change = nps_change_significance(before, after)
>>> round(change.difference, 1), round(change.z, 2), change.significant
(35.0, 3.15, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from surveyapp.analytics import Z_95
from surveyapp.analytics.nps import MIN_RESPONSES_FOR_TREND, NpsSummary

__all__ = [
    "MIN_RESPONSES_FOR_TREND",
    "Change",
    "NpsChange",
    "change_significance",
    "nps_change_significance",
]


@dataclass(frozen=True)
class NpsChange:
    """The change from one period's NPS to the next and whether it is significant at 95 %.

    ``z`` is infinite when both periods have no spread at all (everyone in one
    bucket) and their scores differ; ``too_few_responses`` is True when either
    period has fewer than MIN_RESPONSES_FOR_TREND responses.
    """

    difference: float
    z: float
    significant: bool
    too_few_responses: bool


def nps_change_significance(before: NpsSummary, after: NpsSummary) -> NpsChange | None:
    """Test the change from ``before`` to ``after``; None when either period has no response.

    >>> nps_change_significance(NpsSummary(1, 0, 0), NpsSummary(0, 0, 0)) is None
    True
    >>> small = nps_change_significance(NpsSummary(5, 0, 0), NpsSummary(0, 0, 5))
    >>> small.z, small.significant, small.too_few_responses
    (-inf, False, True)
    """
    score_before, score_after = before.score, after.score
    error_before, error_after = before.standard_error, after.standard_error
    if score_before is None or score_after is None or error_before is None or error_after is None:
        return None
    difference = score_after - score_before
    spread = math.hypot(error_before, error_after)
    if spread == 0:
        z = 0.0 if difference == 0 else math.copysign(math.inf, difference)
    else:
        z = difference / spread
    too_few = min(before.n, after.n) < MIN_RESPONSES_FOR_TREND
    return NpsChange(
        difference=difference,
        z=z,
        significant=not too_few and abs(z) >= Z_95,
        too_few_responses=too_few,
    )


@dataclass(frozen=True)
class Change:
    """The change of any metric between two periods and whether it is significant at 95 %.

    ``z`` follows the same rule as ``NpsChange``; ``too_few_responses`` is True
    when either period has fewer than MIN_RESPONSES_FOR_TREND answers.
    """

    difference: float
    z: float
    significant: bool
    too_few_responses: bool


def change_significance(
    before: tuple[float, float, int] | None, after: tuple[float, float, int] | None
) -> Change | None:
    """Test a change from ``(value, standard error, n)`` before to the same after.

    None when either side is missing or has no answer. The two-sample z test of
    PRODUCT.md (``z = (v2 − v1) / sqrt(se1² + se2²)``), for NPS, CSAT % and means.

    >>> change = change_significance((70.0, 4.0, 100), (80.0, 3.0, 100))
    >>> change.difference, change.z, change.significant
    (10.0, 2.0, True)
    >>> change_significance((70.0, 4.0, 0), (80.0, 3.0, 100)) is None
    True
    """
    if before is None or after is None or before[2] == 0 or after[2] == 0:
        return None
    difference = after[0] - before[0]
    spread = math.hypot(before[1], after[1])
    if spread == 0:
        z = 0.0 if difference == 0 else math.copysign(math.inf, difference)
    else:
        z = difference / spread
    too_few = min(before[2], after[2]) < MIN_RESPONSES_FOR_TREND
    return Change(
        difference=difference,
        z=z,
        significant=not too_few and abs(z) >= Z_95,
        too_few_responses=too_few,
    )
