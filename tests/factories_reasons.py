"""Test data for churn reasons: responses submitted through the real submit path (so tagged)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from surveyapp import db
from surveyapp.models import Answer, AnswerTag, Response, Survey
from surveyapp.services import responses
from surveyapp.services.responses import AnswerValue


def gen_tagged_response(
    survey: Survey,
    comment: str | None,
    *,
    score: int | None = None,
    reason: str | None = None,
    other: str | None = None,
    language: str = "en",
    created_at: dt.datetime | None = None,
    submission_key: str | None = None,
) -> Response:
    """Submit a response on a public link: the main score (or cancellation ``reason`` with
    its ``other`` text) and ``comment`` in the first text question; optionally backdated."""
    main = survey.main_question
    assert main is not None
    text_question = next(q for q in survey.questions if q.type == "text" and q.id != main.id)
    answers = {text_question.id: AnswerValue(text=comment)}
    if reason is not None:
        answers[main.id] = AnswerValue(choices=(reason,), text=other)
    else:
        answers[main.id] = AnswerValue(number=score)
    response = responses.submit_response(
        survey,
        answers,
        language=language,
        submission_key=submission_key or responses.new_submission_key(),
    )
    if created_at is not None:
        response.created_at = created_at
        db.session().commit()
    return response


def stored_tags(response_id: int) -> dict[str, AnswerTag]:
    """The tags of every answer of a response, by tag name."""
    rows = db.session().scalars(
        sa.select(AnswerTag)
        .join(Answer, Answer.id == AnswerTag.answer_id)
        .where(Answer.response_id == response_id)
    )
    return {row.tag: row for row in rows}
