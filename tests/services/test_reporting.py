"""Reporting queries on the real database: histograms, periods, comments, suppression."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask

from surveyapp.analytics import AnalyticsError
from surveyapp.services import reporting
from surveyapp.services.errors import NotFound
from tests import factories
from tests.factories_results import gen_choice_response, gen_scores

DAY = dt.timedelta(days=1)
JAN = dt.datetime(2025, 1, 15, 10, 30, tzinfo=dt.UTC)


def test_histogram_counts_only_this_survey_and_skips_missing_scores(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    other = factories.gen_survey("nps")
    gen_scores(survey, [10, 10, 9, 3])
    gen_scores(other, [0, 0, 0])
    factories.gen_response(survey, None, "no score given")

    assert reporting.score_histogram(survey.id) == {10: 2, 9: 1, 3: 1}
    assert reporting.response_count(survey.id) == 5


def test_period_is_start_inclusive_end_exclusive(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    gen_scores(survey, [10], created_at=JAN - DAY)
    gen_scores(survey, [9], created_at=JAN)
    gen_scores(survey, [0], created_at=JAN + DAY)

    assert reporting.score_histogram(survey.id, start=JAN, end=JAN + DAY) == {9: 1}
    assert reporting.score_histogram(survey.id, start=JAN) == {9: 1, 0: 1}
    assert reporting.score_histogram(survey.id, end=JAN) == {10: 1}
    assert reporting.response_count(survey.id, start=JAN - DAY, end=JAN + DAY) == 2


def test_nps_results(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    gen_scores(survey, [10, 9, 9, 7, 3])

    results = reporting.survey_results(survey.id)

    assert results.n == 5
    assert results.nps is not None
    assert (results.nps.promoters, results.nps.passives, results.nps.detractors) == (3, 1, 1)
    assert results.nps.score == 40.0
    assert [row.count for row in results.distribution] == [0, 0, 0, 1, 0, 0, 0, 1, 0, 2, 1]
    assert results.csat is None


def test_csat_and_rating_results(app: Flask) -> None:
    csat_survey = factories.gen_survey("csat")
    gen_scores(csat_survey, [5, 4, 2, 1])
    pulse = factories.gen_survey("pulse")
    gen_scores(pulse, [5, 4, 4, 1])

    csat_results = reporting.survey_results(csat_survey.id)
    pulse_results = reporting.survey_results(pulse.id)

    assert csat_results.csat is not None and csat_results.csat.score == 50.0
    assert csat_results.nps is None
    assert pulse_results.mean == 3.5
    assert len(pulse_results.distribution) == 5


def test_choice_counts_spread_multiple_choices_and_share_by_response(app: Flask) -> None:
    survey = factories.gen_survey("cancellation")
    gen_choice_response(survey, ["price"])
    gen_choice_response(survey, ["price"])
    gen_choice_response(survey, ["other"], "moving abroad")
    # A value no longer offered still counts, after the offered ones with the same count.
    gen_choice_response(survey, ["price", "retired_reason"])

    main = survey.main_question
    assert main is not None
    counts, answered = reporting.choice_counts(survey.id, main.id)
    rows = reporting.survey_results(survey.id).choices

    assert counts == {"price": 3, "other": 1, "retired_reason": 1}
    assert answered == 4
    assert (rows[0].value, rows[0].count, rows[0].share) == ("price", 3, 75.0)
    assert rows[0].label["fr"] == "C'est trop cher"
    assert [row.value for row in rows if row.count == 1] == ["other", "retired_reason"]
    assert rows[-1].count == 0
    assert len(rows) == len(main.options) + 1


def test_latest_comments_newest_first_with_limit(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    factories.gen_response(survey, 3, "oldest", created_at=JAN)
    factories.gen_response(survey, 9, "middle", created_at=JAN + DAY, language="fr")
    factories.gen_response(survey, 10, "newest", created_at=JAN + 2 * DAY)
    factories.gen_response(survey, 8, "", created_at=JAN + 3 * DAY)
    factories.gen_response(survey, 8, None, created_at=JAN + 3 * DAY)

    comments = reporting.latest_comments(survey, limit=2)

    assert [comment.text for comment in comments] == ["newest", "middle"]
    assert comments[1].score == 9
    assert comments[1].language == "fr"
    assert comments[1].created_at == JAN + DAY


def test_anonymous_comments_carry_no_date(app: Flask) -> None:
    survey = factories.gen_survey("enps")
    for score in (10, 9, 8, 7, 6):
        factories.gen_response(survey, score, f"remark {score}", created_at=JAN)

    comments = reporting.survey_results(survey.id).comments

    assert len(comments) == 5
    assert all(comment.created_at is None for comment in comments)
    # Within a day the order reveals nothing about who answered first.
    assert [comment.text for comment in comments] == sorted(comment.text for comment in comments)


def test_anonymous_survey_under_k_is_withheld(app: Flask) -> None:
    survey = factories.gen_survey("enps")
    # Anonymous answers are reported once their day is over (services.anonymity).
    yesterday = dt.datetime.now(dt.UTC) - DAY
    gen_scores(survey, [10, 9, 0], created_at=yesterday)
    factories.gen_response(survey, 10, "who wrote this?", created_at=yesterday)

    four = reporting.survey_results(survey.id)
    gen_scores(survey, [7], created_at=yesterday)
    five = reporting.survey_results(survey.id)

    assert four.withheld
    assert (four.n, four.nps, four.comments, four.distribution) == (0, None, [], [])
    assert not five.withheld
    assert five.n == 5
    assert five.nps is not None and five.nps.score == 40.0
    assert [comment.text for comment in five.comments] == ["who wrote this?"]


def test_suppression_applies_to_the_period_asked_for(app: Flask) -> None:
    survey = factories.gen_survey("enps")
    gen_scores(survey, [9] * 5, created_at=JAN)
    gen_scores(survey, [9] * 2, created_at=JAN + 40 * DAY)

    assert not reporting.survey_results(survey.id, end=JAN + DAY).withheld
    assert reporting.survey_results(survey.id, start=JAN + DAY).withheld


def test_named_survey_under_k_is_shown(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    factories.gen_response(survey, 10, "hello")

    results = reporting.survey_results(survey.id)

    assert not results.withheld
    assert results.n == 1
    assert [comment.text for comment in results.comments] == ["hello"]


def test_threshold_comes_from_config_and_is_never_below_three(app: Flask) -> None:
    survey = factories.gen_survey("enps")
    gen_scores(survey, [10, 9, 0, 0, 5, 5])

    app.config["REPORTING_THRESHOLD"] = 7
    assert reporting.survey_results(survey.id).withheld
    app.config["REPORTING_THRESHOLD"] = 2
    with pytest.raises(AnalyticsError):
        reporting.survey_results(survey.id)


def test_unknown_survey(app: Flask) -> None:
    with pytest.raises(NotFound):
        reporting.survey_results(123_456)
