"""What may be shown of small groups of an anonymous survey (PRODUCT.md § Anonymity).

Any score, distribution or comment list about a group of fewer than ``k``
responses is withheld (``k`` defaults to 5 and is never below 3), and so is
any group whose count could be derived by subtracting the shown groups from
a shown total.

>>> sorted(suppress_groups({"ops": 12, "sales": 4, "support": 7, "legal": 9}, total=32))
['sales', 'support']
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

from surveyapp.analytics import AnalyticsError

__all__ = [
    "DEFAULT_K",
    "MIN_K",
    "check_k",
    "is_withheld",
    "suppress_groups",
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

    Every group under ``k`` is withheld. When exactly one group is withheld and
    ``total`` is shown, the smallest shown group is withheld as well, since the
    withheld count would otherwise be ``total`` minus the shown ones. (Whether
    the total itself may be shown is ``is_withheld(total)``.)
    Raises AnalyticsError for k < 3 or a negative count.

    >>> sorted(suppress_groups({"a": 2, "b": 10, "c": 6}))
    ['a']
    >>> sorted(suppress_groups({"a": 2, "b": 10, "c": 6}, total=18))
    ['a', 'c']
    >>> suppress_groups({}, total=0)
    set()
    """
    check_k(k)
    for key, n in groups.items():
        if n < 0:
            raise AnalyticsError(f"a count cannot be negative, got {n!r} for {key!r}")
    withheld = {key for key, n in groups.items() if n < k}
    if total is not None and len(withheld) == 1:
        shown = [key for key in groups if key not in withheld]
        if shown:
            # Ties are broken by the groups' order so the result never changes between runs.
            withheld.add(min(shown, key=lambda key: groups[key]))
    return withheld


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
