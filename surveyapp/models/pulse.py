"""Pulse waves: the recurring rounds of a pulse survey."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.models.base import Base, utcnow

__all__ = ["PulseWave"]


class PulseWave(Base):
    """One round of a recurring pulse survey, numbered from 1.

    The unique (survey, number) pair is what lets several workers open a wave
    at the same moment without creating it twice.
    """

    __tablename__ = "pulse_waves"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    survey_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"))
    number: so.Mapped[int]
    # When the schedule says this wave opens (it may be opened a little later).
    opens_at: so.Mapped[dt.datetime]
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("survey_id", "number"),)
