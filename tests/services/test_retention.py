"""Retention KPIs from the database: seed example, history through CSV, scores vs outcomes."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask import Flask

from surveyapp import db
from surveyapp.models import Answer, Contact, ContactEvent, Response
from surveyapp.services import contacts, demo, retention
from surveyapp.services.contact_csv import CustomerFields
from surveyapp.services.errors import InvalidInput
from tests import factories
from tests.factories_followup import gen_customer
from tests.factories_results import gen_scores

D = dt.date


def _bulk_history(rows: list[tuple[str, list[tuple[str, dt.date, int]]]]) -> None:
    """Many customers in one commit: (email, history)."""
    session = db.session()
    people = [Contact(email=email, name="", attributes={}) for email, _history in rows]
    session.add_all(people)
    session.flush()
    for contact, (_email, history) in zip(people, rows, strict=True):
        for kind, day, mrr in history:
            session.add(
                ContactEvent(contact_id=contact.id, kind=kind, occurred_on=day, mrr_cents=mrr)
            )
    session.commit()


def _month(report: retention.RetentionReport, start: dt.date) -> retention.RetentionRow:
    return next(row for row in report.rows if row.period_start == start)


def test_seed_example_100_start_15_new_10_lost_105_end_is_90_percent(app: Flask) -> None:
    history: list[tuple[str, list[tuple[str, dt.date, int]]]] = []
    for n in range(100):
        events = [("started", D(2025, 3, 1), 10_000)]
        if n < 10:
            events.append(("cancelled", D(2026, 1, 2 + n), 10_000))
        history.append((f"old{n}@example.com", events))
    history += [
        (f"new{n}@example.com", [("started", D(2026, 1, 3 + n), 10_000)]) for n in range(15)
    ]
    _bulk_history(history)
    report = retention.retention_report("month", 2, today=D(2026, 2, 10))
    january = _month(report, D(2026, 1, 1))
    moved = january.movement
    assert (moved.customers_start, moved.customers_new, moved.customers_lost) == (100, 15, 10)
    assert moved.customers_end == 105
    assert january.retention_rate == 90.0
    assert january.churn_rate == 10.0
    assert (moved.mrr_start, moved.mrr_end) == (1_000_000, 1_050_000)
    assert january.revenue_churn == 10.0
    assert january.arpa_cents == 10_000
    # 100.00 a month, 10 % monthly churn: 10 months of life, CLV 1,000.00.
    assert january.clv_cents == pytest.approx(100_000)
    # February so far: nobody moved.
    february = _month(report, D(2026, 2, 1))
    assert february.retention_rate == 100.0 and february.movement.customers_end == 105


def test_empty_periods_have_no_rates(app: Flask) -> None:
    report = retention.retention_report("quarter", 3, today=D(2026, 5, 1))
    assert [row.period_start for row in report.rows] == [
        D(2025, 10, 1),
        D(2026, 1, 1),
        D(2026, 4, 1),
    ]
    assert all(row.retention_rate is None and row.clv_cents is None for row in report.rows)
    assert report.nps_survey is None
    with pytest.raises(InvalidInput):
        retention.retention_report("week")
    with pytest.raises(InvalidInput):
        retention.retention_report("month", 0)


def test_a_customer_who_cancels_and_comes_back_through_csv(app: Flask) -> None:
    files = [
        b"email,status,start date,mrr\nann@example.com,active,2025-11-01,30\n"
        b"bob@example.com,active,2025-11-01,10\n",
        "email;statut;date de résiliation\nann@example.com;résilié;20/01/2026\n".encode(),
        b"email,status,start date,mrr\nann@example.com,active,2026-03-10,40\n",
    ]
    for data in files:
        report = contacts.import_contacts_csv(data)
        assert report.errors == []
    # Importing the same file again records nothing new.
    contacts.import_contacts_csv(files[2])
    ann = db.session().scalars(sa.select(Contact).where(Contact.email == "ann@example.com")).one()
    kinds = (
        db.session()
        .execute(
            sa.select(ContactEvent.kind, ContactEvent.occurred_on, ContactEvent.mrr_cents)
            .where(ContactEvent.contact_id == ann.id)
            .order_by(ContactEvent.id)
        )
        .all()
    )
    assert kinds == [
        ("started", D(2025, 11, 1), 3_000),
        ("cancelled", D(2026, 1, 20), 3_000),
        ("started", D(2026, 3, 10), 4_000),
    ]
    assert (ann.customer_status, ann.started_on, ann.cancelled_on, ann.mrr_cents) == (
        "active",
        D(2026, 3, 10),
        None,
        4_000,
    )
    report = retention.retention_report("month", 3, today=D(2026, 3, 31))
    january, february, march = report.rows
    assert (january.movement.customers_start, january.movement.customers_lost) == (2, 1)
    assert january.retention_rate == 50.0
    assert february.retention_rate == 100.0 and february.movement.customers_end == 1
    assert (march.movement.customers_new, march.movement.customers_end) == (1, 2)
    assert (march.movement.mrr_start, march.movement.mrr_end) == (1_000, 5_000)


def test_mrr_changes_are_dated_and_split_into_expansion_and_contraction(app: Flask) -> None:
    up = gen_customer([("started", D(2025, 12, 1), 10_000)])
    down = gen_customer([("started", D(2025, 12, 1), 10_000)])
    assert retention.apply_customer(up, CustomerFields("active", mrr_cents=15_000), D(2026, 1, 15))
    assert retention.apply_customer(down, CustomerFields("active", mrr_cents=6_000), D(2026, 1, 20))
    # The same MRR again changes nothing.
    assert (
        retention.apply_customer(down, CustomerFields("active", mrr_cents=6_000), D(2026, 1, 21))
        == 0
    )
    db.session().commit()
    january = retention.retention_report("month", 1, today=D(2026, 1, 31)).rows[0]
    moved = january.movement
    assert (moved.mrr_start, moved.mrr_end) == (20_000, 21_000)
    assert (moved.mrr_expansion, moved.mrr_contraction) == (5_000, 4_000)
    assert january.revenue_churn == 20.0
    assert january.expansion_rate == 25.0
    assert january.retention_rate == 100.0


@pytest.mark.parametrize(
    ("current", "fields", "message"),
    [
        (None, CustomerFields("active", mrr_cents=100), "needs a start date"),
        ("active", CustomerFields("active", started_on=D(2024, 1, 1)), "cannot change"),
        ("cancelled", CustomerFields("active", started_on=D(2025, 1, 1)), "comeback"),
        ("cancelled", CustomerFields("cancelled", cancelled_on=D(2025, 9, 9)), "already"),
    ],
)
def test_changes_that_history_cannot_explain_are_refused(
    app: Flask, current: str | None, fields: CustomerFields, message: str
) -> None:
    history: list[tuple[str, dt.date, int]] = []
    if current is not None:
        history.append(("started", D(2025, 2, 1), 500))
    if current == "cancelled":
        history.append(("cancelled", D(2025, 6, 1), 500))
    contact = gen_customer(history)
    with pytest.raises(ValueError, match=message):
        retention.customer_events(contact, fields, D(2026, 1, 1))


def test_bad_customer_rows_are_reported_and_skipped(app: Flask) -> None:
    data = (
        b"email,status,start date,cancel date,mrr\n"
        b"good@example.com,active,2025-01-01,,49.90\n"
        b"early@example.com,cancelled,2025-05-01,2025-04-01,10\n"
        b"minus@example.com,active,2025-01-01,,-5\n"
        b"odd@example.com,paused,2025-01-01,,10\n"
        b'gone@example.com,cancelled,2025-01-01,2025-06-30,"1 200,50"\n'
        b"nostart@example.com,active,,,10\n"
    )
    report = contacts.import_contacts_csv(data)
    assert report.created == 2
    errors = {error.row: error.message for error in report.errors}
    assert set(errors) == {3, 4, 5, 7}
    assert "before the start date" in errors[3]
    assert "negative" in errors[4]
    assert "Unknown status" in errors[5]
    assert "start date" in errors[7]
    rows = (
        db.session()
        .execute(
            sa.select(Contact.email, Contact.customer_status, Contact.mrr_cents).order_by(
                Contact.email
            )
        )
        .all()
    )
    assert rows == [
        ("gone@example.com", "cancelled", 120_050),
        ("good@example.com", "active", 4_990),
    ]


def test_a_file_without_customer_columns_keeps_mrr_as_an_attribute(app: Flask) -> None:
    contacts.import_contacts_csv(b"email,mrr\nann@example.com,12\n")
    ann = db.session().scalars(sa.select(Contact)).one()
    assert ann.attributes == {"mrr": "12"} and ann.customer_status is None


def test_the_api_rows_carry_customer_data_too(app: Flask) -> None:
    report = contacts.upsert_contacts(
        [
            {"email": "a@example.com", "status": "active", "start_date": "2025-02-01", "mrr": 20},
            {"email": "b@example.com", "status": "active", "start_date": "2025-02-01", "mrr": -1},
        ]
    )
    assert report.created == 1 and [error.row for error in report.errors] == [2]
    assert db.session().scalars(sa.select(Contact.mrr_cents)).one() == 2_000


def _nps_answer(contact: Contact, survey_id: int, score: int, day: dt.date) -> None:
    db.session().add(
        Response(
            survey_id=survey_id,
            contact_id=contact.id,
            language="en",
            channel="email",
            score=score,
            completed=True,
            created_at=dt.datetime.combine(day, dt.time(10), dt.UTC),
        )
    )
    db.session().commit()


def test_scores_against_outcomes_hand_computed(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    today = D(2026, 6, 1)
    answered = D(2026, 1, 10)  # more than 90 days before today
    start = [("started", D(2025, 1, 1), 10_000)]
    # Two promoters: none cancels. Three detractors: one cancels within 90 days, one after.
    for score in (9, 10):
        _nps_answer(gen_customer(start), survey.id, score, answered)
    quick = gen_customer([*start, ("cancelled", D(2026, 2, 1), 10_000)])
    late = gen_customer([*start, ("cancelled", D(2026, 5, 1), 10_000)])
    stays = gen_customer([("started", D(2025, 1, 1), 7_000)])
    for contact in (quick, late, stays):
        _nps_answer(contact, survey.id, 3, answered)
    # A passive who answered too recently is not counted yet.
    _nps_answer(gen_customer(start), survey.id, 8, D(2026, 5, 1))
    result = retention.scores_vs_outcomes(today=today)
    rows = {row.group: row for row in result.rows}
    assert (rows["promoter"].customers, rows["promoter"].cancelled) == (2, 0)
    assert (rows["detractor"].customers, rows["detractor"].cancelled) == (3, 1)
    assert rows["detractor"].share == pytest.approx(1 / 3)
    assert (round(rows["detractor"].low, 4), round(rows["detractor"].high, 4)) == (0.0615, 0.7923)  # type: ignore[arg-type]
    assert rows["passive"].customers == 0 and rows["passive"].share is None
    # Revenue at risk: the one detractor still active.
    assert (result.at_risk_customers, result.revenue_at_risk_cents) == (1, 7_000)


def test_cancellation_reasons_weighted_by_mrr(app: Flask) -> None:
    survey = factories.gen_survey("cancellation")
    main = survey.main_question
    assert main is not None
    for reason, mrr in (("price", 1_000), ("price", 2_000), ("support", 9_000)):
        contact = gen_customer([("started", D(2025, 1, 1), mrr), ("cancelled", D(2026, 1, 1), mrr)])
        db.session().add(
            Response(
                survey_id=survey.id,
                contact_id=contact.id,
                language="en",
                channel="email",
                completed=True,
                answers=[Answer(question_id=main.id, choices=[reason])],
            )
        )
    db.session().commit()
    reasons = retention.scores_vs_outcomes().reasons
    assert [(r.reason, r.customers, r.mrr_cents) for r in reasons] == [
        ("support", 1, 9_000),
        ("price", 2, 3_000),
    ]
    assert reasons[0].share == 0.75
    assert reasons[1].label == "It is too expensive"


def test_the_nps_trend_is_shown_beside_the_kpis(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    gen_scores(survey, [10] * 6 + [0] * 2, created_at=dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC))
    report = retention.retention_report("month", 2, today=D(2026, 2, 5))
    assert report.nps_survey is not None and report.nps_survey.id == survey.id
    january = _month(report, D(2026, 1, 1))
    assert (january.nps, january.nps_n) == (50.0, 8)
    assert _month(report, D(2026, 2, 1)).nps_n == 0


def test_the_demo_brings_the_retention_page_to_life(app: Flask) -> None:
    demo.seed_demo()
    report = retention.retention_report("month", 12)
    assert all(row.movement.customers_start > 0 for row in report.rows)
    assert sum(row.movement.customers_lost for row in report.rows) > 0
    assert sum(row.movement.customers_new for row in report.rows) > 0
    assert report.nps_survey is not None and any(row.nps_n for row in report.rows)
    outcomes = retention.scores_vs_outcomes()
    assert sum(row.customers for row in outcomes.rows) > 20
    assert outcomes.reasons and outcomes.revenue_at_risk_cents >= 0
    # Every view matches its history: a cancelled customer's last event is a cancellation.
    views = db.session().execute(
        sa.select(Contact.id, Contact.customer_status).where(Contact.customer_status.is_not(None))
    )
    for contact_id, status in views:
        last = (
            db.session()
            .scalars(
                sa.select(ContactEvent.kind)
                .where(ContactEvent.contact_id == contact_id)
                .order_by(ContactEvent.occurred_on.desc(), ContactEvent.id.desc())
            )
            .first()
        )
        assert (last == "cancelled") == (status == "cancelled")
