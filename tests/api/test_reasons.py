"""API GET /surveys/{id}/reasons: counts, shares and Wilson intervals of the stored tags."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.analytics.retention import wilson_interval
from surveyapp.models import AttributeDefinition
from tests import factories
from tests.factories_reason_dashboards import gen_comment, gen_customer
from tests.factories_reasons import gen_tagged_response


def reasons(client: FlaskClient, headers: dict[str, str], survey_id: int, query: str = "") -> dict:
    response = client.get(f"/api/v1/surveys/{survey_id}/reasons{query}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_shares_and_intervals_over_the_comments_considered(
    client: FlaskClient, read_headers: dict[str, str]
) -> None:
    survey = factories.gen_survey("nps")
    gen_tagged_response(survey, "Way too expensive for us", score=2)
    gen_tagged_response(survey, "Far too expensive, and support never answered", score=4)
    gen_tagged_response(survey, "Support never answered my tickets", score=6)
    gen_tagged_response(survey, "Nothing to add", score=0)
    # Not considered: a promoter's comment, and a detractor without a comment.
    gen_tagged_response(survey, "Too expensive but worth it", score=10)
    gen_tagged_response(survey, None, score=1)

    body = reasons(client, read_headers, survey.id)

    assert body["n"] == 4 and body["suppressed"] is False
    assert [(row["tag"], row["count"]) for row in body["rows"]] == [("price", 2), ("support", 2)]
    price = body["rows"][0]
    low, high = wilson_interval(2, 4)
    assert price["share"] == 0.5
    assert (price["low"], price["high"]) == pytest.approx((low, high))
    assert 0 < price["low"] < 0.5 < price["high"] < 1


def test_the_date_range_filters_and_a_chosen_reason_counts(
    client: FlaskClient, read_headers: dict[str, str]
) -> None:
    survey = factories.gen_survey("cancellation")
    gen_tagged_response(survey, "No comment", reason="price")
    gen_tagged_response(
        survey,
        "We found a cheaper tool",
        reason="competitor",
        created_at=dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC),
    )

    recent = reasons(client, read_headers, survey.id, "?start=2026-01-01")
    everything = reasons(client, read_headers, survey.id)

    assert recent["n"] == 1
    assert recent["rows"][0]["tag"] == "price" and recent["rows"][0]["share"] == 1.0
    assert everything["n"] == 2
    assert {row["tag"] for row in everything["rows"]} >= {"price", "competitor"}
    older = reasons(client, read_headers, survey.id, "?start=2025-01-01&end=2025-12-31T23:00:00")
    assert older["n"] == 1 and "price" not in {row["tag"] for row in older["rows"]}


def test_an_anonymous_survey_withholds_rows_under_k(
    client: FlaskClient, read_headers: dict[str, str]
) -> None:
    # API keys never see eNPS surveys (only HR does): an anonymous NPS survey here.
    survey = factories.gen_survey("nps", anonymous=True)
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    for _ in range(4):
        gen_tagged_response(
            survey, "The price is far too high for us", score=3, created_at=yesterday
        )

    withheld = reasons(client, read_headers, survey.id)
    assert withheld == {"n": None, "rows": [], "suppressed": True}

    gen_tagged_response(survey, "Nothing to add", score=5, created_at=yesterday)
    shown = reasons(client, read_headers, survey.id)
    assert shown["suppressed"] is False and shown["n"] == 5


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?start=2026-13-01", "start"),
        ("?end=yesterday", "end"),
        ("?start=2026-02-01&end=2026-01-01", "start"),
    ],
)
def test_bad_dates_answer_400_in_json(
    client: FlaskClient, read_headers: dict[str, str], query: str, field: str
) -> None:
    survey = factories.gen_survey("nps")
    response = client.get(f"/api/v1/surveys/{survey.id}/reasons{query}", headers=read_headers)
    assert response.status_code == 400
    assert response.json["error"]["field"] == field


def test_unknown_survey_and_missing_key(client: FlaskClient, read_headers: dict[str, str]) -> None:
    assert client.get("/api/v1/surveys/999999/reasons", headers=read_headers).status_code == 404
    survey = factories.gen_survey("nps")
    assert client.get(f"/api/v1/surveys/{survey.id}/reasons").status_code == 401


def test_the_document_describes_the_endpoint(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/surveys/{survey_id}/reasons"]["get"]
    assert operation["x-scope"] == "read"
    assert {param["name"] for param in operation["parameters"]} == {
        "survey_id",
        "start",
        "end",
        "segment",
        "value",
        "weight",
    }


def test_a_segment_value_narrows_the_reasons(
    client: FlaskClient, read_headers: dict[str, str]
) -> None:
    survey = factories.gen_survey("nps")
    gen_comment(survey, "c", tags=["price"], segment={"plan": "pro"})
    gen_comment(survey, "c", tags=["support"], segment={"plan": "basic"})
    gen_comment(survey, "c", tags=["support"], segment={"plan": "basic"})

    db.session().add(AttributeDefinition(key="plan", reportable=True))
    db.session().commit()

    basic = reasons(client, read_headers, survey.id, "?segment=plan&value=basic")
    assert basic["n"] == 2 and [(r["tag"], r["count"]) for r in basic["rows"]] == [("support", 2)]
    assert reasons(client, read_headers, survey.id, "?segment=language&value=en")["n"] == 3
    unknown = client.get(
        f"/api/v1/surveys/{survey.id}/reasons?segment=team&value=ops", headers=read_headers
    )
    assert unknown.status_code == 400 and unknown.json["error"]["field"] == "segment"
    half = client.get(f"/api/v1/surveys/{survey.id}/reasons?segment=language", headers=read_headers)
    assert half.status_code == 400 and half.json["error"]["field"] == "value"


def test_weight_mrr_adds_the_revenue_at_stake(
    client: FlaskClient, read_headers: dict[str, str]
) -> None:
    survey = factories.gen_survey("nps")
    gen_comment(survey, "c", tags=["price"], contact=gen_customer(1000))
    gen_comment(survey, "c", tags=["price"], contact=gen_customer(2000))
    gen_comment(survey, "c", tags=["support"], contact=gen_customer(9000))
    gen_comment(survey, "c", tags=["support"])
    gen_comment(survey, "c", tags=["support"])

    counted = reasons(client, read_headers, survey.id)
    weighted = reasons(client, read_headers, survey.id, "?weight=mrr")

    assert "weight" not in counted and "mrr_cents" not in counted["rows"][0]
    assert [row["tag"] for row in counted["rows"]] == ["support", "price"]
    assert weighted["weight"] == "mrr"
    assert (weighted["customers"], weighted["mrr_cents"]) == (3, 12000)
    assert [
        (row["tag"], row["count"], row["customers"], row["mrr_cents"], row["mrr_share"])
        for row in weighted["rows"]
    ] == [("support", 3, 1, 9000, 0.75), ("price", 2, 2, 3000, 0.25)]

    # API keys never see eNPS surveys: an anonymous NPS survey has no contacts either.
    anonymous = factories.gen_survey("nps", anonymous=True)
    for _ in range(5):
        gen_comment(anonymous, "c", tags=["price"])
    refused = client.get(f"/api/v1/surveys/{anonymous.id}/reasons?weight=mrr", headers=read_headers)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "no_mrr"
    bad = client.get(f"/api/v1/surveys/{survey.id}/reasons?weight=revenue", headers=read_headers)
    assert bad.status_code == 400 and bad.json["error"]["field"] == "weight"
