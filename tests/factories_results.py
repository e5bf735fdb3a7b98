"""Test data for the results area: responses to choice questions and many scores at once."""

from __future__ import annotations

import datetime as dt

from surveyapp import db
from surveyapp.models import Answer, Response, Survey


def gen_choice_response(
    survey: Survey,
    choices: list[str],
    comment: str | None = None,
    *,
    language: str = "en",
    created_at: dt.datetime | None = None,
) -> Response:
    """A completed response choosing ``choices`` on the survey's main (choice) question."""
    main = survey.main_question
    assert main is not None and main.type in ("single_choice", "multiple_choice")
    text_question = next((q for q in survey.questions if q.type == "text"), None)
    response = Response(
        survey_id=survey.id,
        language=language,
        channel="link",
        completed=True,
        created_at=created_at or dt.datetime.now(dt.UTC),
        answers=[Answer(question_id=main.id, choices=choices)],
    )
    if comment is not None and text_question is not None:
        response.answers.append(Answer(question_id=text_question.id, text=comment))
    db.session().add(response)
    db.session().commit()
    return response


def gen_scores(survey: Survey, scores: list[int], *, created_at: dt.datetime | None = None) -> None:
    """One completed response per score, with no comment, inserted in one commit."""
    main = survey.main_question
    assert main is not None
    when = created_at or dt.datetime.now(dt.UTC)
    db.session().add_all(
        Response(
            survey_id=survey.id,
            language="en",
            channel="link",
            score=score,
            completed=True,
            created_at=when,
            answers=[Answer(question_id=main.id, value_number=score)],
        )
        for score in scores
    )
    db.session().commit()
