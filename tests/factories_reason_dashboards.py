"""Test data for the reasons dashboard: comments with hand-set tags, segments, contacts, MRR.

The tags are written as given (not by the tagger), so every number a test
expects can be computed by hand.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from surveyapp import db
from surveyapp.models import Answer, AnswerTag, Contact, Response, Survey

# A weekday at noon UTC, far enough back for any default range to be chosen explicitly.
DAY = dt.datetime(2026, 3, 4, 12, tzinfo=dt.UTC)
_counter = itertools.count(1)


def gen_comment(
    survey: Survey,
    text: str | None,
    *,
    score: int | None = 3,
    tags: Sequence[str] | Mapping[str, tuple[float, Sequence[str], str]] = (),
    created_at: dt.datetime = DAY,
    segment: Mapping[str, Any] | None = None,
    contact: Contact | None = None,
    sentiment: float | None = None,
    language: str = "en",
) -> Response:
    """A response with ``score`` and ``text`` in the survey's first text question, carrying
    ``tags`` (names, or name -> (confidence, trigger words, source))."""
    main = survey.main_question
    assert main is not None
    text_question = next(q for q in survey.questions if q.type == "text" and q.id != main.id)
    response = Response(
        survey_id=survey.id,
        contact_id=contact.id if contact else None,
        language=language,
        channel="link",
        score=score,
        completed=True,
        segment=dict(segment or {}),
        created_at=created_at,
        updated_at=created_at,
    )
    if score is not None:
        response.answers.append(Answer(question_id=main.id, value_number=score))
    answer = Answer(question_id=text_question.id, text=text, sentiment=sentiment)
    response.answers.append(answer)
    session = db.session()
    session.add(response)
    session.flush()
    details = tags if isinstance(tags, Mapping) else {tag: (0.8, (), "rule") for tag in tags}
    for tag, (confidence, words, source) in details.items():
        session.add(
            AnswerTag(
                answer_id=answer.id,
                tag=tag,
                confidence=confidence,
                words=list(words),
                source=source,
                created_at=created_at,
            )
        )
    session.commit()
    return response


def gen_customer(mrr_cents: int | None, email: str | None = None) -> Contact:
    """An active customer contact with ``mrr_cents`` of MRR (None: unknown)."""
    contact = Contact(
        email=email or f"customer{next(_counter)}@example.com",
        name="Customer",
        customer_status="active" if mrr_cents is not None else None,
        mrr_cents=mrr_cents,
    )
    db.session().add(contact)
    db.session().commit()
    return contact
