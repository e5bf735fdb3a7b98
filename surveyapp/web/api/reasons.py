"""API: churn-reason tag counts and shares of a survey over a date range (and segment value),
optionally weighted by the MRR of the customers behind them."""

from __future__ import annotations

from flask import Response, jsonify
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.services import reasons, reporting
from surveyapp.web.api import schemas
from surveyapp.web.api.errors import ApiError
from surveyapp.web.api.inputs import query
from surveyapp.web.api.openapi import date_param, enum_param, operation, text_param
from surveyapp.web.api.surveys import load_survey

__all__ = ["REASONS", "WEIGHTS", "survey_reasons"]

WEIGHTS = ("count", "mrr")
_SHARE = {"type": "number", "minimum": 0, "maximum": 1}
_CENTS = {"type": "integer", "minimum": 0}
REASON_ROW = schemas.obj(
    {
        "tag": {"type": "string"},
        "count": {"type": "integer", "minimum": 1},
        "share": _SHARE,
        "low": _SHARE,
        "high": _SHARE,
        "customers": {"type": "integer", "minimum": 0},
        "mrr_cents": _CENTS,
        "mrr_share": _SHARE,
    },
    ["tag", "count", "share", "low", "high"],
)
REASONS = schemas.obj(
    {
        "n": schemas.nullable({"type": "integer", "minimum": 0}),
        "rows": {"type": "array", "items": REASON_ROW},
        "suppressed": {"type": "boolean"},
        "weight": {"type": "string", "enum": list(WEIGHTS)},
        "customers": {"type": "integer", "minimum": 0},
        "mrr_cents": _CENTS,
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
        "an offset), end exclusive. segment and value keep the responses whose segment "
        "attribute has that value. weight=mrr adds the MRR at stake: customers and mrr_cents "
        "(each customer once, with their latest comment, among those with a known MRR), and "
        "per row customers, mrr_cents and mrr_share (of mrr_cents), rows by MRR descending; "
        "it answers 409 when no such customer has an MRR (always on an anonymous survey)."
    ),
    scope="read",
    tag="surveys",
    response=REASONS,
    query=[
        date_param("start", _l("First instant (inclusive).")),
        date_param("end", _l("Last instant (exclusive).")),
        text_param("segment", _l("A segment attribute (with value: keep one value)."), 64),
        text_param("value", _l("The value of the segment attribute to keep."), 200),
        enum_param("weight", _l("count (default) or mrr."), WEIGHTS, "count"),
    ],
)
def survey_reasons(survey_id: int) -> Response:
    """Reasons ranked by count (or by MRR), with shares and intervals."""
    load_survey(survey_id)
    args = query()
    if args["start"] is not None and args["end"] is not None and args["start"] >= args["end"]:
        raise ApiError(400, "invalid_parameter", _("start must come before end."), field="start")
    segment = _segment(args["segment"], args["value"])
    # An anonymous survey counts its released blocks only (services.reasons._scope).
    scope = {"start": args["start"], "end": args["end"], "segment": segment}
    report = reasons.reason_shares(survey_id, **scope)
    body = report.as_json()
    if args["weight"] == "mrr" and not report.suppressed:
        body["weight"] = "mrr"
        weights = reasons.reason_mrr(survey_id, **scope)
        if not weights.available:
            raise ApiError(
                409, "no_mrr", _("No customer behind these comments has an MRR."), field="weight"
            )
        by_tag = {row.reason: row for row in weights.rows}
        for row in body["rows"]:
            weight = by_tag.get(row["tag"])
            row["customers"] = weight.customers if weight else 0
            row["mrr_cents"] = weight.mrr_cents if weight else 0
            row["mrr_share"] = weight.share if weight else 0.0
        body["rows"].sort(key=lambda row: (-row["mrr_cents"], -row["count"], row["tag"]))
        body["customers"] = weights.customers
        body["mrr_cents"] = weights.total_mrr_cents
    return jsonify(body)


def _segment(key: str, value: str) -> tuple[str, str] | None:
    """The (attribute, value) filter; raises ApiError 400 for a half or unknown one."""
    if not key and not value:
        return None
    if not key or not value:
        raise ApiError(
            400,
            "invalid_parameter",
            _("Give both segment and value."),
            field="segment" if not key else "value",
        )
    if key not in reporting.segment_attributes():
        raise ApiError(
            400,
            "invalid_parameter",
            _("%(name)s is not a segment attribute.", name=key[:64]),
            field="segment",
        )
    return key, value
