"""Reason tags and sentiment stored at submit time, on a real database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from surveyapp import db
from surveyapp.models import Answer, AnswerTag
from surveyapp.services import tagging
from tests import factories
from tests.factories_reasons import gen_tagged_response, stored_tags


def text_answer(response_id: int) -> Answer:
    return (
        db.session()
        .scalars(
            sa.select(Answer).where(Answer.response_id == response_id, Answer.text.is_not(None))
        )
        .one()
    )


def test_a_detractor_comment_gets_its_tags_words_and_sentiment(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    response = gen_tagged_response(
        survey, "The price was way too high and support never answered my tickets", score=3
    )

    tags = stored_tags(response.id)
    assert set(tags) == {"price", "support"}
    assert tags["price"].source == "rule"
    assert 0 < tags["price"].confidence <= 1
    assert "price" in tags["price"].words
    assert text_answer(response.id).sentiment is not None


def test_a_promoter_comment_gets_sentiment_but_no_tag(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    response = gen_tagged_response(survey, "A bit expensive, but I love it", score=9)

    assert stored_tags(response.id) == {}
    assert text_answer(response.id).sentiment is not None


@pytest.mark.parametrize(("score", "tagged"), [(2, True), (1, True), (3, False), (5, False)])
def test_csat_comments_are_tagged_at_one_and_two_only(app: Flask, score: int, tagged: bool) -> None:
    survey = factories.gen_survey("csat")
    response = gen_tagged_response(survey, "The app crashes all the time", score=score)

    assert ("bugs_reliability" in stored_tags(response.id)) is tagged


def test_a_french_comment_is_tagged_in_french(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    response = gen_tagged_response(survey, "Beaucoup trop cher pour nous", score=4, language="fr")

    assert set(stored_tags(response.id)) == {"price"}
    assert text_answer(response.id).sentiment is not None


def test_a_cancellation_counts_the_chosen_reason_on_every_text(app: Flask) -> None:
    survey = factories.gen_survey("cancellation")
    response = gen_tagged_response(
        survey, "Nothing, really.", reason="competitor", other="Their onboarding was nicer"
    )

    rows = (
        db.session()
        .scalars(
            sa.select(AnswerTag)
            .join(Answer, Answer.id == AnswerTag.answer_id)
            .where(Answer.response_id == response.id, AnswerTag.tag == "competitor")
        )
        .all()
    )
    # Both the "other" box and the follow-up text carry the respondent's own reason.
    assert len(rows) == 2
    assert {row.source for row in rows} == {"choice"}


def test_resubmitting_retags_but_keeps_a_manual_tag(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    key = "k" * 22
    first = gen_tagged_response(survey, "Far too expensive", score=2, submission_key=key)
    assert set(stored_tags(first.id)) == {"price"}
    session = db.session()
    session.add(
        AnswerTag(
            answer_id=text_answer(first.id).id,
            tag="billing",
            confidence=1.0,
            words=[],
            source="manual",
        )
    )
    session.commit()

    second = gen_tagged_response(survey, "The app crashes every day", score=2, submission_key=key)

    assert second.id == first.id
    tags = stored_tags(first.id)
    assert set(tags) == {"bugs_reliability", "billing"}
    assert tags["billing"].source == "manual"


def test_a_detractor_who_becomes_a_promoter_loses_the_machine_tags(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    key = "p" * 22
    response = gen_tagged_response(survey, "Too expensive", score=5, submission_key=key)
    assert set(stored_tags(response.id)) == {"price"}

    gen_tagged_response(survey, "Too expensive", score=10, submission_key=key)

    assert stored_tags(response.id) == {}


def test_bulk_tagging_of_stored_answers_keeps_manual_tags(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    detractor = factories.gen_response(survey, 1, "Support never answered my tickets")
    promoter = factories.gen_response(survey, 10, "Great support team")
    session = db.session()
    session.add(
        AnswerTag(
            answer_id=text_answer(detractor.id).id,
            tag="other",
            confidence=1.0,
            words=[],
            source="manual",
        )
    )
    session.commit()

    written = tagging.tag_surveys([survey.id])
    session.commit()

    assert written == 1
    assert set(stored_tags(detractor.id)) == {"support", "other"}
    assert stored_tags(promoter.id) == {}
    assert text_answer(promoter.id).sentiment is not None
