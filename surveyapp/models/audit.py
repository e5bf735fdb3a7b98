"""The audit log: who did what to which thing, and when, for admins to read."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.models.base import Base, utcnow

__all__ = ["AuditEvent"]


class AuditEvent(Base):
    """One administrative action, written in the same transaction as the change it records.

    ``actor`` is a readable label kept even after the user or key it names is
    deleted; ``details`` never holds a secret, a password or a respondent's data.
    """

    __tablename__ = "audit_events"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow, index=True)
    actor: so.Mapped[str] = so.mapped_column(sa.String(320))
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    target: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    details: so.Mapped[dict[str, Any]] = so.mapped_column(default=dict)
