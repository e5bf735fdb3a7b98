"""Models: constraints and types behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask import Flask

from surveyapp import db
from surveyapp.models import Answer, Contact, Invitation, Question, Response, Survey, User
from tests import factories


def test_contact_email_is_unique_whatever_its_case(app: Flask) -> None:
    factories.gen_contact("Marie.Curie@Example.com")
    session = db.session()
    assert session.scalar(sa.select(Contact.email)) == "marie.curie@example.com"
    session.add(Contact(email="MARIE.CURIE@example.COM"))
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()


def test_timestamps_are_stored_and_read_back_as_aware_utc(app: Flask) -> None:
    survey = factories.gen_survey()
    paris = dt.timezone(dt.timedelta(hours=1))
    response = factories.gen_response(
        survey, 9, created_at=dt.datetime(2026, 3, 1, 0, 30, tzinfo=paris)
    )
    db.session().expire_all()
    stored = db.session().get(Response, response.id)
    assert stored is not None
    assert stored.created_at == dt.datetime(2026, 2, 28, 23, 30, tzinfo=dt.UTC)
    assert stored.created_at.tzinfo is dt.UTC


def test_naive_datetimes_are_refused(app: Flask) -> None:
    survey = factories.gen_survey()
    db.session().add(
        Response(
            survey_id=survey.id, language="en", channel="link", created_at=dt.datetime(2026, 1, 1)
        )
    )
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        db.session().commit()


def test_one_answer_per_question_per_response(app: Flask) -> None:
    survey = factories.gen_survey()
    response = factories.gen_response(survey, 7)
    db.session().add(
        Answer(response_id=response.id, question_id=survey.questions[0].id, value_number=8)
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session().commit()


def test_one_response_per_invitation(app: Flask) -> None:
    survey = factories.gen_survey()
    invitation = factories.gen_invitation(survey)
    session = db.session()
    for _ in range(2):
        session.add(
            Response(
                survey_id=survey.id, invitation_id=invitation.id, language="en", channel="email"
            )
        )
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()


def test_invitation_tokens_are_unique(app: Flask) -> None:
    survey = factories.gen_survey()
    factories.gen_invitation(survey, token="same-token")
    with pytest.raises(sa.exc.IntegrityError):
        factories.gen_invitation(survey, token="same-token")


def test_deleting_a_survey_deletes_its_questions_responses_and_answers(app: Flask) -> None:
    survey = factories.gen_survey()
    factories.gen_response(survey, 10, "Great")
    session = db.session()
    session.delete(survey)
    session.commit()
    for model in (Survey, Question, Response, Answer):
        assert session.scalar(sa.select(sa.func.count()).select_from(model)) == 0


def test_deleting_a_contact_deletes_their_invitations_and_keeps_responses(app: Flask) -> None:
    survey = factories.gen_survey()
    contact = factories.gen_contact()
    invitation = factories.gen_invitation(survey, contact)
    session = db.session()
    session.add(
        Response(
            survey_id=survey.id,
            invitation_id=invitation.id,
            contact_id=contact.id,
            language="en",
            channel="email",
            score=3,
        )
    )
    session.commit()
    session.delete(contact)
    session.commit()
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0
    response = session.scalar(sa.select(Response))
    assert response is not None and response.contact_id is None and response.score == 3


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (User, {"email": "a@b.c", "password_hash": "x", "role": "owner"}),
        (Survey, {"kind": "quiz", "title": "t", "public_slug": "s"}),
        (Survey, {"kind": "nps", "title": "t", "public_slug": "s", "status": "paused"}),
    ],
)
def test_check_constraints_refuse_unknown_values(app: Flask, model: type, values: dict) -> None:
    db.session().add(model(**values))
    with pytest.raises(sa.exc.IntegrityError):
        db.session().commit()


def test_main_question_is_the_first_score_question(app: Flask) -> None:
    survey = factories.gen_survey("csat")
    assert survey.main_question is survey.questions[0]
    assert survey.main_question.scale == (1, 5)
    cancellation = factories.gen_survey("cancellation")
    assert (
        cancellation.main_question is not None
        and cancellation.main_question.type == "single_choice"
    )
    assert factories.gen_survey("custom").main_question is None
