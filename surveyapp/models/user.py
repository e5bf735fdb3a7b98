"""Staff accounts and API keys."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.models.base import Base, utcnow

__all__ = ["ROLES", "ApiKey", "User"]

ROLES = ("admin", "editor", "viewer")
API_SCOPES = ("read", "write")


class User(Base):
    """A person who logs in to build surveys and read results."""

    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(320), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(200))
    role: so.Mapped[str] = so.mapped_column(sa.String(16))
    # HR sees eNPS surveys and their results; the role alone never does (services.survey_access).
    hr: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    is_active: so.Mapped[bool] = so.mapped_column(default=True)
    failed_logins: so.Mapped[int] = so.mapped_column(default=0)
    locked_until: so.Mapped[dt.datetime | None]
    last_login_at: so.Mapped[dt.datetime | None]
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)

    __table_args__ = (sa.CheckConstraint(f"role IN {ROLES!r}", name="role"),)

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def can(self, role: str) -> bool:
        """True when this user's role is ``role`` or a more powerful one."""
        return ROLES.index(self.role) <= ROLES.index(role)


class ApiKey(Base):
    """A key for the JSON API; only a SHA-256 of the secret is stored."""

    __tablename__ = "api_keys"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    prefix: so.Mapped[str] = so.mapped_column(sa.String(16), index=True)
    key_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    scope: so.Mapped[str] = so.mapped_column(sa.String(8))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    last_used_at: so.Mapped[dt.datetime | None]
    revoked_at: so.Mapped[dt.datetime | None]

    __table_args__ = (sa.CheckConstraint(f"scope IN {API_SCOPES!r}", name="scope"),)
