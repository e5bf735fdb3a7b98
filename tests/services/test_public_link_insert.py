"""A new public-link response, written with Core statements, is stored whole."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from surveyapp import db
from surveyapp.models import Answer, AnswerTag, Case, Question, Response, Survey
from surveyapp.services import responses
from tests import factories
from tests.factories_webhooks import delivery_rows, gen_endpoint
from tests.services.test_rollups import same_as_raw

PUBLIC_URL = "https://93.184.216.34/hooks"


def submit_comment(survey: Survey, score: int, text: str, key: str | None = None) -> Response:
    """Send a score and a comment through a public link, as a new respondent."""
    main = survey.main_question
    assert main is not None
    response = responses.submit_response(
        survey,
        {
            main.id: responses.AnswerValue(number=score),
            comment_question(survey).id: responses.AnswerValue(text=text),
        },
        language="en",
        submission_key=key or responses.new_submission_key(),
    )
    db.session().close()
    return response


def comment_question(survey: Survey) -> Question:
    return next(q for q in survey.questions if q.type == "text")


def test_a_detractor_comment_is_stored_tagged_counted_followed_up_and_sent(app: Flask) -> None:
    gen_endpoint(PUBLIC_URL, ("response.created", "response.updated", "alert.created"))
    survey = factories.gen_survey("nps")
    main, comment = survey.main_question, comment_question(survey)
    assert main is not None
    key = responses.new_submission_key()

    returned = submit_comment(survey, 3, "Way too expensive for what it does", key)

    stored = db.session().scalar(sa.select(Response).where(Response.submission_key == key))
    assert stored is not None and stored.id == returned.id
    assert (stored.score, stored.channel, stored.completed) == (3, "link", True)
    answers = {a.question_id: a for a in db.session().scalars(sa.select(Answer))}
    assert answers[main.id].value_number == 3
    assert answers[comment.id].sentiment is not None and answers[comment.id].sentiment < 0
    tags = db.session().scalars(
        sa.select(AnswerTag.tag).where(AnswerTag.answer_id == answers[comment.id].id)
    )
    assert "price" in set(tags)
    [case] = db.session().scalars(sa.select(Case))
    assert (case.response_id, case.reason) == (stored.id, "detractor")
    events = sorted(delivery.event for delivery, _message in delivery_rows())
    assert events == ["alert.created", "response.created"]
    [(_value, _day, n, histogram)] = same_as_raw(survey.id)
    assert (n, histogram) == (1, {3: 1})

    # The same key again (a double click) updates that response through the ORM path.
    responses.submit_response(
        survey, {main.id: responses.AnswerValue(number=8)}, language="en", submission_key=key
    )
    db.session().close()
    assert db.session().scalar(sa.select(sa.func.count()).select_from(Response)) == 1
    [(_value, _day, n, histogram)] = same_as_raw(survey.id)
    assert (n, histogram) == (1, {8: 1})
    events = sorted(delivery.event for delivery, _message in delivery_rows())
    assert events == ["alert.created", "response.created", "response.updated"]


def test_a_promoter_comment_gets_its_sentiment_but_no_reasons(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    submit_comment(survey, 10, "Great value, support is wonderful")
    text = db.session().scalar(
        sa.select(Answer).where(Answer.question_id == comment_question(survey).id)
    )
    assert text is not None and text.sentiment is not None and text.sentiment > 0
    assert db.session().scalar(sa.select(sa.func.count()).select_from(AnswerTag)) == 0


def test_an_anonymous_comment_s_tags_are_dated_to_the_day(app: Flask) -> None:
    survey = factories.gen_survey("enps", anonymous=True)
    submit_comment(survey, 2, "Way too expensive, and support never answers")
    stamps = list(db.session().scalars(sa.select(AnswerTag.created_at)))
    assert stamps, "the comment was not tagged"
    assert all((s.hour, s.minute, s.second, s.microsecond) == (0, 0, 0, 0) for s in stamps)
