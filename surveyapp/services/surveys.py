"""Surveys: creation from a kind, reading, and the text respondents see."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from surveyapp import db
from surveyapp.models import Question, Survey, User
from surveyapp.models.survey import KINDS
from surveyapp.services.errors import InvalidInput, NotFound
from surveyapp.services.survey_kinds import DEFAULT_TOPIC, KIND_TEMPLATES

__all__ = [
    "create_survey",
    "get_survey",
    "get_survey_by_slug",
    "list_surveys",
    "question_text",
]

SUPPORTED_LANGUAGES = ("en", "fr")


def create_survey(
    kind: str,
    title: str,
    *,
    language: str = "en",
    languages: list[str] | None = None,
    anonymous: bool | None = None,
    owner: User | None = None,
) -> Survey:
    """Create a draft survey of ``kind`` with its default questions in every language.

    ``anonymous`` defaults to the kind's default (eNPS is anonymous).
    Raises InvalidInput for an unknown kind or language or an empty title.
    """
    if kind not in KINDS:
        raise InvalidInput(f"Unknown survey kind {kind!r}: choose one of {', '.join(KINDS)}.", "kind")
    title = title.strip()
    if not title:
        raise InvalidInput("Give the survey a title.", "title")
    if len(title) > 200:
        raise InvalidInput("The title must be at most 200 characters.", "title")
    languages = list(dict.fromkeys(languages or SUPPORTED_LANGUAGES))
    unknown = [code for code in [language, *languages] if code not in SUPPORTED_LANGUAGES]
    if unknown:
        raise InvalidInput(f"Unsupported language {unknown[0]!r}: choose en or fr.", "language")
    if language not in languages:
        languages.insert(0, language)

    template = KIND_TEMPLATES[kind]
    survey = Survey(
        kind=kind,
        title=title,
        default_language=language,
        languages=languages,
        anonymous=template.anonymous if anonymous is None else anonymous,
        public_slug=secrets.token_urlsafe(9),
        owner_id=owner.id if owner is not None else None,
        questions=[
            Question(
                position=position,
                type=question.type,
                text=dict(question.text),
                options=[dict(option) for option in question.options],
                required=question.required,
                settings=dict(question.settings),
            )
            for position, question in enumerate(template.questions)
        ],
    )
    session = db.session()
    session.add(survey)
    session.commit()
    return survey


def get_survey(survey_id: int) -> Survey:
    """The survey with this id, questions loaded. Raises NotFound."""
    survey = db.session().get(Survey, survey_id, options=[so.selectinload(Survey.questions)])
    if survey is None:
        raise NotFound("No such survey.")
    return survey


def get_survey_by_slug(slug: str) -> Survey:
    """The survey with this public slug. Raises NotFound."""
    survey = db.session().scalar(
        sa.select(Survey)
        .where(Survey.public_slug == slug)
        .options(so.selectinload(Survey.questions))
    )
    if survey is None:
        raise NotFound("No such survey.")
    return survey


def list_surveys() -> list[Survey]:
    """Every survey, newest first."""
    return list(db.session().scalars(sa.select(Survey).order_by(Survey.created_at.desc(), Survey.id.desc())))


def question_text(survey: Survey, question: Question, language: str) -> str:
    """The question as a respondent reads it in ``language``, placeholders filled in."""
    company = survey.settings.get("company") or current_app.config["COMPANY_NAME"]
    topics = survey.settings.get("topic") or {}
    topic = topics.get(language) or DEFAULT_TOPIC.get(language) or DEFAULT_TOPIC["en"]
    return question.text_in(language).replace("{company}", company).replace("{topic}", topic)
