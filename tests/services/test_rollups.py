"""Daily rollups equal the raw aggregation after inserts, re-submissions, deletes and rebuilds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from surveyapp import db
from surveyapp.cli import rebuild_rollups_command
from surveyapp.models import DailyRollup, Invitation, Response, Survey
from surveyapp.services import rollups
from surveyapp.services.responses import AnswerValue, submit_response
from tests import factories
from tests.concurrency import race
from tests.conftest import make_test_app

FIRST = dt.date(2020, 1, 1)
END = dt.date(2030, 1, 1)


def same_as_raw(survey_id: int, key: str = "") -> list[rollups.DayCounts]:
    rolled = sorted(rollups.daily_counts([survey_id], FIRST, END, key)[survey_id])
    raw = sorted(rollups.raw_daily_counts([survey_id], FIRST, END, key)[survey_id])
    assert rolled == raw
    return rolled


def test_inserts_updates_and_deletes_keep_rollups_equal_to_raw(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    when = dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC)
    first = factories.gen_response(survey, 9, created_at=when)
    factories.gen_response(survey, 3, created_at=when)
    factories.gen_response(survey, None, "skipped the score", created_at=when)
    assert same_as_raw(survey.id) == [("", dt.date(2026, 5, 4), 3, {9: 1, 3: 1})]

    first.score = 6
    first.segment = {"plan": "pro"}
    db.session().commit()
    assert same_as_raw(survey.id) == [("", dt.date(2026, 5, 4), 3, {6: 1, 3: 1})]
    assert same_as_raw(survey.id, "plan") == [("pro", dt.date(2026, 5, 4), 1, {6: 1})]
    assert [row[0] for row in same_as_raw(survey.id, "language")] == ["en"]

    db.session().delete(first)
    db.session().commit()
    assert same_as_raw(survey.id) == [("", dt.date(2026, 5, 4), 2, {3: 1})]
    assert same_as_raw(survey.id, "plan") == []


def test_resubmitted_token_moves_the_count_to_the_new_score(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    contact = factories.gen_contact()
    invitation = factories.gen_invitation(survey, contact)
    main = survey.main_question
    assert main is not None
    submit_response(survey, {main.id: AnswerValue(number=10)}, language="en", invitation=invitation)
    submit_response(survey, {main.id: AnswerValue(number=2)}, language="fr", invitation=invitation)

    rows = same_as_raw(survey.id)
    assert [(n, histogram) for _v, _d, n, histogram in rows] == [(1, {2: 1})]
    assert [value for value, *_ in same_as_raw(survey.id, "language")] == ["fr"]
    assert db.session().scalar(sa.select(sa.func.count(Response.id))) == 1


def test_days_are_local_days_of_the_configured_zone(app: Flask) -> None:
    app.config["TIMEZONE"] = "America/New_York"
    survey = factories.gen_survey("nps")
    # 03:00 UTC on 1 January is still New Year's Eve in New York.
    factories.gen_response(survey, 10, created_at=dt.datetime(2027, 1, 1, 3, tzinfo=dt.UTC))
    rows = rollups.daily_counts([survey.id], FIRST, END)[survey.id]
    assert [day for _v, day, *_ in rows] == [dt.date(2026, 12, 31)]
    assert rows == rollups.raw_daily_counts([survey.id], FIRST, END)[survey.id]


def test_rebuild_matches_what_was_maintained_and_records_the_zone(app: Flask) -> None:
    survey = factories.gen_survey("csat")
    for hour, score in ((1, 5), (2, 4), (23, 1)):
        factories.gen_response(
            survey, score, created_at=dt.datetime(2026, 3, 28, hour, tzinfo=dt.UTC)
        )
    before = sorted(rollups.daily_counts([survey.id], FIRST, END)[survey.id])

    rollups.rebuild([survey.id])
    assert sorted(rollups.daily_counts([survey.id], FIRST, END)[survey.id]) == before

    # A new zone: reports read the raw responses until the rebuild, then rollups again.
    app.config["TIMEZONE"] = "Europe/Paris"
    assert not rollups.rollups_usable()
    rollups.rebuild()
    assert rollups.rollup_time_zone() == "Europe/Paris" and rollups.rollups_usable()
    # 23:00 UTC on 28 March is 29 March in Paris.
    rows = same_as_raw(survey.id)
    assert [(day, n) for _v, day, n, _h in rows] == [
        (dt.date(2026, 3, 28), 2),
        (dt.date(2026, 3, 29), 1),
    ]


def test_rebuild_command(app: Flask, runner: object) -> None:
    survey = factories.gen_survey("nps")
    factories.gen_response(survey, 7)
    db.session().execute(sa.delete(DailyRollup))
    db.session().commit()
    result = runner.invoke(rebuild_rollups_command)
    assert result.exit_code == 0, result.output
    assert "UTC" in result.output
    assert [n for _v, _d, n, _h in same_as_raw(survey.id)] == [1]


def test_unknown_zone_is_a_command_error(app: Flask, runner: object) -> None:
    app.config["TIMEZONE"] = "Mars/Olympus"
    result = runner.invoke(rebuild_rollups_command)
    assert result.exit_code != 0
    assert "unknown time zone" in result.output


@pytest.mark.parametrize("count", [0, 1])
def test_survey_deletion_removes_its_rollups(app: Flask, count: int) -> None:
    survey = factories.gen_survey("nps")
    for _ in range(count):
        factories.gen_response(survey, 8)
    db.session().delete(survey)
    db.session().commit()
    assert db.session().scalar(sa.select(sa.func.count()).select_from(DailyRollup)) == 0


def test_racing_resubmissions_of_one_response_keep_rollups_exact(database_url: str) -> None:
    """Two workers update the same response at once: the old score is subtracted once."""
    setup = make_test_app(database_url)
    with setup.app_context():
        survey = factories.gen_survey("nps")
        invitation = factories.gen_invitation(survey, factories.gen_contact())
        main = survey.main_question
        assert main is not None
        submit_response(
            survey, {main.id: AnswerValue(number=4)}, language="en", invitation=invitation
        )
        survey_id, invitation_id, question_id = survey.id, invitation.id, main.id
        db.session().close()

    def resubmit(ready: Callable[[], None]) -> None:
        survey = db.session().get(Survey, survey_id)
        invitation = db.session().get(Invitation, invitation_id)
        ready()
        submit_response(
            survey, {question_id: AnswerValue(number=9)}, language="en", invitation=invitation
        )

    race(database_url, 4, resubmit)
    with setup.app_context():
        rows = same_as_raw(survey_id)
        assert [(n, histogram) for _v, _d, n, histogram in rows] == [(1, {9: 1})]
        db.session().close()
    setup.extensions["surveyapp.engine"].dispose()
