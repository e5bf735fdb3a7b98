"""The worker delivering webhooks to a real HTTP server on 127.0.0.1: signatures, retries,
backoff, 4xx, redirects, timeouts, the SSRF guard at delivery time, and concurrent workers."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import ssl
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from surveyapp import db
from surveyapp.mail import webhook_transport
from surveyapp.mail.worker import Worker
from surveyapp.services import invitations, webhooks
from tests import factories
from tests.conftest import make_test_app
from tests.factories_distribution import free_port
from tests.factories_followup import submit
from tests.factories_webhooks import (
    WEBHOOK_TEST_CONFIG,
    Receiver,
    Script,
    delivery_rows,
    docs_snippet,
    gen_endpoint,
    make_certificates,
    make_webhooks_due,
)


@pytest.fixture
def webhook_app(database_url: str) -> Iterator[Flask]:
    """The application allowed to reach 127.0.0.1, inside an app context, on a fresh database."""
    application = make_test_app(database_url, **WEBHOOK_TEST_CONFIG)
    with application.app_context():
        yield application
        db.session().close()
    application.extensions["surveyapp.engine"].dispose()


def _verify() -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(docs_snippet("python"), "docs/webhooks.md", "exec"), namespace)
    return namespace["verify"]


def test_a_response_is_posted_signed_to_the_receiver(
    webhook_app: Flask, receiver: Receiver
) -> None:
    _endpoint, secret = gen_endpoint(receiver.url)
    survey = factories.gen_survey("nps")
    response = submit(survey, 10, "Brilliant")
    assert receiver.requests == []  # nothing leaves inside the request

    result = Worker(webhook_app).run_once()

    assert result.webhooks_delivered == 1
    [request] = receiver.requests
    assert request.path == "/hooks/in?src=surveyapp"
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert request.headers["content-type"] == "application/json"
    assert _verify()(secret, request.headers, request.body)
    body = json.loads(request.body)
    assert body["type"] == "response.created"
    assert body["data"]["id"] == response.id and body["data"]["score"] == 10
    [(delivery, message)] = delivery_rows()
    assert request.headers["webhook-id"] == delivery.message_id
    assert message.status == "sent" and message.attempts == 0
    assert delivery.response_status == 200
    assert delivery.response_excerpt == '{"ok": true}'
    assert delivery.duration_ms is not None and delivery.attempted_at is not None


def test_a_500_is_retried_with_backoff_then_delivered_once(
    webhook_app: Flask, receiver: Receiver
) -> None:
    receiver.script = Script(statuses=[500, 200], body=b"oops")
    endpoint, secret = gen_endpoint(receiver.url)
    webhooks.send_test(endpoint.id)
    before = dt.datetime.now(dt.UTC)

    first = Worker(webhook_app).run_once()

    assert (first.webhooks_delivered, first.webhooks_retried) == (0, 1)
    [(delivery, message)] = delivery_rows()
    assert (message.status, message.attempts, message.last_error) == ("pending", 1, "HTTP 500")
    # WEBHOOK_RETRY_BASE_SECONDS = 60: the first retry waits a minute.
    wait = message.next_attempt_at - before
    assert dt.timedelta(seconds=59) <= wait <= dt.timedelta(seconds=65)
    assert (delivery.response_status, delivery.response_excerpt) == (500, "oops")
    assert Worker(webhook_app).run_once().webhooks_delivered == 0  # not due yet
    assert len(receiver.requests) == 1

    make_webhooks_due()
    second = Worker(webhook_app).run_once()

    assert second.webhooks_delivered == 1
    assert len(receiver.requests) == 2
    ids = {request.headers["webhook-id"] for request in receiver.requests}
    assert ids == {delivery.message_id}  # a retry keeps the webhook-id
    assert all(_verify()(secret, r.headers, r.body) for r in receiver.requests)
    [(delivery, message)] = delivery_rows()
    assert (message.status, delivery.response_status) == ("sent", 200)
    make_webhooks_due()
    assert Worker(webhook_app).run_once().webhooks_delivered == 0
    assert len(receiver.requests) == 2


def test_the_backoff_doubles_and_the_delivery_is_given_up_after_max_attempts(
    webhook_app: Flask, receiver: Receiver
) -> None:
    receiver.script = Script(statuses=[503])
    endpoint, _secret = gen_endpoint(receiver.url)
    webhooks.send_test(endpoint.id)
    waits = []
    for _ in range(3):
        before = dt.datetime.now(dt.UTC)
        Worker(webhook_app).run_once()
        [(_delivery, message)] = delivery_rows()
        waits.append(round((message.next_attempt_at - before).total_seconds() / 60))
        make_webhooks_due()

    [(_delivery, message)] = delivery_rows()
    assert waits[:2] == [1, 2]
    assert message.status == "failed" and message.attempts == 3  # WEBHOOK_MAX_ATTEMPTS = 3
    assert message.last_error == "gave up after 3 attempts: HTTP 503"
    assert len(receiver.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 404, 410])
def test_a_4xx_fails_at_once(webhook_app: Flask, receiver: Receiver, status: int) -> None:
    receiver.script = Script(statuses=[status, 200])
    endpoint, _secret = gen_endpoint(receiver.url)
    webhooks.send_test(endpoint.id)

    result = Worker(webhook_app).run_once()
    make_webhooks_due()
    Worker(webhook_app).run_once()

    assert result.webhooks_failed == 1
    [(delivery, message)] = delivery_rows()
    assert (message.status, message.last_error) == ("failed", f"HTTP {status}")
    assert delivery.response_status == status
    assert len(receiver.requests) == 1


def test_429_is_retried_after_the_delay_the_receiver_asks_for(
    webhook_app: Flask, receiver: Receiver
) -> None:
    receiver.script = Script(statuses=[429, 204], headers={"Retry-After": "600"})
    endpoint, _secret = gen_endpoint(receiver.url)
    webhooks.send_test(endpoint.id)
    before = dt.datetime.now(dt.UTC)
    assert Worker(webhook_app).run_once().webhooks_retried == 1
    [(_delivery, message)] = delivery_rows()
    # Retry-After: 600 beats the 60 s backoff.
    wait = message.next_attempt_at - before
    assert dt.timedelta(seconds=599) <= wait <= dt.timedelta(seconds=605)
    make_webhooks_due()
    assert Worker(webhook_app).run_once().webhooks_delivered == 1


def test_a_redirect_is_not_followed(webhook_app: Flask, receiver: Receiver) -> None:
    receiver.script = Script(
        statuses=[302], headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    endpoint, _secret = gen_endpoint(receiver.url)
    webhooks.send_test(endpoint.id)

    Worker(webhook_app).run_once()

    [(_delivery, message)] = delivery_rows()
    assert message.status == "failed"
    assert message.last_error == (
        "HTTP 302: redirect to http://169.254.169.254/latest/meta-data/ not followed"
    )
    assert len(receiver.requests) == 1


def test_a_slow_receiver_times_out_and_is_retried(webhook_app: Flask, receiver: Receiver) -> None:
    receiver.script = Script(delay=2.5)  # WEBHOOK_READ_TIMEOUT = 1 s
    endpoint, _secret = gen_endpoint(receiver.url)
    webhooks.send_test(endpoint.id)

    result = Worker(webhook_app).run_once()

    assert result.webhooks_retried == 1
    [(delivery, message)] = delivery_rows()
    assert message.status == "pending" and message.attempts == 1
    assert (message.last_error or "").startswith("timed out after 1.")
    assert delivery.response_status is None


def test_a_refused_connection_is_retried(webhook_app: Flask) -> None:
    endpoint, _secret = gen_endpoint(f"http://127.0.0.1:{free_port()}/nobody-listens")
    webhooks.send_test(endpoint.id)

    assert Worker(webhook_app).run_once().webhooks_retried == 1
    [(_delivery, message)] = delivery_rows()
    assert (message.last_error or "").startswith("connection failed")


def test_private_targets_are_refused_at_delivery_time_when_not_allowed(
    webhook_app: Flask, receiver: Receiver
) -> None:
    # Subscribed while allowed (or a name re-pointed at 127.0.0.1 since): checked again now.
    endpoint, _secret = gen_endpoint(receiver.url)
    webhooks.send_test(endpoint.id)
    webhook_app.config["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = False

    result = Worker(webhook_app).run_once()

    assert result.webhooks_failed == 1
    [(_delivery, message)] = delivery_rows()
    assert message.status == "failed"
    assert message.last_error == "target refused: loopback: 127.0.0.1"
    assert receiver.requests == []

    # With the setting on, the same receiver is reached.
    webhook_app.config["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = True
    webhooks.send_test(endpoint.id)
    assert Worker(webhook_app).run_once().webhooks_delivered == 1
    assert len(receiver.requests) == 1


def test_a_paused_endpoint_gets_nothing(webhook_app: Flask, receiver: Receiver) -> None:
    endpoint, _secret = gen_endpoint(receiver.url)
    webhooks.send_test(endpoint.id)
    webhooks.update_endpoint(
        endpoint.id,
        webhooks.EndpointInput(url=receiver.url, events=["response.created"], active=False),
    )

    result = Worker(webhook_app).run_once()

    assert result.webhooks_cancelled == 1
    [(_delivery, message)] = delivery_rows()
    assert (message.status, message.last_error) == ("cancelled", "endpoint paused")
    assert receiver.requests == []


def test_a_rotated_secret_signs_with_both_for_a_day(webhook_app: Flask, receiver: Receiver) -> None:
    endpoint, old = gen_endpoint(receiver.url)
    _endpoint, new = webhooks.rotate_secret(endpoint.id)
    webhooks.send_test(endpoint.id)

    Worker(webhook_app).run_once()

    [request] = receiver.requests
    verify = _verify()
    assert verify(new, request.headers, request.body) and verify(old, request.headers, request.body)
    assert request.headers["webhook-signature"].count("v1,") == 2


def test_concurrent_workers_deliver_each_message_once(
    database_url: str, receiver: Receiver
) -> None:
    app = make_test_app(database_url, **WEBHOOK_TEST_CONFIG, WEBHOOK_CONNECTIONS=2)
    receiver.script = Script(delay=0.02)
    with app.app_context():
        endpoint, _secret = gen_endpoint(receiver.url)
        for _ in range(30):
            webhooks.send_test(endpoint.id)
        db.session().close()
    workers = [Worker(app) for _ in range(3)]
    start = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def run(worker: Worker) -> None:
        try:
            start.wait()
            worker.run_once()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    counts = Counter(request.headers["webhook-id"] for request in receiver.requests)
    assert len(counts) == 30 and set(counts.values()) == {1}
    with app.app_context():
        assert {message.status for _d, message in delivery_rows()} == {"sent"}
        db.session().close()
    app.extensions["surveyapp.engine"].dispose()


def test_the_name_is_resolved_once_and_the_checked_address_is_used(
    webhook_app: Flask, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rebinding DNS: the first answer passes the check, later ones point elsewhere.
    real = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.rebind.test":
            lookups.append(host)
            address = "127.0.0.1" if len(lookups) == 1 else "10.255.255.1"
            return real(address, *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    url = f"http://hooks.rebind.test:{receiver.port}/in"
    answer = webhook_transport.post(
        url, b"{}", {}, allow_private=True, connect_timeout=1.0, read_timeout=1.0
    )

    # The connection went to the first (checked) answer; no second lookup was made.
    assert answer.status == 200
    assert lookups == ["hooks.rebind.test"]
    [request] = receiver.requests
    assert request.headers["host"] == f"hooks.rebind.test:{receiver.port}"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is missing")
def test_https_connects_to_the_checked_address_with_the_hosts_sni_and_certificate(
    webhook_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca, cert, key = make_certificates(tmp_path, "hooks.example.test")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server = Receiver(tls)
    server.start()
    real = socket.getaddrinfo

    def local(host: str, *args: Any, **kwargs: Any) -> Any:
        # Both names "resolve" to the test server.
        if host in ("hooks.example.test", "other.example.test"):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local)
    try:
        endpoint, secret = gen_endpoint(f"https://hooks.example.test:{server.port}/in")
        webhooks.send_test(endpoint.id)
        webhook_app.config["WEBHOOK_CA_FILE"] = str(ca)

        assert Worker(webhook_app).run_once().webhooks_delivered == 1
        [request] = server.requests
        assert server.server_names == ["hooks.example.test"]
        assert request.headers["host"] == f"hooks.example.test:{server.port}"
        assert _verify()(secret, request.headers, request.body)

        # A certificate for another name, or from an unknown CA, is refused (and retried).
        other, _secret = gen_endpoint(f"https://other.example.test:{server.port}/in")
        webhooks.send_test(other.id)
        assert Worker(webhook_app).run_once().webhooks_retried == 1
        webhook_app.config["WEBHOOK_CA_FILE"] = None
        webhooks.send_test(endpoint.id)
        assert Worker(webhook_app).run_once().webhooks_retried == 1
        errors = [message.last_error or "" for _d, message in delivery_rows()[1:]]
        assert all(error.startswith("TLS error") for error in errors), errors
        assert len(server.requests) == 1
    finally:
        server.stop()


def test_a_mail_outage_does_not_hold_webhooks_back(database_url: str, receiver: Receiver) -> None:
    app = make_test_app(
        database_url, **WEBHOOK_TEST_CONFIG, MAIL_URL=f"smtp://127.0.0.1:{free_port()}"
    )
    with app.app_context():
        survey = factories.gen_survey("nps")
        invitations.invite_contacts(survey.id, contact_ids=[factories.gen_contact().id])
        endpoint, _secret = gen_endpoint(receiver.url)
        webhooks.send_test(endpoint.id)

        result = Worker(app).run_once()

        assert result.unavailable and result.sent == 0
        assert result.webhooks_delivered == 1 and len(receiver.requests) == 1
        db.session().close()
    app.extensions["surveyapp.engine"].dispose()
