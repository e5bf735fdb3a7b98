"""Staff accounts: creation, password checks with lockout, first-run setup."""

from __future__ import annotations

import datetime as dt
import functools

import argon2.profiles
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from surveyapp import db
from surveyapp.models import User, utcnow
from surveyapp.models.user import ROLES
from surveyapp.services import audit
from surveyapp.services.errors import Conflict, InvalidInput, NotFound

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "User",
    "any_user_exists",
    "authenticate",
    "create_first_admin",
    "create_user",
    "get_active_user",
    "list_users",
    "normalise_email",
    "update_user",
]

MIN_PASSWORD_LENGTH = 10
MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)


@functools.cache
def _hasher_for(profile: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(getattr(argon2.profiles, profile))


def _hasher() -> PasswordHasher:
    """Argon2id with the ``ARGON2_PROFILE`` parameters (tests use the cheapest profile)."""
    return _hasher_for(current_app.config["ARGON2_PROFILE"])


def normalise_email(email: str) -> str:
    """Validate an address's syntax (no DNS lookup) and return it in lower case.

    Raises InvalidInput when it is not an email address.
    """
    try:
        valid = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(str(exc), field="email") from exc
    return valid.normalized.lower()


def any_user_exists() -> bool:
    """True once the first account has been created."""
    return db.session().scalar(sa.select(sa.exists().where(User.id.is_not(None)))) or False


def get_active_user(user_id: int) -> User | None:
    """The active user with this id, or None."""
    user = db.session().get(User, user_id)
    return user if user is not None and user.is_active else None


def list_users() -> list[User]:
    """Every account, by email."""
    return list(db.session().scalars(sa.select(User).order_by(User.email)))


def create_user(email: str, password: str, role: str, name: str = "") -> User:
    """Create an account with an Argon2id password hash.

    Raises InvalidInput for a bad email, role or too short a password, and
    Conflict when the email is taken.
    """
    session = db.session()
    user = _new_user(email, password, role, name)
    session.add(user)
    audit.record(None, "user.created", user, {"role": role})
    try:
        session.commit()
    except sa.exc.IntegrityError as exc:
        session.rollback()
        raise Conflict(f"An account already exists for {user.email}.") from exc
    return user


def create_first_admin(email: str, password: str, name: str = "") -> User:
    """Create the first admin, with HR (someone must see eNPS surveys and can hand it over);
    refused with Conflict once any account exists."""
    session = db.session()
    if session.get_bind().dialect.name == "postgresql":
        # Serialises concurrent set-up forms: the second one then sees the first account.
        session.execute(sa.text("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"))
    if any_user_exists():
        session.rollback()
        raise Conflict("The first account already exists: log in instead.")
    user = _new_user(email, password, "admin", name)
    user.hr = True
    session.add(user)
    audit.record(None, "user.created", user, {"role": "admin", "hr": True})
    session.flush()
    # SQLite takes its write lock at the INSERT: a concurrent form now sees two accounts.
    if session.scalar(sa.select(sa.func.count(User.id))) != 1:
        session.rollback()
        raise Conflict("The first account already exists: log in instead.")
    session.commit()
    return user


def update_user(user_id: int, *, role: str | None = None, active: bool | None = None) -> User:
    """Change a user's role or active flag.

    Raises NotFound, InvalidInput for an unknown role, and Conflict when the
    change would leave no active admin.
    """
    session = db.session()
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    if role is not None and role not in ROLES:
        raise InvalidInput(f"Unknown role {role!r}: choose one of {', '.join(ROLES)}.", "role")
    new_role = role or user.role
    new_active = user.is_active if active is None else active
    if user.role == "admin" and user.is_active and (new_role != "admin" or not new_active):
        other_admins = session.scalar(
            sa.select(sa.func.count(User.id)).where(
                User.role == "admin", User.is_active, User.id != user.id
            )
        )
        if not other_admins:
            raise Conflict("This is the last active admin: make someone else an admin first.")
    user.role, user.is_active = new_role, new_active
    audit.record(None, "user.updated", user, {"role": new_role, "active": new_active})
    session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None.

    After MAX_FAILED_LOGINS wrong passwords in a row the account is locked for
    LOCKOUT, during which even the right password is refused.
    """
    session = db.session()
    user = session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        # Same work as a real check, so timing does not reveal which emails exist.
        _verify(_dummy_hash(), password)
        return None
    now = utcnow()
    if not user.is_active or (user.locked_until is not None and user.locked_until > now):
        return None
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        locks = user.failed_logins >= MAX_FAILED_LOGINS
        if locks:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        audit.record(audit.Actor("anonymous"), "login.locked" if locks else "login.failed", user)
        session.commit()
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.commit()
    return user


def _new_user(email: str, password: str, role: str, name: str) -> User:
    if role not in ROLES:
        raise InvalidInput(f"Unknown role {role!r}: choose one of {', '.join(ROLES)}.", "role")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters.", "password"
        )
    return User(
        email=normalise_email(email),
        password_hash=_hasher().hash(password),
        role=role,
        name=name.strip(),
    )


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _dummy_hash() -> str:
    return _dummy_hash_for(current_app.config["ARGON2_PROFILE"])


@functools.cache
def _dummy_hash_for(profile: str) -> str:
    return _hasher_for(profile).hash("not a real password")
