"""Closing the loop: the follow-up queue, a case's page, retention KPIs and alert preferences."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from surveyapp.forms.cases import (
    AlertSettingsForm,
    AssignForm,
    NoteForm,
    ReplyForm,
    StatusForm,
    status_labels,
)
from surveyapp.services import alerts, cases, retention, survey_access, surveys, users
from surveyapp.services.errors import InvalidInput, NotFound
from surveyapp.web.access import role_required

bp = Blueprint("cases", __name__)

REASON_LABELS = {
    "detractor": _l("Detractor"),
    "low_csat": _l("Low satisfaction"),
    "cancellation": _l("Cancellation"),
}
GROUP_LABELS = {
    "promoter": _l("Promoters (9–10)"),
    "passive": _l("Passives (7–8)"),
    "detractor": _l("Detractors (0–6)"),
}
INTERVAL_LABELS = {"month": _l("Months"), "quarter": _l("Quarters")}


def money(cents: float | None) -> str:
    """An amount in cents as currency units with two decimals ("—" when unknown)."""
    if cents is None:
        return "—"
    return format_decimal(cents / 100, format="#,##0.00")


def percent(value: float | None, digits: int = 1) -> str:
    """A percentage for display ("—" when undefined)."""
    if value is None:
        return "—"
    return format_decimal(round(value, digits), format="#,##0." + "0" * digits) + " %"


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"money": money, "percent": percent}


@bp.route("/cases")
@role_required("viewer")
def list_cases() -> str:
    """The follow-up queue with its filters, and handling times per month."""
    status = request.args.get("status") or None
    if status not in (None, *cases.CASE_STATUSES):
        status = None
    survey_id = _int_arg("survey")
    assignee_id = _int_arg("assignee")
    hidden = frozenset(survey_access.hidden_survey_ids(current_user))
    rows = cases.list_cases(
        cases.CaseFilters(
            status=status, survey_id=survey_id, assignee_id=assignee_id, hidden_survey_ids=hidden
        )
    )
    return render_template(
        "cases/list.html",
        rows=rows,
        status=status,
        survey_id=survey_id,
        assignee_id=assignee_id,
        surveys=survey_access.visible_surveys(current_user, surveys.list_surveys()),
        users=[user for user in users.list_users() if user.is_active],
        statuses=status_labels(),
        reasons=REASON_LABELS,
        metrics=cases.case_metrics("month", 6, hidden_survey_ids=hidden),
    )


@bp.route("/cases/<int:case_id>", methods=["GET", "POST"])
@role_required("viewer")
def view_case(case_id: int) -> str | Response | tuple[str, int]:
    """A case: the answers, notes and history; editors assign, move, annotate and reply."""
    if request.method == "POST" and not current_user.can("editor"):
        abort(403)
    try:
        view = cases.get_case(case_id)
    except NotFound:
        abort(404)
    if not survey_access.survey_access(current_user, view.survey).full:
        abort(404)
    active_users = [user for user in users.list_users() if user.is_active]
    assign_form = AssignForm(prefix="assign", assignee_id=view.case.assignee_id or 0)
    assign_form.assignee_id.choices = [SelectChoice(0, _("Nobody")), *_user_choices(active_users)]
    status_form = StatusForm(prefix="status", status=view.case.status)
    note_form = NoteForm(prefix="note")
    reply_form = ReplyForm(prefix="reply")
    if request.method == "POST":
        action = request.form.get("action")
        forms = {
            "assign": assign_form,
            "status": status_form,
            "note": note_form,
            "reply": reply_form,
        }
        form = forms.get(action or "")
        if form is None:
            abort(400)
        if form.validate_on_submit():
            try:
                message = _act(case_id, action or "", form)
            except InvalidInput as exc:
                field = getattr(form, exc.field or "", None)
                if field is None:
                    field = next(iter(form))
                field.errors = [*field.errors, str(exc)]
            else:
                flash(message, "success")
                return redirect(url_for("cases.view_case", case_id=case_id))
        view = cases.get_case(case_id)
        return (
            _render_case(view, assign_form, status_form, note_form, reply_form, failed=action),
            422,
        )
    return _render_case(view, assign_form, status_form, note_form, reply_form)


@bp.route("/cases/alerts", methods=["GET", "POST"])
@role_required("viewer")
def alert_settings() -> str | Response | tuple[str, int]:
    """The logged-in user's alert mode and the surveys they follow."""
    current = alerts.alert_settings(current_user.id)
    form = AlertSettingsForm(
        mode=current.mode, survey_ids=sorted(current.survey_ids), prefix="alerts"
    )
    form.survey_ids.choices = [
        SelectChoice(survey.id, survey.title)
        for survey in survey_access.visible_surveys(current_user, surveys.list_surveys())
    ]
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                alerts.save_alert_settings(current_user.id, form.mode.data, form.survey_ids.data)
            except InvalidInput as exc:
                form.survey_ids.errors = [str(exc)]
            else:
                flash(_("Your alert settings are saved."), "success")
                return redirect(url_for("cases.alert_settings"))
        return render_template("cases/alerts.html", form=form), 422
    return render_template("cases/alerts.html", form=form)


@bp.route("/retention")
@role_required("viewer")
def retention_kpis() -> str | tuple[str, int]:
    """Customer retention KPIs per month or quarter beside the NPS trend, and scores vs outcomes."""
    interval = request.args.get("interval") or "month"
    if interval not in INTERVAL_LABELS:
        interval = "month"
    survey_id = _int_arg("survey")
    try:
        report = retention.retention_report(
            interval, 12 if interval == "month" else 8, nps_survey_id=survey_id
        )
    except NotFound:
        abort(404)
    return render_template(
        "cases/retention.html",
        report=report,
        interval=interval,
        intervals=INTERVAL_LABELS,
        nps_surveys=retention.nps_surveys(),
        outcomes=retention.scores_vs_outcomes(),
        groups=GROUP_LABELS,
    )


def _act(case_id: int, action: str, form: Any) -> str:
    """Run one case action with the form's data; returns the message to flash."""
    if action == "assign":
        assignee = form.assignee_id.data or None
        cases.assign_case(case_id, assignee, current_user)
        return _("The case is assigned.") if assignee else _("The case is unassigned.")
    if action == "status":
        cases.set_status(case_id, form.status.data, current_user)
        return _("The status is changed.")
    if action == "note":
        cases.add_note(case_id, form.body.data, current_user)
        return _("The note is added.")
    cases.send_reply(case_id, form.subject.data, form.body.data, current_user)
    return _("The email is on its way to the respondent.")


def _render_case(
    view: cases.CaseView,
    assign_form: AssignForm,
    status_form: StatusForm,
    note_form: NoteForm,
    reply_form: ReplyForm,
    failed: str | None = None,
) -> str:
    return render_template(
        "cases/case.html",
        view=view,
        assign_form=assign_form,
        status_form=status_form,
        note_form=note_form,
        reply_form=reply_form,
        failed=failed,
        statuses=status_labels(),
        reasons=REASON_LABELS,
    )


def _user_choices(active: list[users.User]) -> list[SelectChoice]:
    return [SelectChoice(user.id, user.name or user.email) for user in active]


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() else None
