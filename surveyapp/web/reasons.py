"""The churn-reasons dashboard of one survey: ranking, trend, segments, MRR, verbatims, new terms.

The page honours the results page's controls (period, grouping, segment and
segment value) and adds its own: weighting by count or by MRR, the reason
whose comments are listed, a search in them and their page, and the recent
window of the emerging terms. Everything is a GET parameter, so every view has
a URL and works without JavaScript; charts are drawn as on the results page
(``static/js/charts.js``) next to tables with the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.analytics import charts
from surveyapp.analytics.periods import INTERVALS
from surveyapp.services import reasons, reporting, rollups
from surveyapp.services.errors import InvalidInput, NotFound
from surveyapp.web.access import role_required
from surveyapp.web.dashboard import (
    INTERVAL_NAMES,
    SEGMENT_NAMES,
    export_args,
    form_values,
    page_controls,
    requested_query,
)

__all__ = ["bp"]

bp = Blueprint("reasons", __name__)

WEIGHTS = ("count", "mrr")
VERBATIMS_PER_PAGE = 20
SOURCE_NAMES = {
    "rule": _l("keywords"),
    "choice": _l("chosen by the respondent"),
    "manual": _l("set by a manager"),
    "model": _l("learned from corrections"),
}


@bp.get("/surveys/<int:survey_id>/reasons")
@role_required("viewer")
def survey_reasons(survey_id: int) -> tuple[str, int]:
    """Why customers leave one survey: reasons ranked, by period, by segment, by MRR,
    their comments (searchable) and the emerging terms no reason covers.

    Bad controls answer 400 with the errors next to the form and the default
    period's reasons. Answers 404 for an unknown survey.
    """
    args = request.args
    query, errors = page_controls(args)
    start, end = reasons.day_range(query.start, query.end)
    scope: dict[str, Any] = {"start": start, "end": end, "segment": query.value_filter}
    try:
        report, trend = reasons.reason_overview(
            survey_id, query.interval, query.start, query.end, segment=query.value_filter
        )
    except NotFound:
        abort(404)
    survey = report.survey
    weight = args.get("weight") if args.get("weight") in WEIGHTS else "count"
    recent = _whole(args.get("recent"), 30)
    if recent not in reasons.EMERGING_WINDOWS:
        recent = 30
    name = reasons.reason_namer()
    page: dict[str, Any] = {}
    if not report.suppressed and report.n:
        page = _details(survey_id, report, trend, query, scope, weight, recent, args, name)
    filters = export_args(query)
    html = render_template(
        "dashboard/reasons.html",
        survey=survey,
        report=report,
        query=query,
        form=form_values(args, query, errors),
        errors=errors,
        intervals=[(name, INTERVAL_NAMES[name]) for name in INTERVALS],
        segment_options=[
            (key, SEGMENT_NAMES.get(key, key)) for key in reporting.segment_attributes()
        ],
        data={"time_zone": rollups.configured_time_zone()},
        export_args=filters,
        page_args={**filters, "weight": weight, "recent": recent},
        weight=weight,
        recent=recent,
        windows=reasons.EMERGING_WINDOWS,
        reason_name=name,
        source_names=SOURCE_NAMES,
        period_end=lambda day: reporting.period_end(query, day),
        **page,
    )
    return html, 400 if errors else 200


def _whole(raw: str | None, default: int) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 6 else default


def _details(
    survey_id: int,
    report: reasons.ReasonReport,
    trend: reasons.ReasonTrend,
    query: reporting.MetricsQuery,
    scope: dict[str, Any],
    weight: str,
    recent: int,
    args: Any,
    name: Callable[[str], str],
) -> dict[str, Any]:
    """Everything below the ranking, for a report with rows to show."""
    top = trend.tags
    mrr = reasons.reason_mrr(survey_id, **scope)
    segments = None
    if query.segment and query.value is None:
        segments = reasons.reason_segments(
            survey_id, query.segment, start=scope["start"], end=scope["end"], tags=top
        )
    tags = [row.tag for row in report.rows]
    chosen = args.get("reason") if args.get("reason") in tags else (tags[0] if tags else None)
    verbatims = None
    if chosen is not None:
        verbatims = reasons.reason_verbatims(
            survey_id,
            chosen,
            **scope,
            search=args.get("q", ""),
            page=_whole(args.get("page"), 1),
            limit=VERBATIMS_PER_PAGE,
        )
    terms = reasons.emerging_terms(
        survey_id,
        start=scope["start"],
        end=scope["end"],
        recent_days=recent,
        segment=query.value_filter,
    )
    return {
        "mrr": mrr,
        "trend": trend,
        "segments": segments,
        "verbatims": verbatims,
        "terms": terms,
        "figures": _figures(report, mrr, trend, segments, weight, name),
    }


def _figures(
    report: reasons.ReasonReport,
    mrr: reasons.ReasonMrr,
    trend: reasons.ReasonTrend,
    segments: reasons.ReasonSegments | None,
    weight: str,
    name: Callable[[str], str],
) -> dict[str, Any]:
    """The page's plotly figures as JSON-ready dicts, keyed by the id of their data block."""
    figures: dict[str, Any] = {}
    if weight == "mrr" and mrr.available:
        figures["figure-reasons"] = charts.choices_figure(
            [{"label": name(row.reason), "share": 100 * row.share} for row in mrr.rows],
            title=_("Why customers leave, weighted by MRR"),
            x_title=_("Share of MRR (%)"),
        )
    else:
        figures["figure-reasons"] = charts.choices_figure(
            [{"label": name(row.tag), "share": 100 * row.share} for row in report.rows],
            title=_("Why customers leave"),
            x_title=_("Share of comments (%)"),
        )
    if any(not period.suppressed and period.n for period in trend.periods):
        figures["figure-reason-trend"] = charts.series_figure(
            [period.period_start.isoformat() for period in trend.periods],
            [
                {
                    "label": name(tag),
                    "values": [_percent(period.share(tag)) for period in trend.periods],
                }
                for tag in trend.tags
            ],
            title=_("Reasons by period"),
            y_title=_("Share of comments (%)"),
        )
    shown = [row for row in segments.rows if not row.suppressed] if segments else []
    if segments and shown:
        figures["figure-reason-segments"] = charts.series_figure(
            [row.value for row in shown],
            [
                {
                    "label": name(tag),
                    "values": [_percent(row.share(tag)) for row in shown],
                }
                for tag in segments.tags
            ],
            title=_("Reasons by segment"),
            y_title=_("Share of comments (%)"),
            kind="bars",
        )
    return figures


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 2)


@bp.get("/surveys/<int:survey_id>/reasons.csv")
@role_required("viewer")
def export_reasons(survey_id: int) -> Response:
    """Download the reasons table of the page's controls as CSV.

    Answers 400 for bad controls and 404 for an unknown survey.
    """
    try:
        query = requested_query(request.args)
        start, end = reasons.day_range(query.start, query.end)
        content = reasons.reasons_csv(survey_id, start=start, end=end, segment=query.value_filter)
    except NotFound:
        abort(404)
    except InvalidInput as exc:
        abort(400, description=str(exc))
    return Response(
        content,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="survey-{survey_id}-reasons.csv"'},
    )
