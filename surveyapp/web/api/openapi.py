"""The OpenAPI 3.1 document, built from the URL map and the operations the views declare.

Each API view is registered with ``operation(...)``, which adds the Flask
route and records what the document says about it: scope, query parameters,
body schema and answer schema. ``document(app)`` walks ``app.url_map``: a
route without a declared operation, or a declared operation without a route,
raises, so the document and the code cannot drift apart unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from surveyapp.web.api import schemas
from surveyapp.web.api.blueprint import PREFIX, bp

__all__ = [
    "OPERATIONS",
    "Operation",
    "Param",
    "cursor_param",
    "date_param",
    "document",
    "enum_param",
    "int_param",
    "operation",
    "text_param",
]

F = TypeVar("F", bound=Callable[..., Any])
JSON = "application/json"
# "<int:survey_id>" -> ("int", "survey_id"); "<token>" -> ("", "token").
_RULE_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


@dataclass(frozen=True)
class Param:
    """A query parameter: its schema in the document and how its text is read."""

    name: str
    description: Any
    schema: Mapping[str, Any]
    kind: str = "text"
    default: Any = None


@dataclass(frozen=True)
class Operation:
    """What the document says about one method of one route."""

    endpoint: str
    method: str
    summary: Any
    description: Any
    # "read" or "write"; None for the public document and docs page.
    scope: str | None
    status: int
    response: Mapping[str, Any] | None
    response_type: str = JSON
    body: Mapping[str, Any] | None = None
    body_types: tuple[str, ...] = (JSON,)
    query: tuple[Param, ...] = ()
    tags: tuple[str, ...] = field(default_factory=tuple)


# (endpoint, method) -> operation, filled as the view modules are imported.
OPERATIONS: dict[tuple[str, str], Operation] = {}


def operation(
    rule: str,
    method: str,
    *,
    summary: Any,
    scope: str | None,
    tag: str,
    status: int = 200,
    response: Mapping[str, Any] | None = None,
    response_type: str = JSON,
    body: Mapping[str, Any] | None = None,
    body_types: tuple[str, ...] = (JSON,),
    query: Sequence[Param] = (),
    description: Any = "",
) -> Callable[[F], F]:
    """Register the view as the API route ``rule`` for ``method`` and describe it."""

    def decorator(view: F) -> F:
        endpoint = f"{bp.name}.{view.__name__}"
        OPERATIONS[(endpoint, method)] = Operation(
            endpoint=endpoint,
            method=method,
            summary=summary,
            description=description,
            scope=scope,
            status=status,
            response=response,
            response_type=response_type,
            body=body,
            body_types=body_types,
            query=tuple(query),
            tags=(tag,),
        )
        bp.add_url_rule(rule, view_func=view, methods=[method])
        return view

    return decorator


def date_param(name: str, description: Any) -> Param:
    """An ISO 8601 date or date-time (UTC when it has no offset)."""
    return Param(name, description, {"type": "string", "examples": ["2026-01-01"]}, "datetime")


def int_param(name: str, description: Any, low: int, high: int, default: int) -> Param:
    """A whole number from ``low`` to ``high``."""
    schema = {"type": "integer", "minimum": low, "maximum": high, "default": default}
    return Param(name, description, schema, "int", default)


def enum_param(name: str, description: Any, values: Sequence[str], default: str | None) -> Param:
    """One of ``values``."""
    schema: dict[str, Any] = {"type": "string", "enum": list(values)}
    if default is not None:
        schema["default"] = default
    return Param(name, description, schema, "text", default)


def text_param(name: str, description: Any, max_length: int) -> Param:
    """A short text."""
    return Param(name, description, schemas.text(max_length), "text", "")


def cursor_param() -> Param:
    """The ``next_cursor`` of the previous page."""
    return Param(
        "cursor",
        _l("The next_cursor of the previous page; leave out for the first page."),
        schemas.text(100),
        "cursor",
    )


def document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every /api/v1 route of ``app``, in English.

    Raises LookupError when a route has no declared operation or the reverse.
    """
    with force_locale("en"):
        paths: dict[str, dict[str, Any]] = {}
        seen: set[tuple[str, str]] = set()
        for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
            if not rule.endpoint.startswith(bp.name + "."):
                continue
            path = _RULE_ARGUMENT.sub(r"{\2}", rule.rule.removeprefix(PREFIX))
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                op = OPERATIONS.get((rule.endpoint, method))
                if op is None:
                    raise LookupError(f"{method} {rule.rule} ({rule.endpoint}) is not described")
                seen.add((rule.endpoint, method))
                path_params = [
                    _path_param(name, converter)
                    for converter, name in _RULE_ARGUMENT.findall(rule.rule)
                ]
                paths.setdefault(path, {})[method.lower()] = _operation(op, path_params)
        stale = set(OPERATIONS) - seen
        if stale:
            raise LookupError(f"operations without a route: {sorted(stale)}")
        return {
            "openapi": "3.1.0",
            "info": {
                "title": "surveyapp API",
                "version": "1",
                "description": str(
                    _l(
                        "Surveys, contacts, invitations, responses and metrics. Authenticate "
                        "with Authorization: Bearer <API key>; a read key may only GET. "
                        'Errors are JSON: {"error": {"code", "message", "field"}}.'
                    )
                ),
            },
            "servers": [{"url": PREFIX}],
            "components": {
                "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
                "schemas": {"Error": schemas.ERROR},
            },
            "paths": paths,
            "webhooks": _webhooks(),
        }


def _webhooks() -> dict[str, Any]:
    """The events POSTed to subscribed URLs (Settings → Webhooks; docs/webhooks.md)."""
    headers = [
        {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
    ]
    return {
        name: {
            "post": {
                "summary": str(summary),
                "description": str(
                    _l(
                        "Signed with the endpoint's secret (Standard Webhooks). Answer 2xx; "
                        "408, 425, 429, 5xx and no answer are retried with backoff, any other "
                        "status fails the delivery at once."
                    )
                ),
                "parameters": headers,
                "requestBody": {"required": True, "content": {JSON: {"schema": schema}}},
                "responses": {"2XX": {"description": str(_l("Received."))}},
            }
        }
        for name, (summary, schema) in schemas.WEBHOOKS.items()
    }


def _path_param(name: str, converter: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if converter == "int":
        schema = {"type": "integer", "minimum": 0}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _operation(op: Operation, path_params: list[dict[str, Any]]) -> dict[str, Any]:
    success: dict[str, Any] = {"description": str(op.summary)}
    if op.response is not None:
        success["content"] = {op.response_type: {"schema": op.response}}
    result: dict[str, Any] = {
        "operationId": op.endpoint.removeprefix(bp.name + "."),
        "summary": str(op.summary),
        "tags": list(op.tags),
        "parameters": [
            *path_params,
            *(
                {
                    "name": param.name,
                    "in": "query",
                    "required": False,
                    "description": str(param.description),
                    "schema": dict(param.schema),
                }
                for param in op.query
            ),
        ],
        "responses": {
            str(op.status): success,
            "default": {
                "description": "An error: 400, 401, 403, 404, 409, 413, 415, 422 or 429.",
                "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        },
        "security": [{"apiKey": []}] if op.scope is not None else [],
        "x-scope": op.scope or "none",
    }
    if op.description:
        result["description"] = str(op.description)
    if op.body is not None:
        result["requestBody"] = {
            "required": True,
            "content": {
                content_type: {"schema": op.body if content_type == JSON else {"type": "string"}}
                for content_type in op.body_types
            },
        }
    return result
