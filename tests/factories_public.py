"""Test data for the respondent pages: a survey with every question type, stored rows read fresh."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from surveyapp import db
from surveyapp.models import Answer, AttributeDefinition, Invitation, Question, Response, Survey
from tests import factories


def gen_survey_with_every_type(status: str = "active", *, anonymous: bool = False) -> Survey:
    """A custom survey: ces (required), rating, single choice with "other", multiple choice,
    yes/no and a short text, in English and French."""
    survey = factories.gen_survey("custom", status, anonymous=anonymous)
    options = [
        {"value": "web", "label": {"en": "The website", "fr": "Le site"}},
        {"value": "app", "label": {"en": "The app", "fr": "L'appli"}},
        {"value": "phone", "label": {"en": "The phone", "fr": "Le téléphone"}},
    ]
    specs: list[dict[str, Any]] = [
        {"type": "ces", "required": True, "text": {"en": "How easy was it?", "fr": "Facile ?"}},
        {"type": "rating", "text": {"en": "Rate the service", "fr": "Notez le service"}},
        {
            "type": "single_choice",
            "text": {"en": "Where did you hear of us?", "fr": "Où nous avez-vous connus ?"},
            "options": options,
            "settings": {"allow_other": True},
        },
        {
            "type": "multiple_choice",
            "text": {"en": "Which do you use?", "fr": "Lesquels utilisez-vous ?"},
            "options": options,
        },
        {"type": "yes_no", "text": {"en": "Would you come back?", "fr": "Reviendriez-vous ?"}},
        {"type": "text", "text": {"en": "Your name for the prize", "fr": "Votre nom"}},
    ]
    for position, spec in enumerate(specs):
        survey.questions.append(
            Question(
                position=position,
                type=spec["type"],
                text=spec["text"],
                required=spec.get("required", False),
                options=spec.get("options", []),
                settings=spec.get("settings", {}),
            )
        )
    db.session().commit()
    return survey


def gen_attribute(key: str, *, reportable: bool) -> AttributeDefinition:
    """A declared contact attribute."""
    definition = AttributeDefinition(key=key, label=key, type="text", reportable=reportable)
    db.session().add(definition)
    db.session().commit()
    return definition


def stored_responses(survey_id: int) -> list[Response]:
    """Every response of the survey as the database holds it now (not the session's cache)."""
    session = db.session()
    session.expire_all()
    return list(
        session.scalars(sa.select(Response).where(Response.survey_id == survey_id).order_by("id"))
    )


def stored_answers(response_id: int) -> dict[int, Answer]:
    """The answers of a response by question id, read fresh."""
    session = db.session()
    session.expire_all()
    rows = session.scalars(sa.select(Answer).where(Answer.response_id == response_id))
    return {answer.question_id: answer for answer in rows}


def stored_invitation(invitation_id: int) -> Invitation:
    """The invitation as the database holds it now."""
    session = db.session()
    session.expire_all()
    invitation = session.get(Invitation, invitation_id)
    assert invitation is not None
    return invitation


def count_rows(model: type[Response] | type[Answer]) -> int:
    """How many rows a table holds."""
    return db.session().scalar(sa.select(sa.func.count()).select_from(model)) or 0
