"""Structured logs: JSON lines when ``LOG_FORMAT=json``, and one access line per request.

Respondents' privacy holds in the logs too (PRODUCT.md § Anonymity): no log
line carries a client address, a user agent, or the token or slug of a
respondent URL. The access line names the route pattern (``/s/<token>``),
never the concrete path; the development server's own access log (werkzeug)
is rewritten the same way. Under gunicorn the access log is off
(gunicorn.conf.py) and this line replaces it.

Settings: ``LOG_FORMAT`` ("text" or "json", default "text"), ``LOG_LEVEL``
(default "INFO").
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
import time
from typing import Any

from flask import Flask, Response, g, has_request_context, request

__all__ = ["JsonFormatter", "RedactingFilter", "init_app"]

ACCESS_LOGGER = "surveyapp.access"
REQUEST_ID_HEADER = "X-Request-ID"
_HANDLER_NAME = "surveyapp-json"
# A werkzeug access line: 'ADDRESS - - [DATE] "METHOD /path HTTP/1.1" ...'.
_RESPONDENT_PATH = re.compile(r"(/[sp]/)[^\s?\"]+(\?[^\s\"]*)?")
_LEADING_ADDRESS = re.compile(r"^\S+ - - ")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Attributes every LogRecord has; anything else was passed with ``extra=``.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time, level, logger, message, extra fields, request id."""

    def format(self, record: logging.LogRecord) -> str:
        """The JSON line of ``record``."""
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if has_request_context() and "request_id" in g:
            entry.setdefault("request_id", g.request_id)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class RedactingFilter(logging.Filter):
    """Removes the client address and respondent tokens from werkzeug's access lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; always keep it."""
        message = record.getMessage()
        redacted = _RESPONDENT_PATH.sub(r"\1…", _LEADING_ADDRESS.sub("- - - ", message))
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def init_app(app: Flask) -> None:
    """Set up the log format, the access line and the werkzeug redaction."""
    app.config.setdefault("LOG_FORMAT", "text")
    app.config.setdefault("LOG_LEVEL", "INFO")
    root = logging.getLogger()
    if app.config["LOG_FORMAT"] == "json":
        handler = logging.StreamHandler()
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(JsonFormatter())
        for existing in list(root.handlers):
            if existing.get_name() == _HANDLER_NAME:
                root.removeHandler(existing)
        root.addHandler(handler)
        root.setLevel(app.config["LOG_LEVEL"])
        # Flask's own handler would print every app.logger line a second time, as text.
        from flask.logging import default_handler

        app.logger.removeHandler(default_handler)
    werkzeug_logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactingFilter) for f in werkzeug_logger.filters):
        werkzeug_logger.addFilter(RedactingFilter())
    app.before_request(_start)
    app.after_request(_access_line)


def _start() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _REQUEST_ID.fullmatch(given) else secrets.token_hex(8)


def _access_line(response: Response) -> Response:
    started = g.get("request_started")
    rule = request.url_rule.rule if request.url_rule is not None else "(no route)"
    logging.getLogger(ACCESS_LOGGER).info(
        "%s %s %s",
        request.method,
        rule,
        response.status_code,
        extra={
            "method": request.method,
            "route": rule,
            "endpoint": request.endpoint,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "request_id": g.get("request_id"),
        },
    )
    if "request_id" in g:
        response.headers.setdefault(REQUEST_ID_HEADER, g.request_id)
    return response
