"""Plain functions that make test data through the services (``gen_*``)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from surveyapp import db
from surveyapp.models import Answer, Contact, Invitation, Response, Survey, User
from surveyapp.services import surveys, users

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def gen_user(role: str = "admin", email: str | None = None) -> User:
    """A user with the password PASSWORD."""
    return users.create_user(email or f"user{next(_counter)}@example.com", PASSWORD, role)


def gen_survey(
    kind: str = "nps",
    status: str = "active",
    *,
    title: str | None = None,
    anonymous: bool | None = None,
    language: str = "en",
) -> Survey:
    """A survey of ``kind`` with its default questions, in ``status``."""
    survey = surveys.create_survey(
        kind, title or f"{kind} survey {next(_counter)}", language=language, anonymous=anonymous
    )
    survey.status = status
    db.session().commit()
    return survey


def gen_contact(
    email: str | None = None,
    *,
    language: str | None = None,
    attributes: dict[str, Any] | None = None,
) -> Contact:
    """A contact."""
    contact = Contact(
        email=email or f"contact{next(_counter)}@example.com",
        name="Test Contact",
        language=language,
        attributes=attributes or {},
    )
    db.session().add(contact)
    db.session().commit()
    return contact


def gen_invitation(
    survey: Survey, contact: Contact | None = None, token: str | None = None
) -> Invitation:
    """A sent invitation with a known token."""
    invitation = Invitation(
        survey_id=survey.id,
        contact_id=(contact or gen_contact()).id,
        token=token or f"tok{next(_counter):04d}" + "x" * 40,
        status="sent",
        sent_at=dt.datetime.now(dt.UTC),
    )
    db.session().add(invitation)
    db.session().commit()
    return invitation


def gen_response(
    survey: Survey,
    score: int | None,
    comment: str | None = None,
    *,
    created_at: dt.datetime | None = None,
    language: str = "en",
) -> Response:
    """A completed response with its main score and optional comment, written directly."""
    main = survey.main_question
    text_question = next((q for q in survey.questions if q.type == "text"), None)
    response = Response(
        survey_id=survey.id,
        language=language,
        channel="link",
        score=score,
        completed=True,
        created_at=created_at or dt.datetime.now(dt.UTC),
    )
    if main is not None and score is not None:
        response.answers.append(Answer(question_id=main.id, value_number=score))
    if comment is not None and text_question is not None:
        response.answers.append(Answer(question_id=text_question.id, text=comment))
    db.session().add(response)
    db.session().commit()
    return response
