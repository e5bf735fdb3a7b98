"""Customer history: when each contact started, changed plan or cancelled, with its MRR.

``Contact.customer_status``/``started_on``/``cancelled_on``/``mrr_cents`` are
the current view; ``ContactEvent`` rows are the history the retention KPIs are
computed from, so a customer who cancels and comes back, or whose MRR changes
mid-period, is counted exactly. Money is in cents (integers): exact on every
database, no floating point.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.models.base import Base, utcnow

__all__ = ["CUSTOMER_EVENT_KINDS", "CUSTOMER_STATUSES", "ContactEvent"]

CUSTOMER_STATUSES = ("active", "cancelled")
CUSTOMER_EVENT_KINDS = ("started", "cancelled", "mrr_changed")


class ContactEvent(Base):
    """One change of a customer's subscription, effective on the day ``occurred_on``.

    "started" and "mrr_changed" carry the MRR from that day on; "cancelled"
    carries the MRR lost (the last MRR before it).
    """

    __tablename__ = "contact_events"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    contact_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(12))
    occurred_on: so.Mapped[dt.date] = so.mapped_column(sa.Date)
    mrr_cents: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)

    __table_args__ = (
        # Replaying one contact's history in order; ranges by day for the KPIs.
        sa.Index("ix_contact_events_contact_id_occurred_on", "contact_id", "occurred_on"),
        sa.Index("ix_contact_events_occurred_on", "occurred_on"),
        sa.CheckConstraint(f"kind IN {CUSTOMER_EVENT_KINDS!r}", name="kind"),
        sa.CheckConstraint("mrr_cents >= 0", name="mrr_cents"),
    )
