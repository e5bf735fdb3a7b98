"""Test data for the survey builder: answers to a given question, written directly."""

from __future__ import annotations

import datetime as dt
from typing import Any

from surveyapp import db
from surveyapp.models import Answer, Question, Response, Survey


def gen_answer(
    survey: Survey,
    question: Question,
    *,
    value_number: int | None = None,
    choices: list[Any] | None = None,
    text: str | None = None,
) -> Response:
    """A completed response holding one answer to ``question``."""
    response = Response(
        survey_id=survey.id,
        language=survey.default_language,
        channel="link",
        score=value_number if question is survey.main_question else None,
        completed=True,
        created_at=dt.datetime.now(dt.UTC),
    )
    response.answers.append(
        Answer(question_id=question.id, value_number=value_number, choices=choices, text=text)
    )
    db.session().add(response)
    db.session().commit()
    return response
