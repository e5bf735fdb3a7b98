"""metrics_by_period, the dashboard data and the overview against hand-computed values."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask

from surveyapp import db
from surveyapp.services import reporting
from surveyapp.services.errors import InvalidInput, NotFound
from tests import factories
from tests.factories_results import gen_scores


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


MON = dt.date(2026, 1, 5)


def test_weekly_nps_rows_hand_computed(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    # Week 1: bucket edges 6/7/8/9 and a 10: 2 promoters, 2 passives, 1 detractor.
    gen_scores(survey, [6, 7, 8, 9, 10], created_at=at(MON))
    # Week 2 is empty; week 3: n = 1, a promoter.
    gen_scores(survey, [10], created_at=at(MON + dt.timedelta(days=14)))
    factories.gen_response(survey, None, "skipped", created_at=at(MON))

    rows = reporting.metrics_by_period(survey.id, "week", "2026-01-05", "2026-01-26")

    assert [row["period_start"] for row in rows] == ["2026-01-05", "2026-01-12", "2026-01-19"]
    first, empty, single = rows
    # NPS = 100 × (2 − 1) / 5 = 20; p = .4, d = .2, var = .6 − .04 = .56, moe = 196 × sqrt(.112).
    assert first["n"] == 5  # the skipped answer is not in the denominator
    assert (first["promoters"], first["passives"], first["detractors"]) == (2, 2, 1)
    assert first["nps"] == pytest.approx(20.0)
    assert first["moe"] == pytest.approx(196 * 0.112**0.5)
    assert first["segment"] is None and first["suppressed"] is False
    assert empty["n"] == 0 and empty["nps"] is None and empty["moe"] is None
    assert single["nps"] == 100.0 and single["moe"] == 0.0
    assert set(first) == {
        "period_start",
        "segment",
        "n",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "moe",
        "suppressed",
    }


def test_all_detractors_and_monthly_buckets(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    gen_scores(survey, [0, 3, 6], created_at=at(dt.date(2026, 1, 31), 23))
    gen_scores(survey, [9], created_at=at(dt.date(2026, 2, 1), 0))
    rows = reporting.metrics_by_period(survey.id, "month", "2026-01-01", "2026-03-01")
    assert [(r["n"], r["nps"]) for r in rows] == [(3, -100.0), (1, 100.0)]


def test_month_boundary_in_the_workspace_zone(app: Flask) -> None:
    app.config["TIMEZONE"] = "Europe/Paris"
    from surveyapp.services import rollups

    rollups.rebuild()
    survey = factories.gen_survey("nps")
    # 23:30 UTC on 31 January is 1 February in Paris.
    gen_scores(survey, [10], created_at=at(dt.date(2026, 1, 31), 23).replace(minute=30))
    rows = reporting.metrics_by_period(survey.id, "month", "2026-01-01", "2026-03-01")
    assert [r["n"] for r in rows] == [0, 1]


def test_csat_rows_and_segment_breakdown(app: Flask) -> None:
    survey = factories.gen_survey("csat")
    gen_scores(survey, [5, 4, 3, 1], created_at=at(MON))
    rows = reporting.metrics_by_period(survey.id, "week", MON, MON + dt.timedelta(days=7))
    assert rows == [
        {"period_start": "2026-01-05", "segment": None, "n": 4, "csat": 50.0,
         "moe": pytest.approx(196 * (0.25 / 4) ** 0.5), "suppressed": False}
    ]  # fmt: skip
    by_language = reporting.metrics_by_period(
        survey.id, "week", MON, MON + dt.timedelta(days=7), "language"
    )
    assert [(r["segment"], r["n"]) for r in by_language] == [("en", 4)]


def test_anonymous_answers_wait_for_a_block_of_k_without_numbers(app: Flask) -> None:
    survey = factories.gen_survey("enps")
    gen_scores(survey, [10] * 6, created_at=at(MON))
    gen_scores(survey, [0] * 2, created_at=at(MON + dt.timedelta(days=7)))
    rows = reporting.metrics_by_period(survey.id, "week", MON, MON + dt.timedelta(days=14))
    # The two answers of the second week wait for three more: they count nowhere yet,
    # so the first week's numbers cannot be subtracted from a total to reveal them.
    assert rows == [
        {
            "period_start": "2026-01-05",
            "segment": None,
            "n": 6,
            "promoters": 6,
            "passives": 0,
            "detractors": 0,
            "nps": 100.0,
            "moe": 0.0,
            "suppressed": False,
        },
        {"period_start": "2026-01-12", "segment": None, "suppressed": True},
    ]
    gen_scores(survey, [0] * 3, created_at=at(MON + dt.timedelta(days=8)))
    rows = reporting.metrics_by_period(survey.id, "week", MON, MON + dt.timedelta(days=14))
    assert [(row["n"], row["detractors"]) for row in rows] == [(6, 0), (5, 5)]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("fortnight", None, None, None), "interval"),
        (("week", "2026-02-30", None, None), "start"),
        (("week", "yesterday", None, None), "start"),
        (("week", "2026-03-01", "2026-02-01", None), "start"),
        (("week", "2026-03-01", "2026/04/01", None), "end"),
        (("day", "2000-01-01", "2026-01-01", None), "interval"),
        (("week", None, None, "shoe_size"), "segment"),
    ],
)
def test_bad_input_names_the_field(app: Flask, args: tuple, field: str) -> None:
    survey = factories.gen_survey("nps")
    with pytest.raises(InvalidInput) as error:
        reporting.metrics_by_period(survey.id, *args)
    assert error.value.field == field


def test_unknown_survey(app: Flask) -> None:
    with pytest.raises(NotFound):
        reporting.metrics_by_period(10_000, "week")


def test_significance_flags_between_periods(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    week2 = MON + dt.timedelta(days=7)
    # 40 responses each: NPS 0 then NPS 50; se ≈ 15.8 and 12.2, z ≈ 2.5: significant.
    gen_scores(survey, [10] * 10 + [8] * 20 + [0] * 10, created_at=at(MON))
    gen_scores(survey, [10] * 20 + [8] * 20, created_at=at(week2))
    # Third week: same as the second but only 10 answers: never called significant.
    gen_scores(survey, [0] * 10, created_at=at(week2 + dt.timedelta(days=7)))
    query = reporting.parse_metrics_query("week", MON, MON + dt.timedelta(days=21))
    periods = reporting.dashboard(survey.id, query).periods
    assert periods[0].change is None
    assert periods[1].change is not None and periods[1].change.significant
    assert periods[2].change is not None and not periods[2].change.significant
    assert periods[2].change.too_few_responses and periods[2].score.too_few


def test_overview_compares_windows_from_rollups(app: Flask) -> None:
    survey = factories.gen_survey("nps", title="A")
    factories.gen_survey("nps", status="draft")
    now = dt.datetime.now(dt.UTC)
    gen_scores(survey, [10, 10, 0], created_at=now)
    gen_scores(survey, [0], created_at=now - dt.timedelta(days=40))
    rows = reporting.overview(30)
    assert [row.survey.id for row in rows] == [survey.id]
    row = rows[0]
    assert (row.current.n, round(row.current.value or 0, 1)) == (3, 33.3)
    assert (row.previous.n, row.previous.value) == (1, -100.0)
    assert row.change is not None and not row.change.significant
    assert row.response_rate is None
    with pytest.raises(InvalidInput):
        reporting.overview(0)


def test_response_rate_counts_answered_invitations_not_public_link_answers(app: Flask) -> None:
    survey = factories.gen_survey("nps", title="Rate")
    now = dt.datetime.now(dt.UTC)
    invited = [factories.gen_invitation(survey) for _ in range(4)]
    invited[0].answered_at = now
    invited[0].status = "answered"
    db.session().commit()
    # Five answers from the public link: no invitation, so not in the rate.
    gen_scores(survey, [9, 9, 9, 9, 9], created_at=now)

    row = reporting.overview(30)[0]
    assert row.response_rate == 25.0
