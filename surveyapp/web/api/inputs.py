"""Reading a request: the JSON body checked against its schema, query parameters, cursors.

Everything is checked before any service is called, so a refused request
stores nothing.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any

from flask import current_app, request
from flask_babel import gettext as _

from surveyapp.web.api import schemas
from surveyapp.web.api.errors import ApiError
from surveyapp.web.api.openapi import OPERATIONS, Operation

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "body_limit",
    "encode_cursor",
    "json_body",
    "query",
    "raw_body",
]

# The API's own body limit; a CSV of contacts may use CONTACT_IMPORT_MAX_BYTES.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
_CURSOR_PREFIX = "after:"
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,10}")


def current_operation() -> Operation | None:
    """The declared operation of this request (HEAD counts as GET)."""
    method = "GET" if request.method == "HEAD" else request.method
    return OPERATIONS.get((request.endpoint or "", method))


def body_limit(op: Operation | None) -> int:
    """The largest body this request may send (``API_MAX_BODY_BYTES``, or the CSV import limit)."""
    limit = int(current_app.config.get("API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))
    if op is not None and "text/csv" in op.body_types and request.mimetype == "text/csv":
        return max(limit, int(current_app.config["CONTACT_IMPORT_MAX_BYTES"]))
    return limit


def raw_body() -> bytes:
    """The body's bytes; raises 413 (via werkzeug) past the limit."""
    return request.get_data(cache=False)


def json_body(schema: Mapping[str, Any]) -> Any:
    """The JSON body, checked against ``schema``.

    Raises ApiError 415 (not application/json), 400 (not JSON) or 422 (does not match).
    """
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", _("Send the body as application/json."))
    try:
        data = json.loads(raw_body(), parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", _("The body is not valid JSON.")) from None
    problems = schemas.validate(data, schema)
    if problems:
        pointer, message = problems[0]
        raise ApiError(422, "invalid_input", f"{pointer}: {message}", field=pointer)
    return data


def query() -> dict[str, Any]:
    """The declared query parameters of this request, read and checked (defaults filled in).

    Raises ApiError 400 naming the first bad parameter.
    """
    op = current_operation()
    values: dict[str, Any] = {}
    for param in op.query if op is not None else ():
        raw = request.args.get(param.name)
        if raw is None or raw == "":
            values[param.name] = param.default
            continue
        values[param.name] = _read(param.kind, param.name, raw, param.schema)
    return values


def encode_cursor(after: int | None) -> str | None:
    """The opaque cursor that continues after row ``after`` (None: no next page)."""
    if after is None:
        return None
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{after}".encode()).decode().rstrip("=")


def _read(kind: str, name: str, raw: str, schema: Mapping[str, Any]) -> Any:
    value: Any = raw
    if kind == "int":
        if _WHOLE_NUMBER.fullmatch(raw) is None:
            raise _bad_parameter(name, _("expected a whole number"))
        value = int(raw)
    elif kind == "datetime":
        value = schemas.parse_datetime(raw)
        if value is None:
            raise _bad_parameter(name, _("expected an ISO 8601 date such as 2026-01-31"))
        return value
    elif kind == "cursor":
        return _decode_cursor(name, raw)
    problems = schemas.validate(value, schema)
    if problems:
        raise _bad_parameter(name, problems[0][1])
    return value


def _decode_cursor(name: str, raw: str) -> int:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    number = text.removeprefix(_CURSOR_PREFIX)
    if not text.startswith(_CURSOR_PREFIX) or not number.isdigit() or len(number) > 10:
        raise _bad_parameter(name, _("not a cursor this API gave"))
    return int(number)


def _bad_parameter(name: str, message: str) -> ApiError:
    return ApiError(400, "invalid_parameter", f"{name}: {message}", field=name)


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON, and PostgreSQL's JSONB refuses them.
    raise ValueError(name)
