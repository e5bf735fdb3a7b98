"""One response as JSON, the same for the API (``/api/v1``) and webhook payloads.

A tag of a retired or merged reason (``taxonomy.hidden_codes``) is left out, as
on every dashboard.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from surveyapp.models import Answer, Response, Survey
from surveyapp.services import taxonomy

__all__ = ["response_json"]


def response_json(
    survey: Survey,
    response: Response,
    hidden: frozenset[str] | None = None,
    tags: Iterable[str] | None = None,
) -> dict[str, Any]:
    """One response of ``survey`` as JSON; ``hidden`` (read when not given) are the reason
    codes left out of its tags, and ``tags`` its stored tags when the caller read them
    (else the answers' ``tags``)."""
    types = {question.id: question.type for question in survey.questions}
    hidden = taxonomy.hidden_codes() if hidden is None else hidden
    if tags is None:
        tags = (tag.tag for answer in response.answers for tag in answer.tags)
    return {
        "id": response.id,
        "created_at": response.created_at.isoformat(),
        "updated_at": response.updated_at.isoformat(),
        "language": response.language,
        "channel": response.channel,
        "completed": response.completed,
        "score": response.score,
        "contact_id": response.contact_id,
        "segment": dict(response.segment or {}),
        "answers": [
            _answer_json(types.get(answer.question_id, ""), answer) for answer in response.answers
        ],
        "tags": sorted(set(tags) - hidden),
    }


def _answer_json(question_type: str, answer: Answer) -> dict[str, Any]:
    item: dict[str, Any] = {"question_id": answer.question_id}
    if answer.value_number is not None:
        item["value"] = answer.value_number
    elif answer.choices:
        choices = [str(choice) for choice in answer.choices]
        item["value"] = choices if question_type == "multiple_choice" else choices[0]
        if answer.text:
            item["text"] = answer.text
    else:
        item["value"] = answer.text or ""
    return item
