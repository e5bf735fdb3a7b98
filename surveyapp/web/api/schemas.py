"""JSON Schemas of the API's bodies and answers, and the small validator that enforces them.

The same dictionaries are served in the OpenAPI document and checked against
every request body, so the description cannot drift from what the code
accepts. The validator implements the subset of JSON Schema 2020-12 these
schemas use (type, properties, required, additionalProperties, propertyNames,
enum, minimum, maximum, minLength, maxLength, pattern, items, minItems,
maxItems, minProperties, maxProperties, format date-time), and refuses a
schema keyword it does not know rather than ignoring it.

Every string must also be storable: no NUL character and no lone surrogate,
which PostgreSQL and SQLite refuse.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.models.response import CHANNELS
from surveyapp.models.survey import KINDS, QUESTION_TYPES, STATUSES
from surveyapp.services.contact_csv import MAX_MRR
from surveyapp.services.invitations import HELD_BACK_REASONS, MAX_EMAILS
from surveyapp.services.surveys import MAX_TITLE_LENGTH, SUPPORTED_LANGUAGES

__all__ = [
    "CONTACT",
    "CONTACTS_BODY",
    "CONTACT_LIST",
    "CONTACT_REPORT",
    "ERROR",
    "INVITATIONS_BODY",
    "INVITATION_RESULT",
    "MAX_ID",
    "METRICS",
    "RESPONSE",
    "RESPONSE_BODY",
    "RESPONSE_CREATED",
    "RESPONSE_LIST",
    "SURVEY",
    "SURVEY_CREATE",
    "SURVEY_LIST",
    "SURVEY_PATCH",
    "WEBHOOKS",
    "parse_datetime",
    "validate",
    "webhook_body",
]

# Ids are 32-bit integers on every database; larger ones cannot exist.
MAX_ID = 2**31 - 1
MAX_CONTACTS_PER_REQUEST = 10_000
MAX_ATTRIBUTES = 50
ISO_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# No NUL: PostgreSQL cannot store it in a text column.
NO_NUL = "^[^\\u0000]*$"
_NO_NUL = re.compile(r"^[^\x00]*$")
_KNOWN_KEYWORDS = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "propertyNames",
    "enum",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "items",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "format",
    "description",
    "examples",
    "default",
}


def text(max_length: int, min_length: int = 0, **extra: Any) -> dict[str, Any]:
    """A string schema with a length bound and no NUL character."""
    return {
        "type": "string",
        "minLength": min_length,
        "maxLength": max_length,
        "pattern": NO_NUL,
    } | extra


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null."""
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    return schema | {"type": [*types, "null"]}


def identifier(description: str = "") -> dict[str, Any]:
    """A database id."""
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": description}


def obj(properties: dict[str, Any], required: Sequence[str] = (), **extra: Any) -> dict[str, Any]:
    """An object with exactly these properties (unknown fields are refused)."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    } | extra


DATE_TIME = {"type": "string", "format": "date-time"}
LANGUAGE = {"type": "string", "enum": list(SUPPORTED_LANGUAGES)}
TRANSLATED = {
    "type": "object",
    "description": "A text per language code.",
    "additionalProperties": {"type": "string"},
}
ATTRIBUTE_VALUE = {"type": ["string", "number", "boolean", "null"]}
ATTRIBUTES = {
    "type": "object",
    "maxProperties": MAX_ATTRIBUTES,
    "propertyNames": text(64, 1),
    "additionalProperties": ATTRIBUTE_VALUE,
}

ERROR = obj(
    {
        "error": obj(
            {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": nullable({"type": "string"}),
            },
            ["code", "message"],
        )
    },
    ["error"],
)

QUESTION = obj(
    {
        "id": identifier(),
        "position": {"type": "integer", "minimum": 0},
        "type": {"type": "string", "enum": list(QUESTION_TYPES)},
        "text": TRANSLATED,
        "required": {"type": "boolean"},
        "options": {
            "type": "array",
            "items": obj({"value": {"type": "string"}, "label": TRANSLATED}, ["value", "label"]),
        },
    },
    ["id", "position", "type", "text", "required", "options"],
)

# PRODUCT.md § Anonymity: k is never below 3; null means the workspace's threshold.
REPORTING_THRESHOLD = nullable(
    {
        "type": "integer",
        "minimum": 3,
        "maximum": 1000,
        "description": "The survey's anonymity threshold k (at least 3); null: the default.",
    }
)

SURVEY = obj(
    {
        "id": identifier(),
        "kind": {"type": "string", "enum": list(KINDS)},
        "title": {"type": "string"},
        "status": {"type": "string", "enum": list(STATUSES)},
        "language": LANGUAGE,
        "languages": {"type": "array", "items": LANGUAGE},
        "anonymous": {"type": "boolean"},
        "reporting_threshold": REPORTING_THRESHOLD,
        "public_slug": {"type": "string"},
        "public_url": {"type": "string"},
        "created_at": DATE_TIME,
        "activated_at": nullable(DATE_TIME),
        "closed_at": nullable(DATE_TIME),
        "questions": {"type": "array", "items": QUESTION},
    },
    [
        "id",
        "kind",
        "title",
        "status",
        "language",
        "languages",
        "anonymous",
        "public_slug",
        "public_url",
        "created_at",
        "activated_at",
        "closed_at",
        "questions",
    ],
)
SURVEY_LIST = obj({"items": {"type": "array", "items": SURVEY}}, ["items"])
SURVEY_CREATE = obj(
    {
        "kind": {"type": "string", "enum": list(KINDS)},
        "title": text(MAX_TITLE_LENGTH, 1),
        "language": LANGUAGE,
        "languages": {"type": "array", "items": LANGUAGE, "minItems": 1, "maxItems": 2},
        "anonymous": {"type": "boolean"},
        "reporting_threshold": REPORTING_THRESHOLD,
    },
    ["kind", "title"],
)
SURVEY_PATCH = obj(
    {
        "status": {"type": "string", "enum": list(STATUSES)},
        "reporting_threshold": REPORTING_THRESHOLD,
    },
    minProperties=1,
)

CONTACT = obj(
    {
        "id": identifier(),
        "email": {"type": "string"},
        "name": {"type": "string"},
        "language": nullable(LANGUAGE),
        "attributes": {"type": "object", "additionalProperties": ATTRIBUTE_VALUE},
        "unsubscribed": {"type": "boolean"},
        "created_at": DATE_TIME,
        "updated_at": DATE_TIME,
    },
    ["id", "email", "name", "language", "attributes", "unsubscribed", "created_at", "updated_at"],
)
CONTACT_LIST = obj(
    {"items": {"type": "array", "items": CONTACT}, "next_cursor": nullable({"type": "string"})},
    ["items", "next_cursor"],
)
CONTACTS_BODY = obj(
    {
        "contacts": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_CONTACTS_PER_REQUEST,
            "items": obj(
                {
                    "email": text(320),
                    "name": nullable(text(200)),
                    "language": nullable(text(32)),
                    "attributes": ATTRIBUTES,
                    # Customer history for the retention KPIs (all optional).
                    "status": {"type": ["string", "null"], "enum": ["active", "cancelled", None]},
                    "start_date": nullable(text(10, pattern=ISO_DATE)),
                    "cancel_date": nullable(text(10, pattern=ISO_DATE)),
                    "mrr": {"type": ["number", "null"], "minimum": 0, "maximum": int(MAX_MRR)},
                },
                ["email"],
            ),
        }
    },
    ["contacts"],
)
CONTACT_REPORT = obj(
    {
        "created": {"type": "integer", "minimum": 0},
        "updated": {"type": "integer", "minimum": 0},
        "errors": {
            "type": "array",
            "items": obj(
                {
                    "row": {"type": "integer", "minimum": 1},
                    "email": {"type": "string"},
                    "message": {"type": "string"},
                },
                ["row", "email", "message"],
            ),
        },
    },
    ["created", "updated", "errors"],
)

INVITATIONS_BODY = obj(
    {
        "emails": {"type": "array", "maxItems": MAX_EMAILS, "items": text(320)},
        "contact_ids": {"type": "array", "maxItems": MAX_EMAILS, "items": identifier()},
        "segment": {
            "type": "object",
            "maxProperties": MAX_ATTRIBUTES,
            "propertyNames": text(64, 1),
            "additionalProperties": text(200),
        },
    },
    minProperties=1,
    maxProperties=1,
    description="Exactly one audience: emails, contact_ids or segment.",
)
INVITATION_RESULT = obj(
    {
        "queued": {"type": "integer", "minimum": 0},
        "held_back": {
            "type": "array",
            "items": obj(
                {
                    "email": {"type": "string"},
                    "reason": {"type": "string", "enum": list(HELD_BACK_REASONS)},
                },
                ["email", "reason"],
            ),
        },
    },
    ["queued", "held_back"],
)

ANSWER_VALUE = {
    "type": ["integer", "string", "array"],
    "items": text(200),
    "maxItems": 30,
    "description": "A whole number (score questions), a text, or option value(s).",
}
RESPONSE_BODY = obj(
    {
        "score": {"type": "integer", "minimum": -(2**31), "maximum": MAX_ID},
        "comment": nullable(text(20_000)),
        "answers": {
            "type": "array",
            "maxItems": 100,
            "items": obj(
                {
                    "question_id": identifier(),
                    "value": ANSWER_VALUE | {"maxLength": 20_000, "pattern": NO_NUL},
                    "text": text(20_000),
                },
                ["question_id", "value"],
            ),
        },
        "contact_email": text(320),
        "language": LANGUAGE,
        "attributes": ATTRIBUTES,
        "created_at": DATE_TIME,
    },
    description="Either score (and comment) or answers.",
)
RESPONSE_CREATED = obj({"id": identifier()}, ["id"])
RESPONSE = obj(
    {
        "id": identifier(),
        "created_at": DATE_TIME,
        "updated_at": DATE_TIME,
        "language": {"type": "string"},
        "channel": {"type": "string", "enum": list(CHANNELS)},
        "completed": {"type": "boolean"},
        "score": nullable({"type": "integer"}),
        "contact_id": nullable(identifier()),
        "segment": {"type": "object", "additionalProperties": ATTRIBUTE_VALUE},
        "answers": {
            "type": "array",
            "items": obj(
                {
                    "question_id": identifier(),
                    "value": {"type": ["integer", "string", "array"], "items": {"type": "string"}},
                    "text": {"type": "string"},
                },
                ["question_id", "value"],
            ),
        },
        "tags": {
            "type": "array",
            "items": {"type": "string"},
            "description": "The churn-reason tags of the response's comments, by name.",
        },
    },
    [
        "id",
        "created_at",
        "updated_at",
        "language",
        "channel",
        "completed",
        "score",
        "contact_id",
        "segment",
        "answers",
        "tags",
    ],
)
RESPONSE_LIST = obj(
    {"items": {"type": "array", "items": RESPONSE}, "next_cursor": nullable({"type": "string"})},
    ["items", "next_cursor"],
)
METRIC_ROW = {
    "type": "object",
    "properties": {
        "period_start": nullable({"type": "string", "format": "date"}),
        "segment": nullable({"type": "string"}),
        "n": nullable({"type": "integer", "minimum": 0}),
        "promoters": {"type": "integer", "minimum": 0},
        "passives": {"type": "integer", "minimum": 0},
        "detractors": {"type": "integer", "minimum": 0},
        "nps": nullable({"type": "number", "minimum": -100, "maximum": 100}),
        "moe": nullable({"type": "number", "minimum": 0}),
        "csat": nullable({"type": "number", "minimum": 0, "maximum": 100}),
        "suppressed": {"type": "boolean"},
    },
    "required": ["period_start", "segment", "suppressed"],
}
METRICS = obj(
    {
        "survey_id": identifier(),
        "interval": {"type": "string"},
        "rows": {"type": "array", "items": METRIC_ROW},
    },
    ["survey_id", "interval", "rows"],
)


# ---- Webhook payloads (docs/webhooks.md), published under "webhooks" in the document ----------

WEBHOOK_CONTACT = obj(
    {"id": identifier(), "email": {"type": "string"}, "name": {"type": "string"}},
    ["id", "email", "name"],
)
WEBHOOK_RESPONSE = obj(
    {
        **RESPONSE["properties"],
        "survey_id": identifier(),
        "contact": nullable(WEBHOOK_CONTACT),
    },
    [*RESPONSE["required"], "survey_id", "contact"],
)
WEBHOOK_ANONYMOUS_RESPONSE = obj(
    {
        "survey_id": identifier(),
        "anonymous": {"type": "boolean", "enum": [True]},
        "date": {"type": "string", "pattern": ISO_DATE},
    },
    ["survey_id", "anonymous", "date"],
)
WEBHOOK_INVITATION_FAILED = obj(
    {
        "invitation_id": identifier(),
        "survey_id": identifier(),
        "contact_id": identifier(),
        "email": {"type": "string"},
        "reason": {"type": "string"},
        "failed_at": DATE_TIME,
    },
    ["invitation_id", "survey_id", "contact_id", "email", "reason", "failed_at"],
)
WEBHOOK_ALERT = obj(
    {
        "case_id": identifier(),
        "reason": {"type": "string", "enum": ["detractor", "low_csat", "cancellation"]},
        "survey_id": identifier(),
        "response_id": identifier(),
        "score": nullable({"type": "integer"}),
        "contact": nullable(WEBHOOK_CONTACT),
        "comment": nullable({"type": "string"}),
        "url": {"type": "string"},
    },
    ["case_id", "reason", "survey_id", "response_id", "score", "contact", "comment", "url"],
)
WEBHOOK_TEST = obj(
    {"endpoint_id": identifier(), "message": {"type": "string"}}, ["endpoint_id", "message"]
)


def webhook_body(event: str, data: dict[str, Any]) -> dict[str, Any]:
    """The schema of a webhook body: ``{"type": event, "timestamp", "data"}``."""
    return obj(
        {"type": {"type": "string", "enum": [event]}, "timestamp": DATE_TIME, "data": data},
        ["type", "timestamp", "data"],
    )


# Name in the document -> (what it reports, its body schema).
WEBHOOKS: dict[str, tuple[Any, dict[str, Any]]] = {
    "response.created": (
        _l("A response arrived"),
        webhook_body("response.created", WEBHOOK_RESPONSE),
    ),
    "response.created (anonymous survey)": (
        _l("An anonymous survey got a response that day (sent after the day ends, no content)"),
        webhook_body("response.created", WEBHOOK_ANONYMOUS_RESPONSE),
    ),
    "response.updated": (
        _l("A response was changed (never for anonymous surveys)"),
        webhook_body("response.updated", WEBHOOK_RESPONSE),
    ),
    "invitation.failed": (
        _l("An invitation email could not be delivered"),
        webhook_body("invitation.failed", WEBHOOK_INVITATION_FAILED),
    ),
    "alert.created": (
        _l("A detractor, a low CSAT or a cancellation opened a follow-up case"),
        webhook_body("alert.created", WEBHOOK_ALERT),
    ),
    "webhook.test": (
        _l("The test event sent from Settings → Webhooks"),
        webhook_body("webhook.test", WEBHOOK_TEST),
    ),
}


def parse_datetime(value: str, *, assume_utc: bool = True) -> dt.datetime | None:
    """An aware datetime from an ISO 8601 date or date-time; None when it is not one.

    A date alone means midnight UTC; without an offset the time is UTC when
    ``assume_utc``, else None.
    """
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        if not assume_utc:
            return None
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def validate(instance: Any, schema: Mapping[str, Any], path: str = "") -> list[tuple[str, str]]:
    """Every problem of ``instance`` against ``schema`` as ``(json pointer, message)``."""
    unknown = set(schema) - _KNOWN_KEYWORDS
    if unknown:
        raise ValueError(f"schema keyword(s) not supported: {sorted(unknown)}")
    where = path or "/"
    types = schema.get("type")
    if types is not None:
        allowed = types if isinstance(types, list) else [types]
        if not any(_is_type(instance, name) for name in allowed):
            return [(where, _("expected %(types)s", types=" or ".join(allowed)))]
    if "enum" in schema and instance not in schema["enum"]:
        choices = ", ".join(str(choice) for choice in schema["enum"])
        return [(where, _("must be one of: %(choices)s", choices=choices))]
    if isinstance(instance, str):
        return _string_problems(instance, schema, where)
    if isinstance(instance, bool):
        return []
    if isinstance(instance, int | float):
        return _number_problems(instance, schema, where)
    if isinstance(instance, list):
        return _array_problems(instance, schema, path)
    if isinstance(instance, dict):
        return _object_problems(instance, schema, path)
    return []


def _is_type(instance: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(instance, int) and not isinstance(instance, bool)
    if name == "number":
        return isinstance(instance, int | float) and not isinstance(instance, bool)
    checks: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "boolean": bool,
        "array": list,
        "object": dict,
        "null": type(None),
    }
    return isinstance(instance, checks[name])


def _string_problems(value: str, schema: Mapping[str, Any], where: str) -> list[tuple[str, str]]:
    if not _NO_NUL.match(value) or not _encodable(value):
        return [(where, _("contains a character that cannot be stored"))]
    if len(value) < schema.get("minLength", 0):
        return [(where, _("must not be empty"))]
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return [(where, _("must be at most %(n)s characters", n=schema["maxLength"]))]
    if "pattern" in schema and re.search(schema["pattern"], value) is None:
        return [(where, _("has an invalid format"))]
    if schema.get("format") == "date-time" and parse_datetime(value, assume_utc=False) is None:
        return [(where, _("must be an ISO 8601 date and time with a time zone"))]
    return []


def _number_problems(value: float, schema: Mapping[str, Any], where: str) -> list[tuple[str, str]]:
    if "minimum" in schema and value < schema["minimum"]:
        return [(where, _("must be at least %(n)s", n=schema["minimum"]))]
    if "maximum" in schema and value > schema["maximum"]:
        return [(where, _("must be at most %(n)s", n=schema["maximum"]))]
    return []


def _array_problems(
    values: list[Any], schema: Mapping[str, Any], path: str
) -> list[tuple[str, str]]:
    where = path or "/"
    if len(values) < schema.get("minItems", 0):
        return [(where, _("needs at least %(n)s item(s)", n=schema["minItems"]))]
    if "maxItems" in schema and len(values) > schema["maxItems"]:
        return [(where, _("takes at most %(n)s items", n=schema["maxItems"]))]
    problems: list[tuple[str, str]] = []
    if "items" in schema:
        for index, item in enumerate(values):
            problems.extend(validate(item, schema["items"], f"{path}/{index}"))
    return problems


def _object_problems(
    value: dict[str, Any], schema: Mapping[str, Any], path: str
) -> list[tuple[str, str]]:
    where = path or "/"
    if len(value) < schema.get("minProperties", 0):
        return [(where, _("needs at least %(n)s field(s)", n=schema["minProperties"]))]
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        return [(where, _("takes at most %(n)s field(s)", n=schema["maxProperties"]))]
    problems: list[tuple[str, str]] = [
        (f"{path}/{name}", _("is required"))
        for name in schema.get("required", ())
        if name not in value
    ]
    properties: Mapping[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        pointer = f"{path}/{_escape(key)}"
        if "propertyNames" in schema:
            problems.extend(validate(key, schema["propertyNames"], pointer))
        if key in properties:
            problems.extend(validate(item, properties[key], pointer))
        elif extra is False:
            problems.append((pointer, _("is not a known field")))
        elif isinstance(extra, Mapping):
            problems.extend(validate(item, extra, pointer))
    return problems


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _escape(key: str) -> str:
    """A key as a JSON pointer segment (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")
