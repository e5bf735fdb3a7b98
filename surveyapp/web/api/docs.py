"""API: the OpenAPI document and a readable page made from it, both open to everyone."""

from __future__ import annotations

import json

from flask import Response, current_app, jsonify, render_template
from flask_babel import lazy_gettext as _l

from surveyapp.web.api.openapi import document, operation

__all__: list[str] = []

_DOCUMENT_KEY = "surveyapp.openapi"


def _cached_document() -> dict[str, object]:
    """The document, built once per application (the routes do not change while it runs)."""
    if _DOCUMENT_KEY not in current_app.extensions:
        current_app.extensions[_DOCUMENT_KEY] = document(current_app)
    return current_app.extensions[_DOCUMENT_KEY]


@operation(
    "/openapi.json",
    "GET",
    summary=_l("This API's OpenAPI 3.1 description"),
    scope=None,
    tag="documentation",
    response={"type": "object"},
)
def openapi_document() -> Response:
    """The OpenAPI document."""
    return jsonify(_cached_document())


@operation(
    "/docs",
    "GET",
    summary=_l("This API's documentation, as a web page"),
    scope=None,
    tag="documentation",
    response={"type": "string"},
    response_type="text/html",
)
def api_docs() -> str:
    """The documentation page, rendered from the OpenAPI document."""
    spec = _cached_document()
    return render_template("api/docs.html", spec=spec, as_json=_pretty)


def _pretty(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
