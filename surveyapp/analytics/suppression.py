"""What may be shown of small groups of an anonymous survey (PRODUCT.md § Anonymity).

Any score, distribution or comment list about a group of fewer than ``k``
responses is withheld (``k`` defaults to 5 and is never below 3), and so is
any group whose count could be derived by subtracting the shown groups from
a shown total.

>>> sorted(suppress_groups({"ops": 12, "sales": 4, "support": 7, "legal": 9}, total=32))
['sales', 'support']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Hashable, Iterable, Mapping
from typing import TypeVar

from surveyapp.analytics import AnalyticsError

__all__ = [
    "DEFAULT_K",
    "MIN_K",
    "check_k",
    "is_withheld",
    "release_days",
    "suppress_groups",
    "suppress_linked",
    "withheld_groups",
]

DEFAULT_K = 5
# Below 3, a respondent and one colleague could tell each other's answers apart.
MIN_K = 3

K = TypeVar("K", bound=Hashable)


def check_k(k: int) -> int:
    """Return ``k`` when it is an allowed threshold; raise AnalyticsError below MIN_K.

    >>> check_k(2)
    Traceback (most recent call last):
    ...
    surveyapp.analytics.AnalyticsError: the reporting threshold k is at least 3, got 2
    """
    if k < MIN_K:
        raise AnalyticsError(f"the reporting threshold k is at least {MIN_K}, got {k}")
    return k


def is_withheld(n: int, *, k: int = DEFAULT_K) -> bool:
    """True when a group of ``n`` responses must be withheld; raises AnalyticsError for k < 3.

    >>> is_withheld(4), is_withheld(5), is_withheld(0)
    (True, False, True)
    """
    return n < check_k(k)


def suppress_groups(
    groups: Mapping[K, int], *, k: int = DEFAULT_K, total: int | None = None
) -> set[K]:
    """The keys of ``groups`` ({key: response count}) that must be withheld.

    Every group under ``k`` is withheld. When ``total`` is shown, the withheld
    groups together could be derived as ``total`` minus the shown ones, so
    while they add up to fewer than ``k`` responses (but more than none) the
    smallest shown group is withheld as well (``suppress_linked``). (Whether
    the total itself may be shown is ``is_withheld(total)``.)
    Raises AnalyticsError for k < 3 or a negative count.

    >>> sorted(suppress_groups({"a": 2, "b": 10, "c": 6}))
    ['a']
    >>> sorted(suppress_groups({"a": 2, "b": 10, "c": 6}, total=18))
    ['a', 'c']
    >>> sorted(suppress_groups({"a": 1, "b": 1, "c": 10, "d": 9}, total=21))
    ['a', 'b', 'd']
    >>> suppress_groups({}, total=0)
    set()
    """
    return suppress_linked(groups, k=k, totals=[list(groups)] if total is not None else [])


def suppress_linked(
    groups: Mapping[K, int],
    *,
    k: int = DEFAULT_K,
    totals: Iterable[Collection[K]] = (),
    unshown: Collection[K] = (),
) -> set[K]:
    """The keys of ``groups`` to withhold when the sum of each of ``totals`` is shown too.

    ``totals`` lists sets of groups whose sum is shown somewhere (a period's
    total over teams, a team's total over periods, a department over its
    teams): a breakdown crossed with another, or nested in it. Every group
    under ``k`` is withheld; then, until nothing changes, in each set whose
    withheld groups add up to between 1 and ``k`` - 1 responses (derivable by
    subtraction), or where a single non-empty group is withheld (it could be
    derived once the set's other withheld groups are known from another
    set), the smallest shown group of that set is withheld too. ``unshown``
    groups are never shown whatever their size (what a shown total holds
    beyond its shown parts, such as answers still waiting for release): they
    count as withheld and are never chosen as a complement.
    Raises AnalyticsError for k < 3 or a negative count.

    >>> cells = {("ops", 1): 6, ("ops", 2): 2, ("it", 1): 7, ("it", 2): 9}
    >>> rows = [[("ops", 1), ("ops", 2)], [("it", 1), ("it", 2)]]
    >>> columns = [[("ops", 1), ("it", 1)], [("ops", 2), ("it", 2)]]
    >>> sorted(suppress_linked(cells, totals=rows + columns))
    [('it', 1), ('it', 2), ('ops', 1), ('ops', 2)]
    """
    check_k(k)
    for key, n in groups.items():
        if n < 0:
            raise AnalyticsError(f"a count cannot be negative, got {n!r} for {key!r}")
    order = {key: index for index, key in enumerate(groups)}
    withheld = {key for key, n in groups.items() if n < k} | set(unshown)
    linked = [[key for key in members if key in groups] for members in totals]
    changed = True
    while changed:
        changed = False
        for members in linked:
            hidden = [groups[key] for key in members if key in withheld and groups[key] > 0]
            if not (0 < sum(hidden) < k or len(hidden) == 1):
                continue
            shown = [key for key in members if key not in withheld and groups[key] > 0]
            if shown:
                # Ties are broken by the groups' order so the result never changes between runs.
                withheld.add(min(shown, key=lambda key: (groups[key], order[key])))
                changed = True
    return withheld


def release_days(
    day_counts: Mapping[dt.date, int], *, k: int = DEFAULT_K
) -> dict[dt.date, dt.date]:
    """Each day of an anonymous survey mapped to the day its responses may first be reported.

    Days are taken in order and gathered into blocks of at least ``k``
    responses; every day of a block is released on the block's last day. The
    days of the last, unfinished block are missing from the result: they wait
    for more answers. Reports that only ever add whole blocks can never differ
    by fewer than ``k`` responses, so comparing two of them (before and after
    someone answered, or two date ranges) never isolates one person's answer.
    Give only days that are over. Raises AnalyticsError for k < 3.

    >>> d = [dt.date(2026, 1, day) for day in range(1, 6)]
    >>> released = release_days({d[0]: 3, d[1]: 1, d[2]: 1, d[3]: 7, d[4]: 2}, k=5)
    >>> [(day.day, released[day].day) for day in sorted(released)]
    [(1, 3), (2, 3), (3, 3), (4, 4)]
    """
    check_k(k)
    released: dict[dt.date, dt.date] = {}
    block: list[dt.date] = []
    gathered = 0
    for day in sorted(day_counts):
        if day_counts[day] <= 0:
            continue
        block.append(day)
        gathered += day_counts[day]
        if gathered >= k:
            released.update(dict.fromkeys(block, day))
            block, gathered = [], 0
    return released


def withheld_groups(
    groups: Mapping[K, int], *, anonymous: bool, k: int = DEFAULT_K, total: int | None = None
) -> set[K]:
    """The groups whose numbers must not leave the query layer: the one gate for every report.

    ``groups`` maps each group about to be shown (a period, a segment value, a
    period and value) to its response count; ``total`` is the shown total they
    add up to, if any. Non-anonymous surveys withhold nothing; anonymous ones
    apply ``suppress_groups``. Raises AnalyticsError for k < 3 or a negative count.

    >>> sorted(withheld_groups({"ops": 2, "sales": 9}, anonymous=True, total=11))
    ['ops', 'sales']
    >>> withheld_groups({"ops": 2, "sales": 9}, anonymous=False)
    set()
    """
    check_k(k)
    if not anonymous:
        return set()
    return suppress_groups(groups, k=k, total=total)
