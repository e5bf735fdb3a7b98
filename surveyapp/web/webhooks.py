"""Settings → Webhooks, for admins: endpoints, their secret (shown once), the delivery log.

Pages that show a signing secret are answered with ``Cache-Control: no-store``.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from surveyapp.forms.webhooks import WebhookActionForm, WebhookForm, event_labels
from surveyapp.models import WebhookEndpoint
from surveyapp.services import surveys, webhooks
from surveyapp.services.errors import InvalidInput, NotFound
from surveyapp.services.webhooks import WEBHOOK_EVENTS, EndpointInput
from surveyapp.web.access import role_required

bp = Blueprint("webhooks", __name__, url_prefix="/settings/webhooks")


@bp.route("", methods=["GET", "POST"])
@role_required("admin")
def list_webhooks() -> Response:
    """Every endpoint, and a form to subscribe a new one (its secret is shown once)."""
    form = _form()
    secret = None
    if form.validate_on_submit():
        try:
            endpoint, secret = webhooks.create_endpoint(_input(form))
        except InvalidInput as exc:
            getattr(form, exc.field or "url").errors.append(str(exc))
        else:
            flash(_("Webhook to %(url)s created.", url=endpoint.url), "success")
            form = _form(formdata=None)
    page = render_template(
        "settings/webhooks.html",
        endpoints=webhooks.list_endpoints(),
        form=form,
        secret=secret,
        labels=event_labels(),
        allow_private=webhooks.allow_private_networks(),
    )
    return _no_store(page, 400 if form.errors else 200)


@bp.route("/<int:endpoint_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_webhook(endpoint_id: int) -> Response:
    """One endpoint: its settings, buttons, and its recent deliveries."""
    endpoint = _endpoint(endpoint_id)
    form = _form(obj=endpoint)
    if form.is_submitted():
        if form.validate():
            try:
                webhooks.update_endpoint(endpoint.id, _input(form))
            except InvalidInput as exc:
                getattr(form, exc.field or "url").errors.append(str(exc))
            else:
                flash(_("The webhook is saved."), "success")
                return redirect(url_for("webhooks.edit_webhook", endpoint_id=endpoint.id))
    else:
        form.survey_id.data = endpoint.survey_id or 0
    return _endpoint_page(endpoint_id, form, None, 400 if form.errors else 200)


@bp.route("/<int:endpoint_id>/rotate", methods=["POST"])
@role_required("admin")
def rotate_secret(endpoint_id: int) -> Response:
    """Give the endpoint a new secret and show it once; the old one signs for 24 more hours."""
    if not WebhookActionForm().validate_on_submit():
        return _unreadable(endpoint_id)
    try:
        endpoint, secret = webhooks.rotate_secret(endpoint_id)
    except NotFound:
        abort(404)
    flash(_("New secret created. The old one keeps signing for 24 hours."), "success")
    form = _form(obj=endpoint, formdata=None)
    form.survey_id.data = endpoint.survey_id or 0
    return _endpoint_page(endpoint_id, form, secret, 200)


@bp.route("/<int:endpoint_id>/test", methods=["POST"])
@role_required("admin")
def send_test(endpoint_id: int) -> Response:
    """Queue a webhook.test event to the endpoint."""
    if not WebhookActionForm().validate_on_submit():
        return _unreadable(endpoint_id)
    try:
        webhooks.send_test(endpoint_id)
    except NotFound:
        abort(404)
    except InvalidInput as exc:
        flash(str(exc), "error")
    else:
        flash(_("Test event queued: it appears below once the worker sent it."), "success")
    return redirect(url_for("webhooks.edit_webhook", endpoint_id=endpoint_id))


@bp.route("/<int:endpoint_id>/delete", methods=["POST"])
@role_required("admin")
def delete_webhook(endpoint_id: int) -> Response:
    """Delete the endpoint, its log and what it had not received yet."""
    if not WebhookActionForm().validate_on_submit():
        return _unreadable(endpoint_id)
    try:
        endpoint = webhooks.delete_endpoint(endpoint_id)
    except NotFound:
        abort(404)
    flash(_("Webhook to %(url)s deleted.", url=endpoint.url), "success")
    return redirect(url_for("webhooks.list_webhooks"))


@bp.route("/<int:endpoint_id>/deliveries/<int:delivery_id>")
@role_required("admin")
def view_delivery(endpoint_id: int, delivery_id: int) -> str:
    """One delivery: its payload, its progress and what the endpoint answered."""
    endpoint = _endpoint(endpoint_id)
    try:
        row = webhooks.get_delivery(endpoint_id, delivery_id)
    except NotFound:
        abort(404)
    return render_template(
        "settings/webhook_delivery.html",
        endpoint=endpoint,
        row=row,
        labels=event_labels(),
        action_form=WebhookActionForm(),
    )


@bp.route("/<int:endpoint_id>/deliveries/<int:delivery_id>/replay", methods=["POST"])
@role_required("admin")
def replay_delivery(endpoint_id: int, delivery_id: int) -> Response:
    """Send a delivery's payload again (same webhook-id, new signature)."""
    if not WebhookActionForm().validate_on_submit():
        return _unreadable(endpoint_id)
    try:
        webhooks.replay_delivery(endpoint_id, delivery_id)
    except NotFound:
        abort(404)
    except InvalidInput as exc:
        flash(str(exc), "error")
    else:
        flash(_("Delivery queued again."), "success")
    return redirect(url_for("webhooks.edit_webhook", endpoint_id=endpoint_id))


def _form(**kwargs: object) -> WebhookForm:
    form = WebhookForm(**kwargs)
    labels = event_labels()
    form.fill_choices(
        [(survey.id, survey.title) for survey in surveys.list_surveys()],
        {event: labels[event] for event in WEBHOOK_EVENTS},
    )
    return form


def _input(form: WebhookForm) -> EndpointInput:
    return EndpointInput(
        url=form.url.data or "",
        events=list(form.events.data or []),
        survey_id=form.survey_id.data or None,
        description=form.description.data or "",
        active=bool(form.active.data),
    )


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    try:
        return webhooks.get_endpoint(endpoint_id)
    except NotFound:
        abort(404)


def _endpoint_page(
    endpoint_id: int, form: WebhookForm, secret: str | None, status: int
) -> Response:
    page = render_template(
        "settings/webhook.html",
        endpoint=_endpoint(endpoint_id),
        form=form,
        secret=secret,
        deliveries=webhooks.list_deliveries(endpoint_id),
        labels=event_labels(),
        action_form=WebhookActionForm(),
    )
    return _no_store(page, status)


def _no_store(page: str, status: int) -> Response:
    response = make_response(page, status)
    # The page may show a signing secret: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


def _unreadable(endpoint_id: int) -> Response:
    flash(_("The change could not be read; please try again."), "error")
    return redirect(url_for("webhooks.edit_webhook", endpoint_id=endpoint_id))
