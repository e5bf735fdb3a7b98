"""The org chart: teams, the department each belongs to, sub-teams and their managers."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.models.base import Base, utcnow

__all__ = ["Team", "TeamManager"]


class Team(Base):
    """A team of employees; ``name`` is the value of the employees' ``team`` attribute.

    ``parent_id`` makes it a sub-team: a manager of the parent sees it too.
    """

    __tablename__ = "teams"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    department: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    parent_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)

    managers: so.Mapped[list[TeamManager]] = so.relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="TeamManager.email"
    )


class TeamManager(Base):
    """A manager of a team, by email: the staff account with that email sees the team.

    An email rather than a user id, so the org chart can be imported before the
    managers have accounts.
    """

    __tablename__ = "team_managers"

    team_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    email: so.Mapped[str] = so.mapped_column(sa.String(320), primary_key=True, index=True)
