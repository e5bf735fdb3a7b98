"""Who sees eNPS surveys (HR, shares, managers), the org chart page and the threshold setting."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.models import Alert, AlertSubscription, Survey, User
from surveyapp.services import cases, survey_access
from surveyapp.services.api_keys import create_api_key
from tests import factories, factories_enps

Login = Callable[..., object]


def _text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def _stored(survey_id: int) -> Survey:
    db.session().expire_all()
    survey = db.session().get(Survey, survey_id)
    assert survey is not None
    return survey


def test_hr_shares_a_survey_and_takes_it_back(
    app: Flask, client: FlaskClient, login: Login
) -> None:
    survey = factories.gen_survey("enps", title="Engagement")
    colleague = factories.gen_user("viewer", email="colleague@example.com")
    assert not survey_access.survey_access(colleague, survey).visible

    factories_enps.hr(login("editor"))
    page = _text(client.get(f"/surveys/{survey.id}"))
    assert "Who sees this survey" in page
    shared = client.post(f"/surveys/{survey.id}/shares", data={"email": "Colleague@example.com"})
    assert shared.status_code == 302
    assert survey_access.survey_access(colleague, survey).full
    assert [user.email for user in survey_access.list_shares(survey.id)] == [colleague.email]
    unknown = client.post(
        f"/surveys/{survey.id}/shares", data={"email": "ghost@example.com"}, follow_redirects=True
    )
    assert "No active account has this email." in _text(unknown)

    client.post(f"/surveys/{survey.id}/shares/{colleague.id}/delete")
    assert not survey_access.survey_access(colleague, survey).visible


def test_only_hr_shares_and_a_share_does_not_pass_on(
    app: Flask, client: FlaskClient, login: Login
) -> None:
    survey = factories.gen_survey("enps")
    editor = login("editor")
    assert isinstance(editor, User)
    survey_access.share_survey(
        survey.id, editor.email, factories_enps.hr(factories.gen_user("admin"))
    )
    # Shared with, but not HR: sees the survey, cannot share it further.
    assert client.get(f"/surveys/{survey.id}/results").status_code == 200
    other = factories.gen_user("viewer")
    refused = client.post(
        f"/surveys/{survey.id}/shares", data={"email": other.email}, follow_redirects=True
    )
    assert "Only HR can share an eNPS survey." in _text(refused)
    assert not survey_access.survey_access(other, survey).visible


def test_enps_cases_and_alerts_reach_only_those_who_see_the_survey(
    app: Flask, client: FlaskClient, login: Login
) -> None:
    named = factories.gen_survey("enps", anonymous=False, title="Named engagement")
    hr = factories_enps.hr(factories.gen_user("editor"))
    outsider = factories.gen_user("admin")
    for user in (hr, outsider):
        db.session().add(AlertSubscription(user_id=user.id, survey_id=named.id))
    db.session().commit()
    response = factories.gen_response(named, 2, "My manager never listens")
    case = cases.open_case_for(named, response)
    db.session().commit()
    assert case is not None
    recipients = set(db.session().scalars(sa.select(Alert.user_id)))
    assert recipients == {hr.id}

    login("admin")
    assert "Named engagement" not in _text(client.get("/cases"))
    assert client.get(f"/cases/{case.id}").status_code == 404


def test_org_chart_page_is_for_hr_and_reports_bad_rows(
    app: Flask, client: FlaskClient, login: Login
) -> None:
    user = login("editor")
    assert client.get("/org-chart").status_code == 403
    factories_enps.hr(user)
    assert "Org chart" in _text(client.get("/surveys"))
    csv_file = (
        b"team;department;parent;managers\n"
        b"Backend;Product;;lead@example.com\n"
        b"Ghost;Product;Nowhere;\n"
    )
    response = client.post(
        "/org-chart",
        data={"file": (BytesIO(csv_file), "org.csv")},
        content_type="multipart/form-data",
    )
    page = _text(response)
    assert response.status_code == 200
    assert "1 team created" in page and "1 row not imported" in page
    assert 'data-error-row="3"' in page and "Unknown parent team Nowhere" in page
    assert 'data-team="Backend"' in page
    bad = client.post(
        "/org-chart",
        data={"file": (BytesIO(b"name\nAda\n"), "org.csv")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and "No team column" in _text(bad)


def test_a_threshold_below_three_is_refused_by_the_form_and_the_api(
    app: Flask, client: FlaskClient, login: Login
) -> None:
    survey = factories.gen_survey("nps", anonymous=True, title="Anonymous NPS")
    login("editor")
    data = {"title": survey.title, "default_language": "en", "languages": ["en", "fr"]}
    refused = client.post(
        f"/surveys/{survey.id}", data={**data, "anonymous": "y", "reporting_threshold": "2"}
    )
    assert refused.status_code == 400
    assert "The reporting threshold is at least 3" in _text(refused)
    assert _stored(survey.id).reporting_threshold is None
    saved = client.post(
        f"/surveys/{survey.id}", data={**data, "anonymous": "y", "reporting_threshold": "8"}
    )
    assert saved.status_code == 302
    assert _stored(survey.id).reporting_threshold == 8

    _key, secret = create_api_key("integration", "write")
    headers = {"Authorization": f"Bearer {secret}"}
    for k in (2, 0, -1):
        answer = client.patch(
            f"/api/v1/surveys/{survey.id}", json={"reporting_threshold": k}, headers=headers
        )
        assert answer.status_code == 422, k
        assert answer.json["error"]["field"] in ("/reporting_threshold", "reporting_threshold")
    assert _stored(survey.id).reporting_threshold == 8
    accepted = client.patch(
        f"/api/v1/surveys/{survey.id}", json={"reporting_threshold": None}, headers=headers
    )
    assert accepted.status_code == 200 and accepted.json["reporting_threshold"] is None
    created = client.post(
        "/api/v1/surveys",
        json={"kind": "nps", "title": "Strict", "anonymous": True, "reporting_threshold": 10},
        headers=headers,
    )
    assert created.status_code == 201 and created.json["reporting_threshold"] == 10
    enps = client.post("/api/v1/surveys", json={"kind": "enps", "title": "E"}, headers=headers)
    assert enps.status_code == 403


def test_a_survey_threshold_applies_to_its_reports(
    app: Flask, client: FlaskClient, login: Login
) -> None:
    survey = factories.gen_survey("nps", anonymous=True)
    factories_enps.gen_anonymous_answers(survey, [10, 9, 8, 7, 6, 5])
    login("viewer")
    assert 'data-metric="nps"' in _text(client.get(f"/surveys/{survey.id}/results"))
    survey.reporting_threshold = 7
    db.session().commit()
    page = _text(client.get(f"/surveys/{survey.id}/results"))
    assert "Not enough responses yet" in page and 'data-metric="nps"' not in page
    assert client.get(f"/surveys/{survey.id}/export.csv").status_code == 409


def test_turning_anonymity_off_after_anonymous_answers_is_refused(
    app: Flask, client: FlaskClient, login: Login
) -> None:
    survey = factories.gen_survey("nps", anonymous=True)
    factories_enps.gen_anonymous_answers(survey, [9])
    login("editor")
    data = {"title": survey.title, "default_language": "en", "languages": ["en", "fr"]}
    refused = client.post(f"/surveys/{survey.id}", data=data)
    assert refused.status_code == 400
    assert "given anonymously: it must stay anonymous" in _text(refused)
    assert _stored(survey.id).anonymous
