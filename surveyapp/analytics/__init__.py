"""Analytics: the metrics of PRODUCT.md § Formulas as pure functions over plain numbers.

No Flask and no SQLAlchemy here: ``services.reporting`` runs the aggregating
SQL and hands plain rows (score histograms, group counts) to these modules.

- ``nps``: NPS buckets, score, margin of error, ``NpsSummary``.
- ``csat``: CSAT %, CES and rating means, score distributions.
- ``significance``: whether the change between two periods is real.
- ``suppression``: what may be shown of small groups of an anonymous survey.
"""

from __future__ import annotations

__all__ = ["Z_95", "AnalyticsError"]

# The two-sided 95 % normal quantile, as PRODUCT.md § Formulas writes it; every margin,
# interval and significance test in the package uses this one value.
Z_95 = 1.96


class AnalyticsError(ValueError):
    """The input of a metric breaks its definition (a negative count, a score off the scale)."""
