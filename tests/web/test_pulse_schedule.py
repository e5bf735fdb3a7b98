"""Editors make a pulse survey recur from its page and see its waves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.models import Survey
from surveyapp.services import contacts, pulses
from tests import factories


def test_an_editor_schedules_a_pulse_and_sees_its_waves(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("editor")
    survey = factories.gen_survey("pulse")
    contacts.define_attribute("team", "text")
    factories.gen_contact(attributes={"team": "ops"})
    response = client.post(
        f"/surveys/{survey.id}/schedule",
        data={
            "frequency": "monthly",
            "starts_on": "2026-01-05",
            "segment_key": "team",
            "segment_value": "ops",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "The schedule is saved." in response.get_data(as_text=True)
    db.session().expire_all()
    assert db.session().get(Survey, survey.id).settings["schedule"] == {
        "frequency": "monthly",
        "starts_on": "2026-01-05",
        "segment": {"team": "ops"},
    }

    pulses.open_due_waves(dt.datetime(2026, 2, 10, tzinfo=dt.UTC))
    page = client.get(f"/surveys/{survey.id}").get_data(as_text=True)
    assert '<option selected value="monthly">' in page
    assert "<td>2</td>" in page


def test_a_schedule_without_a_first_date_is_refused_and_kept(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("editor")
    survey = factories.gen_survey("pulse")
    response = client.post(
        f"/surveys/{survey.id}/schedule", data={"frequency": "weekly", "segment_key": "team"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose the date of the first wave." in page
    assert 'value="team"' in page


def test_a_schedule_for_an_unknown_attribute_is_refused(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("editor")
    survey = factories.gen_survey("pulse")
    response = client.post(
        f"/surveys/{survey.id}/schedule",
        data={
            "frequency": "weekly",
            "starts_on": "2026-01-05",
            "segment_key": "shoe_size",
            "segment_value": "42",
        },
    )
    assert response.status_code == 400
    assert "Unknown attribute shoe_size." in response.get_data(as_text=True)
    db.session().expire_all()
    assert "schedule" not in db.session().get(Survey, survey.id).settings
