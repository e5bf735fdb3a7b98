"""The demo seeder on a real, empty database."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from surveyapp import db
from surveyapp.models import Answer, AttributeDefinition, Contact, Response, Survey
from surveyapp.services import demo, reporting
from surveyapp.services.errors import Conflict
from tests import factories


def count(query: sa.Select[tuple[int]]) -> int:
    return db.session().scalar(query) or 0


def test_seed_demo_fills_an_empty_database(app: Flask, runner: FlaskCliRunner) -> None:
    summary = demo.seed_demo()

    session = db.session()
    surveys = {survey.kind: survey for survey in session.scalars(sa.select(Survey))}
    assert sorted(surveys) == ["cancellation", "csat", "enps", "nps"]
    assert {survey.status for survey in surveys.values()} == {"active"}
    assert surveys["enps"].anonymous and not surveys["nps"].anonymous
    assert "Customer NPS" in summary and "responses" in summary

    total = count(sa.select(sa.func.count(Response.id)))
    assert 2000 <= total <= 6000
    assert count(sa.select(sa.func.count(Contact.id))) == 150
    definitions = session.scalars(sa.select(AttributeDefinition)).all()
    assert {(d.key, d.reportable) for d in definitions} == {("plan", True), ("team", True)}

    # Two years, ending today.
    first, last = session.execute(
        sa.select(sa.func.min(Response.created_at), sa.func.max(Response.created_at))
    ).one()
    assert last.date() >= dt.datetime.now(dt.UTC).date() - dt.timedelta(days=3)
    assert (last - first).days >= 700

    # Scores: 0–10 on NPS and eNPS, 1–5 on CSAT, none on cancellation.
    for kind, low, high in (("nps", 0, 10), ("enps", 0, 10), ("csat", 1, 5)):
        histogram = reporting.score_histogram(surveys[kind].id)
        assert min(histogram) >= low and max(histogram) <= high, kind
        assert sum(histogram.values()) == reporting.response_count(surveys[kind].id)
    assert reporting.score_histogram(surveys["cancellation"].id) == {}
    results = reporting.survey_results(surveys["cancellation"].id)
    assert results.choices[0].count > 0
    assert sum(row.count for row in results.choices) == results.n

    # The anonymous survey: no contact, no invitation, day-truncated timestamps.
    enps_id = surveys["enps"].id
    anonymous = session.execute(
        sa.select(Response.contact_id, Response.invitation_id, Response.created_at).where(
            Response.survey_id == enps_id
        )
    ).all()
    assert anonymous
    assert {(contact, invitation) for contact, invitation, _ in anonymous} == {(None, None)}
    assert {created.time() for _, _, created in anonymous} == {dt.time(0, 0)}

    # Comments in both languages, on about a third of the responses.
    commented = session.execute(
        sa.select(Response.language, sa.func.count(sa.distinct(Response.id)))
        .join(Answer, Answer.response_id == Response.id)
        .where(Answer.text.is_not(None))
        .group_by(Response.language)
    ).all()
    by_language = dict(commented)
    assert set(by_language) == {"en", "fr"}
    assert 0.25 < sum(by_language.values()) / total < 0.45

    # A second run is refused, through the command line too.
    with pytest.raises(Conflict):
        demo.seed_demo()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "empty database" in result.output
    assert count(sa.select(sa.func.count(Survey.id))) == 4


def test_seed_demo_refuses_a_database_with_surveys(app: Flask) -> None:
    factories.gen_survey("nps")

    with pytest.raises(Conflict, match="already has surveys"):
        demo.seed_demo()

    assert count(sa.select(sa.func.count(Contact.id))) == 0
