"""API responses: submitting server-side in both shapes, importing history, paginated lists."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.models import Contact, Response
from tests import factories
from tests.factories_public import gen_attribute, gen_survey_with_every_type, stored_responses


def test_score_and_comment_fill_the_main_and_first_text_question(
    client: FlaskClient, write_headers: dict[str, str]
) -> None:
    survey = factories.gen_survey("nps", status="active")
    response = client.post(
        f"/api/v1/surveys/{survey.id}/responses",
        json={"score": 9, "comment": "Fast support"},
        headers=write_headers,
    )
    assert response.status_code == 201, response.json
    (stored,) = stored_responses(survey.id)
    assert response.json == {"id": stored.id}
    assert (stored.score, stored.channel, stored.completed, stored.contact_id) == (
        9,
        "api",
        True,
        None,
    )
    texts = {answer.text for answer in stored.answers if answer.text}
    assert texts == {"Fast support"}


def test_answers_by_question_with_contact_attributes_and_history(
    client: FlaskClient, write_headers: dict[str, str]
) -> None:
    survey = gen_survey_with_every_type()
    gen_attribute("plan", reportable=True)
    factories.gen_contact("ann@example.com", attributes={"plan": "pro"})
    by_type = {question.type: question for question in survey.questions}
    choice = by_type["single_choice"].options[0]["value"]
    picks = [option["value"] for option in by_type["multiple_choice"].options[:2]]
    answers = [
        {"question_id": by_type["ces"].id, "value": 3},
        {"question_id": by_type["single_choice"].id, "value": choice},
        {"question_id": by_type["multiple_choice"].id, "value": picks},
        {"question_id": by_type["yes_no"].id, "value": "yes"},
        {"question_id": by_type["text"].id, "value": "Too slow"},
    ]
    response = client.post(
        f"/api/v1/surveys/{survey.id}/responses",
        json={
            "answers": answers,
            "contact_email": "ANN@example.com",
            "language": "fr",
            "attributes": {"team": "ops"},
            "created_at": "2025-03-01T10:30:00+01:00",
        },
        headers=write_headers,
    )
    assert response.status_code == 201, response.json
    (stored,) = stored_responses(survey.id)
    assert stored.channel == "import" and stored.language == "fr" and stored.score == 3
    assert stored.created_at == dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.UTC)
    assert stored.segment == {"plan": "pro", "team": "ops"}
    contact = db.session().get(Contact, stored.contact_id)
    assert contact is not None and contact.email == "ann@example.com"

    listed = client.get(f"/api/v1/surveys/{survey.id}/responses", headers=write_headers).json
    (item,) = listed["items"]
    assert listed["next_cursor"] is None
    assert sorted(item["answers"], key=lambda a: a["question_id"]) == sorted(
        answers, key=lambda a: a["question_id"]
    )
    assert item["created_at"] == "2025-03-01T09:30:00+00:00" and item["tags"] == []


def test_refused_responses_store_nothing(
    client: FlaskClient, write_headers: dict[str, str]
) -> None:
    survey = factories.gen_survey("nps", status="active")
    main = survey.main_question
    assert main is not None
    cases = [
        ({"score": 11}, 422),
        ({"score": "9"}, 422),
        ({"score": 9, "answers": []}, 422),
        ({"answers": [{"question_id": main.id, "value": "nine"}]}, 422),
        ({"answers": [{"question_id": 999_999, "value": 9}]}, 422),
        ({"answers": [{"question_id": main.id, "value": 9}] * 2}, 422),
        ({"score": 9, "contact_email": "not an email"}, 422),
        ({"score": 9, "created_at": "2999-01-01T00:00:00Z"}, 422),
        ({"score": 9, "created_at": "2025-01-01T00:00:00"}, 422),
        ({"score": 9, "language": "de"}, 422),
        ({"score": 9, "attributes": {"Bad Key!": "x"}}, 422),
        ({"score": 9, "colour": "blue"}, 422),
    ]
    for body, status in cases:
        response = client.post(
            f"/api/v1/surveys/{survey.id}/responses", json=body, headers=write_headers
        )
        assert response.status_code == status, (body, response.json)
        assert response.json["error"]["message"]
    assert stored_responses(survey.id) == []
    assert db.session().query(Contact).count() == 0


def test_inactive_and_anonymous_surveys(client: FlaskClient, write_headers: dict[str, str]) -> None:
    draft = factories.gen_survey("nps", status="draft")
    response = client.post(
        f"/api/v1/surveys/{draft.id}/responses", json={"score": 9}, headers=write_headers
    )
    assert response.status_code == 409

    anonymous = factories.gen_survey("nps", status="active", anonymous=True)
    url = f"/api/v1/surveys/{anonymous.id}/responses"
    refused = client.post(
        url, json={"score": 9, "contact_email": "eve@example.com"}, headers=write_headers
    )
    assert refused.status_code == 422
    assert db.session().query(Contact).count() == 0
    accepted = client.post(
        url, json={"score": 9, "created_at": "2025-06-02T15:45:00Z"}, headers=write_headers
    )
    assert accepted.status_code == 201
    (stored,) = stored_responses(anonymous.id)
    assert stored.created_at == dt.datetime(2025, 6, 2, tzinfo=dt.UTC)
    assert stored.contact_id is None and stored.segment == {}
    listing = client.get(url, headers=write_headers)
    assert listing.status_code == 409
    assert "metrics" in listing.json["error"]["message"]


def test_cursor_pagination_and_date_filters(
    client: FlaskClient, read_headers: dict[str, str]
) -> None:
    survey = factories.gen_survey("nps", status="active")
    days = [dt.datetime(2026, 1, day, 12, tzinfo=dt.UTC) for day in range(1, 6)]
    made = [
        factories.gen_response(survey, 5 + index, created_at=day) for index, day in enumerate(days)
    ]
    url = f"/api/v1/surveys/{survey.id}/responses"
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get(url, query_string=query, headers=read_headers).json
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [response.id for response in made] and pages == 3

    filtered = client.get(
        url, query_string={"start": "2026-01-02", "end": "2026-01-04"}, headers=read_headers
    ).json
    assert [item["score"] for item in filtered["items"]] == [6, 7]

    for bad in ({"cursor": "nonsense"}, {"start": "yesterday"}, {"limit": 0}, {"limit": "x"}):
        response = client.get(url, query_string=bad, headers=read_headers)
        assert response.status_code == 400, bad
        assert response.json["error"]["code"] == "invalid_parameter"
    assert db.session().query(Response).count() == 5


def test_a_detractor_comment_is_tagged_and_listed_with_its_tags(
    client: FlaskClient, write_headers: dict[str, str], read_headers: dict[str, str]
) -> None:
    survey = factories.gen_survey("nps", status="active")
    created = client.post(
        f"/api/v1/surveys/{survey.id}/responses",
        json={"score": 2, "comment": "Far too expensive, and support never answered my emails."},
        headers=write_headers,
    )
    assert created.status_code == 201, created.json
    listed = client.get(f"/api/v1/surveys/{survey.id}/responses", headers=read_headers)
    (item,) = listed.json["items"]
    assert {"price", "support"} <= set(item["tags"])
    assert item["tags"] == sorted(item["tags"])
