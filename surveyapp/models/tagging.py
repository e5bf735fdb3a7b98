"""Churn-reason tags on text answers, written at submit time so dashboards only aggregate."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.models.base import Base, utcnow

__all__ = ["TAG_SOURCES", "AnswerTag"]

# "rule": the lexicon tagger; "choice": the reason a cancellation respondent chose;
# "manual": a manager's correction (never overwritten by re-tagging); "model": the
# classifier trained on corrections.
TAG_SOURCES = ("rule", "choice", "manual", "model")


class AnswerTag(Base):
    """One reason tag of one text answer, with its confidence and the words behind it."""

    __tablename__ = "answer_tags"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    answer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("answers.id", ondelete="CASCADE"))
    tag: so.Mapped[str] = so.mapped_column(sa.String(40))
    confidence: so.Mapped[float]
    # The words that triggered the tag, as written, so a manager can see why.
    words: so.Mapped[list[Any]] = so.mapped_column(default=list)
    source: so.Mapped[str] = so.mapped_column(sa.String(8))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("answer_id", "tag"),
        sa.CheckConstraint(f"source IN {TAG_SOURCES!r}", name="source"),
    )
