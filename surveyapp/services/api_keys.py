"""API keys: shown once at creation, stored as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from surveyapp import db
from surveyapp.models import ApiKey, utcnow
from surveyapp.models.user import API_SCOPES
from surveyapp.services.errors import InvalidInput

__all__ = ["KEY_PREFIX", "create_api_key", "find_api_key"]

KEY_PREFIX = "sa_"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_api_key(name: str, scope: str = "read") -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is never stored nor shown again.

    Raises InvalidInput for an empty name or an unknown scope.
    """
    if not name.strip():
        raise InvalidInput("Give the key a name.", "name")
    if scope not in API_SCOPES:
        raise InvalidInput(f"Unknown scope {scope!r}: choose read or write.", "scope")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name.strip(), scope=scope, prefix=secret[:10], key_hash=_digest(secret))
    session = db.session()
    session.add(key)
    session.commit()
    return key, secret


def find_api_key(secret: str) -> ApiKey | None:
    """The unrevoked key with this secret, stamped as used now; else None."""
    session = db.session()
    key = session.scalar(
        sa.select(ApiKey).where(ApiKey.key_hash == _digest(secret), ApiKey.revoked_at.is_(None))
    )
    if key is not None:
        key.last_used_at = utcnow()
        session.commit()
    return key
