"""Anonymity threshold k and the complementary suppression rule (PRODUCT.md § Anonymity)."""

from __future__ import annotations

import pytest

from surveyapp.analytics import AnalyticsError
from surveyapp.analytics.suppression import DEFAULT_K, check_k, is_withheld, suppress_groups


def test_default_threshold_is_five() -> None:
    assert DEFAULT_K == 5
    assert is_withheld(4)
    assert not is_withheld(5)


@pytest.mark.parametrize("k", [2, 1, 0, -5])
def test_k_below_three_is_refused(k: int) -> None:
    with pytest.raises(AnalyticsError):
        check_k(k)
    with pytest.raises(AnalyticsError):
        is_withheld(10, k=k)
    with pytest.raises(AnalyticsError):
        suppress_groups({"a": 10}, k=k)


def test_k_of_three_is_allowed() -> None:
    assert suppress_groups({"a": 2, "b": 3}, k=3) == {"a"}


def test_groups_under_k_are_withheld() -> None:
    assert suppress_groups({"ops": 4, "sales": 5, "hr": 0, "it": 12}) == {"ops", "hr"}


def test_lone_withheld_group_drags_the_smallest_shown_group_when_a_total_is_shown() -> None:
    groups = {"ops": 3, "sales": 20, "support": 8, "it": 9}
    assert suppress_groups(groups) == {"ops"}
    # ops = 40 − 20 − 8 − 9 would be derivable: support (the next smallest) goes too.
    assert suppress_groups(groups, total=40) == {"ops", "support"}


def test_two_withheld_groups_need_no_complement() -> None:
    assert suppress_groups({"a": 1, "b": 2, "c": 30}, total=33) == {"a", "b"}


def test_single_group_has_no_complement() -> None:
    assert suppress_groups({"only": 2}, total=2) == {"only"}


def test_negative_count_is_refused() -> None:
    with pytest.raises(AnalyticsError):
        suppress_groups({"a": -1})
