"""The follow-up pages through the test client: queue, case actions, alerts, retention."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.models import Case, OutboxMessage
from surveyapp.services import alerts
from tests import factories
from tests.factories_followup import gen_customer, gen_owned_survey, submit


def _case_id() -> int:
    case_id = db.session().scalars(sa.select(Case.id).order_by(Case.id.desc())).first()
    assert case_id is not None
    return case_id


def test_the_queue_lists_and_filters_cases(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = gen_owned_survey("nps", factories.gen_user("editor"))
    submit(survey, 2, "Invoices are wrong")
    submit(survey, 9, "Great")
    page = client.get("/cases")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Invoices are wrong" in html and "Great" not in html
    assert f'href="/cases/{_case_id()}"' in html
    assert "Handling time per month" in html
    closed = client.get("/cases?status=closed").get_data(as_text=True)
    assert "Invoices are wrong" not in closed
    assert "No case matches" in closed


def test_an_editor_works_a_case_from_its_page(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    editor = login("editor")
    survey = gen_owned_survey("nps", factories.gen_user("editor"))
    submit(survey, 1, "Nothing works", contact=factories.gen_contact("ann@example.com"))
    case_id = _case_id()
    url = f"/cases/{case_id}"
    page = client.get(url).get_data(as_text=True)
    assert "Nothing works" in page and "ann@example.com" in page
    assert (
        client.post(
            url,
            data={"action": "assign", "assign-assignee_id": editor.id},  # type: ignore[attr-defined]
        ).status_code
        == 302
    )
    assert (
        client.post(url, data={"action": "status", "status-status": "in_progress"}).status_code
        == 302
    )
    assert client.post(url, data={"action": "note", "note-body": "Called her"}).status_code == 302
    response = client.post(
        url, data={"action": "reply", "reply-subject": "Sorry", "reply-body": "We are on it."}
    )
    assert response.status_code == 302
    case = db.session().get(Case, case_id)
    db.session().refresh(case)
    assert case is not None
    assert (case.status, case.assignee_id) == ("in_progress", editor.id)  # type: ignore[attr-defined]
    assert case.first_action_at is not None
    page = client.get(url).get_data(as_text=True)
    assert "Called her" in page and "We are on it." in page
    message = db.session().scalars(sa.select(OutboxMessage)).one()
    assert (message.kind, message.payload["to"]) == ("case_reply", "ann@example.com")


def test_an_empty_reply_is_refused_with_an_announced_error(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("editor")
    survey = gen_owned_survey("nps", factories.gen_user("editor"))
    submit(survey, 1)
    response = client.post(
        f"/cases/{_case_id()}", data={"action": "reply", "reply-subject": "", "reply-body": "x"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and 'aria-describedby="reply-subject-error"' in html
    assert db.session().scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def test_a_public_answer_offers_no_reply_and_viewers_cannot_act(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = gen_owned_survey("csat", factories.gen_user("editor"))
    submit(survey, 1, public=True)
    url = f"/cases/{_case_id()}"
    html = client.get(url).get_data(as_text=True)
    assert "Act on it" not in html
    assert client.post(url, data={"action": "note", "note-body": "x"}).status_code == 403
    assert client.get("/cases/99999").status_code == 404


def test_a_case_without_contact_cannot_be_replied_to(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("editor")
    survey = gen_owned_survey("nps", factories.gen_user("editor"))
    submit(survey, 1, public=True)
    url = f"/cases/{_case_id()}"
    assert "cannot be emailed" in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"action": "reply", "reply-subject": "A", "reply-body": "B"})
    assert response.status_code == 422
    assert db.session().scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def test_alert_settings_are_saved_for_the_logged_in_user(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    user = login("viewer")
    survey = factories.gen_survey("nps", title="Customer NPS")
    page = client.get("/cases/alerts").get_data(as_text=True)
    assert "Customer NPS" in page and '<input checked id="alerts-mode-0"' in page
    response = client.post(
        "/cases/alerts", data={"alerts-mode": "digest", "alerts-survey_ids": [str(survey.id)]}
    )
    assert response.status_code == 302
    settings = alerts.alert_settings(user.id)  # type: ignore[attr-defined]
    assert settings == alerts.AlertSettings("digest", frozenset({survey.id}))
    assert client.post("/cases/alerts", data={"alerts-mode": "loud"}).status_code == 422


def test_the_retention_page_shows_kpis_beside_nps_and_outcomes(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    today = dt.date.today()
    month_start = today.replace(day=1)
    for n in range(10):
        history = [("started", month_start - dt.timedelta(days=40), 5_000)]
        if n == 0:
            history.append(("cancelled", month_start, 5_000))
        gen_customer(history)
    factories.gen_survey("nps", title="Relationship NPS")
    html = client.get("/retention").get_data(as_text=True)
    assert "Retention" in html and "Relationship NPS" in html
    # This month: 10 at the start, 1 lost: 90 % retention, 450.00 MRR left.
    assert "90.0 %" in html and "450.00" in html
    assert "Scores against outcomes" in html and "Revenue at risk" in html
    quarters = client.get("/retention?interval=quarter")
    assert quarters.status_code == 200 and " Q" in quarters.get_data(as_text=True)
    assert client.get("/retention?survey=99999").status_code == 404
