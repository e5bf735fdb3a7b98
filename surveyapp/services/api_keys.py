"""API keys: shown once at creation, stored as a SHA-256 hash, scoped, revocable.

A key of scope "read" may only read; "write" may also create and change.
Only the hash and a short prefix (to recognise a key in the list) are kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.models import ApiKey, utcnow
from surveyapp.models.user import API_SCOPES
from surveyapp.services import audit
from surveyapp.services.errors import InvalidInput, NotFound

__all__ = [
    "API_SCOPES",
    "KEY_PREFIX",
    "MAX_NAME_LENGTH",
    "create_api_key",
    "find_api_key",
    "list_api_keys",
    "revoke_api_key",
    "scope_allows",
]

KEY_PREFIX = "sa_"
MAX_NAME_LENGTH = 200
# "Last used" is precise to this much, which saves a write on every API call.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def scope_allows(scope: str, needed: str) -> bool:
    """True when a key of ``scope`` may do what needs ``needed`` (write includes read)."""
    return scope == needed or (scope == "write" and needed == "read")


def create_api_key(name: str, scope: str = "read") -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is never stored nor shown again.

    Raises InvalidInput for an empty or too long name or an unknown scope.
    """
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Give the key a name."), "name")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            _("The name must be at most %(n)s characters.", n=MAX_NAME_LENGTH), "name"
        )
    if scope not in API_SCOPES:
        raise InvalidInput(
            _("Unknown scope %(scope)r: choose read or write.", scope=scope), "scope"
        )
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, scope=scope, prefix=secret[:10], key_hash=_digest(secret))
    session = db.session()
    session.add(key)
    session.flush()
    audit.record(None, "api_key.created", f"API key {key.id} ({name})", {"scope": scope})
    session.commit()
    return key, secret


def list_api_keys() -> list[ApiKey]:
    """Every key, active ones first, newest first."""
    return list(
        db.session().scalars(
            sa.select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.id.desc())
        )
    )


def revoke_api_key(key_id: int) -> ApiKey:
    """Revoke a key at once; revoking it again changes nothing. Raises NotFound."""
    session = db.session()
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(_("No such API key."))
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(None, "api_key.revoked", f"API key {key.id} ({key.name})")
        session.commit()
    return key


def find_api_key(secret: str) -> ApiKey | None:
    """The unrevoked key with this secret, stamped as used now; else None."""
    if not secret.startswith(KEY_PREFIX):
        return None
    session = db.session()
    key = session.scalar(
        sa.select(ApiKey).where(ApiKey.key_hash == _digest(secret), ApiKey.revoked_at.is_(None))
    )
    if key is None:
        return None
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        key.last_used_at = now
        session.commit()
    return key
