"""Sending surveys by email: the send screen, the delivery status list and the unsubscribe page.

The send screen works in two steps without JavaScript: "Preview" shows how
many invitations would be queued and who would be held back and why, then
"Send" queues them (the worker sends them later, never this request).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from surveyapp.forms.distribution import SendForm
from surveyapp.models import Survey
from surveyapp.services import invitations, reminders, surveys
from surveyapp.services.errors import Conflict, InvalidInput, NotFound
from surveyapp.services.invitations import InviteResult
from surveyapp.web.access import role_required

__all__ = ["bp"]

bp = Blueprint("distribution", __name__)

# How many held-back addresses the preview lists by name; the counts cover all of them.
HELD_BACK_SHOWN = 100
INVITATIONS_SHOWN = 200

STATUS_LABELS = {
    "queued": _l("Queued"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "opened": _l("Opened"),
    "answered": _l("Answered"),
}


@bp.route("/surveys/<int:survey_id>/send", methods=["GET", "POST"])
@role_required("editor")
def send_survey(survey_id: int) -> str | tuple[str, int] | Response:
    """Choose who receives a survey, preview who would be held back, then queue the invitations."""
    survey = _survey_or_404(survey_id)
    form = SendForm()
    if request.method == "GET":
        count, days = reminders.reminder_settings(survey)
        form.reminders.data = str(count)
        form.reminder_days.data = days
    preview: InviteResult | None = None
    problem: str | None = None
    status = 200
    if form.validate_on_submit():
        try:
            if form.send.data:
                reminders.configure_reminders(
                    survey.id, int(form.reminders.data), int(form.reminder_days.data)
                )
                result = invitations.invite_contacts(survey.id, **form.audience_arguments())
                flash(_queued_message(result), "success")
                return redirect(url_for("distribution.list_invitations", survey_id=survey.id))
            preview = invitations.preview_invitations(survey.id, **form.audience_arguments())
        except (Conflict, InvalidInput) as exc:
            problem, status = str(exc), 400
    elif request.method == "POST":
        status = 400
    return (
        render_template(
            "distribution/send.html",
            survey=survey,
            form=form,
            preview=preview,
            problem=problem,
            reason_labels=_reason_labels(),
            held_back_shown=HELD_BACK_SHOWN,
        ),
        status,
    )


@bp.route("/surveys/<int:survey_id>/invitations")
@role_required("viewer")
def list_invitations(survey_id: int) -> str:
    """Delivery status of a survey's invitations: counts, failure reasons and the latest ones.

    On an anonymous survey nobody's own status is listed (who answered would
    be visible), only the counts and the failed deliveries.
    """
    survey = _survey_or_404(survey_id)
    wanted = request.args.get("status") or None
    if wanted is not None and wanted not in STATUS_LABELS:
        abort(404)
    if survey.anonymous:
        wanted = "failed"
    return render_template(
        "distribution/invitations.html",
        survey=survey,
        counts=invitations.status_counts(survey.id),
        reasons=invitations.failure_reasons(survey.id),
        rows=invitations.list_invitations(survey.id, status=wanted, limit=INVITATIONS_SHOWN),
        wanted=wanted,
        status_labels=STATUS_LABELS,
        shown=INVITATIONS_SHOWN,
    )


@bp.route("/u/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> str | tuple[str, int]:
    """Unsubscribe without logging in: GET asks to confirm, POST unsubscribes (RFC 8058 too).

    The POST is exempt from CSRF protection (see web/__init__.py): mail
    clients send the RFC 8058 one-click POST (``List-Unsubscribe=One-Click``)
    with no token, and the unguessable invitation token in the URL already
    proves the request comes from the email. Resubscribing is the explicit
    "subscribe again" button on the same page.
    """
    try:
        invitation = invitations.get_invitation_by_token(token)
    except NotFound:
        abort(404)
    survey = invitation.survey
    g.respondent_language = invitation.language or survey.default_language
    state = "subscribed" if invitation.contact.unsubscribed_at is None else "unsubscribed"
    if request.method == "POST":
        if request.form.get("action") == "resubscribe":
            invitations.resubscribe(invitation.contact_id)
            state = "resubscribed"
        else:
            invitations.unsubscribe(token)
            state = "unsubscribed"
    return render_template(
        "distribution/unsubscribe.html",
        company=survey.settings.get("company") or current_app.config["COMPANY_NAME"],
        email=invitation.contact.email,
        state=state,
        token=token,
        language_links=None,
    )


def _survey_or_404(survey_id: int) -> Survey:
    try:
        return surveys.get_survey(survey_id)
    except NotFound:
        abort(404)


def _reason_labels() -> dict[str, str]:
    days = current_app.config["THROTTLE_DAYS"]
    return {
        "invalid_email": _("Invalid email address"),
        "unknown_contact": _("No such contact"),
        "unsubscribed": _("Unsubscribed"),
        "already_invited": _("Already invited to this survey"),
        "throttled": _("Surveyed in the last %(n)s days", n=days),
    }


def _queued_message(result: InviteResult) -> str:
    held = len(result.held_back)
    if held:
        return _(
            "%(n)s invitations queued; %(held)s contacts held back.", n=result.queued, held=held
        )
    return _("%(n)s invitations queued. They are sent in the background.", n=result.queued)
