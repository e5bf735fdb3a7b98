"""The workspace's churn-reason taxonomy, a manager's corrections and re-tagging jobs.

One installation is one workspace, so there is one taxonomy: the built-in tags
of PRODUCT.md § Churn reasons (seeded by the migration) and the workspace's own.
Built-in lexicon entries live in ``surveyapp.text.lexicons``; ``ReasonKeyword``
rows extend them.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.models.base import Base, utcnow

__all__ = [
    "CORRECTION_ACTIONS",
    "KEYWORD_LANGUAGES",
    "RETAG_STATUSES",
    "TAG_STATUSES",
    "ReasonKeyword",
    "ReasonTag",
    "RetagJob",
    "TagCorrection",
]

# "merged": its stored tags moved to ``merged_into``; it never tags again.
TAG_STATUSES = ("active", "retired", "merged")
KEYWORD_LANGUAGES = ("en", "fr")
CORRECTION_ACTIONS = ("add", "remove")
RETAG_STATUSES = ("queued", "running", "done", "failed")


class ReasonTag(Base):
    """One reason of the taxonomy: a stable code, a label per language, a status."""

    __tablename__ = "reason_tags"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # What answer_tags, the API and exports carry; never changes once created.
    code: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    label_en: so.Mapped[str] = so.mapped_column(sa.String(80))
    label_fr: so.Mapped[str] = so.mapped_column(sa.String(80))
    status: so.Mapped[str] = so.mapped_column(sa.String(8), default="active")
    merged_into_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("reason_tags.id"))
    builtin: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)

    keywords: so.Mapped[list[ReasonKeyword]] = so.relationship(
        back_populates="tag",
        cascade="all, delete-orphan",
        order_by="(ReasonKeyword.language, ReasonKeyword.folded)",
    )

    __table_args__ = (sa.CheckConstraint(f"status IN {TAG_STATUSES!r}", name="status"),)

    def label(self, language: str) -> str:
        """The label in ``language`` ("fr"), else the English one."""
        return self.label_fr if language == "fr" else self.label_en


class ReasonKeyword(Base):
    """A keyword or phrase of one language that signals a tag, on top of the built-in lexicon."""

    __tablename__ = "reason_keywords"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    tag_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("reason_tags.id", ondelete="CASCADE"), index=True
    )
    language: so.Mapped[str] = so.mapped_column(sa.String(2))
    # As the manager wrote it, for display.
    phrase: so.Mapped[str] = so.mapped_column(sa.String(100))
    # Folded words joined by spaces: one phrase per language, however it is typed.
    folded: so.Mapped[str] = so.mapped_column(sa.String(100))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)

    tag: so.Mapped[ReasonTag] = so.relationship(back_populates="keywords")

    __table_args__ = (
        sa.UniqueConstraint("language", "folded"),
        sa.CheckConstraint(f"language IN {KEYWORD_LANGUAGES!r}", name="language"),
    )


class TagCorrection(Base):
    """A manager added or removed one tag on one comment; the latest per tag wins for good."""

    __tablename__ = "tag_corrections"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    answer_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("answers.id", ondelete="CASCADE"), index=True
    )
    tag: so.Mapped[str] = so.mapped_column(sa.String(40))
    action: so.Mapped[str] = so.mapped_column(sa.String(6))
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)

    __table_args__ = (sa.CheckConstraint(f"action IN {CORRECTION_ACTIONS!r}", name="action"),)


class RetagJob(Base):
    """Re-tagging every stored comment with the current taxonomy, run by ``flask worker``.

    Batches commit their progress (``done`` and ``cursor``, the last answer id
    handled), so the page shows it and a job whose worker died resumes where it
    stopped once its lease expires.
    """

    __tablename__ = "retag_jobs"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(8), default="queued")
    total: so.Mapped[int] = so.mapped_column(default=0)
    done: so.Mapped[int] = so.mapped_column(default=0)
    cursor: so.Mapped[int] = so.mapped_column(default=0)
    changed: so.Mapped[int] = so.mapped_column(default=0)
    error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    requested_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    lease_owner: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    lease_expires_at: so.Mapped[dt.datetime | None]
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    started_at: so.Mapped[dt.datetime | None]
    finished_at: so.Mapped[dt.datetime | None]

    __table_args__ = (
        sa.CheckConstraint(f"status IN {RETAG_STATUSES!r}", name="status"),
        sa.Index("ix_retag_jobs_status", "status"),
    )
