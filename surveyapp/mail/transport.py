"""Sending one email: over SMTP (plain, STARTTLS or implicit TLS) or into the application log.

``MAIL_URL`` chooses the transport: ``smtp://user:pass@host:port``,
``smtps://…`` for implicit TLS, ``?starttls=1`` to upgrade a plain
connection, or ``log``. One SMTP connection stays open across a batch.

Errors are sorted by what the worker should do next:

- ``PermanentError``: the server refused *this message* with a 5xx reply;
  retrying cannot help, the invitation is marked failed.
- ``TemporaryError``: a 4xx reply about this message; retry it later.
- ``TransportUnavailable``: the server cannot be reached or refuses the
  session itself (connection refused, timeout, failed login or TLS). No
  message is at fault: the batch waits and nothing counts as an attempt.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = [
    "LogTransport",
    "MailSettings",
    "OutgoingEmail",
    "PermanentError",
    "SmtpTransport",
    "TemporaryError",
    "Transport",
    "TransportError",
    "TransportUnavailable",
    "make_transport",
    "parse_mail_url",
]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
_TRUE = ("1", "true", "yes", "on")


class TransportError(Exception):
    """Sending failed; ``str()`` is the reason recorded on the message."""


class PermanentError(TransportError):
    """The server refused this message for good (a 5xx reply)."""


class TemporaryError(TransportError):
    """The server refused this message for now (a 4xx reply): try again later."""


class TransportUnavailable(TransportError):
    """The mail server cannot be used at all right now; no message is at fault."""


@dataclass(frozen=True)
class OutgoingEmail:
    """One message ready for the SMTP envelope: sender, recipient and the RFC 5322 bytes."""

    sender: str
    recipient: str
    data: bytes


@dataclass(frozen=True)
class MailSettings:
    """Where and how to send, parsed from ``MAIL_URL``."""

    scheme: str
    host: str = ""
    port: int = 0
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = DEFAULT_TIMEOUT


def parse_mail_url(url: str) -> MailSettings:
    """Parse ``MAIL_URL``; raises ValueError for a scheme or port that makes no sense.

    >>> parse_mail_url("smtp://bob:s%40cret@mail.example.com:2525?starttls=1")
    ... # doctest: +NORMALIZE_WHITESPACE
    MailSettings(scheme='smtp', host='mail.example.com', port=2525, username='bob',
                 password='s@cret', starttls=True, timeout=30.0)
    >>> parse_mail_url("smtps://mail.example.com").port
    465
    >>> parse_mail_url("log").scheme
    'log'
    """
    text = (url or "log").strip()
    if text == "log":
        return MailSettings(scheme="log")
    parts = urlsplit(text)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"MAIL_URL must start with smtp://, smtps:// or be 'log', not {text!r}")
    if not parts.hostname:
        raise ValueError("MAIL_URL has no host")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError as exc:
        raise ValueError(f"MAIL_URL has an invalid port: {exc}") from None
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["0"])[-1].lower() in _TRUE
    timeout = float(query.get("timeout", [DEFAULT_TIMEOUT])[-1])
    return MailSettings(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=starttls,
        timeout=timeout,
    )


class Transport(Protocol):
    """Something that sends email messages; a context manager around a batch."""

    def __enter__(self) -> Transport: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def send(self, message: OutgoingEmail) -> None:
        """Send one message; raises PermanentError, TemporaryError or TransportUnavailable."""
        ...


class LogTransport:
    """Writes each message to the log instead of sending it (the default with no mail server)."""

    def __init__(self, log: logging.Logger | None = None) -> None:
        self.log = log or logger

    def __enter__(self) -> LogTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    def send(self, message: OutgoingEmail) -> None:
        """Log the whole message at INFO level; never fails."""
        self.log.info(
            "Email (MAIL_URL=log, not sent):\n%s", message.data.decode("utf-8", "replace")
        )


class SmtpTransport:
    """Sends over one SMTP connection, opened on the first message and kept for the batch."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Say QUIT (politely, ignoring a dead connection) and forget the connection."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def send(self, message: OutgoingEmail) -> None:
        """Send one message; raises PermanentError, TemporaryError or TransportUnavailable."""
        try:
            self._send_once(message)
        except smtplib.SMTPServerDisconnected:
            # The server may close an idle connection between two batches: reconnect once.
            self._drop()
            try:
                self._send_once(message)
            except smtplib.SMTPServerDisconnected as exc:
                self._drop()
                raise TransportUnavailable(f"connection lost: {exc}") from exc

    def _send_once(self, message: OutgoingEmail) -> None:
        smtp = self._connection()
        # An internationalized address (non-ASCII) needs the server's SMTPUTF8 extension.
        options = () if (message.sender + message.recipient).isascii() else ("SMTPUTF8",)
        try:
            refused = smtp.sendmail(
                message.sender, [message.recipient], message.data, mail_options=options
            )
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise _classified(code, reply) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise _classified(exc.smtp_code, exc.smtp_error) from exc
        except smtplib.SMTPServerDisconnected:
            raise
        except smtplib.SMTPResponseException as exc:
            raise _classified(exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise TransportUnavailable(_describe(exc)) from exc
        if refused:
            # Only happens with several recipients, some accepted: report the first refusal.
            code, reply = next(iter(refused.values()))
            raise _classified(code, reply)

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        settings = self.settings
        try:
            if settings.scheme == "smtps":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    settings.host,
                    settings.port,
                    timeout=settings.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            try:
                if settings.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.username:
                    smtp.login(settings.username, settings.password or "")
            except BaseException:
                smtp.close()
                raise
        except (smtplib.SMTPException, OSError) as exc:
            # A refused login or TLS handshake is the installation's problem, not the message's.
            raise TransportUnavailable(_describe(exc)) from exc
        self._smtp = smtp
        return smtp

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()


def make_transport(mail_url: str, log: logging.Logger | None = None) -> Transport:
    """The transport ``MAIL_URL`` asks for; raises ValueError for a malformed URL."""
    settings = parse_mail_url(mail_url)
    if settings.scheme == "log":
        return LogTransport(log)
    return SmtpTransport(settings)


def _classified(code: int, reply: bytes | str) -> TransportError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    reason = f"{code} {text}".strip()
    if 500 <= code < 600:
        return PermanentError(reason)
    return TemporaryError(reason)


def _describe(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {exc}".rstrip(": ")
