"""Contacts (customers, employees) and the typed attributes they carry."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.models.base import Base, utcnow

__all__ = ["ATTRIBUTE_TYPES", "AttributeDefinition", "Contact"]

ATTRIBUTE_TYPES = ("text", "number", "date", "choice")


class Contact(Base):
    """Someone who can be invited to answer surveys.

    ``email`` is stored normalised to lower case, which makes the unique
    constraint case-insensitive on every database.
    """

    __tablename__ = "contacts"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(320), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    language: so.Mapped[str | None] = so.mapped_column(sa.String(8))
    # Values typed by AttributeDefinition: numbers as numbers, dates as ISO strings.
    attributes: so.Mapped[dict[str, Any]] = so.mapped_column(default=dict)
    unsubscribed_at: so.Mapped[dt.datetime | None]
    # The customer view (models/customer.py keeps the history): "active" or "cancelled",
    # None for a contact who is not a paying customer.
    customer_status: so.Mapped[str | None] = so.mapped_column(sa.String(12))
    started_on: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)
    cancelled_on: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)
    mrr_cents: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint(
            "customer_status IS NULL OR customer_status IN ('active', 'cancelled')",
            name="customer_status",
        ),
    )

    @so.validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        return value.strip().lower()


class AttributeDefinition(Base):
    """The declared type of a contact attribute, and whether it may be reported on."""

    __tablename__ = "attribute_definitions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    key: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    label: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    type: so.Mapped[str] = so.mapped_column(sa.String(8), default="text")
    # Only reportable attributes are copied onto responses and offered as segments.
    reportable: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)

    __table_args__ = (sa.CheckConstraint(f"type IN {ATTRIBUTE_TYPES!r}", name="type"),)
