"""The webhook bodies the code queues match the schemas the OpenAPI document publishes."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.mail import outbox
from surveyapp.services import responses, webhooks
from surveyapp.web.api.schemas import validate
from tests import factories
from tests.factories_followup import submit
from tests.factories_webhooks import delivery_rows, gen_endpoint

EVENTS = ("response.created", "response.updated", "invitation.failed", "alert.created")


def _schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return spec["webhooks"][name]["post"]["requestBody"]["content"]["application/json"]["schema"]


def test_every_kind_of_payload_matches_its_published_schema(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert spec is not None
    endpoint, _secret = gen_endpoint("https://93.184.216.34/hook", EVENTS)
    contact = factories.gen_contact("ana@example.com")
    survey = factories.gen_survey("nps")
    submit(survey, 3, "Too expensive", contact=contact)
    invitation = factories.gen_invitation(survey)
    responses.record_score(survey, 9, language="en", invitation=invitation)
    responses.submit_response(
        survey,
        {survey.main_question.id: responses.AnswerValue(number=10)},  # type: ignore[union-attr]
        language="en",
        invitation=invitation,
    )
    submit(factories.gen_survey("csat"), 5, public=True)
    anonymous = factories.gen_survey("enps", anonymous=True)
    submit(anonymous, 4, "Meh")
    outbox.enqueue("invitation", invitation_id=factories.gen_invitation(survey).id)
    db.session().commit()
    [message] = outbox.claim("tester", 1, kinds=("invitation",))
    outbox.fail_permanently("tester", message, "550 no such user")
    webhooks.send_test(endpoint.id)

    seen = set()
    for delivery, _message in delivery_rows():
        payload = delivery.payload
        name = payload["type"]
        if payload["data"].get("anonymous"):
            name = "response.created (anonymous survey)"
        assert validate(payload, _schema(spec, name)) == [], (name, payload)
        seen.add(name)
    assert seen == set(spec["webhooks"])


def test_a_payload_with_contact_data_does_not_pass_as_anonymous(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert spec is not None
    leaky = {
        "type": "response.created",
        "timestamp": "2026-11-23T00:00:00+00:00",
        "data": {"survey_id": 1, "anonymous": True, "date": "2026-11-23", "score": 3},
    }
    assert validate(leaky, _schema(spec, "response.created (anonymous survey)")) != []
