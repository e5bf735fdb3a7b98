"""Settings for admins: API keys (create, shown once, revoke) and the audit log."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from surveyapp.forms.settings import NewApiKeyForm, RevokeApiKeyForm
from surveyapp.services import api_keys, audit
from surveyapp.services.errors import InvalidInput, NotFound
from surveyapp.web.access import role_required

bp = Blueprint("settings", __name__, url_prefix="/settings")

# What the audit log calls each action; an action not listed shows its code.
ACTION_LABELS = {
    "user.created": _l("Account created"),
    "user.updated": _l("Account changed"),
    "login.failed": _l("Failed login"),
    "login.locked": _l("Account locked after failed logins"),
    "survey.created": _l("Survey created"),
    "survey.updated": _l("Survey settings changed"),
    "survey.status_changed": _l("Survey status changed"),
    "survey.question_added": _l("Question added"),
    "survey.question_changed": _l("Question changed"),
    "survey.question_deleted": _l("Question deleted"),
    "survey.question_moved": _l("Question moved"),
    "contacts.imported": _l("Contacts imported"),
    "contact.deleted": _l("Contact deleted"),
    "invitations.queued": _l("Invitations queued"),
    "api_key.created": _l("API key created"),
    "api_key.revoked": _l("API key revoked"),
    "reason.created": _l("Reason added"),
    "reason.renamed": _l("Reason renamed"),
    "reason.keyword_added": _l("Reason keyword added"),
    "reason.keyword_removed": _l("Reason keyword removed"),
    "reason.merged": _l("Reason merged"),
    "reason.retired": _l("Reason retired"),
    "reason.restored": _l("Reason restored"),
    "reason.corrected": _l("Comment reasons corrected"),
    "reason.retag_queued": _l("Re-tag of history queued"),
    "webhook.created": _l("Webhook created"),
    "webhook.updated": _l("Webhook changed"),
    "webhook.secret_rotated": _l("Webhook secret rotated"),
    "webhook.deleted": _l("Webhook deleted"),
    "webhook.test_sent": _l("Webhook test event sent"),
    "webhook.replayed": _l("Webhook delivery replayed"),
}
ACTION_FILTERS = {
    "": _l("All actions"),
    "user": _l("Accounts"),
    "login": _l("Logins"),
    "survey": _l("Surveys"),
    "contacts": _l("Contact imports"),
    "contact": _l("Contact deletions"),
    "invitations": _l("Invitations"),
    "api_key": _l("API keys"),
    "reason": _l("Reasons"),
    "webhook": _l("Webhooks"),
}


@bp.route("/api-keys", methods=["GET", "POST"])
@role_required("admin")
def list_api_keys() -> str | Response | tuple[Response, int]:
    """Every API key with when it was last used, and a form to create one (shown once)."""
    form = NewApiKeyForm()
    secret = None
    if form.validate_on_submit():
        try:
            key, secret = api_keys.create_api_key(form.name.data, form.scope.data)
        except InvalidInput as exc:
            getattr(form, exc.field or "name").errors.append(str(exc))
        else:
            flash(_("API key %(name)s created.", name=key.name), "success")
            form = NewApiKeyForm(formdata=None)
    page = render_template(
        "settings/api_keys.html",
        keys=api_keys.list_api_keys(),
        form=form,
        revoke_form=RevokeApiKeyForm(),
        secret=secret,
    )
    response = make_response(page, 400 if form.errors else 200)
    # The page may show a key's secret: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/api-keys/<int:key_id>/revoke", methods=["POST"])
@role_required("admin")
def revoke_api_key(key_id: int) -> Response:
    """Revoke a key; it stops working at once."""
    form = RevokeApiKeyForm()
    if not form.validate_on_submit():
        flash(_("The change could not be read; please try again."), "error")
        return redirect(url_for("settings.list_api_keys"))
    try:
        key = api_keys.revoke_api_key(key_id)
    except NotFound:
        abort(404)
    flash(_("API key %(name)s revoked: it no longer works.", name=key.name), "success")
    return redirect(url_for("settings.list_api_keys"))


@bp.route("/audit")
@role_required("admin")
def audit_log() -> str:
    """Administrative actions, newest first, 100 per page, optionally of one kind."""
    action = request.args.get("action", "")
    if action not in ACTION_FILTERS:
        action = ""
    before = request.args.get("before", "")
    page = audit.list_events(
        before=int(before) if before.isascii() and before.isdigit() and len(before) < 10 else None,
        action=action or None,
    )
    return render_template(
        "settings/audit.html",
        page=page,
        action=action,
        filters=ACTION_FILTERS,
        labels=ACTION_LABELS,
    )
