"""API authentication: ``Authorization: Bearer <key>``, and the scope each operation needs.

Runs before every API view: the declared operation says which scope it needs
(None for the public document), a missing or unknown key is 401 with a
``WWW-Authenticate`` challenge, a read key asking to write is 403. The
session cookie is never looked at.
"""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from surveyapp.models import ApiKey
from surveyapp.services import api_keys, audit
from surveyapp.web.api.blueprint import bp
from surveyapp.web.api.errors import ApiError
from surveyapp.web.api.inputs import body_limit, current_operation

__all__ = ["current_key"]


def current_key() -> ApiKey:
    """The API key of this request (set by the check below)."""
    return g.api_key


@bp.before_request
def _authenticate() -> None:
    op = current_operation()
    request.max_content_length = body_limit(op)
    if op is None or op.scope is None:
        return
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise ApiError(
            401,
            "unauthorized",
            _("Send an API key: Authorization: Bearer <key>."),
            headers={"WWW-Authenticate": 'Bearer realm="surveyapp"'},
        )
    key = api_keys.find_api_key(secret)
    if key is None:
        raise ApiError(
            401,
            "invalid_key",
            _("This API key is unknown or revoked."),
            headers={"WWW-Authenticate": 'Bearer realm="surveyapp", error="invalid_token"'},
        )
    if not api_keys.scope_allows(key.scope, op.scope):
        raise ApiError(
            403,
            "insufficient_scope",
            _(
                "This API key has the %(scope)s scope; this needs %(needed)s.",
                scope=key.scope,
                needed=op.scope,
            ),
        )
    g.api_key = key
    audit.set_actor(audit.Actor(f"API key {key.name} ({key.prefix}…)"))
