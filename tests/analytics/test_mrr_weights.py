"""Reasons weighted by MRR (analytics.retention.weigh_by_mrr)."""

from __future__ import annotations

import pytest

from surveyapp.analytics import AnalyticsError
from surveyapp.analytics.retention import weigh_by_mrr


def test_each_customer_counts_once_per_reason() -> None:
    rows = weigh_by_mrr(
        {"a": (["price", "price", "support"], 500), "b": (["support"], 1500), "c": ([], 1000)}
    )
    assert [(row.reason, row.customers, row.mrr_cents, row.share) for row in rows] == [
        ("support", 2, 2000, 1.0),
        ("price", 1, 500, 0.25),
    ]


def test_a_given_total_and_ties() -> None:
    rows = weigh_by_mrr({1: (["b"], 100), 2: (["a"], 100), 3: ([], 200)}, total_mrr_cents=400)
    assert [(row.reason, row.share) for row in rows] == [("a", 0.25), ("b", 0.25)]
    assert weigh_by_mrr({1: (["a"], 0)})[0].share == 0.0
    assert weigh_by_mrr({}) == []


def test_negative_mrr_is_refused() -> None:
    with pytest.raises(AnalyticsError):
        weigh_by_mrr({1: (["a"], -1)})
