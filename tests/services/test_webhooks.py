"""Webhook events: queued in the change's transaction, for the right endpoints, safe payloads."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from surveyapp import db
from surveyapp.mail import outbox
from surveyapp.models import Case, OutboxMessage, Response, WebhookDelivery
from surveyapp.services import responses, webhooks
from surveyapp.services.errors import InvalidInput
from surveyapp.services.representation import response_json
from surveyapp.services.webhooks import EndpointInput
from tests import factories
from tests.factories_followup import submit
from tests.factories_webhooks import delivery_rows, gen_endpoint

# A public address literal: accepted without any DNS lookup, never contacted here.
PUBLIC_URL = "https://93.184.216.34/hooks"
ALL_EVENTS = ("response.created", "response.updated", "invitation.failed", "alert.created")


def _payloads(event: str | None = None) -> list[dict[str, Any]]:
    return [
        delivery.payload
        for delivery, _message in delivery_rows()
        if event is None or delivery.event == event
    ]


def test_a_response_queues_one_delivery_per_subscribed_endpoint_with_the_api_shape(
    app: Flask,
) -> None:
    first, _secret = gen_endpoint(PUBLIC_URL, ALL_EVENTS)
    second, _secret = gen_endpoint(PUBLIC_URL + "/two", ("response.created",))
    contact = factories.gen_contact("ana@example.com", attributes={"plan": "pro"})
    survey = factories.gen_survey("nps")

    response = submit(survey, 9, "Great value for the price", contact=contact)

    rows = delivery_rows()
    assert sorted((d.endpoint_id, d.event) for d, _m in rows) == [
        (first.id, "response.created"),
        (second.id, "response.created"),
    ]
    assert {m.kind for _d, m in rows} == {"webhook"}
    assert {m.status for _d, m in rows} == {"pending"}
    assert rows[0][0].message_id != rows[1][0].message_id
    assert rows[0][0].message_id.startswith("msg_")
    payload = rows[0][0].payload
    assert payload["type"] == "response.created"
    assert dt.datetime.fromisoformat(payload["timestamp"]).tzinfo is not None
    data = payload["data"]
    assert data["survey_id"] == survey.id
    assert data["contact"] == {"id": contact.id, "email": "ana@example.com", "name": "Test Contact"}
    # The same representation as GET /api/v1/surveys/{id}/responses.
    db.session().expire_all()
    stored = db.session().get(Response, response.id)
    assert stored is not None
    api = json.loads(json.dumps(response_json(survey, stored)))
    assert {k: v for k, v in data.items() if k not in ("survey_id", "contact")} == api
    assert data["score"] == 9 and data["channel"] == "email"


def test_an_update_queues_response_updated_and_filters_apply(app: Flask) -> None:
    survey, other = factories.gen_survey("nps"), factories.gen_survey("nps")
    updates_only, _s = gen_endpoint(PUBLIC_URL, ("response.updated",), survey_id=survey.id)
    gen_endpoint(PUBLIC_URL, ("response.created", "response.updated"), survey_id=other.id)
    gen_endpoint(PUBLIC_URL, ALL_EVENTS, active=False)
    invitation = factories.gen_invitation(survey)

    responses.record_score(survey, 8, language="en", invitation=invitation)
    assert delivery_rows() == []
    answers = {survey.main_question.id: responses.AnswerValue(number=10)}  # type: ignore[union-attr]
    responses.submit_response(survey, answers, language="en", invitation=invitation)

    [(delivery, _message)] = delivery_rows()
    assert (delivery.endpoint_id, delivery.event) == (updates_only.id, "response.updated")
    assert delivery.payload["data"]["score"] == 10
    assert delivery.payload["data"]["completed"] is True


def test_a_rolled_back_change_sends_nothing(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    gen_endpoint(PUBLIC_URL, ALL_EVENTS)
    survey = factories.gen_survey("nps")
    queued: list[int] = []
    real = webhooks.response_saved

    def queue_then_fail(*args: Any, **kwargs: Any) -> int:
        queued.append(real(*args, **kwargs))
        raise RuntimeError("the database went away before the commit")

    monkeypatch.setattr(webhooks, "response_saved", queue_then_fail)
    with pytest.raises(RuntimeError):
        submit(survey, 3, "Too slow")
    db.session().rollback()

    assert queued == [2]  # response.created and alert.created were added to the transaction…
    assert delivery_rows() == []  # …and vanished with it
    assert db.session().scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert db.session().scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_a_detractor_queues_alert_created_with_the_case(app: Flask) -> None:
    gen_endpoint(PUBLIC_URL, ("alert.created",))
    contact = factories.gen_contact("bob@example.com")
    survey = factories.gen_survey("nps")

    submit(survey, 9, "Love it", contact=contact)
    assert delivery_rows() == []
    response = submit(survey, 2, "Far too expensive for what it does", contact=contact)

    [alert] = _payloads("alert.created")
    case_id = db.session().scalar(sa.select(Case.id).where(Case.response_id == response.id))
    assert alert["type"] == "alert.created"
    assert alert["data"] == {
        "case_id": case_id,
        "reason": "detractor",
        "survey_id": survey.id,
        "response_id": response.id,
        "score": 2,
        "contact": {"id": contact.id, "email": "bob@example.com", "name": "Test Contact"},
        "comment": "Far too expensive for what it does",
        "url": f"http://surveys.test/cases/{case_id}",
    }


def test_a_low_csat_and_a_cancellation_also_alert(app: Flask) -> None:
    gen_endpoint(PUBLIC_URL, ("alert.created",))
    submit(factories.gen_survey("csat"), 1, "Nobody answered")
    cancellation = factories.gen_survey("cancellation")
    submit(cancellation, choice="price")
    assert [p["data"]["reason"] for p in _payloads("alert.created")] == [
        "low_csat",
        "cancellation",
    ]


def _values(tree: Any) -> list[Any]:
    if isinstance(tree, dict):
        return [*tree.keys(), *(v for value in tree.values() for v in _values(value))]
    if isinstance(tree, list):
        return [v for value in tree for v in _values(value)]
    return [tree]


def test_anonymous_surveys_send_only_a_dated_content_free_event_after_the_day(
    app: Flask,
) -> None:
    gen_endpoint(PUBLIC_URL, ALL_EVENTS)
    survey = factories.gen_survey("enps", anonymous=True)
    contact = factories.gen_contact("eve@example.com", attributes={"team": "ops"})
    invitation = factories.gen_invitation(survey, contact)
    key = responses.new_submission_key()
    before = dt.datetime.now(dt.UTC)

    responses.record_score(survey, 2, language="en", invitation=invitation, submission_key=key)
    main = survey.main_question
    comment = next(q for q in survey.questions if q.type == "text")
    responses.submit_response(
        survey,
        {
            main.id: responses.AnswerValue(number=1),  # type: ignore[union-attr]
            comment.id: responses.AnswerValue(text="My manager Paul ignores me"),
        },
        language="en",
        invitation=invitation,
        submission_key=key,
    )

    [(delivery, message)] = delivery_rows()
    today = before.date().isoformat()
    assert delivery.event == "response.created"
    assert delivery.payload == {
        "type": "response.created",
        "timestamp": f"{today}T00:00:00+00:00",
        "data": {"survey_id": survey.id, "anonymous": True, "date": today},
    }
    flat = _values(delivery.payload)
    for secret in ("eve@example.com", invitation.token, "ops", "team", "score", "answers", "id"):
        assert secret not in flat
    assert not any("Paul" in str(value) for value in flat)
    midnight = dt.datetime.combine(before.date(), dt.time(), dt.UTC) + dt.timedelta(days=1)
    assert midnight <= message.next_attempt_at < midnight + dt.timedelta(hours=1)


def test_named_enps_answers_are_not_sent_to_integrations(app: Flask) -> None:
    gen_endpoint(PUBLIC_URL, ALL_EVENTS)
    survey = factories.gen_survey("enps", anonymous=False)
    contact = factories.gen_contact("eve@example.com")

    submit(survey, 2, "My manager ignores me", contact=contact)

    assert delivery_rows() == []


def test_invitation_failed_is_queued_when_the_outbox_gives_an_invitation_up(app: Flask) -> None:
    gen_endpoint(PUBLIC_URL, ("invitation.failed",))
    for anonymous in (False, True):
        survey = factories.gen_survey("nps", anonymous=anonymous)
        contact = factories.gen_contact()
        invitation = factories.gen_invitation(survey, contact)
        outbox.enqueue("invitation", invitation_id=invitation.id)
        db.session().commit()
        [message] = outbox.claim("tester", 10, kinds=("invitation",))
        outbox.fail_permanently("tester", message, "550 5.1.1 no such user")

        [payload] = [
            p for p in _payloads("invitation.failed") if p["data"]["survey_id"] == survey.id
        ]
        # Anonymous surveys too: who was invited is known to staff, only answers are secret.
        assert {k: v for k, v in payload["data"].items() if k != "failed_at"} == {
            "invitation_id": invitation.id,
            "survey_id": survey.id,
            "contact_id": contact.id,
            "email": contact.email,
            "reason": "550 5.1.1 no such user",
        }
        assert invitation.token not in json.dumps(payload)


def test_imported_history_sends_no_event(app: Flask) -> None:
    gen_endpoint(PUBLIC_URL, ALL_EVENTS)
    survey = factories.gen_survey("nps")
    answers = {survey.main_question.id: responses.AnswerValue(number=3)}  # type: ignore[union-attr]
    responses.submit_api_response(
        survey, answers, created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=300)
    )
    assert delivery_rows() == []
    responses.submit_api_response(survey, answers)
    assert sorted(d.event for d, _m in delivery_rows()) == ["alert.created", "response.created"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/hook", "Only http:// and https://"),
        ("https://user:secret@93.184.216.34/hook", "Remove the user name and password"),
        ("http://10.1.2.3/hook", "a private address"),
        ("http://127.0.0.1:8000/hook", "a loopback address"),
        ("http://[::ffff:169.254.169.254]/", "a link-local address"),
        ("https://name.invalid/hook", "cannot be resolved"),
        ("   ", "Give the URL"),
    ],
)
def test_refused_urls_raise_invalid_input_on_the_url(app: Flask, url: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        webhooks.create_endpoint(EndpointInput(url=url, events=["response.created"]))
    assert refused.value.field == "url"
    assert message in str(refused.value)
    assert db.session().scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 0


def test_private_urls_pass_when_the_server_allows_them(app: Flask) -> None:
    app.config["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = True
    endpoint, secret = gen_endpoint("http://10.1.2.3/hook")
    assert endpoint.url == "http://10.1.2.3/hook" and secret.startswith("whsec_")


def test_unknown_events_and_surveys_are_refused(app: Flask) -> None:
    with pytest.raises(InvalidInput) as refused:
        webhooks.create_endpoint(EndpointInput(url=PUBLIC_URL, events=["survey.deleted"]))
    assert refused.value.field == "events" and "survey.deleted" in str(refused.value)
    with pytest.raises(InvalidInput) as refused:
        webhooks.create_endpoint(EndpointInput(url=PUBLIC_URL, events=[]))
    assert refused.value.field == "events"
    with pytest.raises(InvalidInput) as refused:
        webhooks.create_endpoint(
            EndpointInput(url=PUBLIC_URL, events=["response.created"], survey_id=99999)
        )
    assert refused.value.field == "survey_id"


def test_old_finished_deliveries_are_pruned_and_pending_ones_kept(app: Flask) -> None:
    endpoint, _secret = gen_endpoint(PUBLIC_URL, ALL_EVENTS)
    for _ in range(3):
        webhooks.send_test(endpoint.id)
    first, second, third = delivery_rows()
    session = db.session()
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
    session.execute(sa.update(WebhookDelivery).values(created_at=old))
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_([first[1].id, second[1].id]))
        .values(status=sa.case((OutboxMessage.id == first[1].id, "sent"), else_="failed"))
    )
    session.commit()

    assert webhooks.prune_deliveries() == 2

    assert [d.id for d, _m in delivery_rows()] == [third[0].id]
