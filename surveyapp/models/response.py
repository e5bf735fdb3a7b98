"""Responses and their answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.models.base import Base, utcnow
from surveyapp.models.survey import Question, Survey
from surveyapp.models.tagging import AnswerTag

__all__ = ["CHANNELS", "Answer", "Response"]

CHANNELS = ("email", "link", "api", "import")


class Response(Base):
    """One person's answers to one survey.

    ``score`` copies the main question's numeric answer so that score
    aggregation reads one covering index instead of joining answers.
    An anonymous response has no invitation, no contact and a day-truncated
    ``created_at``.
    """

    __tablename__ = "responses"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    survey_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"))
    invitation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("invitations.id", ondelete="SET NULL"), unique=True
    )
    contact_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    # A random key carried by the respondent's form: a double click or a
    # replayed POST updates the same response instead of creating a second one.
    submission_key: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    language: so.Mapped[str] = so.mapped_column(sa.String(8))
    channel: so.Mapped[str] = so.mapped_column(sa.String(8))
    score: so.Mapped[int | None] = so.mapped_column(sa.SmallInteger)
    completed: so.Mapped[bool] = so.mapped_column(default=False)
    # Reportable contact attributes copied at submit time (plan, team, …).
    segment: so.Mapped[dict[str, Any]] = so.mapped_column(default=dict)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    # No onupdate: services set it, truncated to the day on anonymous surveys.
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)

    survey: so.Mapped[Survey] = so.relationship()
    answers: so.Mapped[list[Answer]] = so.relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        # Covers "responses of a survey in a date range, grouped by score".
        sa.Index("ix_responses_survey_id_created_at_score", "survey_id", "created_at", "score"),
        sa.CheckConstraint(f"channel IN {CHANNELS!r}", name="channel"),
    )


class Answer(Base):
    """The answer to one question within a response."""

    __tablename__ = "answers"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    response_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("responses.id", ondelete="CASCADE")
    )
    question_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("questions.id", ondelete="CASCADE")
    )
    value_number: so.Mapped[int | None]
    choices: so.Mapped[list[Any] | None]
    text: so.Mapped[str | None] = so.mapped_column(sa.Text)
    # Polarity of ``text`` in [-1, 1] (TextBlob / textblob-fr), stored at submit time.
    sentiment: so.Mapped[float | None]

    response: so.Mapped[Response] = so.relationship(back_populates="answers")
    question: so.Mapped[Question] = so.relationship()
    # Read-only: services.tagging writes the tags with its own statements.
    tags: so.Mapped[list[AnswerTag]] = so.relationship(viewonly=True, order_by="AnswerTag.tag")

    __table_args__ = (
        sa.UniqueConstraint("response_id", "question_id"),
        sa.Index("ix_answers_question_id_value_number", "question_id", "value_number"),
    )
