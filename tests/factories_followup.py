"""Test data for follow-up cases, alerts and customer history (``gen_*``)."""

from __future__ import annotations

import datetime as dt
import itertools

from surveyapp import db
from surveyapp.models import Contact, ContactEvent, Invitation, Response, Survey, User
from surveyapp.services import responses, surveys
from surveyapp.services.responses import AnswerValue
from tests import factories

_counter = itertools.count(1)


def gen_owned_survey(kind: str, owner: User, *, anonymous: bool | None = None) -> Survey:
    """An active survey of ``kind`` owned by ``owner``."""
    survey = surveys.create_survey(
        kind, f"{kind} followed {next(_counter)}", owner=owner, anonymous=anonymous
    )
    survey.status = "active"
    db.session().commit()
    return survey


def submit(
    survey: Survey,
    score: int | None = None,
    comment: str | None = None,
    *,
    choice: str | None = None,
    contact: Contact | None = None,
    public: bool = False,
) -> Response:
    """Submit a whole response through services.responses: on a new invitation, or public."""
    invitation: Invitation | None = None
    if not public:
        invitation = factories.gen_invitation(survey, contact)
    answers: dict[int, AnswerValue] = {}
    for question in survey.questions:
        if question.scale is not None and score is not None:
            answers[question.id] = AnswerValue(number=score)
        elif question.type == "single_choice" and choice is not None:
            answers[question.id] = AnswerValue(choices=(choice,))
        elif question.type == "text" and comment is not None and question.id not in answers:
            answers[question.id] = AnswerValue(text=comment)
            comment = None
    key = responses.new_submission_key()
    return responses.submit_response(
        survey, answers, language="en", invitation=invitation, submission_key=key
    )


def gen_customer(history: list[tuple[str, dt.date, int]], email: str | None = None) -> Contact:
    """A contact with this customer history (kind, day, MRR cents) and the matching view."""
    contact = factories.gen_contact(email)
    session = db.session()
    for kind, day, mrr in history:
        session.add(ContactEvent(contact_id=contact.id, kind=kind, occurred_on=day, mrr_cents=mrr))
        if kind == "started":
            contact.customer_status, contact.started_on, contact.cancelled_on = "active", day, None
            contact.mrr_cents = mrr
        elif kind == "cancelled":
            contact.customer_status, contact.cancelled_on = "cancelled", day
        else:
            contact.mrr_cents = mrr
    session.commit()
    return contact
