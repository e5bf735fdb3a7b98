"""Published surveys and their questions, kept per process for the respondent pages.

Every GET and POST of a public link needs the survey and all its questions,
which change rarely. Each process keeps them by slug with a version key, the
survey's ``updated_at``: every ORM update of the survey row moves it
(``onupdate``), and a ``before_flush`` listener here moves it whenever one of
the survey's questions is added, changed or deleted. A request still reads the
version (one row by the unique slug), so a change made by any process is seen
at once, then copies the cached objects into its own session without SQL
(``Session.merge(load=False)``), where they behave like freshly loaded ones.

The cached objects are never attached to a session, so requests in several
threads can share them; nothing may change them in place.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app

from surveyapp import db
from surveyapp.models import Question, Survey, utcnow

__all__ = ["init_app", "survey_by_slug"]

_CACHE_KEY = "surveyapp.survey_cache"
# Far more surveys than any workspace publishes at once; past it the cache starts again.
MAX_SURVEYS = 1000


def init_app(app: Flask) -> None:
    """Give ``app`` an empty cache and keep survey versions moving with question changes."""
    app.extensions[_CACHE_KEY] = {}
    sa.event.listen(db.session_factory(app), "before_flush", _touch_surveys)


def survey_by_slug(slug: str) -> Survey | None:
    """The survey of a public link with its questions, in the request's session, or None."""
    session = db.session()
    # A Core statement on the session's connection: the ORM's execution layer cost more
    # than the query.
    row = session.connection().execute(_version_query(), {"slug": slug}).first()
    if row is None:
        return None
    present = session.identity_map.get(so.util.identity_key(Survey, row.id))
    if isinstance(present, Survey):
        # This session already holds the survey, maybe with changes of its own: keep them.
        return present
    cache: dict[str, tuple[int, dt.datetime, Survey]] = current_app.extensions[_CACHE_KEY]
    cached = cache.get(slug)
    if cached is None or cached[:2] != (row.id, row.updated_at):
        survey = _detached_survey(row.id)
        if survey is None:  # deleted in between
            return None
        # The version of what was loaded: a change in between only causes another load.
        cached = (survey.id, survey.updated_at, survey)
        if len(cache) >= MAX_SURVEYS:
            cache.clear()
        cache[slug] = cached
    return session.merge(cached[2], load=False)


@functools.cache
def _version_query() -> sa.Select[tuple[int, dt.datetime]]:
    # Built once: building the expression cost more than running it.
    return sa.select(Survey.id, Survey.updated_at).where(Survey.public_slug == sa.bindparam("slug"))


def _detached_survey(survey_id: int) -> Survey | None:
    """The survey and its questions, loaded in a session of their own that is then closed."""
    with db.session_factory(current_app)() as own:
        return own.get(Survey, survey_id, options=[so.selectinload(Survey.questions)])


def _touch_surveys(session: so.Session, _context: Any, _instances: Any) -> None:
    """Move ``updated_at`` of every survey whose questions this flush writes."""
    questions = [
        obj for obj in (*session.new, *session.dirty, *session.deleted) if isinstance(obj, Question)
    ]
    if not questions:
        return
    now = utcnow()
    with session.no_autoflush:
        for question in questions:
            # A question removed from its survey's list no longer points to the survey.
            survey = question.survey or (
                session.get(Survey, question.survey_id) if question.survey_id else None
            )
            if survey is not None and survey not in session.deleted:
                survey.updated_at = now
