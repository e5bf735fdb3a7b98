"""JSON errors for everything under /api/v1: ``{"error": {"code", "message", "field"}}``.

Service errors map to statuses here (NotFound 404, Gone 410, Conflict 409,
InvalidInput 422); HTTP errors keep their status with a snake_case code; an
unexpected exception is logged by Flask and answered 500 without details. A URL under
/api/v1 that matches no route (404) or not with this method (405) is
answered here too, before the HTML error pages can see it.
"""

from __future__ import annotations

import re

from flask import Response, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from surveyapp.services.errors import Conflict, Gone, InvalidInput, NotFound, ServiceError
from surveyapp.web.api.blueprint import PREFIX, bp

__all__ = ["ApiError", "error_response"]

_SERVICE_STATUSES: dict[type[ServiceError], tuple[int, str]] = {
    NotFound: (404, "not_found"),
    Gone: (410, "gone"),
    Conflict: (409, "conflict"),
    InvalidInput: (422, "invalid_input"),
}


class ApiError(Exception):
    """An error the API answers with ``status`` and a machine-readable ``code``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}


def error_response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The JSON error document with its status (and headers such as WWW-Authenticate)."""
    body: dict[str, object] = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    response = jsonify({"error": body})
    response.status_code = status
    response.headers.update(headers or {})
    return response


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    return error_response(error.status, error.code, error.message, error.field, error.headers)


@bp.errorhandler(ServiceError)
def _service_error(error: ServiceError) -> Response:
    status, code = next(
        (value for kind, value in _SERVICE_STATUSES.items() if isinstance(error, kind)),
        (400, "bad_request"),
    )
    return error_response(status, code, str(error), getattr(error, "field", None))


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    return _from_http_exception(error)


@bp.before_app_request
def _unrouted_api_request() -> Response | None:
    """Answer 404/405 in JSON for an /api/v1 URL that matched no route."""
    failure = request.routing_exception
    if failure is None or not request.path.startswith(PREFIX + "/"):
        return None
    if isinstance(failure, HTTPException):
        return _from_http_exception(failure)
    return None


def _from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    headers: dict[str, str] = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    for name, value in error.get_headers():
        if name.lower() == "retry-after":
            headers["Retry-After"] = value
    code = re.sub(r"[^a-z0-9]+", "_", (error.name or "error").lower()).strip("_")
    return error_response(status, code, _http_message(status), headers=headers)


def _http_message(status: int) -> str:
    messages = {
        400: _("The request is malformed."),
        401: _("Send a valid API key: Authorization: Bearer <key>."),
        403: _("This API key may not do that."),
        404: _("Nothing here: check the URL and the id."),
        405: _("This URL does not accept this method."),
        413: _("The request body is too large."),
        415: _("Send the body as application/json."),
        429: _("Too many requests: slow down and retry later."),
    }
    return messages.get(status, _("The request could not be handled."))
