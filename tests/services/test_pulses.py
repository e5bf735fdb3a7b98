"""Pulse waves open on schedule, once, to the same people, and keep their answers apart."""

from __future__ import annotations

import datetime as dt
import doctest
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from surveyapp import db
from surveyapp.models import Invitation, PulseWave, Response, Survey
from surveyapp.services import contacts, invitations, pulses, responses
from surveyapp.services.errors import InvalidInput
from surveyapp.services.pulses import Schedule, due_wave_number, wave_opening
from tests import factories
from tests.concurrency import race
from tests.conftest import make_test_app

UTC = dt.UTC
PARIS = ZoneInfo("Europe/Paris")


def test_doctests() -> None:
    assert doctest.testmod(pulses).failed == 0


@pytest.mark.parametrize(
    ("frequency", "starts_on", "number", "expected"),
    [
        ("weekly", dt.date(2026, 12, 28), 2, dt.date(2027, 1, 4)),
        ("monthly", dt.date(2026, 1, 31), 2, dt.date(2026, 2, 28)),
        ("monthly", dt.date(2026, 1, 31), 3, dt.date(2026, 3, 31)),
        ("monthly", dt.date(2024, 1, 30), 2, dt.date(2024, 2, 29)),
        ("quarterly", dt.date(2026, 11, 15), 2, dt.date(2027, 2, 15)),
    ],
)
def test_wave_opening_days(
    frequency: str, starts_on: dt.date, number: int, expected: dt.date
) -> None:
    opening = wave_opening(Schedule(frequency, starts_on, {}), number, UTC)
    assert opening == dt.datetime.combine(expected, dt.time(9), tzinfo=UTC)


def test_waves_open_at_nine_local_time_across_daylight_saving() -> None:
    schedule = Schedule("weekly", dt.date(2026, 3, 23), {})
    assert wave_opening(schedule, 1, PARIS) == dt.datetime(2026, 3, 23, 8, 0, tzinfo=UTC)
    # Summer time starts on 29 March 2026: 09:00 in Paris is then 07:00 UTC.
    assert wave_opening(schedule, 2, PARIS) == dt.datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (dt.datetime(2026, 3, 30, 6, 59, tzinfo=UTC), 1),
        (dt.datetime(2026, 3, 30, 7, 0, tzinfo=UTC), 2),
        (dt.datetime(2026, 3, 23, 7, 59, tzinfo=UTC), None),
        (dt.datetime(2027, 3, 22, 12, 0, tzinfo=UTC), 53),
    ],
)
def test_due_wave_number_at_the_edges(now: dt.datetime, expected: int | None) -> None:
    assert due_wave_number(Schedule("weekly", dt.date(2026, 3, 23), {}), now, PARIS) == expected


def _pulse(*, anonymous: bool = False, segment: dict[str, str] | None = None) -> int:
    survey = factories.gen_survey("pulse", anonymous=anonymous)
    pulses.set_schedule(survey.id, "monthly", dt.date(2026, 1, 5), segment or {})
    return survey.id


def _invitations(survey_id: int) -> list[Invitation]:
    session = db.session()
    session.expire_all()
    return list(
        session.scalars(
            sa.select(Invitation).where(Invitation.survey_id == survey_id).order_by(Invitation.id)
        )
    )


def test_only_the_latest_due_wave_opens_once_and_reinvites_the_same_people(app: Flask) -> None:
    app.config["THROTTLE_DAYS"] = 90
    contacts.define_attribute("team", "text")
    survey_id = _pulse(segment={"team": "ops"})
    ops = [factories.gen_contact(attributes={"team": "ops"}) for _ in range(2)]
    factories.gen_contact(attributes={"team": "sales"})

    opened = pulses.open_due_waves(dt.datetime(2026, 3, 10, tzinfo=UTC))
    again = pulses.open_due_waves(dt.datetime(2026, 3, 20, tzinfo=UTC))
    assert [(wave.number, wave.queued) for wave in opened] == [(3, 2)]
    assert again == []

    # A month later the same people are asked again: no "already invited", no throttling.
    opened = pulses.open_due_waves(dt.datetime(2026, 4, 5, 9, 0, tzinfo=UTC))
    assert [(wave.number, wave.queued) for wave in opened] == [(4, 2)]
    invited = _invitations(survey_id)
    assert sorted(invitation.contact_id for invitation in invited) == sorted(
        [c.id for c in ops] * 2
    )
    assert len({invitation.wave_id for invitation in invited}) == 2
    waves = pulses.list_waves(survey_id)
    assert [(wave.number, count, answered) for wave, count, answered in waves] == [
        (4, 2, 0),
        (3, 2, 0),
    ]


def test_two_workers_at_once_open_a_wave_once(database_url: str) -> None:
    setup = make_test_app(database_url)
    with setup.app_context():
        survey_id = _pulse()
        for _ in range(5):
            factories.gen_contact()
        db.session().close()

    def open_waves(ready: Callable[[], None]) -> None:
        ready()
        pulses.open_due_waves(dt.datetime(2026, 2, 6, tzinfo=UTC))

    race(database_url, 2, open_waves)
    with setup.app_context():
        session = db.session()
        assert session.scalar(sa.select(sa.func.count(PulseWave.id))) == 1
        assert (
            session.scalar(
                sa.select(sa.func.count(Invitation.id)).where(Invitation.survey_id == survey_id)
            )
            == 5
        )
        session.close()
    setup.extensions["surveyapp.engine"].dispose()


@pytest.mark.parametrize("anonymous", [False, True])
def test_each_answer_carries_its_wave(app: Flask, anonymous: bool) -> None:
    survey_id = _pulse(anonymous=anonymous)
    factories.gen_contact()
    pulses.open_due_waves(dt.datetime(2026, 2, 6, tzinfo=UTC))
    invitation = _invitations(survey_id)[0]
    survey = db.session().get(Survey, survey_id)
    main = survey.main_question

    responses.submit_response(
        survey,
        {main.id: responses.AnswerValue(number=4)},
        language="en",
        invitation=invitation,
    )
    stored = db.session().scalars(sa.select(Response)).one()
    assert stored.segment.get("wave") == 2
    assert (stored.contact_id is None) is anonymous


def test_schedules_are_for_pulse_surveys_with_a_known_frequency(app: Flask) -> None:
    nps = factories.gen_survey("nps")
    with pytest.raises(InvalidInput):
        pulses.set_schedule(nps.id, "monthly", dt.date(2026, 1, 1))
    pulse = factories.gen_survey("pulse")
    with pytest.raises(InvalidInput):
        pulses.set_schedule(pulse.id, "daily", dt.date(2026, 1, 1))
    with pytest.raises(InvalidInput):
        pulses.set_schedule(pulse.id, "weekly", None)
    assert pulses.set_schedule(pulse.id, None).settings.get("schedule") is None


def test_a_wave_never_goes_to_an_inactive_survey(app: Flask) -> None:
    survey_id = _pulse()
    factories.gen_contact()
    survey = db.session().get(Survey, survey_id)
    survey.status = "closed"
    db.session().commit()
    assert pulses.open_due_waves(dt.datetime(2026, 2, 6, tzinfo=UTC)) == []
    assert invitations.status_counts(survey_id)["queued"] == 0
