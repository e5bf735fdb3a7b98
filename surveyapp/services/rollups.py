"""Daily rollups of responses, kept in step with every write and rebuilt in bulk.

One ``daily_rollups`` row per survey, *local* day (in the workspace time zone,
config ``TIMEZONE``) and segment value holds the response count and the
histogram of main scores, so week, month and quarter buckets in that zone are
exact sums of days, daylight-saving changes included. The rows used are:
everyone (``"", ""``), ``language``, ``channel`` and every key of
``Response.segment`` (reportable contact attributes, a pulse wave).

Maintenance is transactional: an ``after_flush`` listener turns every ORM
insert, update and delete of a ``Response`` into +1/−1 deltas upserted in the
same transaction, so a re-submitted token that changes the score moves one
count from the old score to the new one. A response inserted with a Core
statement (a new public-link submission) is counted by ``count_inserted`` in
its transaction. Bulk Core writes (the demo, imports,
benchmarks) call ``rebuild`` for the surveys they touched, which recomputes
the rows with one ``INSERT … SELECT`` per segment attribute.

``rollup_state`` records the zone the days were computed in ("UTC" when
absent). When ``TIMEZONE`` changes, reporting falls back to the raw responses
(correct, slower) until ``flask rebuild-rollups`` recomputes the days.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app, has_app_context
from sqlalchemy.dialects import postgresql, sqlite

from surveyapp import db
from surveyapp.analytics.periods import day_bounds, local_day, offset_spans, time_zone
from surveyapp.models import DailyRollup, Response, RollupState
from surveyapp.models.rollup import ALL_SEGMENTS, MAX_SCORE

__all__ = [
    "BUILT_IN_SEGMENTS",
    "DayCounts",
    "configured_time_zone",
    "count_inserted",
    "daily_counts",
    "init_app",
    "local_day_sql",
    "raw_daily_counts",
    "rebuild",
    "rebuild_on_connection",
    "rollup_time_zone",
    "rollups_usable",
    "segment_expression",
    "segment_keys",
]

log = logging.getLogger(__name__)

# Segments every response has, besides the keys of Response.segment.
BUILT_IN_SEGMENTS = ("language", "channel")
SCORE_COLUMNS = tuple(f"c{score}" for score in range(MAX_SCORE + 1))
KEY_LENGTH = 64
VALUE_LENGTH = 200
TIMEZONE_STATE = "timezone"

# (survey_id, segment_key, segment_value, day) -> one row of counts.
RollupKey = tuple[int, str, str, dt.date]
# (segment_value, day, n, histogram {score: count})
DayCounts = tuple[str, dt.date, int, dict[int, int]]


def init_app(app: Flask) -> None:
    """Maintain the rollups on every flush of the application's sessions."""
    factory = db.session_factory(app)
    sa.event.listen(factory, "before_flush", _before_flush)
    sa.event.listen(factory, "after_flush", _after_flush)


def configured_time_zone() -> str:
    """The workspace time zone name (config ``TIMEZONE``, "UTC" outside an app)."""
    if not has_app_context():
        return "UTC"
    return str(current_app.config.get("TIMEZONE") or "UTC")


def rollup_time_zone(session: so.Session | None = None) -> str:
    """The time zone the stored rollup days are in ("UTC" until a rebuild says otherwise)."""
    state = (session or db.session()).get(RollupState, TIMEZONE_STATE)
    return state.value if state is not None else "UTC"


def rollups_usable() -> bool:
    """True when the rollups' days are in the configured zone (else read raw responses)."""
    usable = rollup_time_zone() == configured_time_zone()
    if not usable:
        log.warning(
            "rollups are in %s but TIMEZONE is %s: reading raw responses until "
            "`flask rebuild-rollups` runs",
            rollup_time_zone(),
            configured_time_zone(),
        )
    return usable


# --- maintenance at write time -------------------------------------------------------------


def _segments(language: Any, channel: Any, segment: Any) -> list[tuple[str, str]]:
    """The (key, value) rows one response counts in, everyone's row first."""
    pairs = [(ALL_SEGMENTS, ALL_SEGMENTS)]
    if language:
        pairs.append(("language", str(language)[:VALUE_LENGTH]))
    if channel:
        pairs.append(("channel", str(channel)[:VALUE_LENGTH]))
    for key, value in (segment or {}).items():
        if value is None or key in BUILT_IN_SEGMENTS or not key:
            continue
        pairs.append((str(key)[:KEY_LENGTH], _segment_text(value)))
    return pairs


def _segment_text(value: Any) -> str:
    # The same text SQL gives for a JSON string or number (->> and json_extract).
    return str(value)[:VALUE_LENGTH]


def _contribution(values: dict[str, Any], tz: dt.tzinfo) -> list[tuple[RollupKey, int | None]]:
    created_at = values["created_at"]
    if values["survey_id"] is None or created_at is None:
        return []
    day = local_day(created_at, tz)
    score = values["score"]
    return [
        ((values["survey_id"], key, value, day), score)
        for key, value in _segments(values["language"], values["channel"], values["segment"])
    ]


_TRACKED = ("survey_id", "created_at", "score", "language", "channel", "segment")


_OLD_VALUES = "surveyapp.rollups.old"


def _before_flush(session: so.Session, _context: Any, _instances: Any) -> None:
    """Read, before they change, what the updated and deleted responses counted in.

    The database row is the ground truth: an attribute assigned without having
    been loaded has no "old value" in the ORM's history.
    """
    ids = [
        obj.id
        for obj in (*session.dirty, *session.deleted)
        if isinstance(obj, Response) and obj.id is not None
    ]
    if not ids:
        return
    query = sa.select(*(getattr(Response, name) for name in ("id", *_TRACKED))).where(
        Response.id.in_(ids)
    )
    with session.no_autoflush:
        rows = session.execute(query).all()
    session.info[_OLD_VALUES] = {row[0]: dict(zip(_TRACKED, row[1:], strict=True)) for row in rows}


def _after_flush(session: so.Session, _context: Any) -> None:
    """Turn the flushed Response inserts, updates and deletes into rollup deltas."""
    old_values: dict[int, dict[str, Any]] = session.info.pop(_OLD_VALUES, {})
    changed = [
        (obj, sign)
        for objects, sign in ((session.new, 1), (session.dirty, 0), (session.deleted, -1))
        for obj in objects
        if isinstance(obj, Response)
    ]
    if not changed:
        return
    tz = time_zone(configured_time_zone())
    deltas: dict[RollupKey, list[int]] = {}
    for obj, sign in changed:
        if sign >= 0:
            _add(deltas, _contribution({name: getattr(obj, name) for name in _TRACKED}, tz), 1)
        if sign <= 0 and obj.id in old_values:
            _add(deltas, _contribution(old_values[obj.id], tz), -1)
    _apply(session.connection(), deltas)


def count_inserted(connection: sa.Connection, values: dict[str, Any]) -> None:
    """Count one response that a Core statement inserted (listeners see only ORM flushes).

    ``values`` holds at least the columns of ``_TRACKED``, as stored.
    """
    deltas: dict[RollupKey, list[int]] = {}
    _add(deltas, _contribution(values, time_zone(configured_time_zone())), 1)
    _apply(connection, deltas)


def _add(
    deltas: dict[RollupKey, list[int]], rows: list[tuple[RollupKey, int | None]], sign: int
) -> None:
    for key, score in rows:
        counts = deltas.setdefault(key, [0] * (MAX_SCORE + 2))
        counts[0] += sign
        if score is not None and 0 <= score <= MAX_SCORE:
            counts[score + 1] += sign


def _apply(connection: sa.Connection, deltas: dict[RollupKey, list[int]]) -> None:
    rows = [
        {
            "survey_id": survey_id,
            "segment_key": key,
            "segment_value": value,
            "day": day,
            "n": counts[0],
            **{column: counts[i + 1] for i, column in enumerate(SCORE_COLUMNS)},
        }
        for (survey_id, key, value, day), counts in deltas.items()
        if any(counts)
    ]
    if not rows:
        return
    connection.execute(_upsert(connection.dialect.name), rows)


@functools.cache
def _upsert(dialect: str) -> sa.Insert:
    """The rollup upsert of ``dialect``, built once: building it cost more than running it."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(DailyRollup)
    table = DailyRollup.__table__
    return statement.on_conflict_do_update(
        index_elements=["survey_id", "segment_key", "segment_value", "day"],
        set_={
            column: table.c[column] + statement.excluded[column] for column in ("n", *SCORE_COLUMNS)
        },
    )


# --- bulk rebuild -----------------------------------------------------------------------------


def local_day_sql(
    dialect: str, tz_name: str, start: dt.datetime, end: dt.datetime
) -> sa.ColumnElement[Any]:
    """SQL for the local day of ``responses.created_at`` in ``tz_name``, for times in the range."""
    if dialect == "postgresql":
        local = sa.func.timezone(tz_name, sa.func.timezone("UTC", Response.created_at))
        return sa.cast(local, sa.Date)
    # SQLite has no time-zone database: one fixed offset per span between transitions.
    spans = offset_spans(start, end, time_zone(tz_name))
    if len(spans) == 1:
        modifier: sa.ColumnElement[Any] = sa.literal(f"{spans[0].minutes:+d} minutes")
    else:
        modifier = sa.case(
            *(
                (Response.created_at < span.end, f"{span.minutes:+d} minutes")
                for span in spans[:-1]
            ),
            else_=f"{spans[-1].minutes:+d} minutes",
        )
    return sa.func.date(Response.created_at, modifier)


def _counts_columns() -> list[sa.ColumnElement[Any]]:
    return [
        sa.func.count().label("n"),
        *(
            sa.func.sum(sa.case((Response.score == score, 1), else_=0)).label(column)
            for score, column in enumerate(SCORE_COLUMNS)
        ),
    ]


def segment_expression(key: str) -> sa.ColumnElement[Any]:
    """SQL for a response's value of segment ``key`` as the rollups store it (cut to 200)."""
    if key == ALL_SEGMENTS:
        return sa.literal(ALL_SEGMENTS, sa.String)
    if key in BUILT_IN_SEGMENTS:
        return sa.func.substr(getattr(Response, key), 1, VALUE_LENGTH)
    return sa.func.substr(sa.cast(Response.segment[key].as_string(), sa.String), 1, VALUE_LENGTH)


def _daily_select(
    dialect: str,
    tz_name: str,
    key: str,
    survey_ids: Sequence[int] | None,
    start: dt.datetime,
    end: dt.datetime,
    *,
    bounded: bool,
) -> sa.Select[Any]:
    """survey_id, key, value, local day and counts of the responses, grouped."""
    day = local_day_sql(dialect, tz_name, start, end).label("day")
    value = segment_expression(key).label("segment_value")
    query = sa.select(
        Response.survey_id,
        sa.literal(key[:KEY_LENGTH], sa.String).label("segment_key"),
        value,
        day,
        *_counts_columns(),
    ).group_by(Response.survey_id, day)
    if key != ALL_SEGMENTS:
        query = query.group_by(value)
    if key != ALL_SEGMENTS:
        query = query.where(segment_expression(key).is_not(None))
    if survey_ids is not None:
        query = query.where(Response.survey_id.in_(survey_ids))
    if bounded:
        query = query.where(Response.created_at >= start, Response.created_at < end)
    return query


def segment_keys(connection: sa.Connection, survey_ids: Sequence[int] | None = None) -> list[str]:
    """Every key found in ``Response.segment`` (of the given surveys), sorted."""
    where = "" if survey_ids is None else " WHERE survey_id IN :ids"
    if connection.dialect.name == "postgresql":
        sql = f"SELECT DISTINCT jsonb_object_keys(segment) FROM responses{where}"
    else:
        sql = f"SELECT DISTINCT j.key FROM responses, json_each(responses.segment) AS j{where}"
    statement = sa.text(sql)
    params: dict[str, Any] = {}
    if survey_ids is not None:
        statement = statement.bindparams(sa.bindparam("ids", expanding=True))
        params["ids"] = list(survey_ids)
    keys = {str(row[0]) for row in connection.execute(statement, params)}
    return sorted(key for key in keys if key and key not in BUILT_IN_SEGMENTS)


def _time_range(
    connection: sa.Connection, survey_ids: Sequence[int] | None
) -> tuple[dt.datetime, dt.datetime] | None:
    query = sa.select(sa.func.min(Response.created_at), sa.func.max(Response.created_at))
    if survey_ids is not None:
        query = query.where(Response.survey_id.in_(survey_ids))
    low, high = connection.execute(query).one()
    if low is None or high is None:
        return None
    # min/max come back untyped on SQLite: parse them as the column would.
    low, high = (
        value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
        for value in (low, high)
    )
    low, high = (
        value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value for value in (low, high)
    )
    return low, high + dt.timedelta(seconds=1)


def rebuild_on_connection(
    connection: sa.Connection, tz_name: str, survey_ids: Sequence[int] | None = None
) -> int:
    """Recompute the rollups of ``survey_ids`` (None: all) in ``tz_name``; return rows written.

    Runs on the caller's connection and transaction.
    Rebuilding all surveys records ``tz_name`` as the rollups' zone. Raises
    AnalyticsError for an unknown zone.
    """
    time_zone(tz_name)
    dialect = connection.dialect.name
    delete = sa.delete(DailyRollup)
    if survey_ids is not None:
        delete = delete.where(DailyRollup.survey_id.in_(survey_ids))
    connection.execute(delete)
    bounds = _time_range(connection, survey_ids)
    if bounds is not None:
        start, end = bounds
        columns = ["survey_id", "segment_key", "segment_value", "day", "n", *SCORE_COLUMNS]
        for key in (ALL_SEGMENTS, *BUILT_IN_SEGMENTS, *segment_keys(connection, survey_ids)):
            select = _daily_select(dialect, tz_name, key, survey_ids, start, end, bounded=False)
            connection.execute(sa.insert(DailyRollup).from_select(columns, select))
    if survey_ids is None:
        _set_time_zone(connection, tz_name)
    # rowcount of INSERT … SELECT is not reliable on every driver: count instead.
    count = sa.select(sa.func.count()).select_from(DailyRollup)
    if survey_ids is not None:
        count = count.where(DailyRollup.survey_id.in_(survey_ids))
    return int(connection.scalar(count) or 0)


def _set_time_zone(connection: sa.Connection, tz_name: str) -> None:
    connection.execute(sa.delete(RollupState).where(RollupState.name == TIMEZONE_STATE))
    connection.execute(sa.insert(RollupState).values(name=TIMEZONE_STATE, value=tz_name))


def rebuild(survey_ids: Iterable[int] | None = None) -> int:
    """Recompute the rollups of ``survey_ids`` (None: every survey, in the configured zone).

    Commits. Returns the number of rollup rows written. Raises AnalyticsError
    for an unknown configured time zone.
    """
    session = db.session()
    ids = None if survey_ids is None else sorted(set(survey_ids))
    tz_name = configured_time_zone() if ids is None else rollup_time_zone(session)
    written = rebuild_on_connection(session.connection(), tz_name, ids)
    session.commit()
    return written


# --- reading ------------------------------------------------------------------------------------


def _histogram(counts: Sequence[Any]) -> dict[int, int]:
    return {score: int(count) for score, count in enumerate(counts) if count}


def daily_counts(
    survey_ids: Sequence[int],
    first_day: dt.date,
    end_day: dt.date,
    segment_key: str = ALL_SEGMENTS,
    segment_value: str | None = None,
) -> dict[int, list[DayCounts]]:
    """Per survey, the rolled-up days in ``[first_day, end_day)`` for one segment attribute.

    With ``segment_value`` only that value's rows; the everyone row is key "".
    """
    query = sa.select(
        DailyRollup.survey_id,
        DailyRollup.segment_value,
        DailyRollup.day,
        DailyRollup.n,
        *(getattr(DailyRollup, column) for column in SCORE_COLUMNS),
    ).where(
        DailyRollup.survey_id.in_(survey_ids),
        DailyRollup.segment_key == segment_key,
        DailyRollup.day >= first_day,
        DailyRollup.day < end_day,
    )
    if segment_value is not None:
        query = query.where(DailyRollup.segment_value == segment_value)
    result: dict[int, list[DayCounts]] = {survey_id: [] for survey_id in survey_ids}
    for row in db.session().execute(query):
        if row[3]:
            result[row[0]].append((row[1], row[2], int(row[3]), _histogram(row[4:])))
    return result


def raw_daily_counts(
    survey_ids: Sequence[int],
    first_day: dt.date,
    end_day: dt.date,
    segment_key: str = ALL_SEGMENTS,
    segment_value: str | None = None,
    tz_name: str | None = None,
) -> dict[int, list[DayCounts]]:
    """The same as ``daily_counts``, computed from the responses (the rollups' ground truth)."""
    tz_name = tz_name or configured_time_zone()
    tz = time_zone(tz_name)
    start, _ = day_bounds(first_day, tz)
    end, _ = day_bounds(end_day, tz)
    connection = db.session().connection()
    select = _daily_select(
        connection.dialect.name, tz_name, segment_key, survey_ids, start, end, bounded=True
    )
    if segment_value is not None:
        select = select.where(segment_expression(segment_key) == segment_value)
    result: dict[int, list[DayCounts]] = {survey_id: [] for survey_id in survey_ids}
    for row in connection.execute(select):
        day = row.day if isinstance(row.day, dt.date) else dt.date.fromisoformat(str(row.day))
        counts = [row._mapping[column] for column in SCORE_COLUMNS]
        result[row.survey_id].append((row.segment_value, day, int(row.n), _histogram(counts)))
    return result
