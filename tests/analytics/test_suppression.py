"""Anonymity threshold k and the complementary suppression rule (PRODUCT.md § Anonymity)."""

from __future__ import annotations

import datetime as dt

import pytest

from surveyapp.analytics import AnalyticsError
from surveyapp.analytics.suppression import (
    DEFAULT_K,
    check_k,
    is_withheld,
    release_days,
    suppress_groups,
    suppress_linked,
)


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


def test_withheld_groups_adding_up_to_less_than_k_drag_a_complement() -> None:
    # a and b together (3 people) would be 33 − 30: their pooled answers would show.
    assert suppress_groups({"a": 1, "b": 2, "c": 30}, total=33) == {"a", "b", "c"}
    assert suppress_groups({"a": 3, "b": 2, "c": 30}, total=35) == {"a", "b"}


def test_crossed_breakdowns_withhold_enough_cells_to_hide_every_small_one() -> None:
    # Teams by location: the ops/Lyon cell of 2 must not follow from any row or column total.
    cells = {("ops", "paris"): 6, ("ops", "lyon"): 2, ("it", "paris"): 7, ("it", "lyon"): 9}
    teams = [[("ops", "paris"), ("ops", "lyon")], [("it", "paris"), ("it", "lyon")]]
    places = [[("ops", "paris"), ("it", "paris")], [("ops", "lyon"), ("it", "lyon")]]
    withheld = suppress_linked(cells, totals=teams + places)
    for line in teams + places:
        hidden = [cells[key] for key in line if key in withheld]
        assert len(hidden) != 1 and not 0 < sum(hidden) < 5


def test_release_days_only_ever_add_blocks_of_k() -> None:
    days = {dt.date(2026, 3, day): 1 for day in range(1, 13)}
    released = release_days(days, k=5)
    assert sorted({released[day] for day in released}) == [
        dt.date(2026, 3, 5),
        dt.date(2026, 3, 10),
    ]
    # Days 11 and 12 wait for three more answers.
    assert dt.date(2026, 3, 11) not in released


def test_single_group_has_no_complement() -> None:
    assert suppress_groups({"only": 2}, total=2) == {"only"}


def test_negative_count_is_refused() -> None:
    with pytest.raises(AnalyticsError):
        suppress_groups({"a": -1})
