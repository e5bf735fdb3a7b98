"""The SMTP transport against a real server, MAIL_URL parsing and error classification."""

from __future__ import annotations

import doctest
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from surveyapp.mail import outbox, transport
from surveyapp.mail.transport import (
    LogTransport,
    MailSettings,
    OutgoingEmail,
    PermanentError,
    SmtpTransport,
    TemporaryError,
    TransportUnavailable,
    make_transport,
    parse_mail_url,
)
from tests.factories_distribution import SmtpServer, free_port


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _message(to: str) -> OutgoingEmail:
    message = EmailMessage()
    message["From"] = "surveys@acme.test"
    message["To"] = to
    message["Subject"] = "Hello"
    message.set_content("Body")
    return OutgoingEmail("surveys@acme.test", to, message.as_bytes())


@pytest.mark.parametrize("module", [transport, outbox])
def test_doctests(module: object) -> None:
    failures, _tests = doctest.testmod(module)  # type: ignore[arg-type]
    assert failures == 0


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("log", MailSettings(scheme="log")),
        ("", MailSettings(scheme="log")),
        ("smtp://localhost", MailSettings(scheme="smtp", host="localhost", port=25)),
        (
            "smtp://u:p@mail.test:587?starttls=1&timeout=5",
            MailSettings("smtp", "mail.test", 587, "u", "p", starttls=True, timeout=5.0),
        ),
        ("smtps://mail.test", MailSettings(scheme="smtps", host="mail.test", port=465)),
    ],
)
def test_parse_mail_url(url: str, expected: MailSettings) -> None:
    assert parse_mail_url(url) == expected


@pytest.mark.parametrize("url", ["ftp://mail.test", "smtp://", "smtp://mail.test:99999"])
def test_parse_mail_url_refuses_nonsense(url: str) -> None:
    with pytest.raises(ValueError, match="MAIL_URL"):
        parse_mail_url(url)


def test_make_transport_follows_the_scheme() -> None:
    assert isinstance(make_transport("log"), LogTransport)
    assert isinstance(make_transport("smtp://127.0.0.1:2525"), SmtpTransport)


def test_sends_over_one_connection(smtp: SmtpServer) -> None:
    with SmtpTransport(parse_mail_url(smtp.url)) as sender:
        sender.send(_message("a@example.com"))
        sender.send(_message("b@example.com"))
    assert smtp.handler.recipients() == ["a@example.com", "b@example.com"]
    assert len({peer for _f, _t, peer in smtp.handler.envelopes}) == 1
    assert smtp.handler.messages[0]["Subject"] == "Hello"


def test_a_5xx_reply_is_permanent_and_the_connection_goes_on(smtp: SmtpServer) -> None:
    smtp.handler.refuse["gone@example.com"] = "550 5.1.1 Mailbox unavailable"
    with SmtpTransport(parse_mail_url(smtp.url)) as sender:
        with pytest.raises(PermanentError, match=r"550 5\.1\.1 Mailbox unavailable"):
            sender.send(_message("gone@example.com"))
        sender.send(_message("here@example.com"))
    assert smtp.handler.recipients() == ["here@example.com"]


def test_a_4xx_reply_is_temporary(smtp: SmtpServer) -> None:
    smtp.handler.refuse["full@example.com"] = "452 4.2.2 Mailbox full"
    with (
        SmtpTransport(parse_mail_url(smtp.url)) as sender,
        pytest.raises(TemporaryError, match="452"),
    ):
        sender.send(_message("full@example.com"))


def test_a_refused_connection_makes_the_transport_unavailable() -> None:
    settings = parse_mail_url(f"smtp://127.0.0.1:{free_port()}?timeout=2")
    with (
        SmtpTransport(settings) as sender,
        pytest.raises(TransportUnavailable, match="ConnectionRefused"),
    ):
        sender.send(_message("a@example.com"))


def test_a_server_that_went_away_between_messages_is_reconnected(smtp: SmtpServer) -> None:
    with SmtpTransport(parse_mail_url(smtp.url)) as sender:
        sender.send(_message("a@example.com"))
        smtp.stop()
        smtp.start()
        sender.send(_message("b@example.com"))
    assert smtp.handler.recipients() == ["a@example.com", "b@example.com"]


def test_a_server_that_is_down_mid_batch_makes_the_transport_unavailable(
    smtp: SmtpServer,
) -> None:
    with SmtpTransport(parse_mail_url(smtp.url)) as sender:
        sender.send(_message("a@example.com"))
        smtp.stop()
        with pytest.raises(TransportUnavailable):
            sender.send(_message("b@example.com"))


def test_starttls_against_a_server_without_it_is_unavailable_not_permanent(
    smtp: SmtpServer,
) -> None:
    with (
        SmtpTransport(parse_mail_url(smtp.url + "?starttls=1")) as sender,
        pytest.raises(TransportUnavailable),
    ):
        sender.send(_message("a@example.com"))
    assert smtp.handler.messages == []
