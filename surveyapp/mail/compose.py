"""The emails: invitations and reminders (in the invitation's language), staff alerts
and case replies (plain text and HTML each).

The main question's scale is embedded as one link per score
(``/s/<token>?score=N``), so a respondent answers with one click. Every
message carries a one-click unsubscribe link and the RFC 8058 headers.
Links are built from ``BASE_URL``: the worker has no request to build them from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape

from surveyapp.models import Invitation
from surveyapp.services.alerts import AlertEmail
from surveyapp.services.surveys import question_text

__all__ = [
    "EmailBuilder",
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

    def build(self, invitation: Invitation, *, reminder: bool = False) -> Message:
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
        return _message(rendered, contact.name, contact.email, token, text, html)


def build_email(invitation: Invitation, *, reminder: bool = False) -> Message:
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


def _message(
    rendered: _Rendered, name: str, email: str, token: str, text: str, html: str
) -> Message:
    sender = current_app.config["MAIL_FROM"]
    # The compat32 MIME classes build a message several times faster than EmailMessage,
    # which parses every header it is given: it matters at hundreds of emails per second.
    message = MIMEMultipart("alternative")
    message["Subject"] = Header(rendered.subject, "utf-8")
    message["From"] = formataddr((rendered.company, sender))
    message["To"] = formataddr((name, email)) if name else email
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Content-Language"] = rendered.language
    message["List-Unsubscribe"] = f"<{unsubscribe_url(token)}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # Asks mail servers not to answer with out-of-office replies.
    message["Auto-Submitted"] = "auto-generated"
    message.attach(MIMEText(text, "plain", "utf-8"))
    message.attach(MIMEText(html, "html", "utf-8"))
    return message


# Words for a case's reason, in the alert emails.
CASE_REASON_LABELS: dict[str, Any] = {
    "detractor": _l("Detractor"),
    "low_csat": _l("Low satisfaction"),
    "cancellation": _l("Cancellation"),
}


def build_alert_email(alert: AlertEmail) -> Message:
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
    return _simple_message(company, alert.name, alert.email, subject, language, text, html)


def build_case_reply_email(payload: Mapping[str, Any]) -> Message:
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
    message = _simple_message(
        company, str(payload.get("name") or ""), str(payload["to"]), subject, language, text, html
    )
    if payload.get("reply_to"):
        # Answers to the reply reach the person who wrote it, not the no-reply sender.
        message["Reply-To"] = str(payload["reply_to"])
    return message


def _simple_message(
    company: str, name: str, email: str, subject: str, language: str, text: str, html: str
) -> Message:
    sender = current_app.config["MAIL_FROM"]
    message = MIMEMultipart("alternative")
    message["Subject"] = Header(subject, "utf-8")
    message["From"] = formataddr((company, sender))
    message["To"] = formataddr((name, email)) if name else email
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Content-Language"] = language
    message["Auto-Submitted"] = "auto-generated"
    message.attach(MIMEText(text, "plain", "utf-8"))
    message.attach(MIMEText(html, "html", "utf-8"))
    return message
