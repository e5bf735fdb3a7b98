"""Daily rollups: per survey, local day and segment, how many responses gave each main score.

The results and overview pages read these few rows instead of scanning the
responses. ``services.rollups`` keeps them in step with ``responses`` in the
same transaction as every write, and rebuilds them in bulk.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.models.base import Base

__all__ = ["ALL_SEGMENTS", "MAX_SCORE", "DailyRollup", "RollupState"]

# segment_key and segment_value of the row that counts every response of the day.
ALL_SEGMENTS = ""
# Every score scale (0–10, 1–5, 1–7) fits in the columns c0 … c10.
MAX_SCORE = 10


class DailyRollup(Base):
    """The responses of one survey on one local day, for everyone or one segment value.

    ``day`` is the calendar day in the workspace time zone recorded in
    ``RollupState`` ("timezone"). ``n`` counts every response (a skipped main
    question included), ``c0`` … ``c10`` the responses whose main score was
    that number, so any scale's histogram, NPS, CSAT or mean follows exactly.
    """

    __tablename__ = "daily_rollups"

    survey_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    # "" and "" for all responses; else an attribute ("plan", "language") and its value.
    segment_key: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    segment_value: so.Mapped[str] = so.mapped_column(sa.String(200), primary_key=True)
    day: so.Mapped[dt.date] = so.mapped_column(primary_key=True)
    n: so.Mapped[int] = so.mapped_column(default=0)
    c0: so.Mapped[int] = so.mapped_column(default=0)
    c1: so.Mapped[int] = so.mapped_column(default=0)
    c2: so.Mapped[int] = so.mapped_column(default=0)
    c3: so.Mapped[int] = so.mapped_column(default=0)
    c4: so.Mapped[int] = so.mapped_column(default=0)
    c5: so.Mapped[int] = so.mapped_column(default=0)
    c6: so.Mapped[int] = so.mapped_column(default=0)
    c7: so.Mapped[int] = so.mapped_column(default=0)
    c8: so.Mapped[int] = so.mapped_column(default=0)
    c9: so.Mapped[int] = so.mapped_column(default=0)
    c10: so.Mapped[int] = so.mapped_column(default=0)


class RollupState(Base):
    """Facts about the rollups as a whole; "timezone" names the zone their days are in."""

    __tablename__ = "rollup_state"

    name: so.Mapped[str] = so.mapped_column(sa.String(32), primary_key=True)
    value: so.Mapped[str] = so.mapped_column(sa.String(64))
