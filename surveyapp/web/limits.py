"""Rate limits (Flask-Limiter): login attempts, respondent submissions and the JSON API.

Counters live in Redis when ``REDIS_URL`` is set (shared by every worker
process), else in the memory of each process. Limits are off when
``RATELIMIT_ENABLED`` is false, which is the default under ``TESTING``.

- ``POST /login``: ``RATELIMIT_LOGIN`` per client address (the account
  lockout in services.users protects each account on top of this).
- ``POST /p/<slug>`` and ``POST /s/<token>``: ``RATELIMIT_SUBMIT`` per client
  address. The address is only a counter key that expires with its window;
  it is never stored with a response.
- ``/api/v1``: ``RATELIMIT_API`` per API key, shared by all its endpoints.

Behind a reverse proxy the client address is only right with ProxyFix (see docs/deploy.md).
"""

from __future__ import annotations

import hashlib

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from surveyapp.web.api import bp as api_bp

__all__ = ["init_app"]

DEFAULTS = {
    "RATELIMIT_LOGIN": "10 per minute;50 per hour",
    "RATELIMIT_SUBMIT": "30 per minute",
    "RATELIMIT_API": "600 per minute",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_KEY_PREFIX": "surveyapp",
}
# Endpoints limited on POST per client address, and the setting holding their limit.
POST_LIMITS = {
    "auth.login": "RATELIMIT_LOGIN",
    "public.answer_public": "RATELIMIT_SUBMIT",
    "public.answer_invitation": "RATELIMIT_SUBMIT",
}


def init_app(app: Flask) -> Limiter:
    """Attach a limiter to ``app`` (after its blueprints are registered) and return it."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.config.setdefault("RATELIMIT_ENABLED", not app.config.get("TESTING", False))
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    limiter = Limiter(get_remote_address, app=app)
    # The wrapped views hold the limiter weakly: the application keeps it alive.
    app.extensions["surveyapp.limiter"] = limiter
    for endpoint, setting in POST_LIMITS.items():
        # Wrapping the view makes the limit apply to it alone, and only on POST.
        app.view_functions[endpoint] = limiter.limit(app.config[setting], methods=["POST"])(
            app.view_functions[endpoint]
        )
    limiter.shared_limit(app.config["RATELIMIT_API"], scope="api", key_func=_api_client)(api_bp)
    return limiter


def _api_client() -> str:
    """The presented API key, hashed so a counter name is no usable secret; else the address."""
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        return "key:" + hashlib.sha256(secret.strip().encode()).hexdigest()[:32]
    return "addr:" + get_remote_address()
