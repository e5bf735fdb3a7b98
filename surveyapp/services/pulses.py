"""Recurring pulses: the schedule of a pulse survey and the waves the worker opens on time.

A pulse survey's ``settings["schedule"]`` holds ``frequency`` (weekly,
monthly or quarterly), ``starts_on`` (ISO date of wave 1) and an optional
``segment`` (attribute -> value) naming who is asked. Wave *n* opens at
09:00 in the workspace time zone (config ``TIMEZONE``) on its day; a monthly
or quarterly wave keeps the day of the month of ``starts_on``, or the month's
last day when it is shorter.

Opening a wave writes the wave and its invitations in one transaction; the
unique (survey, number) pair makes a second worker, or a restarted one, find
the wave already there. A worker that was down for a while opens only the
latest due wave: old rounds are not sent late. Each answer carries its wave
number in ``Response.segment["wave"]``, so waves stay separate and comparable.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.models import Invitation, PulseWave, Survey, utcnow
from surveyapp.services import contacts, invitations
from surveyapp.services.errors import InvalidInput, NotFound, ServiceError

__all__ = [
    "FREQUENCIES",
    "RECURRING_KINDS",
    "OpenedWave",
    "Schedule",
    "due_wave_number",
    "list_waves",
    "open_due_waves",
    "set_schedule",
    "wave_for_response",
    "wave_opening",
]

FREQUENCIES = ("weekly", "monthly", "quarterly")
# The kinds that recur in waves: pulses, and the monthly eNPS pulse HR runs (PRODUCT.md).
RECURRING_KINDS = ("pulse", "enps")
OPENING_HOUR = 9
_MONTHS = {"monthly": 1, "quarterly": 3}


@dataclass(frozen=True)
class Schedule:
    """When a pulse survey's waves open, and who they go to."""

    frequency: str
    starts_on: dt.date
    segment: dict[str, str]

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Schedule | None:
        """The schedule stored in a survey's settings, or None when it has none."""
        raw = settings.get("schedule")
        if not raw:
            return None
        return cls(raw["frequency"], dt.date.fromisoformat(raw["starts_on"]), dict(raw["segment"]))

    def to_settings(self) -> dict[str, Any]:
        """The JSON form kept in ``Survey.settings["schedule"]``."""
        return {
            "frequency": self.frequency,
            "starts_on": self.starts_on.isoformat(),
            "segment": self.segment,
        }


@dataclass(frozen=True)
class OpenedWave:
    """A wave the worker just opened and how many invitations it queued."""

    survey_id: int
    number: int
    queued: int


def wave_opening(schedule: Schedule, number: int, tz: dt.tzinfo) -> dt.datetime:
    """When wave ``number`` (from 1) opens, as an aware UTC datetime.

    >>> s = Schedule("monthly", dt.date(2026, 1, 31), {})
    >>> wave_opening(s, 2, dt.UTC)
    datetime.datetime(2026, 2, 28, 9, 0, tzinfo=datetime.timezone.utc)
    >>> wave_opening(Schedule("weekly", dt.date(2026, 3, 2), {}), 3, dt.UTC).date()
    datetime.date(2026, 3, 16)
    """
    if schedule.frequency == "weekly":
        day = schedule.starts_on + dt.timedelta(weeks=number - 1)
    else:
        months = schedule.starts_on.month - 1 + _MONTHS[schedule.frequency] * (number - 1)
        year, month = schedule.starts_on.year + months // 12, months % 12 + 1
        last_day = calendar.monthrange(year, month)[1]
        day = dt.date(year, month, min(schedule.starts_on.day, last_day))
    local = dt.datetime.combine(day, dt.time(OPENING_HOUR), tzinfo=tz)
    return local.astimezone(dt.UTC)


def due_wave_number(schedule: Schedule, now: dt.datetime, tz: dt.tzinfo) -> int | None:
    """The latest wave whose opening time has come, or None before the first one.

    >>> s = Schedule("quarterly", dt.date(2026, 1, 15), {})
    >>> due_wave_number(s, dt.datetime(2026, 7, 15, 9, 0, tzinfo=dt.UTC), dt.UTC)
    3
    >>> due_wave_number(s, dt.datetime(2026, 1, 15, 8, 59, tzinfo=dt.UTC), dt.UTC) is None
    True
    """
    if now < wave_opening(schedule, 1, tz):
        return None
    local_day = now.astimezone(tz).date()
    if schedule.frequency == "weekly":
        number = (local_day - schedule.starts_on).days // 7 + 1
    else:
        months = (local_day.year - schedule.starts_on.year) * 12 + (
            local_day.month - schedule.starts_on.month
        )
        number = months // _MONTHS[schedule.frequency] + 1
    # The estimate can be one off around the opening day and hour: settle it exactly.
    while number > 1 and wave_opening(schedule, number, tz) > now:
        number -= 1
    while wave_opening(schedule, number + 1, tz) <= now:
        number += 1
    return number


def set_schedule(
    survey_id: int,
    frequency: str | None,
    starts_on: dt.date | None = None,
    segment: Mapping[str, str] | None = None,
) -> Survey:
    """Give a pulse survey its schedule, or remove it with ``frequency=None``.

    Raises NotFound, and InvalidInput for a survey that is not a pulse, an
    unknown frequency, a missing start date or an unknown segment attribute.
    """
    survey = db.session().get(Survey, survey_id)
    if survey is None:
        raise NotFound(_("No such survey."))
    if survey.kind not in RECURRING_KINDS:
        raise InvalidInput(_("Only pulse and eNPS surveys recur on a schedule."), "frequency")
    settings = dict(survey.settings)
    if frequency is None:
        settings.pop("schedule", None)
    else:
        if frequency not in FREQUENCIES:
            raise InvalidInput(_("Choose weekly, monthly or quarterly."), "frequency")
        if starts_on is None:
            raise InvalidInput(_("Choose the date of the first wave."), "starts_on")
        schedule = Schedule(frequency, starts_on, {k: v for k, v in (segment or {}).items() if v})
        if schedule.segment:
            contacts.segment_filter(schedule.segment)  # raises InvalidInput for an unknown one
        settings["schedule"] = schedule.to_settings()
    survey.settings = settings
    survey.updated_at = utcnow()
    db.session().commit()
    return survey


def open_due_waves(now: dt.datetime | None = None) -> list[OpenedWave]:
    """Open every active pulse survey's due wave that does not exist yet, inviting its audience.

    Safe to call from several workers at once: each wave is created once.
    """
    now = now or utcnow()
    tz = _workspace_tz()
    session = db.session()
    opened: list[OpenedWave] = []
    pulses = session.scalars(
        sa.select(Survey).where(Survey.kind.in_(RECURRING_KINDS), Survey.status == "active")
    ).all()
    session.commit()
    for survey in pulses:
        schedule = Schedule.from_settings(survey.settings)
        number = due_wave_number(schedule, now, tz) if schedule is not None else None
        if schedule is None or number is None or _wave_exists(survey.id, number):
            continue
        wave = PulseWave(
            survey_id=survey.id, number=number, opens_at=wave_opening(schedule, number, tz)
        )
        session.add(wave)
        try:
            session.flush()
        except sa.exc.IntegrityError:
            # Another worker opened it a moment ago.
            session.rollback()
            continue
        try:
            result = invitations.invite_contacts(
                survey.id, segment=schedule.segment or None, wave_id=wave.id, now=now
            )
        except ServiceError:
            # The wave is not kept either, so the next cycle tries again.
            session.rollback()
            current_app.logger.exception("Could not open wave %s of survey %s", number, survey.id)
            continue
        opened.append(OpenedWave(survey.id, number, result.queued))
    return opened


def list_waves(survey_id: int) -> list[tuple[PulseWave, int, int]]:
    """A survey's waves, newest first, each with its invitation count and answered count."""
    answered = sa.func.count(Invitation.answered_at)
    rows = db.session().execute(
        sa.select(PulseWave, sa.func.count(Invitation.id), answered)
        .outerjoin(Invitation, Invitation.wave_id == PulseWave.id)
        .where(PulseWave.survey_id == survey_id)
        .group_by(PulseWave.id)
        .order_by(PulseWave.number.desc())
    )
    return [(wave, invited, answered_count) for wave, invited, answered_count in rows]


def wave_for_response(survey: Survey, invitation: Invitation | None) -> int | None:
    """The wave number an answer belongs to: its invitation's, else the survey's latest wave."""
    if survey.kind not in RECURRING_KINDS:
        return None
    query = sa.select(PulseWave.number)
    if invitation is not None and invitation.wave_id is not None:
        return db.session().scalar(query.where(PulseWave.id == invitation.wave_id))
    return db.session().scalar(
        query.where(PulseWave.survey_id == survey.id).order_by(PulseWave.number.desc()).limit(1)
    )


def _wave_exists(survey_id: int, number: int) -> bool:
    return bool(
        db.session().scalar(
            sa.select(sa.func.count(PulseWave.id)).where(
                PulseWave.survey_id == survey_id, PulseWave.number == number
            )
        )
    )


def _workspace_tz() -> dt.tzinfo:
    return ZoneInfo(current_app.config.get("TIMEZONE") or "UTC")
