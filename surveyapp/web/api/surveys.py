"""API: surveys (list, create from a kind, read, change status), invitations and metrics."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, current_app, jsonify, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.models import Question, Survey
from surveyapp.models.survey import KINDS, STATUSES
from surveyapp.services import anonymity, invitations, reporting, survey_access, surveys
from surveyapp.web.api import schemas
from surveyapp.web.api.errors import ApiError
from surveyapp.web.api.inputs import json_body, query
from surveyapp.web.api.openapi import enum_param, operation, text_param

__all__ = ["iso", "load_survey", "survey_json"]

INTERVALS = ("day", "week", "month", "quarter")


def iso(moment: dt.datetime | None) -> str | None:
    """An aware datetime as ISO 8601, or None."""
    return moment.isoformat() if moment is not None else None


def load_survey(survey_id: int) -> Survey:
    """The survey, or ApiError 404 (also for ids no database can hold, and eNPS surveys).

    API keys belong to no person, so they never see the surveys only HR sees
    (services.survey_access).
    """
    if not 0 < survey_id <= schemas.MAX_ID:
        raise ApiError(404, "not_found", _("No such survey."))
    survey = surveys.get_survey(survey_id)
    if not survey_access.survey_access(None, survey).full:
        raise ApiError(404, "not_found", _("No such survey."))
    return survey


def survey_json(survey: Survey) -> dict[str, Any]:
    """The survey as the API shows it, with its questions."""
    public_path = url_for("public.answer_public", slug=survey.public_slug)
    return {
        "id": survey.id,
        "kind": survey.kind,
        "title": survey.title,
        "status": survey.status,
        "language": survey.default_language,
        "languages": list(survey.languages),
        "anonymous": survey.anonymous,
        "reporting_threshold": survey.reporting_threshold,
        "public_slug": survey.public_slug,
        "public_url": current_app.config["BASE_URL"] + public_path,
        "created_at": iso(survey.created_at),
        "activated_at": iso(survey.activated_at),
        "closed_at": iso(survey.closed_at),
        "questions": [_question_json(question) for question in survey.questions],
    }


def _question_json(question: Question) -> dict[str, Any]:
    return {
        "id": question.id,
        "position": question.position,
        "type": question.type,
        "text": dict(question.text),
        "required": question.required,
        "options": [
            {"value": str(option.get("value")), "label": dict(option.get("label") or {})}
            for option in question.options
        ],
    }


@operation(
    "/surveys",
    "GET",
    summary=_l("List surveys, newest first"),
    scope="read",
    tag="surveys",
    response=schemas.SURVEY_LIST,
    query=[
        enum_param("status", _l("Only surveys in this status."), STATUSES, None),
        enum_param("kind", _l("Only surveys of this kind."), KINDS, None),
    ],
)
def list_surveys() -> Response:
    """Every survey, filtered by status and kind."""
    args = query()
    items = [
        survey_json(survey)
        for survey in survey_access.visible_surveys(None, surveys.list_surveys())
        if args["status"] in (None, survey.status) and args["kind"] in (None, survey.kind)
    ]
    return jsonify({"items": items})


@operation(
    "/surveys",
    "POST",
    summary=_l("Create a draft survey from a kind, with its default questions"),
    scope="write",
    tag="surveys",
    status=201,
    response=schemas.SURVEY,
    body=schemas.SURVEY_CREATE,
)
def create_survey() -> tuple[Response, int, dict[str, str]]:
    """Create a survey; 201 with its Location."""
    data = json_body(schemas.SURVEY_CREATE)
    if data["kind"] in survey_access.RESTRICTED_KINDS:
        raise ApiError(
            403,
            "restricted_kind",
            _("Only HR sees eNPS surveys: create them in the app, not with an API key."),
            "kind",
        )
    _check_threshold(data)
    survey = surveys.create_survey(
        data["kind"],
        data["title"],
        language=data.get("language", "en"),
        languages=data.get("languages"),
        anonymous=data.get("anonymous"),
    )
    if data.get("reporting_threshold") is not None:
        survey = anonymity.set_reporting_threshold(survey.id, data["reporting_threshold"])
    location = url_for("api.get_survey", survey_id=survey.id)
    return jsonify(survey_json(survey)), 201, {"Location": location}


@operation(
    "/surveys/<int:survey_id>",
    "GET",
    summary=_l("Read a survey and its questions"),
    scope="read",
    tag="surveys",
    response=schemas.SURVEY,
)
def get_survey(survey_id: int) -> Response:
    """One survey."""
    return jsonify(survey_json(load_survey(survey_id)))


@operation(
    "/surveys/<int:survey_id>",
    "PATCH",
    summary=_l("Change a survey's status (draft, active, closed) or reporting threshold"),
    description=_l(
        "draft -> active -> closed, and closed -> active again; 422 when the survey is not "
        "ready to be activated, 409 for a move that is not allowed (back to draft). "
        "reporting_threshold is the survey's anonymity threshold k, at least 3 (422 below); "
        "null gives it the workspace's threshold again."
    ),
    scope="write",
    tag="surveys",
    response=schemas.SURVEY,
    body=schemas.SURVEY_PATCH,
)
def update_survey(survey_id: int) -> Response:
    """Change the status and/or the reporting threshold."""
    survey = load_survey(survey_id)
    data = json_body(schemas.SURVEY_PATCH)
    _check_threshold(data)
    if "reporting_threshold" in data:
        survey = anonymity.set_reporting_threshold(survey_id, data["reporting_threshold"])
    if "status" in data:
        survey = surveys.set_status(survey_id, data["status"])
    return jsonify(survey_json(survey))


def _check_threshold(data: dict[str, Any]) -> None:
    """422 for a threshold below 3, before anything is written (the schema says so too)."""
    k = data.get("reporting_threshold")
    if k is not None and k < anonymity.MIN_K:
        raise ApiError(
            422,
            "invalid_input",
            _("The reporting threshold is at least %(min)s.", min=anonymity.MIN_K),
            "reporting_threshold",
        )


@operation(
    "/surveys/<int:survey_id>/invitations",
    "POST",
    summary=_l("Invite contacts by emails, contact ids or a segment; queued for sending"),
    description=_l(
        "Unknown emails become contacts. Contacts who unsubscribed, were already invited "
        "to this survey or were surveyed recently (throttling) are held back with a reason."
    ),
    scope="write",
    tag="surveys",
    status=202,
    response=schemas.INVITATION_RESULT,
    body=schemas.INVITATIONS_BODY,
)
def create_invitations(survey_id: int) -> tuple[Response, int]:
    """Queue invitations; 202 with what was queued and who was held back."""
    load_survey(survey_id)
    data = json_body(schemas.INVITATIONS_BODY)
    result = invitations.invite_contacts(
        survey_id,
        contact_ids=data.get("contact_ids"),
        emails=data.get("emails"),
        segment=data.get("segment"),
    )
    held_back = [{"email": email, "reason": reason} for email, reason in result.held_back]
    return jsonify({"queued": result.queued, "held_back": held_back}), 202


@operation(
    "/surveys/<int:survey_id>/metrics",
    "GET",
    summary=_l("The survey's score per period (and per segment value)"),
    description=_l(
        "One row per period: n, promoters, passives, detractors, nps and moe (csat and moe "
        "for CSAT surveys). Rows about too few responses of an anonymous survey are "
        "marked suppressed and carry no number. start and end are days (YYYY-MM-DD), end "
        "exclusive."
    ),
    scope="read",
    tag="surveys",
    response=schemas.METRICS,
    query=[
        enum_param("interval", _l("The length of a period."), INTERVALS, "week"),
        text_param("start", _l("First day (YYYY-MM-DD)."), 10),
        text_param("end", _l("Day after the last one (YYYY-MM-DD)."), 10),
        text_param("segment", _l("A segment attribute to break each period down by."), 64),
    ],
)
def survey_metrics(survey_id: int) -> Response:
    """Metrics by period."""
    load_survey(survey_id)
    args = query()
    rows = reporting.metrics_by_period(
        survey_id,
        args["interval"],
        args["start"] or None,
        args["end"] or None,
        args["segment"] or None,
    )
    return jsonify({"survey_id": survey_id, "interval": args["interval"], "rows": rows})
