"""Retention KPIs of PRODUCT.md § Formulas from customer history, and 95 % intervals for shares.

The history is a list of ``CustomerEvent`` (started, mrr_changed, cancelled),
each effective from its day on. A customer is *active on day d* when their
last event before ``d`` is "started" or "mrr_changed"; a period is
``[start, end)`` (start inclusive, end exclusive), so its customers at the
start are those active on ``start`` and at the end those active on ``end``
(every event of the period's last day applied).

Counting by comparing the two states keeps the retention formula exact:
CN, the new customers, are those active at the end but not at the start (a
customer who cancels and comes back in a later period is new again there;
one who cancels and comes back within the period never left). So
``CE − CN`` is exactly the customers kept from the start. Money is in cents.

>>> events = [
...     CustomerEvent(1, "started", dt.date(2026, 1, 10), 5000),
...     CustomerEvent(2, "started", dt.date(2026, 1, 12), 3000),
...     CustomerEvent(2, "cancelled", dt.date(2026, 2, 3), 3000),
...     CustomerEvent(1, "mrr_changed", dt.date(2026, 2, 15), 7000),
...     CustomerEvent(3, "started", dt.date(2026, 2, 20), 1000),
... ]
>>> m = movement(events, dt.date(2026, 2, 1), dt.date(2026, 3, 1))
>>> (m.customers_start, m.customers_end, m.customers_new, m.customers_lost)
(2, 2, 1, 1)
>>> (m.mrr_start, m.mrr_end, m.mrr_new, m.mrr_expansion, m.mrr_churned)
(8000, 8000, 1000, 2000, 3000)
>>> retention_rate(m.customers_start, m.customers_end, m.customers_new)
50.0
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

from surveyapp.analytics import Z_95, AnalyticsError

__all__ = [
    "EVENT_KINDS",
    "CustomerEvent",
    "Movement",
    "WeightedReason",
    "active_mrr",
    "arpa",
    "average_lifetime_years",
    "churn_rate",
    "clv",
    "expansion_rate",
    "movement",
    "mrr",
    "retention_rate",
    "revenue_churn",
    "weigh_by_mrr",
    "wilson_interval",
]

EVENT_KINDS = ("started", "mrr_changed", "cancelled")


@dataclass(frozen=True)
class CustomerEvent:
    """One change of one customer's subscription, effective from ``on``; MRR in cents."""

    contact_id: int
    kind: str
    on: dt.date
    mrr_cents: int = 0


@dataclass(frozen=True)
class Movement:
    """Customers and MRR (cents) at the start and end of a period, and what moved in between.

    ``mrr_end == mrr_start − mrr_churned − mrr_contraction + mrr_expansion + mrr_new``.
    """

    customers_start: int
    customers_end: int
    customers_new: int
    customers_lost: int
    mrr_start: int
    mrr_end: int
    mrr_new: int
    mrr_expansion: int
    mrr_contraction: int
    mrr_churned: int


def active_mrr(events: Iterable[CustomerEvent], day: dt.date) -> dict[int, int]:
    """Contact id -> MRR (cents) of every customer active on ``day`` (events before it applied).

    Events of one day apply in the order given. Raises AnalyticsError for an
    unknown kind or a negative MRR.

    >>> active_mrr([CustomerEvent(1, "started", dt.date(2026, 1, 1), 900),
    ...             CustomerEvent(1, "cancelled", dt.date(2026, 1, 5), 900)], dt.date(2026, 1, 5))
    {1: 900}
    >>> active_mrr([CustomerEvent(1, "started", dt.date(2026, 1, 1), 900),
    ...             CustomerEvent(1, "cancelled", dt.date(2026, 1, 5), 900)], dt.date(2026, 1, 6))
    {}
    """
    state: dict[int, int] = {}
    for event in events:
        _check_event(event)
        if event.on >= day:
            continue
        if event.kind == "cancelled":
            state.pop(event.contact_id, None)
        else:
            state[event.contact_id] = event.mrr_cents
    return state


def movement(events: Iterable[CustomerEvent], start: dt.date, end: dt.date) -> Movement:
    """The customers and MRR of the period ``[start, end)`` and how they moved.

    Raises AnalyticsError when ``end`` is not after ``start`` or an event is invalid.
    """
    if end <= start:
        raise AnalyticsError("the period must end after it starts")
    ordered = list(events)
    before = active_mrr(ordered, start)
    after = active_mrr(ordered, end)
    new = {key: value for key, value in after.items() if key not in before}
    lost = {key: value for key, value in before.items() if key not in after}
    kept = [(before[key], after[key]) for key in before.keys() & after.keys()]
    return Movement(
        customers_start=len(before),
        customers_end=len(after),
        customers_new=len(new),
        customers_lost=len(lost),
        mrr_start=sum(before.values()),
        mrr_end=sum(after.values()),
        mrr_new=sum(new.values()),
        mrr_expansion=sum(max(0, late - early) for early, late in kept),
        mrr_contraction=sum(max(0, early - late) for early, late in kept),
        mrr_churned=sum(lost.values()),
    )


def retention_rate(cs: int, ce: int, cn: int) -> float | None:
    """Customer retention rate in %: ``100 × (CE − CN) / CS``; None when CS is 0.

    >>> retention_rate(100, 105, 15)
    90.0
    >>> retention_rate(0, 3, 3) is None
    True
    >>> retention_rate(10, 2, 5)
    Traceback (most recent call last):
    ...
    surveyapp.analytics.AnalyticsError: more new customers than customers at the end
    """
    for count in (cs, ce, cn):
        if count < 0:
            raise AnalyticsError("customer counts cannot be negative")
    if cn > ce:
        raise AnalyticsError("more new customers than customers at the end")
    if ce - cn > cs:
        raise AnalyticsError("more customers kept than there were at the start")
    if cs == 0:
        return None
    return 100 * (ce - cn) / cs


def churn_rate(cs: int, ce: int, cn: int) -> float | None:
    """Customer churn rate in %: ``100 − retention rate``; None when CS is 0.

    >>> churn_rate(100, 105, 15)
    10.0
    """
    retention = retention_rate(cs, ce, cn)
    return None if retention is None else 100 - retention


def arpa(mrr_cents: int, accounts: int) -> float | None:
    """Average revenue per account (cents a month): MRR / active accounts; None without any.

    >>> arpa(105_000, 105)
    1000.0
    >>> arpa(0, 0) is None
    True
    """
    if mrr_cents < 0 or accounts < 0:
        raise AnalyticsError("MRR and accounts cannot be negative")
    return None if accounts == 0 else mrr_cents / accounts


def mrr(average_revenue_per_account: float, accounts: int) -> float:
    """MRR = average revenue per account × active accounts.

    >>> mrr(1000.0, 105)
    105000.0
    """
    if average_revenue_per_account < 0 or accounts < 0:
        raise AnalyticsError("ARPA and accounts cannot be negative")
    return average_revenue_per_account * accounts


def revenue_churn(mrr_start: int, mrr_end: int, mrr_new: int, mrr_expansion: int) -> float | None:
    """Revenue churn in %: the MRR lost to cancellations and downgrades, over MRR at the start.

    ``100 × (MRR_start − (MRR_end − MRR_new − MRR_expansion)) / MRR_start``: the
    end MRR without what new customers and upgrades added is what remains of
    the starting MRR. None when MRR_start is 0.

    >>> revenue_churn(10_000, 11_000, 1_000, 500)
    5.0
    >>> revenue_churn(0, 500, 500, 0) is None
    True
    """
    for value in (mrr_start, mrr_end, mrr_new, mrr_expansion):
        if value < 0:
            raise AnalyticsError("MRR amounts cannot be negative")
    if mrr_start == 0:
        return None
    return 100 * (mrr_start - (mrr_end - mrr_new - mrr_expansion)) / mrr_start


def expansion_rate(mrr_start: int, mrr_expansion: int) -> float | None:
    """Expansion MRR (upgrades of existing customers) as % of MRR at the start; None when 0.

    >>> expansion_rate(10_000, 500)
    5.0
    """
    if mrr_start < 0 or mrr_expansion < 0:
        raise AnalyticsError("MRR amounts cannot be negative")
    return None if mrr_start == 0 else 100 * mrr_expansion / mrr_start


def average_lifetime_years(churn_percent: float | None, periods_per_year: int) -> float | None:
    """Average customer lifetime in years, ``1 / (churn per period × periods per year)``.

    None when churn is unknown or zero (no lifetime can be inferred).

    >>> round(average_lifetime_years(10.0, 12), 4)
    0.8333
    >>> average_lifetime_years(0.0, 12) is None
    True
    """
    if periods_per_year <= 0:
        raise AnalyticsError("periods per year must be positive")
    if churn_percent is None or churn_percent <= 0:
        return None
    return 1 / (churn_percent / 100 * periods_per_year)


def clv(
    average_purchase_value: float | None,
    purchases_per_year: float,
    lifetime_years: float | None,
) -> float | None:
    """Customer lifetime value = average purchase value × purchases per year × lifetime (years).

    None when the purchase value or the lifetime is unknown.

    >>> clv(1000.0, 12, average_lifetime_years(10.0, 12))
    10000.0
    """
    if average_purchase_value is None or lifetime_years is None:
        return None
    if average_purchase_value < 0 or purchases_per_year < 0 or lifetime_years < 0:
        raise AnalyticsError("CLV inputs cannot be negative")
    return round(average_purchase_value * purchases_per_year * lifetime_years, 6)


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval (95 % by default) of the share ``successes / n``; None if n = 0.

    Unlike the normal approximation it stays within [0, 1] and is honest for
    small groups and shares near 0 or 1.

    >>> low, high = wilson_interval(10, 100)
    >>> round(low, 4), round(high, 4)
    (0.0552, 0.1744)
    >>> wilson_interval(0, 0) is None
    True
    """
    if n < 0 or successes < 0 or successes > n:
        raise AnalyticsError("need 0 <= successes <= n")
    if n == 0:
        return None
    share = successes / n
    denominator = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / denominator
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class WeightedReason:
    """A reason, the customers who gave it, their MRR (cents) and its share of the MRR total."""

    reason: str
    customers: int
    mrr_cents: int
    share: float


def weigh_by_mrr(
    reasons_by_customer: Mapping[Hashable, tuple[Iterable[str], int]],
    *,
    total_mrr_cents: int | None = None,
) -> list[WeightedReason]:
    """Each reason weighted by the MRR of the customers who gave it, most MRR first.

    ``reasons_by_customer`` maps a customer to (their reasons, their MRR in
    cents); a customer counts once per reason, however often they gave it.
    ``share`` is the reason's MRR over ``total_mrr_cents``, by default the MRR
    of the customers who gave at least one reason (0 when the total is 0).
    Ties go to more customers, then to the reason's name. Raises
    AnalyticsError for a negative MRR.

    >>> rows = weigh_by_mrr({1: (["price"], 3000), 2: (["price", "support"], 1000), 3: ([], 500)})
    >>> [(row.reason, row.customers, row.mrr_cents, row.share) for row in rows]
    [('price', 2, 4000, 1.0), ('support', 1, 1000, 0.25)]
    >>> weigh_by_mrr({1: (["price"], 3000)}, total_mrr_cents=6000)[0].share
    0.5
    """
    totals: dict[str, list[int]] = {}
    reasoned_mrr = 0
    for reasons, mrr_cents in reasons_by_customer.values():
        if mrr_cents < 0:
            raise AnalyticsError("MRR cannot be negative")
        given = dict.fromkeys(reasons)
        if given:
            reasoned_mrr += mrr_cents
        for reason in given:
            counted = totals.setdefault(reason, [0, 0])
            counted[0] += 1
            counted[1] += mrr_cents
    total = reasoned_mrr if total_mrr_cents is None else total_mrr_cents
    return sorted(
        (
            WeightedReason(
                reason=reason,
                customers=customers,
                mrr_cents=mrr_cents,
                share=mrr_cents / total if total else 0.0,
            )
            for reason, (customers, mrr_cents) in totals.items()
        ),
        key=lambda row: (-row.mrr_cents, -row.customers, row.reason),
    )


def _check_event(event: CustomerEvent) -> None:
    if event.kind not in EVENT_KINDS:
        raise AnalyticsError(f"unknown customer event {event.kind!r}")
    if event.mrr_cents < 0:
        raise AnalyticsError("MRR cannot be negative")
