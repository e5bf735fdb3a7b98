"""API: a survey's responses, listed page by page or submitted one at a time."""

from __future__ import annotations

from typing import Any

from flask import Response as FlaskResponse
from flask import jsonify
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.models import Survey
from surveyapp.services import listings, representation, responses, taxonomy
from surveyapp.services.responses import AnswerValue
from surveyapp.web.api import schemas
from surveyapp.web.api.errors import ApiError
from surveyapp.web.api.inputs import encode_cursor, json_body, query
from surveyapp.web.api.openapi import cursor_param, date_param, int_param, operation
from surveyapp.web.api.surveys import load_survey

__all__: list[str] = []


@operation(
    "/surveys/<int:survey_id>/responses",
    "GET",
    summary=_l("List a survey's responses, oldest first, page by page"),
    description=_l(
        "Pass next_cursor as cursor to get the next page; null means this was the last. "
        "Anonymous surveys answer 409: their responses are only given as metrics."
    ),
    scope="read",
    tag="responses",
    response=schemas.RESPONSE_LIST,
    query=[
        date_param("start", _l("Only responses from this moment (inclusive).")),
        date_param("end", _l("Only responses before this moment (exclusive).")),
        cursor_param(),
        int_param("limit", _l("Responses per page."), 1, listings.MAX_PAGE_SIZE, 50),
    ],
)
def list_responses(survey_id: int) -> FlaskResponse:
    """One page of responses."""
    survey = load_survey(survey_id)
    args = query()
    page = listings.list_responses(
        survey, start=args["start"], end=args["end"], after=args["cursor"], limit=args["limit"]
    )
    hidden = taxonomy.hidden_codes()
    return jsonify(
        {
            "items": [
                representation.response_json(survey, response, hidden) for response in page.items
            ],
            "next_cursor": encode_cursor(page.next_after),
        }
    )


@operation(
    "/surveys/<int:survey_id>/responses",
    "POST",
    summary=_l("Submit one response server-side"),
    description=_l(
        'Either {"score": 9, "comment": "…"} (the main question and the first text question) '
        'or {"answers": [{"question_id": 31, "value": 9}, …]}. Optional: contact_email, '
        "language, attributes (segment values), created_at (to import past answers)."
    ),
    scope="write",
    tag="responses",
    status=201,
    response=schemas.RESPONSE_CREATED,
    body=schemas.RESPONSE_BODY,
)
def create_response(survey_id: int) -> tuple[FlaskResponse, int]:
    """Store a response; 201 with its id."""
    survey = load_survey(survey_id)
    data = json_body(schemas.RESPONSE_BODY)
    created_at = None
    if "created_at" in data:
        created_at = schemas.parse_datetime(data["created_at"], assume_utc=False)
    response = responses.submit_api_response(
        survey,
        _answers(survey, data),
        language=data.get("language"),
        contact_email=data.get("contact_email"),
        attributes=data.get("attributes"),
        created_at=created_at,
    )
    return jsonify({"id": response.id}), 201


def _answers(survey: Survey, data: dict[str, Any]) -> dict[int, AnswerValue]:
    """The answers of either body shape, by question id. Raises ApiError 422."""
    has_score = "score" in data or "comment" in data
    if has_score == ("answers" in data):
        raise ApiError(
            422, "invalid_input", _("Send either score (and comment) or answers."), "answers"
        )
    questions = {question.id: question for question in survey.questions}
    if "answers" in data:
        result: dict[int, AnswerValue] = {}
        for item in data["answers"]:
            question = questions.get(item["question_id"])
            if question is None:
                raise ApiError(
                    422,
                    "invalid_input",
                    _("Question %(id)s is not part of this survey.", id=item["question_id"]),
                    "answers",
                )
            if question.id in result:
                raise ApiError(
                    422,
                    "invalid_input",
                    _("Question %(id)s is answered twice.", id=question.id),
                    "answers",
                )
            result[question.id] = responses.api_answer(question, item["value"], item.get("text"))
        return result
    main = survey.main_question
    if main is None or main.scale is None:
        raise ApiError(
            422, "invalid_input", _("This survey has no score question: send answers."), "score"
        )
    result = {main.id: AnswerValue(number=data["score"])} if "score" in data else {}
    if data.get("comment"):
        comment = next((q for q in survey.questions if q.type == "text"), None)
        if comment is None:
            raise ApiError(422, "invalid_input", _("This survey has no text question."), "comment")
        result[comment.id] = AnswerValue(text=data["comment"])
    return result
