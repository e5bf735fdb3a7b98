"""Webhooks: subscriptions, the events they receive, and the delivery log.

An event adds, IN THE TRANSACTION OF THE CHANGE, one outbox message (kind
"webhook") and one ``WebhookDelivery`` per active endpoint subscribed to it,
so a rolled-back change sends nothing and a committed one is never lost. The
worker (mail/worker.py) then POSTs each delivery, signed (Standard Webhooks),
and retries with backoff. Deciding which endpoints want an event costs one
query on the small, indexed table of active endpoints.

Payloads are ``{"type", "timestamp", "data"}`` (docs/webhooks.md). Anonymous
surveys (PRODUCT.md § Anonymity) only ever emit ``response.created`` saying
that the survey got a response on a given day: no answer, score, contact,
invitation, segment or response id (a single response is a group of one,
below any reporting threshold), and it is sent after that day has ended, at
a random moment of the next day's first hour, so that neither the time of
the delivery nor the order of deliveries reveals when someone answered.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp import db
from surveyapp.mail import webhook_transport
from surveyapp.mail.webhook_transport import UnsafeUrl
from surveyapp.models import (
    AnswerTag,
    Case,
    Contact,
    Invitation,
    OutboxMessage,
    Response,
    Survey,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from surveyapp.models.webhook import TEST_EVENT, WEBHOOK_EVENTS
from surveyapp.services import anonymity, audit, representation, survey_access
from surveyapp.services.errors import InvalidInput, NotFound

__all__ = [
    "DELIVERY_LOG_LIMIT",
    "TEST_EVENT",
    "WEBHOOK_EVENTS",
    "DeliveryRow",
    "EndpointInput",
    "EndpointRow",
    "PreparedDelivery",
    "allow_private_networks",
    "check_url",
    "create_endpoint",
    "delete_endpoint",
    "get_delivery",
    "get_endpoint",
    "invitation_failed",
    "list_deliveries",
    "list_endpoints",
    "prepare_deliveries",
    "prune_deliveries",
    "record_attempt",
    "replay_delivery",
    "response_saved",
    "retry_delay",
    "rotate_secret",
    "send_test",
    "update_endpoint",
]

DELIVERY_LOG_LIMIT = 50
MAX_DESCRIPTION_LENGTH = 200
COMMENT_EXCERPT = 500
# After a rotation the old secret still signs for this long (both signatures are sent).
PREVIOUS_SECRET_LIFETIME = dt.timedelta(hours=24)
# Anonymous events go out at a random moment within this after their day ended.
ANONYMOUS_SPREAD_SECONDS = 3600
FINISHED_STATUSES = ("sent", "failed", "cancelled")


@dataclass(frozen=True)
class EndpointInput:
    """What an admin sets on an endpoint."""

    url: str
    events: Sequence[str]
    survey_id: int | None = None
    description: str = ""
    active: bool = True


@dataclass(frozen=True)
class EndpointRow:
    """One endpoint in the list, with its survey's title and its recent failures."""

    endpoint: WebhookEndpoint
    survey_title: str | None
    failed_recently: int


@dataclass(frozen=True)
class DeliveryRow:
    """One line of the delivery log: the delivery and its outbox message's progress."""

    delivery: WebhookDelivery
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str | None

    @property
    def body(self) -> str:
        """The payload as sent (pretty-printed for reading)."""
        return json.dumps(self.delivery.payload, indent=2, ensure_ascii=False, sort_keys=True)

    @property
    def can_replay(self) -> bool:
        """Only a finished delivery is replayed; one still pending would be sent twice."""
        return self.status in FINISHED_STATUSES


@dataclass(frozen=True)
class PreparedDelivery:
    """What the worker needs to POST one delivery, read before any network call."""

    outbox_message_id: int
    delivery_id: int
    url: str
    secrets: tuple[str, ...]
    message_id: str
    body: bytes
    active: bool


def allow_private_networks() -> bool:
    """True when the deployment lets webhooks reach private and loopback addresses."""
    return bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE_NETWORKS"))


def check_url(url: str) -> str:
    """The URL stripped, when webhooks may be sent to it. Raises InvalidInput (field "url")."""
    url = (url or "").strip()
    if not url:
        raise InvalidInput(_("Give the URL that receives the events."), "url")
    try:
        webhook_transport.resolve(url, allow_private=allow_private_networks())
    except UnsafeUrl as exc:
        raise InvalidInput(_url_problem(exc), "url") from None
    return url


def create_endpoint(data: EndpointInput) -> tuple[WebhookEndpoint, str]:
    """Subscribe a URL; returns the endpoint and its signing secret (shown once); commit.

    Raises InvalidInput for a refused URL, no or unknown events, an unknown survey
    or a too long description.
    """
    values = _checked(data)
    secret = webhook_transport.new_secret()
    endpoint = WebhookEndpoint(**values, secret=secret, created_at=utcnow(), updated_at=utcnow())
    session = db.session()
    session.add(endpoint)
    session.flush()
    audit.record(None, "webhook.created", _target(endpoint), _audit_details(endpoint))
    session.commit()
    return endpoint, secret


def update_endpoint(endpoint_id: int, data: EndpointInput) -> WebhookEndpoint:
    """Change an endpoint's URL, events, survey, description or active flag; commit.

    Raises NotFound, and InvalidInput as ``create_endpoint`` does.
    """
    endpoint = get_endpoint(endpoint_id)
    for name, value in _checked(data).items():
        setattr(endpoint, name, value)
    endpoint.updated_at = utcnow()
    audit.record(None, "webhook.updated", _target(endpoint), _audit_details(endpoint))
    db.session().commit()
    return endpoint


def rotate_secret(endpoint_id: int) -> tuple[WebhookEndpoint, str]:
    """Give the endpoint a new secret (returned, shown once); the old one still signs for
    PREVIOUS_SECRET_LIFETIME so the receiver can switch without refusing anything; commit.

    Raises NotFound.
    """
    endpoint = get_endpoint(endpoint_id)
    now = utcnow()
    secret = webhook_transport.new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + PREVIOUS_SECRET_LIFETIME
    endpoint.secret = secret
    endpoint.updated_at = now
    audit.record(None, "webhook.secret_rotated", _target(endpoint))
    db.session().commit()
    return endpoint, secret


def delete_endpoint(endpoint_id: int) -> WebhookEndpoint:
    """Delete an endpoint, its delivery log and its unsent deliveries; commit. Raises NotFound."""
    endpoint = get_endpoint(endpoint_id)
    session = db.session()
    audit.record(None, "webhook.deleted", _target(endpoint), _audit_details(endpoint))
    # Its outbox messages go too (their deliveries cascade), so the worker finds none left.
    session.execute(
        sa.delete(OutboxMessage)
        .where(
            OutboxMessage.id.in_(
                sa.select(WebhookDelivery.outbox_message_id).where(
                    WebhookDelivery.endpoint_id == endpoint.id
                )
            )
        )
        .execution_options(synchronize_session=False)
    )
    session.delete(endpoint)
    session.commit()
    return endpoint


def get_endpoint(endpoint_id: int) -> WebhookEndpoint:
    """The endpoint with this id. Raises NotFound."""
    endpoint = db.session().get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(_("No such webhook."))
    return endpoint


def list_endpoints(now: dt.datetime | None = None) -> list[EndpointRow]:
    """Every endpoint, oldest first, with its survey title and failures of the last day."""
    since = (now or utcnow()) - dt.timedelta(days=1)
    failed = (
        sa.select(WebhookDelivery.endpoint_id, sa.func.count().label("n"))
        .join(OutboxMessage, OutboxMessage.id == WebhookDelivery.outbox_message_id)
        .where(OutboxMessage.status == "failed", WebhookDelivery.created_at >= since)
        .group_by(WebhookDelivery.endpoint_id)
        .subquery()
    )
    rows = db.session().execute(
        sa.select(WebhookEndpoint, Survey.title, failed.c.n)
        .outerjoin(Survey, Survey.id == WebhookEndpoint.survey_id)
        .outerjoin(failed, failed.c.endpoint_id == WebhookEndpoint.id)
        .order_by(WebhookEndpoint.id)
    )
    return [EndpointRow(endpoint, title, n or 0) for endpoint, title, n in rows]


def list_deliveries(endpoint_id: int, limit: int = DELIVERY_LOG_LIMIT) -> list[DeliveryRow]:
    """The endpoint's most recent deliveries, newest first."""
    rows = db.session().execute(
        _delivery_query()
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    return [_delivery_row(*row) for row in rows]


def get_delivery(endpoint_id: int, delivery_id: int) -> DeliveryRow:
    """One delivery of this endpoint. Raises NotFound."""
    row = (
        db.session()
        .execute(
            _delivery_query().where(
                WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id
            )
        )
        .first()
    )
    if row is None:
        raise NotFound(_("No such delivery."))
    return _delivery_row(*row)


def send_test(endpoint_id: int) -> WebhookDelivery:
    """Queue a "webhook.test" event to the endpoint, whatever it subscribed to; commit.

    Raises NotFound, InvalidInput when the endpoint is not active.
    """
    endpoint = _active_endpoint(endpoint_id)
    now = utcnow()
    delivery = _enqueue(
        endpoint.id,
        TEST_EVENT,
        _envelope(
            TEST_EVENT,
            now,
            {"endpoint_id": endpoint.id, "message": "This is a test event from surveyapp."},
        ),
        now,
    )
    audit.record(None, "webhook.test_sent", _target(endpoint))
    db.session().commit()
    return delivery


def replay_delivery(endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    """Queue the same payload again, as a new delivery with the same webhook-id; commit.

    The webhook-id is the receiver's idempotency key: a receiver that already
    processed the message may skip it, one that did not processes it now.
    Raises NotFound, InvalidInput when the endpoint is not active or the
    delivery is still pending.
    """
    endpoint = _active_endpoint(endpoint_id)
    original = get_delivery(endpoint_id, delivery_id)
    if not original.can_replay:
        raise InvalidInput(_("This delivery is still being tried: wait until it ends."))
    now = utcnow()
    delivery = _enqueue(
        endpoint.id,
        original.delivery.event,
        original.delivery.payload,
        now,
        message_id=original.delivery.message_id,
        replay_of_id=original.delivery.id,
    )
    audit.record(None, "webhook.replayed", _target(endpoint), {"delivery": original.delivery.id})
    db.session().commit()
    return delivery


# ---- Events, added to the caller's transaction (no commit) ---------------------------------


def response_saved(
    survey: Survey, response: Response, *, created: bool, case: Case | None = None
) -> int:
    """Queue response.created/updated (and alert.created for a new case) for a flushed response.

    No commit: the caller's transaction decides. Returns how many deliveries were queued;
    none for a named (not anonymous) eNPS answer.
    """
    wanted = ["response.created" if created else "response.updated"]
    if case is not None:
        wanted.append("alert.created")
    endpoints = _subscribers(wanted, survey.id)
    if not endpoints:
        return 0
    now = utcnow()
    if not anonymity.sends_single_responses(survey):
        return _queue_anonymous(survey, response, endpoints, created, now)
    # A named eNPS answer is for HR and the accounts the survey is shared with, never for
    # integrations (API keys do not see eNPS surveys either).
    if survey_access.is_restricted(survey):
        return 0
    data = _response_data(survey, response)
    payloads = {wanted[0]: _envelope(wanted[0], now, data)}
    if case is not None:
        payloads["alert.created"] = _envelope(
            "alert.created", now, _alert_data(case, survey, response, data)
        )
    count = 0
    for endpoint_id, events in endpoints:
        for event, payload in payloads.items():
            if event in events:
                _enqueue(endpoint_id, event, payload, now)
                count += 1
    return count


def invitation_failed(invitation_id: int, reason: str, now: dt.datetime) -> int:
    """Queue invitation.failed for an invitation just marked failed; no commit.

    Contacts of anonymous surveys are included too: who was invited is known
    to staff anyway; only their answers are secret. Returns how many were queued.
    """
    row = (
        db.session()
        .execute(
            sa.select(Invitation.survey_id, Invitation.contact_id, Contact.email)
            .join(Contact, Contact.id == Invitation.contact_id)
            .where(Invitation.id == invitation_id)
        )
        .first()
    )
    if row is None:
        return 0
    endpoints = _subscribers(["invitation.failed"], row.survey_id)
    if not endpoints:
        return 0
    payload = _envelope(
        "invitation.failed",
        now,
        {
            "invitation_id": invitation_id,
            "survey_id": row.survey_id,
            "contact_id": row.contact_id,
            "email": row.email,
            "reason": reason,
            "failed_at": now.isoformat(),
        },
    )
    for endpoint_id, _events in endpoints:
        _enqueue(endpoint_id, "invitation.failed", payload, now)
    return len(endpoints)


# ---- For the worker ----------------------------------------------------------------------


def prepare_deliveries(
    outbox_message_ids: Iterable[int], now: dt.datetime | None = None
) -> dict[int, PreparedDelivery]:
    """Outbox message id -> what to POST; a message without a delivery (deleted) is absent."""
    ids = list(outbox_message_ids)
    if not ids:
        return {}
    now = now or utcnow()
    rows = db.session().execute(
        sa.select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.outbox_message_id.in_(ids))
    )
    prepared = {}
    for delivery, endpoint in rows:
        keys = [endpoint.secret]
        if (
            endpoint.previous_secret
            and endpoint.previous_secret_expires_at is not None
            and endpoint.previous_secret_expires_at > now
        ):
            keys.append(endpoint.previous_secret)
        prepared[delivery.outbox_message_id] = PreparedDelivery(
            outbox_message_id=delivery.outbox_message_id,
            delivery_id=delivery.id,
            url=endpoint.url,
            secrets=tuple(keys),
            message_id=delivery.message_id,
            body=json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode(),
            active=endpoint.active,
        )
    return prepared


def record_attempt(
    delivery_id: int,
    *,
    status: int | None,
    excerpt: str | None,
    duration_ms: int | None,
    now: dt.datetime,
) -> None:
    """Store what the endpoint answered to the latest try; commit."""
    session = db.session()
    session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(
            attempted_at=now,
            response_status=status,
            duration_ms=duration_ms,
            response_excerpt=excerpt,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed try: base × 2^(attempts−1), capped (config)."""
    config = current_app.config
    base = float(config["WEBHOOK_RETRY_BASE_SECONDS"])
    cap = float(config["WEBHOOK_RETRY_CAP_SECONDS"])
    return dt.timedelta(seconds=min(base * 2 ** max(0, min(attempts - 1, 30)), cap))


def prune_deliveries(now: dt.datetime | None = None) -> int:
    """Delete finished deliveries older than WEBHOOK_LOG_DAYS (pending ones stay); commit."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=float(current_app.config["WEBHOOK_LOG_DAYS"]))
    session = db.session()
    session.commit()
    # A replay keeps pointing at nothing (SET NULL) once its original is gone.
    result = session.execute(
        sa.delete(OutboxMessage)
        .where(
            OutboxMessage.status.in_(FINISHED_STATUSES),
            OutboxMessage.id.in_(
                sa.select(WebhookDelivery.outbox_message_id).where(
                    WebhookDelivery.created_at < cutoff
                )
            ),
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount or 0


# ---- Helpers ------------------------------------------------------------------------------


def _checked(data: EndpointInput) -> dict[str, Any]:
    """The endpoint's column values from ``data``. Raises InvalidInput."""
    url = check_url(data.url)
    events = list(dict.fromkeys(data.events))
    if not events:
        raise InvalidInput(_("Choose at least one event."), "events")
    unknown = [event for event in events if event not in WEBHOOK_EVENTS]
    if unknown:
        raise InvalidInput(_("Unknown event %(name)r.", name=unknown[0]), "events")
    if data.survey_id is not None and db.session().get(Survey, data.survey_id) is None:
        raise InvalidInput(_("Unknown survey."), "survey_id")
    description = (data.description or "").strip()
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidInput(
            _("The description must be at most %(n)s characters.", n=MAX_DESCRIPTION_LENGTH),
            "description",
        )
    return {
        "url": url,
        "events": [event for event in WEBHOOK_EVENTS if event in events],
        "survey_id": data.survey_id,
        "description": description,
        "active": bool(data.active),
    }


def _url_problem(exc: UnsafeUrl) -> str:
    """The admin-facing sentence for a refused URL."""
    if exc.code == "scheme":
        return _("Only http:// and https:// URLs can receive webhooks.")
    if exc.code == "credentials":
        return _(
            "Remove the user name and password from the URL: authenticate the requests "
            "with their signature instead."
        )
    if exc.code in ("host", "port"):
        return _("This is not a valid URL.")
    if exc.code == "length":
        return _("The URL is too long.")
    if exc.code == "unresolvable":
        return _("The host name of this URL cannot be resolved.")
    return _(
        "The URL leads to %(address)s, a %(kind)s address: webhooks only go to public "
        "internet addresses unless the server allows private networks.",
        address=exc.detail,
        kind=_ADDRESS_KINDS.get(exc.code, exc.code),
    )


_ADDRESS_KINDS = {
    "unspecified": _l("unspecified"),
    "loopback": _l("loopback"),
    "link_local": _l("link-local"),
    "multicast": _l("multicast"),
    "private": _l("private"),
    "reserved": _l("reserved"),
}


def _target(endpoint: WebhookEndpoint) -> str:
    return f"webhook {endpoint.id} ({_host(endpoint.url)})"


def _host(url: str) -> str:
    # Only the host: webhook URLs often carry a secret in their path or query.
    try:
        return webhook_transport.split_url(url).hostname or ""
    except UnsafeUrl:
        return ""


def _audit_details(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "host": _host(endpoint.url),
        "events": " ".join(endpoint.events),
        "survey": endpoint.survey_id or "all",
        "active": endpoint.active,
    }


def _active_endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = get_endpoint(endpoint_id)
    if not endpoint.active:
        raise InvalidInput(_("This webhook is paused: activate it first."))
    return endpoint


def _subscribers(events: Sequence[str], survey_id: int) -> list[tuple[int, list[str]]]:
    """(endpoint id, its wanted events among ``events``) of the active endpoints concerned."""
    # On every submission: a Core statement built once, without the ORM's execution layer.
    rows = db.session().connection().execute(_active_endpoints_query())
    found = []
    for endpoint_id, subscribed, only_survey in rows:
        if only_survey is not None and only_survey != survey_id:
            continue
        matching = [event for event in events if event in (subscribed or ())]
        if matching:
            found.append((endpoint_id, matching))
    return found


@functools.cache
def _active_endpoints_query() -> sa.Select[tuple[int, list[str], int | None]]:
    return sa.select(WebhookEndpoint.id, WebhookEndpoint.events, WebhookEndpoint.survey_id).where(
        WebhookEndpoint.active.is_(True)
    )


def _enqueue(
    endpoint_id: int,
    event: str,
    payload: Mapping[str, Any],
    now: dt.datetime,
    *,
    send_at: dt.datetime | None = None,
    message_id: str | None = None,
    replay_of_id: int | None = None,
) -> WebhookDelivery:
    message = OutboxMessage(
        kind="webhook", payload={}, next_attempt_at=send_at or now, created_at=now
    )
    delivery = WebhookDelivery(
        endpoint_id=endpoint_id,
        message=message,
        event=event,
        message_id=message_id or "msg_" + secrets.token_urlsafe(18),
        payload=dict(payload),
        replay_of_id=replay_of_id,
        created_at=now,
    )
    db.session().add(delivery)
    return delivery


def _envelope(event: str, moment: dt.datetime, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": event, "timestamp": moment.isoformat(), "data": dict(data)}


def _queue_anonymous(
    survey: Survey,
    response: Response,
    endpoints: Sequence[tuple[int, list[str]]],
    created: bool,
    now: dt.datetime,
) -> int:
    """The content-free response.created of an anonymous survey, held until the day is over."""
    if not created:
        # An update carries nothing new once answers are left out.
        return 0
    day = response.created_at.replace(hour=0, minute=0, second=0, microsecond=0)
    send_at = day + dt.timedelta(days=1, seconds=secrets.randbelow(ANONYMOUS_SPREAD_SECONDS))
    payload = _envelope(
        "response.created",
        day,
        {"survey_id": survey.id, "anonymous": True, "date": day.date().isoformat()},
    )
    count = 0
    for endpoint_id, events in endpoints:
        if "response.created" in events:
            _enqueue(endpoint_id, "response.created", payload, now, send_at=send_at)
            count += 1
    return count


def _response_data(survey: Survey, response: Response) -> dict[str, Any]:
    """The response as the API represents it (``services.representation``), plus survey
    and contact.

    Its tags are read with one query: the answers' ``tags`` relationship may have been
    loaded before this transaction tagged them.
    """
    answer_ids = [answer.id for answer in response.answers if answer.id is not None]
    stored = (
        db.session().scalars(sa.select(AnswerTag.tag).where(AnswerTag.answer_id.in_(answer_ids)))
        if answer_ids
        else []
    )
    data = representation.response_json(survey, response, tags=stored)
    contact = (
        db.session().get(Contact, response.contact_id) if response.contact_id is not None else None
    )
    contact_data = (
        {"id": contact.id, "email": contact.email, "name": contact.name}
        if contact is not None
        else None
    )
    return {"survey_id": survey.id, **data, "contact": contact_data}


def _alert_data(
    case: Case, survey: Survey, response: Response, response_data: Mapping[str, Any]
) -> dict[str, Any]:
    """A new case: why, which response and whose, its first comment, and its page."""
    comment = _first_comment(survey, response)
    return {
        "case_id": case.id,
        "reason": case.reason,
        "survey_id": case.survey_id,
        "response_id": case.response_id,
        "score": response_data.get("score"),
        "contact": response_data.get("contact"),
        "comment": comment,
        "url": f"{current_app.config['BASE_URL']}/cases/{case.id}",
    }


def _first_comment(survey: Survey, response: Response) -> str | None:
    """The first text answer in question order (as alert emails show), shortened."""
    texts = {answer.question_id: answer.text for answer in response.answers if answer.text}
    for question in survey.questions:
        text = texts.get(question.id)
        if text:
            return text if len(text) <= COMMENT_EXCERPT else text[: COMMENT_EXCERPT - 1] + "…"
    return None


def _delivery_query() -> sa.Select[Any]:
    return sa.select(
        WebhookDelivery,
        OutboxMessage.status,
        OutboxMessage.attempts,
        OutboxMessage.next_attempt_at,
        OutboxMessage.last_error,
    ).join(OutboxMessage, OutboxMessage.id == WebhookDelivery.outbox_message_id)


def _delivery_row(
    delivery: WebhookDelivery,
    status: str,
    attempts: int,
    next_attempt_at: dt.datetime,
    last_error: str | None,
) -> DeliveryRow:
    return DeliveryRow(
        delivery=delivery,
        status=status,
        attempts=attempts,
        next_attempt_at=next_attempt_at if status == "pending" else None,
        last_error=last_error,
    )
