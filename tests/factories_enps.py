"""Test data for eNPS: HR accounts, an org chart, employees and their anonymous answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from surveyapp import db
from surveyapp.models import Answer, AttributeDefinition, Contact, Response, Survey, User
from surveyapp.services import org_chart, survey_access
from surveyapp.services.contact_csv import ImportReport

YESTERDAY = dt.timedelta(days=1)


def hr(user: object) -> User:
    """Give the HR capability to ``user`` (what the ``login`` fixture returned)."""
    assert isinstance(user, User)
    return survey_access.set_hr(user.id, True)


def gen_org_chart(csv_text: str) -> ImportReport:
    """Import an org chart written as CSV text."""
    return org_chart.import_org_chart_csv(csv_text.encode())


def gen_reportable(*keys: str) -> None:
    """Declare ``keys`` as reportable choice attributes (team, location, …)."""
    session = db.session()
    for key in keys:
        session.add(AttributeDefinition(key=key, label=key.title(), type="choice", reportable=True))
    session.commit()


def gen_employee(email: str, **attributes: str) -> Contact:
    """An employee contact with attributes such as team, department, location."""
    contact = Contact(email=email, name=email.split("@")[0], attributes=dict(attributes))
    db.session().add(contact)
    db.session().commit()
    return contact


def gen_anonymous_answers(
    survey: Survey,
    scores: Sequence[int],
    *,
    segment: dict[str, str] | None = None,
    comment: str | None = None,
    day: dt.date | None = None,
) -> None:
    """Anonymous responses written as the submit path stores them: no contact, no
    invitation, a midnight timestamp (yesterday unless ``day``), the group's segment."""
    main = survey.main_question
    text_question = next((q for q in survey.questions if q.type == "text"), None)
    assert main is not None
    when = day or (dt.datetime.now(dt.UTC) - YESTERDAY).date()
    stamp = dt.datetime(when.year, when.month, when.day, tzinfo=dt.UTC)
    session = db.session()
    for score in scores:
        response = Response(
            survey_id=survey.id,
            language="en",
            channel="email",
            score=score,
            completed=True,
            segment=dict(segment or {}),
            created_at=stamp,
            updated_at=stamp,
        )
        response.answers.append(Answer(question_id=main.id, value_number=score))
        if comment is not None and text_question is not None:
            response.answers.append(Answer(question_id=text_question.id, text=comment))
        session.add(response)
    session.commit()
