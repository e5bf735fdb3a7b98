"""Health endpoints for load balancers and orchestrators: no login, no cookies, no rate limit.

``/healthz`` answers as long as the process serves requests (liveness);
``/readyz`` also asks the database, and checks that its schema is at the
migration this code expects (readiness). Neither reveals more than yes/no.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from surveyapp.services import health

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def liveness() -> Response:
    """200 while the process serves requests."""
    return _no_store(jsonify({"status": "ok"}))


@bp.route("/readyz")
def readiness() -> tuple[Response, int]:
    """200 when the database answers and is at the latest migration, else 503."""
    state = health.check_readiness()
    body = {
        "status": "ready" if state.ready else "unavailable",
        "checks": {
            "database": "ok" if state.database else "unreachable",
            "migrations": "ok" if state.migrations else "not at head",
        },
    }
    return _no_store(jsonify(body)), 200 if state.ready else 503


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
