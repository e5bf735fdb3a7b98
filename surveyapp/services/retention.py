"""Customer history and the retention KPIs: the queries, handed to ``analytics.retention``.

Recording: ``customer_events`` turns a contact's current customer view and
a row of new data (CSV or API) into the history events that explain the
change; importing the same file twice records nothing the second time. An
active customer's MRR change is dated on the day it is imported.

Reporting: ``retention_report`` computes, per month or quarter, CS, CE, CN,
retention and churn (PRODUCT.md § Formulas), MRR, revenue churn, expansion,
ARPA and CLV, next to the NPS of a chosen survey from services.reporting.
``scores_vs_outcomes`` relates each customer's NPS answer to whether they
cancelled within the following 90 days.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.analytics import retention
from surveyapp.analytics.nps import bucket
from surveyapp.analytics.periods import next_period_start, period_start
from surveyapp.models import Answer, Contact, ContactEvent, Response, Survey
from surveyapp.services import reporting, surveys
from surveyapp.services.contact_csv import CustomerFields
from surveyapp.services.errors import InvalidInput

__all__ = [
    "OUTCOME_WINDOW_DAYS",
    "OutcomeRow",
    "ReasonWeight",
    "RetentionReport",
    "RetentionRow",
    "ScoresVsOutcomes",
    "apply_customer",
    "customer_events",
    "load_events",
    "nps_surveys",
    "period_kpis",
    "retention_report",
    "scores_vs_outcomes",
]

OUTCOME_WINDOW_DAYS = 90
PERIODS_PER_YEAR = {"month": 12, "quarter": 4}
MAX_REPORT_PERIODS = 36
BUCKETS = ("promoter", "passive", "detractor")


@dataclass(frozen=True)
class RetentionRow:
    """The KPIs of one period; money in cents, rates in %; None when undefined (no customers)."""

    period_start: dt.date
    period_end: dt.date
    movement: retention.Movement
    retention_rate: float | None
    churn_rate: float | None
    arpa_cents: float | None
    revenue_churn: float | None
    expansion_rate: float | None
    clv_cents: float | None
    nps: float | None = None
    nps_n: int | None = None
    nps_moe: float | None = None
    nps_suppressed: bool = False


@dataclass(frozen=True)
class RetentionReport:
    """KPIs per period, oldest first, with the NPS survey shown beside them (if any)."""

    interval: str
    rows: list[RetentionRow]
    nps_survey: Survey | None


@dataclass(frozen=True)
class OutcomeRow:
    """Of the customers in an NPS group, how many cancelled within the window (95 % interval)."""

    group: str
    customers: int
    cancelled: int
    share: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class ReasonWeight:
    """A cancellation reason, how many customers gave it and the MRR (cents) they took away."""

    reason: str
    label: str
    customers: int
    mrr_cents: int
    share: float


@dataclass(frozen=True)
class ScoresVsOutcomes:
    """NPS groups against later cancellations, revenue at risk and reasons weighted by MRR."""

    window_days: int
    rows: list[OutcomeRow]
    at_risk_customers: int
    revenue_at_risk_cents: int
    reasons: list[ReasonWeight]


def customer_events(
    contact: Contact, fields: CustomerFields, today: dt.date
) -> list[tuple[str, dt.date, int]]:
    """The events (kind, day, MRR cents) that move ``contact``'s history to ``fields``.

    Raises ValueError, with a message for the person importing, when the change
    cannot be explained: a new customer without start date, a different start
    date for an active customer, a comeback dated before the cancellation, or a
    second cancellation on another day.
    """
    status = contact.customer_status
    mrr_now = contact.mrr_cents or 0
    mrr = fields.mrr_cents if fields.mrr_cents is not None else mrr_now
    if status is None:
        if fields.started_on is None:
            raise ValueError(_("A new customer needs a start date."))
        events = [("started", fields.started_on, mrr)]
        if fields.status == "cancelled" and fields.cancelled_on is not None:
            events.append(("cancelled", fields.cancelled_on, mrr))
        return events
    if status == "active":
        if fields.started_on is not None and fields.started_on != contact.started_on:
            raise ValueError(
                _(
                    "This customer has been active since %(day)s: the start date cannot change.",
                    day=contact.started_on.isoformat() if contact.started_on else "?",
                )
            )
        if fields.status == "cancelled" and fields.cancelled_on is not None:
            if contact.started_on is not None and fields.cancelled_on < contact.started_on:
                raise ValueError(_("The cancel date comes before the start date."))
            return [("cancelled", fields.cancelled_on, mrr_now)]
        return [("mrr_changed", today, mrr)] if mrr != mrr_now else []
    # A cancelled customer: the same cancellation again, or a comeback.
    if fields.status == "cancelled":
        if fields.cancelled_on is not None and fields.cancelled_on != contact.cancelled_on:
            raise ValueError(
                _(
                    "This customer already cancelled on %(day)s.",
                    day=contact.cancelled_on.isoformat() if contact.cancelled_on else "?",
                )
            )
        return []
    cancelled_on = contact.cancelled_on
    if fields.started_on is None or (cancelled_on is not None and fields.started_on < cancelled_on):
        raise ValueError(
            _(
                "This customer cancelled on %(day)s: a comeback needs a start date on or after it.",
                day=cancelled_on.isoformat() if cancelled_on else "?",
            )
        )
    return [("started", fields.started_on, mrr)]


def apply_customer(contact: Contact, fields: CustomerFields, today: dt.date) -> int:
    """Record the history events of ``fields`` for a flushed contact and update its view.

    No commit. Returns how many events were added; raises ValueError as
    ``customer_events`` does.
    """
    events = customer_events(contact, fields, today)
    session = db.session()
    for kind, day, mrr in events:
        session.add(ContactEvent(contact_id=contact.id, kind=kind, occurred_on=day, mrr_cents=mrr))
        if kind == "started":
            contact.customer_status = "active"
            contact.started_on = day
            contact.cancelled_on = None
            contact.mrr_cents = mrr
        elif kind == "cancelled":
            contact.customer_status = "cancelled"
            contact.cancelled_on = day
        else:
            contact.mrr_cents = mrr
    return len(events)


def load_events(before: dt.date | None = None) -> list[retention.CustomerEvent]:
    """Every customer event (before the day ``before`` when given), in the order they apply."""
    query = sa.select(
        ContactEvent.contact_id, ContactEvent.kind, ContactEvent.occurred_on, ContactEvent.mrr_cents
    ).order_by(ContactEvent.occurred_on, ContactEvent.id)
    if before is not None:
        query = query.where(ContactEvent.occurred_on < before)
    return [
        retention.CustomerEvent(contact_id, kind, on, mrr)
        for contact_id, kind, on, mrr in db.session().execute(query)
    ]


def period_kpis(
    events: list[retention.CustomerEvent], start: dt.date, end: dt.date, periods_per_year: int
) -> RetentionRow:
    """The KPIs of the days ``[start, end)`` from ``events`` (see analytics.retention)."""
    moved = retention.movement(events, start, end)
    retention_rate = retention.retention_rate(
        moved.customers_start, moved.customers_end, moved.customers_new
    )
    churn = None if retention_rate is None else 100 - retention_rate
    arpa = retention.arpa(moved.mrr_end, moved.customers_end)
    lifetime = retention.average_lifetime_years(churn, periods_per_year)
    return RetentionRow(
        period_start=start,
        period_end=end,
        movement=moved,
        retention_rate=retention_rate,
        churn_rate=churn,
        arpa_cents=arpa,
        revenue_churn=retention.revenue_churn(
            moved.mrr_start, moved.mrr_end, moved.mrr_new, moved.mrr_expansion
        ),
        expansion_rate=retention.expansion_rate(moved.mrr_start, moved.mrr_expansion),
        # MRR is monthly: a customer makes 12 purchases a year.
        clv_cents=retention.clv(arpa, 12, lifetime),
    )


def nps_surveys() -> list[Survey]:
    """The NPS surveys whose trend may be shown beside the KPIs, oldest first."""
    return list(
        db.session().scalars(
            sa.select(Survey)
            .where(Survey.kind == "nps", Survey.status != "draft")
            .order_by(Survey.id)
        )
    )


def retention_report(
    interval: str = "month",
    periods: int = 12,
    *,
    nps_survey_id: int | None = None,
    today: dt.date | None = None,
) -> RetentionReport:
    """KPIs for the last ``periods`` months or quarters (the current one so far), oldest first.

    The current period ends tomorrow, not at its calendar end: future-dated
    events are not counted yet. Beside each period, the NPS of ``nps_survey_id``
    (default: the first NPS survey) as services.reporting computes it. Raises
    InvalidInput for another interval or number of periods, NotFound for an
    unknown survey.
    """
    if interval not in PERIODS_PER_YEAR:
        raise InvalidInput(_("Choose months or quarters."), "interval")
    if not 1 <= periods <= MAX_REPORT_PERIODS:
        raise InvalidInput(
            _("Choose from 1 to %(max)s periods.", max=MAX_REPORT_PERIODS), "periods"
        )
    today = today or reporting.today()
    tomorrow = today + dt.timedelta(days=1)
    starts = [period_start(today, interval)]
    while len(starts) < periods:
        starts.insert(0, period_start(starts[0] - dt.timedelta(days=1), interval))
    events = load_events(before=tomorrow)
    rows = [
        period_kpis(
            events,
            start,
            min(next_period_start(start, interval), tomorrow),
            PERIODS_PER_YEAR[interval],
        )
        for start in starts
    ]
    survey = _nps_survey(nps_survey_id)
    if survey is not None:
        rows = _with_nps(rows, survey, interval, starts[0], next_period_start(starts[-1], interval))
    return RetentionReport(interval=interval, rows=rows, nps_survey=survey)


def _nps_survey(survey_id: int | None) -> Survey | None:
    if survey_id is not None:
        return surveys.get_survey(survey_id)
    candidates = nps_surveys()
    return candidates[0] if candidates else None


def _with_nps(
    rows: list[RetentionRow], survey: Survey, interval: str, start: dt.date, end: dt.date
) -> list[RetentionRow]:
    metrics = {
        row["period_start"]: row
        for row in reporting.metrics_by_period(survey.id, interval, start, end)
    }
    merged: list[RetentionRow] = []
    for row in rows:
        found: dict[str, Any] = metrics.get(row.period_start.isoformat(), {})
        merged.append(
            RetentionRow(
                **{
                    **row.__dict__,
                    "nps": found.get("nps"),
                    "nps_n": found.get("n"),
                    "nps_moe": found.get("moe"),
                    "nps_suppressed": bool(found.get("suppressed")),
                }
            )
        )
    return merged


def scores_vs_outcomes(
    today: dt.date | None = None, window_days: int = OUTCOME_WINDOW_DAYS
) -> ScoresVsOutcomes:
    """Cancellation within ``window_days`` after an NPS answer, per promoter/passive/detractor.

    Each customer counts once, with their latest answer to a non-anonymous NPS
    survey whose window has fully passed (answered at least ``window_days``
    ago); "cancelled" means a cancellation dated in the ``window_days`` days
    after the answer's day. Revenue at risk is the MRR of the active customers
    whose latest NPS answer is a detractor's. Cancellation reasons are the
    answers to cancellation surveys' main question, weighted by the customer's
    last MRR.
    """
    today = today or reporting.today()
    session = db.session()
    answers = session.execute(
        sa.select(Response.contact_id, Response.created_at, Response.score)
        .join(Survey, Survey.id == Response.survey_id)
        .where(
            Survey.kind == "nps",
            Survey.anonymous.is_(False),
            Response.contact_id.is_not(None),
            Response.score.is_not(None),
        )
        .order_by(Response.created_at, Response.id)
    ).all()
    latest: dict[int, tuple[dt.date, int]] = {}
    latest_settled: dict[int, tuple[dt.date, int]] = {}
    horizon = today - dt.timedelta(days=window_days)
    for contact_id, created_at, score in answers:
        day = created_at.date()
        latest[contact_id] = (day, score)
        if day <= horizon:
            latest_settled[contact_id] = (day, score)
    cancellations: dict[int, list[dt.date]] = defaultdict(list)
    for contact_id, on in session.execute(
        sa.select(ContactEvent.contact_id, ContactEvent.occurred_on).where(
            ContactEvent.kind == "cancelled"
        )
    ):
        cancellations[contact_id].append(on)
    counts = {group: [0, 0] for group in BUCKETS}
    for contact_id, (day, score) in latest_settled.items():
        group = bucket(score)
        counts[group][0] += 1
        window_end = day + dt.timedelta(days=window_days)
        if any(day < on <= window_end for on in cancellations.get(contact_id, ())):
            counts[group][1] += 1
    rows = []
    for group in BUCKETS:
        customers, cancelled = counts[group]
        interval = retention.wilson_interval(cancelled, customers)
        rows.append(
            OutcomeRow(
                group=group,
                customers=customers,
                cancelled=cancelled,
                share=cancelled / customers if customers else None,
                low=interval[0] if interval else None,
                high=interval[1] if interval else None,
            )
        )
    detractors = [
        contact_id for contact_id, (_day, score) in latest.items() if bucket(score) == "detractor"
    ]
    at_risk = session.execute(
        sa.select(
            sa.func.count(Contact.id), sa.func.coalesce(sa.func.sum(Contact.mrr_cents), 0)
        ).where(Contact.id.in_(detractors), Contact.customer_status == "active")
    ).one()
    return ScoresVsOutcomes(
        window_days=window_days,
        rows=rows,
        at_risk_customers=int(at_risk[0]),
        revenue_at_risk_cents=int(at_risk[1]),
        reasons=_reasons_by_mrr(),
    )


def _reasons_by_mrr() -> list[ReasonWeight]:
    """Cancellation survey answers (main question), each customer weighted by their MRR."""
    session = db.session()
    cancellation_surveys = list(
        session.scalars(
            sa.select(Survey).where(Survey.kind == "cancellation", Survey.anonymous.is_(False))
        )
    )
    labels: dict[str, str] = {}
    main_ids: list[int] = []
    for survey in cancellation_surveys:
        main = survey.main_question
        if main is None:
            continue
        main_ids.append(main.id)
        for option in main.options or []:
            label = option.get("label", {})
            labels.setdefault(str(option.get("value")), label.get("en") or str(option.get("value")))
    if not main_ids:
        return []
    rows = session.execute(
        sa.select(Response.contact_id, Answer.choices, Contact.mrr_cents)
        .join(Answer, Answer.response_id == Response.id)
        .join(Contact, Contact.id == Response.contact_id)
        .where(Answer.question_id.in_(main_ids))
        .order_by(Response.created_at, Response.id)
    ).all()
    # A customer who answered twice counts with their latest reasons only.
    by_contact: dict[int, tuple[list[str], int]] = {}
    for contact_id, choices, mrr in rows:
        by_contact[contact_id] = ([str(choice) for choice in choices or []], mrr or 0)
    return [
        ReasonWeight(
            reason=row.reason,
            label=labels.get(row.reason, row.reason),
            customers=row.customers,
            mrr_cents=row.mrr_cents,
            share=row.share,
        )
        for row in retention.weigh_by_mrr(by_contact)
    ]
