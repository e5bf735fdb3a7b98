"""API surveys: list, create from a kind, read, status changes, invitations and metrics."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.models import Invitation, Survey
from tests import factories
from tests.factories_results import gen_scores


def test_create_read_activate_and_list_a_survey(
    client: FlaskClient, write_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/surveys",
        json={"kind": "nps", "title": "Q1 customers", "language": "fr", "anonymous": False},
        headers=write_headers,
    )
    assert response.status_code == 201, response.json
    survey = response.json
    assert response.headers["Location"] == f"/api/v1/surveys/{survey['id']}"
    assert (survey["kind"], survey["status"], survey["language"]) == ("nps", "draft", "fr")
    assert survey["public_url"] == f"http://surveys.test/p/{survey['public_slug']}"
    main = survey["questions"][0]
    assert main["type"] == "nps" and set(main["text"]) == {"en", "fr"}

    response = client.patch(
        f"/api/v1/surveys/{survey['id']}", json={"status": "active"}, headers=write_headers
    )
    assert response.status_code == 200 and response.json["status"] == "active"
    assert response.json["activated_at"] is not None
    assert db.session().get(Survey, survey["id"]).status == "active"

    listed = client.get("/api/v1/surveys?status=active", headers=write_headers).json["items"]
    assert [item["id"] for item in listed] == [survey["id"]]
    assert client.get("/api/v1/surveys?status=draft", headers=write_headers).json["items"] == []
    one = client.get(f"/api/v1/surveys/{survey['id']}", headers=write_headers)
    assert one.json == response.json


def test_status_rules_come_from_the_service(
    client: FlaskClient, write_headers: dict[str, str]
) -> None:
    survey = factories.gen_survey("nps", status="active")
    back = client.patch(
        f"/api/v1/surveys/{survey.id}", json={"status": "draft"}, headers=write_headers
    )
    assert back.status_code == 409
    assert back.json["error"]["code"] == "conflict"
    unknown = client.patch(
        f"/api/v1/surveys/{survey.id}", json={"status": "archived"}, headers=write_headers
    )
    assert unknown.status_code == 422
    assert unknown.json["error"]["field"] == "/status"
    db.session().expire_all()
    assert db.session().get(Survey, survey.id).status == "active"


def test_unknown_survey_is_404_even_for_huge_ids(
    client: FlaskClient, read_headers: dict[str, str]
) -> None:
    for survey_id in (999, 2**40):
        response = client.get(f"/api/v1/surveys/{survey_id}", headers=read_headers)
        assert response.status_code == 404
        assert response.json["error"]["code"] == "not_found"


def test_invitations_are_queued_with_held_back_reasons(
    client: FlaskClient, write_headers: dict[str, str]
) -> None:
    survey = factories.gen_survey("nps", status="active")
    factories.gen_contact("known@example.com")
    response = client.post(
        f"/api/v1/surveys/{survey.id}/invitations",
        json={"emails": ["known@example.com", "new@example.com", "not-an-email"]},
        headers=write_headers,
    )
    assert response.status_code == 202, response.json
    assert response.json == {
        "queued": 2,
        "held_back": [{"email": "not-an-email", "reason": "invalid_email"}],
    }
    again = client.post(
        f"/api/v1/surveys/{survey.id}/invitations",
        json={"emails": ["known@example.com"]},
        headers=write_headers,
    )
    assert again.json == {
        "queued": 0,
        "held_back": [{"email": "known@example.com", "reason": "already_invited"}],
    }
    assert db.session().query(Invitation).count() == 2


def test_invitations_take_exactly_one_audience(
    client: FlaskClient, write_headers: dict[str, str]
) -> None:
    survey = factories.gen_survey("nps", status="active")
    both = client.post(
        f"/api/v1/surveys/{survey.id}/invitations",
        json={"emails": ["a@example.com"], "contact_ids": [1]},
        headers=write_headers,
    )
    assert both.status_code == 422
    none = client.post(f"/api/v1/surveys/{survey.id}/invitations", json={}, headers=write_headers)
    assert none.status_code == 422
    assert db.session().query(Invitation).count() == 0


def test_metrics_rows_and_suppression(client: FlaskClient, read_headers: dict[str, str]) -> None:
    survey = factories.gen_survey("nps", status="active")
    day = dt.datetime(2026, 1, 6, 12, tzinfo=dt.UTC)
    gen_scores(survey, [10, 10, 9, 8, 3, 0], created_at=day)
    response = client.get(
        f"/api/v1/surveys/{survey.id}/metrics?interval=week&start=2026-01-05&end=2026-01-19",
        headers=read_headers,
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["survey_id"], body["interval"]) == (survey.id, "week")
    first, second = body["rows"]
    assert first["period_start"] == "2026-01-05" and first["suppressed"] is False
    assert (first["n"], first["promoters"], first["passives"], first["detractors"]) == (6, 3, 1, 2)
    assert first["nps"] == 100 * (3 - 2) / 6
    assert second["period_start"] == "2026-01-12"

    anonymous = factories.gen_survey("nps", status="active", anonymous=True)
    gen_scores(anonymous, [10, 9], created_at=day)
    rows = client.get(
        f"/api/v1/surveys/{anonymous.id}/metrics?interval=week&start=2026-01-05&end=2026-01-12",
        headers=read_headers,
    ).json["rows"]
    assert rows == [{"period_start": "2026-01-05", "segment": None, "suppressed": True}]

    bad = client.get(f"/api/v1/surveys/{survey.id}/metrics?interval=year", headers=read_headers)
    assert bad.status_code == 400
    assert bad.json["error"]["field"] == "interval"
