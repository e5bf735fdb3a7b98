"""Keyset-paginated listings for the JSON API: responses and contacts, in id order.

A page ends where the next one starts (``after`` an id), so rows added or
deleted while a client pages through never shift a page or repeat a row, and
every page costs one indexed range scan however deep it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Generic, TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.models import Answer, Contact, Response, Survey
from surveyapp.services.errors import Conflict

__all__ = ["MAX_PAGE_SIZE", "Page", "list_contacts", "list_responses"]

MAX_PAGE_SIZE = 200
T = TypeVar("T", Contact, Response)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of rows and the id to continue after, or None on the last page."""

    items: list[T]
    next_after: int | None


def _page(query: sa.Select[tuple[T]], id_column: sa.ColumnElement[int], limit: int) -> Page[T]:
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    rows = list(db.session().scalars(query.order_by(id_column).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more and rows else None)


def list_responses(
    survey: Survey,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    after: int | None = None,
    limit: int = 50,
) -> Page[Response]:
    """The survey's responses with their answers, ``start`` inclusive, ``end`` exclusive.

    Raises Conflict on an anonymous survey: single anonymous responses are
    never handed out, only aggregated metrics (PRODUCT.md § Anonymity).
    """
    if survey.anonymous:
        raise Conflict(
            _("This survey is anonymous: its responses are only available as aggregated metrics.")
        )
    query = (
        sa.select(Response)
        .where(Response.survey_id == survey.id)
        .options(so.selectinload(Response.answers).selectinload(Answer.tags))
    )
    if start is not None:
        query = query.where(Response.created_at >= start)
    if end is not None:
        query = query.where(Response.created_at < end)
    if after is not None:
        query = query.where(Response.id > after)
    return _page(query, Response.id, limit)


def list_contacts(
    *,
    search: str = "",
    updated_since: dt.datetime | None = None,
    after: int | None = None,
    limit: int = 50,
) -> Page[Contact]:
    """Contacts in id order, matching ``search`` (email or name) and changed since a moment."""
    query = sa.select(Contact)
    search = (search or "").strip()
    if search:
        query = query.where(
            sa.or_(
                Contact.email.icontains(search, autoescape=True),
                Contact.name.icontains(search, autoescape=True),
            )
        )
    if updated_since is not None:
        query = query.where(Contact.updated_at >= updated_since)
    if after is not None:
        query = query.where(Contact.id > after)
    return _page(query, Contact.id, limit)
