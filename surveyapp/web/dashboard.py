"""Results pages: trends, segments, charts and exports of what a survey's answers add up to.

Viewers and above read everything here. Every chart is a plotly figure
embedded as JSON data (``<script type="application/json">``, never
executed, so the CSP holds) and drawn by ``static/js/charts.js``; the same
numbers are always in a table next to it, so the pages work without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plotly
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_file,
    stream_with_context,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from surveyapp.analytics import charts
from surveyapp.analytics.nps import MIN_RESPONSES_FOR_TREND
from surveyapp.analytics.periods import INTERVALS
from surveyapp.services import (
    exports,
    reasons,
    reporting,
    rollups,
    survey_access,
    surveys,
)
from surveyapp.services.errors import Conflict, InvalidInput, NotFound
from surveyapp.web.access import role_required

__all__ = [
    "INTERVAL_NAMES",
    "SEGMENT_NAMES",
    "bp",
    "export_args",
    "form_values",
    "page_controls",
    "requested_query",
]

bp = Blueprint("dashboard", __name__)
# Read once: templates put it in plotly.js's URL (templates/dashboard/_chart_scripts.html).
bp.record_once(lambda state: state.app.jinja_env.globals.update(plotly_version=plotly.__version__))

LANGUAGE_NAMES = {"en": _l("English"), "fr": _l("French")}
INTERVAL_NAMES = {
    "day": _l("Day"),
    "week": _l("Week (ISO, from Monday)"),
    "month": _l("Month"),
    "quarter": _l("Quarter"),
}
SEGMENT_NAMES = {"language": _l("Language"), "channel": _l("Channel"), "wave": _l("Pulse wave")}
OVERVIEW_WINDOWS = (7, 30, 90)
ONE_YEAR = 365 * 24 * 3600


def _language() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


@bp.get("/surveys/<int:survey_id>/results")
@role_required("viewer")
def survey_results(survey_id: int) -> tuple[str, int]:
    """One survey over a period: summary, trend, segments, charts and tables.

    Bad controls (interval, dates, segment) answer 400 with the errors next to
    the form and the default period's results. Answers 404 for an unknown survey.
    """
    args = request.args
    query, errors = page_controls(args)
    try:
        data = reporting.dashboard(survey_id, query)
    except NotFound:
        abort(404)
    survey = data.survey
    main = survey.main_question
    language = _language()
    why, verbatims = _reasons(data, query, args.get("reason", ""))
    figures = _figures(data, language)
    reason_name = reasons.reason_namer(language)
    if why is not None and why.rows:
        figures["figure-reasons"] = charts.choices_figure(
            [{"label": reason_name(row.tag), "share": 100 * row.share} for row in why.rows],
            title=_("Why customers leave"),
            x_title=_("Share of comments (%)"),
        )
    html = render_template(
        "dashboard/results.html",
        data=data,
        results=data.results,
        survey=survey,
        query=query,
        form=form_values(args, query, errors),
        errors=errors,
        intervals=[(name, INTERVAL_NAMES[name]) for name in INTERVALS],
        segment_options=[
            (key, SEGMENT_NAMES.get(key, key)) for key in reporting.segment_attributes()
        ],
        figures=figures,
        reasons=why,
        verbatims=verbatims,
        reason_name=reason_name,
        period_end=lambda start: reporting.period_end(query, start),
        question_text=lambda question: surveys.question_text(survey, question, language),
        main_question_text=surveys.question_text(survey, main, language) if main else "",
        # The public link is part of the public contract (PRODUCT.md): /p/<slug> under BASE_URL.
        public_url=f"{current_app.config['BASE_URL']}/p/{survey.public_slug}",
        min_trend=MIN_RESPONSES_FOR_TREND,
        language_names=LANGUAGE_NAMES,
        export_args=export_args(query),
    )
    return html, 400 if errors else 200


def requested_query(args: Any) -> reporting.MetricsQuery:
    """The controls of a results-like page (interval, dates, segment and its value), the
    end day included. Raises InvalidInput."""
    return reporting.parse_metrics_query(
        args.get("interval"),
        args.get("start"),
        args.get("end"),
        args.get("segment"),
        args.get("value"),
        end_inclusive=True,
    )


def page_controls(args: Any) -> tuple[reporting.MetricsQuery, dict[str, str]]:
    """``requested_query``, or the default query and the error by field for bad controls."""
    try:
        return requested_query(args), {}
    except InvalidInput as exc:
        return reporting.parse_metrics_query(), {exc.field or "interval": str(exc)}


def _reasons(
    data: reporting.Dashboard, query: reporting.MetricsQuery, reason: str
) -> tuple[reasons.ReasonReport | None, reasons.VerbatimList | None]:
    """The period's reasons (of the segment value chosen, if any), and the verbatims of
    ``reason`` when it is one of them."""
    if data.results.withheld or data.results.n == 0 or data.window is None:
        return None, None
    start, end = data.window
    segment = query.value_filter
    report = reasons.reason_shares(data.survey.id, start=start, end=end, segment=segment)
    if not report.rows or reason not in {row.tag for row in report.rows}:
        return report, None
    verbatims = reasons.reason_verbatims(
        data.survey.id, reason, start=start, end=end, segment=segment
    )
    return report, verbatims


def form_values(args: Any, query: reporting.MetricsQuery, errors: dict[str, str]) -> dict[str, str]:
    """What the form shows: the visitor's input when it was refused, else the query used."""
    if errors:
        return {
            name: str(args.get(name, ""))
            for name in ("interval", "start", "end", "segment", "value")
        }
    return {
        "interval": query.interval,
        "start": query.start.isoformat(),
        "end": query.last_day.isoformat(),
        "segment": query.segment or "",
        "value": query.value or "",
    }


def export_args(query: reporting.MetricsQuery) -> dict[str, str]:
    """The query string that repeats the controls of ``query`` (for links and downloads)."""
    args = {
        "interval": query.interval,
        "start": query.start.isoformat(),
        "end": query.last_day.isoformat(),
    }
    if query.segment:
        args["segment"] = query.segment
    if query.value_filter:
        args["value"] = query.value_filter[1]
    return args


def _headline(survey_kind: str, kind: str) -> str:
    if kind == "nps":
        return "eNPS" if survey_kind == "enps" else "NPS"
    if kind == "csat":
        return _("CSAT %")
    return _("Average")


def _figures(data: reporting.Dashboard, language: str) -> dict[str, Any]:
    """The page's plotly figures as JSON-ready dicts, keyed by the id of their data block."""
    figures: dict[str, Any] = {}
    if data.results.withheld:
        return figures
    kind = data.total.kind
    label = _headline(data.survey.kind, kind)
    shown = [row for row in data.periods if not row.score.suppressed]
    if kind != "count" and shown:
        figures["figure-trend"] = charts.trend_figure(
            [
                {
                    "period": row.period_start.isoformat(),
                    "value": row.score.value,
                    "low": None
                    if row.score.value is None or row.score.margin_of_error is None
                    else row.score.value - row.score.margin_of_error,
                    "high": None
                    if row.score.value is None or row.score.margin_of_error is None
                    else row.score.value + row.score.margin_of_error,
                    "n": row.score.n,
                    "too_few": row.score.too_few,
                }
                for row in shown
            ],
            title=_("%(metric)s by period", metric=label),
            score_label=label,
            band_label=_("Confidence band (95%)"),
            few_label=_("Fewer than %(min)s answers", min=MIN_RESPONSES_FOR_TREND),
            volume_label=_("Responses"),
            y_range=(-100, 100) if kind == "nps" else (0, 100) if kind == "csat" else None,
        )
    if kind == "nps" and shown:
        figures["figure-buckets"] = charts.buckets_figure(
            [
                {
                    "period": row.period_start.isoformat(),
                    "promoters": row.score.share(row.score.promoters),
                    "passives": row.score.share(row.score.passives),
                    "detractors": row.score.share(row.score.detractors),
                }
                for row in shown
            ],
            title=_("Promoters, passives and detractors by period"),
            labels={
                "promoters": _("Promoters"),
                "passives": _("Passives"),
                "detractors": _("Detractors"),
            },
            y_title=_("Share (%)"),
        )
    if data.results.distribution and data.total.n:
        figures["figure-distribution"] = charts.distribution_figure(
            [{"label": row.score, "count": row.count} for row in data.results.distribution],
            title=_("Distribution of answers"),
            y_title=_("Responses"),
        )
    segments = [row for row in data.segments if not row.score.suppressed]
    if kind != "count" and segments:
        figures["figure-segments"] = charts.segments_figure(
            [
                {"label": row.value, "value": row.score.value, "moe": row.score.margin_of_error}
                for row in segments
            ],
            title=_("%(metric)s by segment, with 95%% margins", metric=label),
            score_label=label,
        )
    if data.results.choices:
        figures["figure-choices"] = charts.choices_figure(
            [
                {"label": _option_label(row.label, row.value, language), "share": row.share}
                for row in data.results.choices
            ],
            title=_("Reasons chosen") if data.survey.kind == "cancellation" else _("Choices"),
            x_title=_("Share of responses (%)"),
        )
    for stats in data.questions:
        if stats.choices:
            figures[f"figure-q{stats.question.id}"] = charts.choices_figure(
                [
                    {"label": _option_label(row.label, row.value, language), "share": row.share}
                    for row in stats.choices
                ],
                title=stats.question.text_in(language),
                x_title=_("Share of responses (%)"),
            )
        elif stats.distribution and stats.n:
            figures[f"figure-q{stats.question.id}"] = charts.distribution_figure(
                [{"label": row.score, "count": row.count} for row in stats.distribution],
                title=stats.question.text_in(language),
                y_title=_("Responses"),
            )
    return figures


def _option_label(label: dict[str, str], value: str, language: str) -> str:
    return label.get(language) or label.get("en") or value


@bp.get("/overview")
@role_required("viewer")
def overview() -> str:
    """Every active survey: current score ± margin, change against the previous window, rate."""
    raw = request.args.get("days", "30")
    days = int(raw) if raw.isdigit() and int(raw) in OVERVIEW_WINDOWS else 30
    return render_template(
        "dashboard/overview.html",
        rows=[
            row
            for row in reporting.overview(days)
            if survey_access.survey_access(current_user, row.survey).full
        ],
        days=days,
        windows=OVERVIEW_WINDOWS,
        headline=_headline,
        min_trend=MIN_RESPONSES_FOR_TREND,
        time_zone=rollups.configured_time_zone(),
        today=reporting.today(),
    )


@bp.get("/surveys/<int:survey_id>/export.csv", defaults={"file_format": "csv"})
@bp.get("/surveys/<int:survey_id>/export.xlsx", defaults={"file_format": "xlsx"})
@role_required("viewer")
def export_responses(survey_id: int, file_format: str) -> Response:
    """Download every response (one row each, one column per question) as CSV or XLSX.

    Answers 404 for an unknown survey, 409 for an anonymous survey under k.
    """
    try:
        if file_format == "xlsx":
            content = exports.responses_xlsx(survey_id)
            return Response(
                content,
                mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                headers=_attachment(f"survey-{survey_id}-responses.xlsx"),
            )
        lines = exports.responses_csv(survey_id)
    except NotFound:
        abort(404)
    except Conflict as exc:
        abort(409, description=str(exc))
    return Response(
        stream_with_context(_stream(lines)),
        mimetype="text/csv",
        headers=_attachment(f"survey-{survey_id}-responses.csv"),
    )


def _stream(lines: Iterator[str]) -> Iterator[str]:
    yield from lines


@bp.get("/surveys/<int:survey_id>/metrics.csv")
@role_required("viewer")
def export_metrics(survey_id: int) -> Response:
    """Download the per-period metrics table (the results page's controls) as CSV.

    Answers 400 for bad controls and 404 for an unknown survey.
    """
    try:
        content = exports.metrics_csv(survey_id, requested_query(request.args))
    except NotFound:
        abort(404)
    except InvalidInput as exc:
        abort(400, description=str(exc))
    return Response(
        content, mimetype="text/csv", headers=_attachment(f"survey-{survey_id}-metrics.csv")
    )


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


@bp.get("/static/vendor/plotly.min.js")
def plotly_js() -> Response:
    """plotly.js from the installed plotly package (no CDN), cached for a year."""
    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    response = send_file(path, mimetype="text/javascript", max_age=ONE_YEAR, conditional=True)
    # The URL carries the package version, so a cached copy is never stale.
    response.cache_control.immutable = True
    response.expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=ONE_YEAR)
    return response
