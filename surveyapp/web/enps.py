"""eNPS pages: the dashboard (HR, shares, managers for their teams), the org chart, shares.

Who may open an eNPS survey's pages is decided by ``services.survey_access``
(``web.access`` runs it before every view with a ``survey_id``); the
dashboard is the one page a manager with team-only access may open, and it
then shows their teams only. Charts are plotly figures embedded as JSON
(``static/js/charts.js`` draws them) with the same numbers in a table.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from surveyapp.analytics import charts
from surveyapp.analytics.nps import MIN_RESPONSES_FOR_TREND
from surveyapp.forms.admin import ActionForm
from surveyapp.forms.enps import OrgChartForm, ShareForm
from surveyapp.services import enps, org_chart, reasons, survey_access
from surveyapp.services.errors import Conflict, InvalidInput, NotFound
from surveyapp.web.access import role_required

__all__ = ["bp"]

bp = Blueprint("enps", __name__)


@bp.get("/surveys/<int:survey_id>/enps")
@role_required("viewer")
def dashboard(survey_id: int) -> str:
    """The eNPS dashboard of one survey, as the reader's access allows (404 otherwise)."""
    try:
        access = survey_access.require_access(current_user, survey_id, teams_enough=True)
        data = enps.enps_dashboard(survey_id, access)
    except (NotFound, InvalidInput):
        abort(404)
    return render_template(
        "enps/dashboard.html",
        data=data,
        survey=data.survey,
        figures=_figures(data),
        reason_name=reasons.reason_namer(),
        min_trend=MIN_RESPONSES_FOR_TREND,
    )


def _figures(data: enps.EnpsDashboard) -> dict[str, Any]:
    """The page's plotly figures, keyed by the id of their JSON block; withheld rows left out."""
    figures: dict[str, Any] = {}
    waves = [row for row in data.waves if not row.score.suppressed]
    if waves:
        figures["figure-waves"] = charts.segments_figure(
            [
                {
                    "label": _wave_label(data, row),
                    "value": row.score.value,
                    "moe": row.score.margin_of_error,
                }
                for row in waves
            ],
            title=_("eNPS by wave, with 95% margins")
            if data.by_wave
            else _("eNPS by month, with 95% margins"),
            score_label="eNPS",
        )
    departments = [row for row in data.departments if not row.score.suppressed]
    if departments:
        figures["figure-departments"] = charts.segments_figure(
            [
                {"label": row.name, "value": row.score.value, "moe": row.score.margin_of_error}
                for row in departments
            ],
            title=_("eNPS by department, with 95% margins"),
            score_label="eNPS",
        )
    participation = [row for row in data.participation if row.rate is not None]
    if participation:
        figures["figure-participation"] = charts.choices_figure(
            [{"label": row.team, "share": row.rate} for row in participation],
            title=_("Participation by team"),
            x_title=_("Invitations answered (%)"),
        )
    if data.reasons is not None and data.reasons.rows:
        name = reasons.reason_namer()
        figures["figure-reasons"] = charts.choices_figure(
            [{"label": name(row.tag), "share": 100 * row.share} for row in data.reasons.rows],
            title=_("Top reasons in comments"),
            x_title=_("Share of comments (%)"),
        )
    return figures


def _wave_label(data: enps.EnpsDashboard, row: enps.WaveRow) -> str:
    return _("Wave %(number)s", number=row.label) if data.by_wave else row.label


@bp.route("/org-chart", methods=["GET", "POST"])
@role_required("editor")
def org_chart_page() -> str | tuple[str, int]:
    """The org chart: its teams, and a CSV upload that imports good rows and lists bad ones.

    Only HR changes it (403 otherwise): it decides which managers see which teams.
    """
    if not current_user.hr:
        abort(403)
    form = OrgChartForm()
    report = None
    status = 200
    if request.method == "POST":
        limit = int(current_app.config["CONTACT_IMPORT_MAX_BYTES"])
        if form.validate_on_submit():
            upload: FileStorage = form.file.data
            data = upload.read(limit + 1)
            try:
                if len(data) > limit:
                    raise InvalidInput(_("The file is too large."), "file")
                report = org_chart.import_org_chart_csv(data)
            except (InvalidInput, Conflict) as exc:
                form.file.errors = [*form.file.errors, str(exc)]
        if form.errors:
            status = 400
    page = render_template(
        "enps/org_chart.html", form=form, report=report, teams=org_chart.list_teams()
    )
    return page, status


@bp.post("/surveys/<int:survey_id>/shares")
@role_required("editor")
def share_survey(survey_id: int) -> Response:
    """HR shares an eNPS survey with one more account."""
    form = ShareForm()
    if form.validate_on_submit():
        try:
            user = survey_access.share_survey(survey_id, form.email.data, current_user)
        except NotFound:
            abort(404)
        except InvalidInput as exc:
            flash(str(exc), "error")
        else:
            flash(_("Shared with %(email)s.", email=user.email), "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
    return redirect(url_for("admin.edit_survey", survey_id=survey_id, _anchor="shares"))


@bp.post("/surveys/<int:survey_id>/shares/<int:user_id>/delete")
@role_required("editor")
def unshare_survey(survey_id: int, user_id: int) -> Response:
    """HR stops sharing an eNPS survey with one account."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        survey_access.unshare_survey(survey_id, user_id, current_user)
    except NotFound:
        abort(404)
    except InvalidInput as exc:
        flash(str(exc), "error")
    else:
        flash(_("No longer shared."), "success")
    return redirect(url_for("admin.edit_survey", survey_id=survey_id, _anchor="shares"))
