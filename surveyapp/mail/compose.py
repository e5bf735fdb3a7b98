"""The emails: invitations and reminders (in the invitation's language), staff alerts
and case replies (plain text and HTML each).

The main question's scale is embedded as one link per score
(``/s/<token>?score=N``), so a respondent answers with one click. Every
message carries a one-click unsubscribe link and the RFC 8058 headers.
Links are built from ``BASE_URL``: the worker has no request to build them from.

Messages are written straight to bytes (RFC 5322 headers, RFC 2047 encoded words
for non-ASCII names and subjects, a multipart/alternative body of two base64
parts, CRLF line endings): the ``email`` package's classes cost a third of a
worker's time per message, and the bodies are rendered once per survey anyway.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape

from surveyapp.mail.transport import OutgoingEmail
from surveyapp.models import Invitation
from surveyapp.services.alerts import AlertEmail
from surveyapp.services.surveys import question_text

__all__ = [
    "EmailBuilder",
    "OutgoingEmail",
    "ScaleLink",
    "build_alert_email",
    "build_case_reply_email",
    "build_email",
    "survey_url",
    "unsubscribe_url",
]

# The same words as under the respondent page's scales.
SCALE_ENDS: dict[str, tuple[Any, Any]] = {
    "nps": (_l("Not at all likely"), _l("Extremely likely")),
    "csat": (_l("Very dissatisfied"), _l("Very satisfied")),
    "ces": (_l("Very difficult"), _l("Very easy")),
    "rating": (_l("Poor"), _l("Excellent")),
}


@dataclass(frozen=True)
class ScaleLink:
    """One score of the embedded scale and the link that records it."""

    score: int
    url: str


def survey_url(token: str) -> str:
    """The absolute URL of an invitation's survey page."""
    return f"{current_app.config['BASE_URL']}/s/{token}"


def unsubscribe_url(token: str) -> str:
    """The absolute URL of the one-click unsubscribe page of an invitation."""
    return f"{current_app.config['BASE_URL']}/u/{token}"


# Stand-ins for what differs between two recipients of the same survey: the
# templates are rendered once per survey, language and kind, then filled in.
_TOKEN = "\x00token\x00"
_NAME = "\x00name\x00"
_CACHE_LIMIT = 512


@dataclass(frozen=True)
class _Rendered:
    """One survey's email in one language, with stand-ins for the recipient."""

    subject: str
    company: str
    language: str
    text: str
    html: str


class EmailBuilder:
    """Builds invitation and reminder emails, rendering each survey's templates once.

    Rendering two Jinja templates with a dozen translated strings costs more
    than sending the message; a worker keeps one builder and pays it once per
    survey, language and kind. A survey edited since (``updated_at``) is
    rendered again.
    """

    def __init__(self) -> None:
        self._rendered: dict[tuple[Any, ...], _Rendered] = {}

    def build(self, invitation: Invitation, *, reminder: bool = False) -> OutgoingEmail:
        """The complete message for an invitation (or its reminder), ready for the transport.

        The invitation must come with its contact, survey and questions loaded.
        """
        survey = invitation.survey
        contact = invitation.contact
        language = invitation.language or survey.default_language
        key = (survey.id, survey.updated_at, language, reminder, bool(contact.name))
        rendered = self._rendered.get(key)
        if rendered is None:
            if len(self._rendered) >= _CACHE_LIMIT:
                self._rendered.clear()
            rendered = self._rendered[key] = _render(invitation, language, reminder=reminder)
        token = invitation.token
        text = rendered.text.replace(_TOKEN, token).replace(_NAME, contact.name)
        html = rendered.html.replace(_TOKEN, token).replace(_NAME, str(escape(contact.name)))
        return _message(
            rendered.company,
            contact.name,
            contact.email,
            rendered.subject,
            rendered.language,
            text,
            html,
            unsubscribe=unsubscribe_url(token),
        )


def build_email(invitation: Invitation, *, reminder: bool = False) -> OutgoingEmail:
    """The message for one invitation, rendered from scratch (see EmailBuilder for many)."""
    return EmailBuilder().build(invitation, reminder=reminder)


def _render(invitation: Invitation, language: str, *, reminder: bool) -> _Rendered:
    survey = invitation.survey
    company = survey.settings.get("company") or current_app.config["COMPANY_NAME"]
    link = survey_url(_TOKEN)
    main = survey.main_question
    scale = main.scale if main is not None else None
    with force_locale(language):
        context: dict[str, Any] = {
            "company": company,
            "name": _NAME if invitation.contact.name else "",
            "language": language,
            "question": question_text(survey, main, language) if main is not None else "",
            "scale": [
                ScaleLink(score, f"{link}?score={score}") for score in range(scale[0], scale[1] + 1)
            ]
            if scale
            else [],
            "scale_ends": [str(end) for end in SCALE_ENDS[main.type]] if scale and main else [],
            "survey_url": link,
            "unsubscribe_url": unsubscribe_url(_TOKEN),
            "anonymous": survey.anonymous,
        }
        template = "reminder" if reminder else "invitation"
        if reminder:
            subject = _("Reminder: a quick question from %(company)s", company=company)
        else:
            subject = _("A quick question from %(company)s", company=company)
        text = render_template(f"email/{template}.txt", subject=subject, **context)
        html = render_template(f"email/{template}.html", subject=subject, **context)
    return _Rendered(subject=subject, company=company, language=language, text=text, html=html)


# Words for a case's reason, in the alert emails.
CASE_REASON_LABELS: dict[str, Any] = {
    "detractor": _l("Detractor"),
    "low_csat": _l("Low satisfaction"),
    "cancellation": _l("Cancellation"),
}


def build_alert_email(alert: AlertEmail) -> OutgoingEmail:
    """One staff alert email listing the new cases (instant batch or daily digest)."""
    language = current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    company = current_app.config["COMPANY_NAME"]
    with force_locale(language):
        count = len(alert.items)
        if alert.digest:
            subject = ngettext(
                "Daily digest: %(num)s new case to follow up",
                "Daily digest: %(num)s new cases to follow up",
                count,
            )
        else:
            subject = ngettext(
                "%(num)s new case to follow up", "%(num)s new cases to follow up", count
            )
        context: dict[str, Any] = {
            "subject": subject,
            "company": company,
            "language": language,
            "name": alert.name,
            "items": alert.items,
            "reasons": {key: str(label) for key, label in CASE_REASON_LABELS.items()},
            "cases_url": f"{current_app.config['BASE_URL']}/cases",
            "settings_url": f"{current_app.config['BASE_URL']}/cases/alerts",
        }
        text = render_template("email/alert.txt", **context)
        html = render_template("email/alert.html", **context)
    return _message(company, alert.name, alert.email, subject, language, text, html)


def build_case_reply_email(payload: Mapping[str, Any]) -> OutgoingEmail:
    """The reply a staff member wrote to a respondent about their answer."""
    language = str(payload.get("language") or "en")
    company = str(payload.get("company") or current_app.config["COMPANY_NAME"])
    subject = str(payload["subject"])
    with force_locale(language):
        context: dict[str, Any] = {
            "subject": subject,
            "company": company,
            "language": language,
            "name": payload.get("name") or "",
            "paragraphs": [part for part in str(payload["body"]).split("\n\n") if part.strip()],
            "body": str(payload["body"]),
        }
        text = render_template("email/case_reply.txt", **context)
        html = render_template("email/case_reply.html", **context)
    # Answers to the reply reach the person who wrote it, not the no-reply sender.
    reply_to = str(payload.get("reply_to") or "")
    return _message(
        company,
        str(payload.get("name") or ""),
        str(payload["to"]),
        subject,
        language,
        text,
        html,
        reply_to=reply_to,
    )


# RFC 2047 limits an encoded word to 75 characters: 45 bytes of UTF-8 make 60 of base64.
_WORD_BYTES = 45
# Some parsers (Python's among them) put a space between the encoded words of an address's
# display name, so a name gets one long word (as email.utils.formataddr writes it) and is
# split only when it would not fit on a line of 998 characters.
_NAME_WORD_BYTES = 600
# Control characters in a name or subject would end the header line (header injection).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
# A boundary starting with "=_" cannot occur inside a base64 part: "_" is not in its
# alphabet and "=" only pads the end of the last line.
_BOUNDARY = "=_surveyapp_" + secrets.token_hex(12)
_PART_HEADERS = (
    '--{boundary}\r\nContent-Type: text/{subtype}; charset="utf-8"\r\n'
    "Content-Transfer-Encoding: base64\r\n\r\n"
)


def _message(
    company: str,
    name: str,
    email: str,
    subject: str,
    language: str,
    text: str,
    html: str,
    *,
    unsubscribe: str = "",
    reply_to: str = "",
) -> OutgoingEmail:
    """The complete message as bytes, with the headers every email of the application carries."""
    sender = current_app.config["MAIL_FROM"]
    headers = [
        f"From: {_address(company, sender)}",
        f"To: {_address(name, email)}",
        f"Subject: {_encoded(subject)}",
        f"Date: {formatdate(localtime=False)}",
        f"Message-ID: {make_msgid(domain=sender.rpartition('@')[2] or None)}",
        f"Content-Language: {_CONTROL.sub('', language)}",
        # Asks mail servers not to answer with out-of-office replies.
        "Auto-Submitted: auto-generated",
    ]
    if reply_to:
        headers.append(f"Reply-To: {_address('', reply_to)}")
    if unsubscribe:
        headers.append(f"List-Unsubscribe: <{unsubscribe}>")
        headers.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    headers.append("MIME-Version: 1.0")
    headers.append(f'Content-Type: multipart/alternative; boundary="{_BOUNDARY}"')
    data = b"".join(
        (
            "\r\n".join(headers).encode("utf-8"),
            b"\r\n\r\n",
            _part("plain", text),
            _part("html", html),
            f"--{_BOUNDARY}--\r\n".encode("ascii"),
        )
    )
    return OutgoingEmail(sender=sender, recipient=email, data=data)


def _part(subtype: str, body: str) -> bytes:
    """One base64 body part with its headers, lines of 76 characters ending in CRLF."""
    encoded = binascii.b2a_base64(body.encode("utf-8"), newline=False)
    # Slicing one encoded string is faster than base64.encodebytes' loop of 57-byte chunks.
    lines = [encoded[start : start + 76] for start in range(0, len(encoded), 76)]
    lines.append(b"")
    head = _PART_HEADERS.format(boundary=_BOUNDARY, subtype=subtype).encode("ascii")
    return head + b"\r\n".join(lines)


def _address(name: str, email: str) -> str:
    """``Name <email>``: quoted when ASCII, RFC 2047 encoded words otherwise."""
    email = _CONTROL.sub("", email)
    name = _CONTROL.sub(" ", name).strip()
    if not name:
        return email
    if name.isascii():
        return formataddr((name, email))
    return f"{_encoded(name, _NAME_WORD_BYTES)} <{email}>"


def _encoded(text: str, word_bytes: int = _WORD_BYTES) -> str:
    """A header value: itself when plain ASCII, else base64 encoded words on folded lines.

    >>> _encoded("Hello")
    'Hello'
    >>> _encoded("Zoé")
    '=?utf-8?b?Wm/DqQ==?='
    """
    text = _CONTROL.sub(" ", text)
    if text.isascii() and "=?" not in text and len(text) <= 900:
        return text
    words: list[str] = []
    chunk = b""
    for character in text:
        encoded = character.encode("utf-8")
        # A character's bytes never straddle two words: each word must decode on its own.
        if len(chunk) + len(encoded) > word_bytes:
            words.append(chunk.decode("utf-8"))
            chunk = b""
        chunk += encoded
    words.append(chunk.decode("utf-8"))
    return "\r\n ".join(
        f"=?utf-8?b?{base64.b64encode(word.encode('utf-8')).decode('ascii')}?=" for word in words
    )
