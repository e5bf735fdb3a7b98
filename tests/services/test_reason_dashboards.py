"""The reasons dashboard's queries on hand-tagged comments, on SQLite and PostgreSQL.

Every expected number is worked out by hand from the comments written here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from flask import Flask

from surveyapp.analytics.retention import wilson_interval
from surveyapp.services import reasons
from surveyapp.services.errors import InvalidInput, NotFound
from tests import factories
from tests.factories_reason_dashboards import DAY, gen_comment, gen_customer

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)


def test_shares_and_intervals_within_one_segment_value(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    gen_comment(survey, "Too dear", tags=["price"], segment={"plan": "pro"})
    gen_comment(survey, "Dear and slow", tags=["price", "performance"], segment={"plan": "pro"})
    gen_comment(survey, "Nothing", segment={"plan": "pro"})
    gen_comment(survey, "Slow", tags=["performance"], segment={"plan": "basic"})
    # Not considered: a promoter's comment, and a detractor without comment.
    gen_comment(survey, "Dear but fine", score=9, tags=["price"], segment={"plan": "pro"})
    gen_comment(survey, "", tags=(), segment={"plan": "pro"})

    pro = reasons.reason_shares(survey.id, start=START, end=END, segment=("plan", "pro"))
    everyone = reasons.reason_shares(survey.id, start=START, end=END)

    assert pro.n == 3
    assert [(row.tag, row.count) for row in pro.rows] == [("price", 2), ("performance", 1)]
    assert pro.rows[0].share == pytest.approx(2 / 3)
    assert (pro.rows[0].low, pro.rows[0].high) == pytest.approx(wilson_interval(2, 3))
    assert everyone.n == 4
    assert [(row.tag, row.count) for row in everyone.rows] == [("performance", 2), ("price", 2)]
    with pytest.raises(NotFound):
        reasons.reason_shares(999999)


def test_trend_buckets_by_week_month_and_withholds_small_anonymous_periods(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    monday = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    gen_comment(survey, "a", tags=["price"], created_at=monday)
    gen_comment(survey, "b", tags=["price", "support"], created_at=monday + dt.timedelta(days=6))
    gen_comment(survey, "c", tags=["support"], created_at=monday + dt.timedelta(days=7))
    gen_comment(survey, "d", created_at=monday + dt.timedelta(days=8))

    weekly = reasons.reason_trend(
        survey.id,
        "week",
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 16),
        tags=["price", "support"],
    )
    monthly = reasons.reason_trend(
        survey.id, "month", dt.date(2026, 2, 1), dt.date(2026, 4, 1), tags=["price"]
    )

    first, second = weekly.periods
    assert (first.period_start, first.n, first.counts) == (
        dt.date(2026, 3, 2),
        2,
        {"price": 2, "support": 1},
    )
    assert (second.period_start, second.n, second.counts) == (
        dt.date(2026, 3, 9),
        2,
        {"support": 1},
    )
    assert second.share("support") == 0.5 and second.share("price") == 0.0
    assert [(p.period_start, p.n, p.counts) for p in monthly.periods] == [
        (dt.date(2026, 2, 1), 0, {}),
        (dt.date(2026, 3, 1), 4, {"price": 2}),
    ]
    assert monthly.periods[0].share("price") is None

    anonymous = factories.gen_survey("enps", anonymous=True)
    for day in range(5):
        gen_comment(anonymous, "x", tags=["price"], created_at=monday + dt.timedelta(days=day))
    gen_comment(anonymous, "y", tags=["price"], created_at=monday + dt.timedelta(days=7))
    hidden = reasons.reason_trend(
        anonymous.id, "week", dt.date(2026, 3, 2), dt.date(2026, 3, 16), tags=["price"]
    )
    # Anonymous answers count in release blocks of k = 5 (services.anonymity): the first
    # week's 5 are one block; the second week's lone comment waits for four more, so it
    # is counted nowhere and the total shown cannot be used to derive it.
    assert [(period.n, period.suppressed) for period in hidden.periods] == [(5, False), (0, True)]
    assert hidden.periods[0].share("price") == 1.0 and hidden.periods[1].share("price") is None


def test_trend_days_follow_the_workspace_time_zone(app: Flask) -> None:
    app.config["TIMEZONE"] = "Europe/Paris"
    survey = factories.gen_survey("nps")
    # 23:30 UTC on Sunday 8 March is 00:30 on Monday 9 March in Paris.
    gen_comment(
        survey, "a", tags=["price"], created_at=dt.datetime(2026, 3, 8, 23, 30, tzinfo=dt.UTC)
    )

    trend = reasons.reason_trend(
        survey.id, "week", dt.date(2026, 3, 2), dt.date(2026, 3, 16), tags=["price"]
    )

    assert [(p.period_start, p.n) for p in trend.periods] == [
        (dt.date(2026, 3, 2), 0),
        (dt.date(2026, 3, 9), 1),
    ]


def test_segment_breakdown_withholds_small_values_of_anonymous_surveys(app: Flask) -> None:
    open_survey = factories.gen_survey("nps")
    for plan, tags in [("pro", ["price"]), ("pro", []), ("basic", ["support"])]:
        gen_comment(open_survey, "c", tags=tags, segment={"plan": plan})
    gen_comment(open_survey, "no plan", tags=["price"])

    shown = reasons.reason_segments(
        open_survey.id, "plan", start=START, end=END, tags=["price", "support"]
    )

    assert [(row.value, row.n, row.counts) for row in shown.rows] == [
        ("pro", 2, {"price": 1}),
        ("basic", 1, {"support": 1}),
    ]
    assert shown.rows[0].share("price") == 0.5

    survey = factories.gen_survey("enps", anonymous=True)
    for team, count in [("ops", 6), ("sales", 5), ("legal", 2)]:
        for _ in range(count):
            gen_comment(survey, "c", tags=["price"], segment={"team": team})
    hidden = reasons.reason_segments(survey.id, "team", start=START, end=END, tags=["price"])
    # legal (2) is under k; sales, the smallest shown, goes too (total minus ops = legal).
    assert [(row.value, row.suppressed, row.n) for row in hidden.rows] == [
        ("ops", False, 6),
        ("legal", True, 0),
        ("sales", True, 0),
    ]
    assert hidden.rows[1].counts == {} and hidden.rows[1].share("price") is None


def test_mrr_weighting_counts_each_customer_once_with_their_latest_comment(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    big, small, unknown = gen_customer(30000), gen_customer(10000), gen_customer(None)
    gen_comment(survey, "old", tags=["support"], contact=big, created_at=DAY - dt.timedelta(days=9))
    gen_comment(survey, "new", tags=["price", "support"], contact=big)
    gen_comment(survey, "c", tags=["support"], contact=small)
    gen_comment(survey, "c", tags=["price"], contact=unknown)
    gen_comment(survey, "c", tags=["price"])
    no_reason = gen_customer(10000)
    gen_comment(survey, "nothing", contact=no_reason)

    weights = reasons.reason_mrr(survey.id, start=START, end=END)

    # Customers with a known MRR: big (300), small (100), no_reason (100) = 500.
    assert weights.available and weights.customers == 3 and weights.total_mrr_cents == 50000
    assert [(r.reason, r.customers, r.mrr_cents, r.share) for r in weights.rows] == [
        ("support", 2, 40000, 0.8),
        ("price", 1, 30000, 0.6),
    ]
    only_old = reasons.reason_mrr(survey.id, start=START, end=DAY - dt.timedelta(days=1))
    assert [(r.reason, r.mrr_cents) for r in only_old.rows] == [("support", 30000)]


def test_mrr_is_unavailable_without_mrr_or_on_anonymous_surveys(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    gen_comment(survey, "c", tags=["price"], contact=gen_customer(None))
    assert reasons.reason_mrr(survey.id, start=START, end=END).available is False

    anonymous = factories.gen_survey("enps", anonymous=True)
    gen_comment(anonymous, "c", tags=["price"])
    assert reasons.reason_mrr(anonymous.id).available is False


def test_verbatim_search_ignores_case_and_accents_and_pages(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    texts = [
        "Le PRIX ÉLEVÉ nous a fait partir",
        "prix élevé, cœur brisé",
        "Prix eleve et support lent",
        "Trop cher",
        "100% _wild_ card",
    ]
    for offset, text in enumerate(texts):
        gen_comment(
            survey,
            text,
            tags={"price": (0.75, ["prix"], "manual" if offset == 1 else "rule")},
            created_at=DAY + dt.timedelta(hours=offset),
            language="fr",
        )

    def search(term: str, **kwargs: int) -> reasons.VerbatimList:
        return reasons.reason_verbatims(survey.id, "price", search=term, **kwargs)

    found = search("prix eleve")
    assert found.total == 3
    assert [item.text for item in found.items] == [texts[2], texts[1], texts[0]]
    assert search("PRIX ÉLEVÉ").total == 3
    assert search("coeur").total == 1 and search("CŒUR").total == 1
    # LIKE wildcards are searched for as text.
    assert search("%").total == 1 and search("_wild_").total == 1 and search("d_c").total == 0
    assert search("nowhere").items == [] and search("nowhere").total == 0

    first = search("", limit=2)
    last = search("", limit=2, page=3)
    assert (first.total, first.pages, len(first.items)) == (5, 3, 2)
    assert [item.text for item in last.items] == [texts[0]] and last.page == 3
    assert search("", limit=2, page=99).page == 3
    manual = next(item for item in search("").items if item.text == texts[1])
    assert manual.source == "manual" and manual.confidence == 0.75
    assert manual.pieces[0] == ("prix", True)


def test_anonymous_verbatims_of_a_rare_reason_stay_withheld_whatever_the_search(
    app: Flask,
) -> None:
    survey = factories.gen_survey("enps", anonymous=True)
    for _ in range(5):
        gen_comment(survey, "The pay is low", tags=["price"])
    gen_comment(survey, "The tools crash", tags=["bugs_reliability"])

    hidden = reasons.reason_verbatims(survey.id, "bugs_reliability", search="crash")
    assert hidden.withheld and hidden.items == [] and hidden.total == 0
    shown = reasons.reason_verbatims(survey.id, "price", search="PAY")
    assert shown.withheld is False and shown.total == 5
    assert all(item.created_at is None for item in shown.items)


def test_emerging_terms_come_from_recent_negative_comments_no_tag_covers(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    recent = DAY
    earlier = DAY - dt.timedelta(days=40)
    for text in [
        "The new dashboard layout hides my reports",
        "Since the new dashboard layout I cannot work",
        "New dashboard layout is a mess",
    ]:
        gen_comment(survey, text, created_at=recent)
    gen_comment(survey, "Way too expensive", tags=["price"], created_at=recent)
    # A promoter's negative-sentiment comment counts; a positive promoter one does not.
    gen_comment(survey, "The new dashboard layout, sadly", score=9, sentiment=-0.4)
    gen_comment(survey, "The new dashboard layout rocks", score=10, sentiment=0.6)
    for _ in range(3):
        gen_comment(survey, "Reports are slow", created_at=earlier)

    found = reasons.emerging_terms(survey.id, start=START, end=END, recent_days=90)

    # The last 90 days before 1 April start on 2 January: every comment here is recent.
    assert found.recent == 8 and found.baseline == 0
    top = found.terms[0]
    assert (top.phrase, top.count) == ("new dashboard layout", 4)

    window = reasons.emerging_terms(
        survey.id, start=START, end=DAY + dt.timedelta(days=1), recent_days=30
    )
    assert (window.recent, window.baseline) == (5, 3)
    term = next(term for term in window.terms if term.phrase == "new dashboard layout")
    # share 4/5 over the smoothed baseline share (0 + 1) / (3 + 1): 3.2.
    assert term.lift == pytest.approx(3.2)
    assert term.baseline_share == 0.0
    with pytest.raises(InvalidInput):
        reasons.emerging_terms(survey.id, start=START, end=END, recent_days=12)


def test_emerging_terms_of_an_anonymous_survey_need_k_comments(app: Flask) -> None:
    survey = factories.gen_survey("enps", anonymous=True)
    for _ in range(4):
        gen_comment(survey, "Open space noise all day")
    withheld = reasons.emerging_terms(survey.id, start=START, end=END)
    assert withheld.withheld and withheld.terms == [] and withheld.recent == 0

    gen_comment(survey, "Open space noise again")
    shown = reasons.emerging_terms(survey.id, start=START, end=END, recent_days=90)
    assert shown.min_count == 5
    assert [(term.phrase, term.count) for term in shown.terms] == [("open space noise", 5)]


def test_the_csv_neutralises_formulas_and_adds_mrr_when_known(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    customer = gen_customer(12345)
    gen_comment(survey, "c", tags=["=HYPERLINK(1)"], contact=customer)
    gen_comment(survey, "c", tags=["price"])

    rows = list(csv.reader(io.StringIO(reasons.reasons_csv(survey.id).lstrip("\ufeff"))))

    assert rows[0] == [
        "tag",
        "reason",
        "comments",
        "considered",
        "share",
        "low_95",
        "high_95",
        "customers",
        "mrr",
        "mrr_share",
    ]
    formula = next(row for row in rows[1:] if "HYPERLINK" in row[0])
    assert formula[:2] == ["'=HYPERLINK(1)", "'=HYPERLINK(1)"]
    assert formula[2:5] == ["1", "2", "0.5"]
    assert formula[7:] == ["1", "123.45", "1.0"]
    price = next(row for row in rows[1:] if row[0] == "price")
    assert price[7:] == ["0", "0", "0"]


def test_empty_states(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    assert reasons.reason_shares(survey.id).rows == []
    assert reasons.reason_shares(survey.id).n == 0
    trend = reasons.reason_trend(survey.id, "week", dt.date(2026, 3, 2), dt.date(2026, 3, 9))
    assert [(p.n, p.counts) for p in trend.periods] == [(0, {})]
    assert reasons.reason_segments(survey.id, "plan").rows == []
    assert reasons.reason_verbatims(survey.id, "price").items == []
    assert reasons.emerging_terms(survey.id, start=START, end=END).terms == []
    rows = list(csv.reader(io.StringIO(reasons.reasons_csv(survey.id).lstrip("\ufeff"))))
    assert len(rows) == 1


def test_the_overview_adds_the_days_up_to_the_same_report(app: Flask) -> None:
    app.config["TIMEZONE"] = "America/New_York"
    survey = factories.gen_survey("nps")
    tags = [["price"], ["price", "support"], ["support"], [], ["bugs_reliability"], ["price"]]
    for offset, names in enumerate(tags):
        gen_comment(survey, "c", tags=names, created_at=DAY + dt.timedelta(days=offset, hours=3))

    report, trend = reasons.reason_overview(
        survey.id, "week", dt.date(2026, 3, 1), dt.date(2026, 3, 15), trend_reasons=2
    )
    start, end = reasons.day_range(dt.date(2026, 3, 1), dt.date(2026, 3, 15))

    assert report == reasons.reason_shares(survey.id, start=start, end=end)
    assert [(row.tag, row.count) for row in report.rows] == [
        ("price", 3),
        ("support", 2),
        ("bugs_reliability", 1),
    ]
    assert trend.tags == ["price", "support"]
    assert [(p.period_start, p.n, p.counts) for p in trend.periods] == [
        (dt.date(2026, 2, 23), 0, {}),
        (dt.date(2026, 3, 2), 5, {"price": 2, "support": 2}),
        (dt.date(2026, 3, 9), 1, {"price": 1}),
    ]
