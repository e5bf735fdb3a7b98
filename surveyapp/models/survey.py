"""Surveys and their questions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.models.base import Base, utcnow

__all__ = [
    "KINDS",
    "QUESTION_TYPES",
    "SCORE_TYPES",
    "STATUSES",
    "Question",
    "Survey",
    "SurveyShare",
]

KINDS = ("nps", "enps", "csat", "pulse", "cancellation", "custom")
STATUSES = ("draft", "active", "closed")
QUESTION_TYPES = (
    "nps",
    "csat",
    "ces",
    "rating",
    "single_choice",
    "multiple_choice",
    "yes_no",
    "text",
)
# Question types answered with a number, and their inclusive ranges.
SCORE_TYPES: dict[str, tuple[int, int]] = {
    "nps": (0, 10),
    "csat": (1, 5),
    "ces": (1, 7),
    "rating": (1, 5),
}


class Survey(Base):
    """A survey: its kind, languages, status and questions."""

    __tablename__ = "surveys"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    default_language: so.Mapped[str] = so.mapped_column(sa.String(8), default="en")
    languages: so.Mapped[list[Any]] = so.mapped_column(default=lambda: ["en", "fr"])
    status: so.Mapped[str] = so.mapped_column(sa.String(8), default="draft")
    anonymous: so.Mapped[bool] = so.mapped_column(default=False)
    public_slug: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    settings: so.Mapped[dict[str, Any]] = so.mapped_column(default=dict)
    # The anonymity threshold k of this survey; None means the workspace's REPORTING_THRESHOLD.
    reporting_threshold: so.Mapped[int | None]
    owner_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)
    activated_at: so.Mapped[dt.datetime | None]
    closed_at: so.Mapped[dt.datetime | None]

    questions: so.Mapped[list[Question]] = so.relationship(
        back_populates="survey",
        order_by="Question.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {KINDS!r}", name="kind"),
        sa.CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        # PRODUCT.md § Anonymity: k is never below 3.
        sa.CheckConstraint(
            "reporting_threshold IS NULL OR reporting_threshold >= 3", name="reporting_threshold"
        ),
    )

    @property
    def main_question(self) -> Question | None:
        """The question whose answer is the survey's headline number (or choice)."""
        for question in self.questions:
            if question.type in SCORE_TYPES:
                return question
        if self.kind == "cancellation" and self.questions:
            return self.questions[0]
        return None


class Question(Base):
    """One question of a survey, with its text in each language."""

    __tablename__ = "questions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    survey_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"))
    position: so.Mapped[int]
    type: so.Mapped[str] = so.mapped_column(sa.String(24))
    # {"en": "...", "fr": "..."}
    text: so.Mapped[dict[str, Any]]
    # [{"value": "price", "label": {"en": "...", "fr": "..."}}, ...] for choice questions.
    options: so.Mapped[list[Any]] = so.mapped_column(default=list)
    required: so.Mapped[bool] = so.mapped_column(default=False)
    # {"long": true} for a long text; {"allow_other": true} for an "other" text box.
    settings: so.Mapped[dict[str, Any]] = so.mapped_column(default=dict)

    survey: so.Mapped[Survey] = so.relationship(back_populates="questions")

    __table_args__ = (
        sa.Index("ix_questions_survey_id_position", "survey_id", "position"),
        sa.CheckConstraint(f"type IN {QUESTION_TYPES!r}", name="type"),
    )

    def text_in(self, language: str) -> str:
        """The question's text in ``language``, else English, else any language given."""
        return self.text.get(language) or self.text.get("en") or next(iter(self.text.values()), "")

    @property
    def scale(self) -> tuple[int, int] | None:
        """The inclusive numeric range of a score question, else None."""
        return SCORE_TYPES.get(self.type)


class SurveyShare(Base):
    """One staff account given access to a restricted (eNPS) survey by HR."""

    __tablename__ = "survey_shares"

    survey_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
