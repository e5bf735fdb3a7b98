"""API: churn-reason tag counts and shares of a survey over a date range."""

from __future__ import annotations

from flask import Response, jsonify
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.services import reasons, reporting
from surveyapp.web.api import schemas
from surveyapp.web.api.errors import ApiError
from surveyapp.web.api.inputs import query
from surveyapp.web.api.openapi import date_param, operation
from surveyapp.web.api.surveys import load_survey

__all__ = ["REASONS", "survey_reasons"]

_SHARE = {"type": "number", "minimum": 0, "maximum": 1}
REASON_ROW = schemas.obj(
    {
        "tag": {"type": "string"},
        "count": {"type": "integer", "minimum": 1},
        "share": _SHARE,
        "low": _SHARE,
        "high": _SHARE,
    },
    ["tag", "count", "share", "low", "high"],
)
REASONS = schemas.obj(
    {
        "n": schemas.nullable({"type": "integer", "minimum": 0}),
        "rows": {"type": "array", "items": REASON_ROW},
        "suppressed": {"type": "boolean"},
    },
    ["n", "rows", "suppressed"],
)


@operation(
    "/surveys/<int:survey_id>/reasons",
    "GET",
    summary=_l("Churn-reason tag counts and shares over a date range"),
    description=_l(
        "n counts the responses whose comments were tagged (cancellations, detractors 0-6, "
        "CSAT 1-2) in [start, end); each row is a reason with the responses carrying it, "
        "share = count / n and its 95% Wilson interval (low, high), by count descending. "
        "On an anonymous survey with too few such responses, n is null, rows is empty and "
        "suppressed is true. start and end are ISO 8601 dates or date-times (UTC without "
        "an offset), end exclusive."
    ),
    scope="read",
    tag="surveys",
    response=REASONS,
    query=[
        date_param("start", _l("First instant (inclusive).")),
        date_param("end", _l("Last instant (exclusive).")),
    ],
)
def survey_reasons(survey_id: int) -> Response:
    """Reasons ranked by count, with shares and intervals."""
    survey = load_survey(survey_id)
    args = query()
    if args["start"] is not None and args["end"] is not None and args["start"] >= args["end"]:
        raise ApiError(400, "invalid_parameter", _("start must come before end."), field="start")
    # An anonymous survey counts whole release blocks only (services.anonymity): a range
    # one answer wider than another would give that answer's reasons away.
    start, end = reporting.released_range(survey, args["start"], args["end"])
    report = reasons.reason_shares(survey_id, start=start, end=end)
    return jsonify(report.as_json())
