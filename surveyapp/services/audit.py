"""The audit log of administrative actions: who did what to which thing, and when.

``record`` adds the event to the current transaction, so an action and its
audit line are committed together or not at all; the caller commits. The
actor is the logged-in user, or the API key the web layer named with
``set_actor``, or "system" (the command line, the worker).

Events never hold passwords, key secrets or anything a respondent answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request

from surveyapp import db
from surveyapp.models import AuditEvent, Survey, User, utcnow

__all__ = [
    "AUDIT_PAGE_SIZE",
    "Actor",
    "AuditPage",
    "list_events",
    "record",
    "set_actor",
]

AUDIT_PAGE_SIZE = 100
SYSTEM_ACTOR = "system"
MAX_TARGET_LENGTH = 200
_ACTOR_KEY = "surveyapp.audit_actor"


@dataclass(frozen=True)
class Actor:
    """Who acts: a readable label and, for a staff member, their user id."""

    label: str
    user_id: int | None = None


@dataclass(frozen=True)
class AuditPage:
    """Events newest first and the id to pass as ``before`` for the next (older) page."""

    events: list[AuditEvent]
    next_before: int | None


def set_actor(actor: Actor) -> None:
    """Name the actor of the current request (an API key, which is not a logged-in user)."""
    # Kept on the request itself: an app context (and its ``g``) may outlive one request.
    request.environ[_ACTOR_KEY] = actor


def record(
    actor: Actor | None,
    action: str,
    target: object,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits).

    ``actor`` None means the current one (see module docstring). ``target`` is a
    Survey, a User, any model with an id, or a text such as "contact 12".
    """
    who = actor or _current_actor()
    event = AuditEvent(
        actor=who.label[:320],
        user_id=who.user_id,
        action=action,
        target=_describe(target)[:MAX_TARGET_LENGTH],
        details=dict(details or {}),
        created_at=utcnow(),
    )
    db.session().add(event)
    return event


def list_events(
    *, before: int | None = None, action: str | None = None, limit: int = AUDIT_PAGE_SIZE
) -> AuditPage:
    """Events newest first, older than event ``before`` when given, of one ``action`` prefix."""
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    if action:
        query = query.where(
            sa.or_(AuditEvent.action == action, AuditEvent.action.startswith(action + "."))
        )
    events = list(db.session().scalars(query))
    more = len(events) > limit
    events = events[:limit]
    return AuditPage(events, events[-1].id if more and events else None)


def _current_actor() -> Actor:
    if not has_request_context():
        return Actor(SYSTEM_ACTOR)
    named = request.environ.get(_ACTOR_KEY)
    if isinstance(named, Actor):
        return named
    # Imported here: the login manager is only set up on a web application.
    from flask_login import current_user

    if getattr(current_user, "is_authenticated", False) and isinstance(
        current_user._get_current_object(), User
    ):
        return Actor(current_user.email, current_user.id)
    return Actor(SYSTEM_ACTOR)


def _describe(target: object) -> str:
    """A short, stable text for the thing acted upon."""
    if isinstance(target, str):
        return target
    if isinstance(target, User):
        return f"user {target.email}"
    if getattr(target, "id", False) is None:
        # A row added in this transaction gets its id now, so the event can name it.
        db.session().flush()
    if isinstance(target, Survey):
        return f"survey {target.id} ({target.title})"
    return f"{type(target).__name__.lower()} {getattr(target, 'id', '')}".strip()
