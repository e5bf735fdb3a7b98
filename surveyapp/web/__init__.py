"""The web layer: blueprints, CSRF, login, error pages and response headers."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Register every blueprint and the request-wide web machinery."""
    from surveyapp.web import (
        access,
        admin,
        auth,
        contacts,
        dashboard,
        distribution,
        errors,
        headers,
        public,
    )

    csrf = CSRFProtect(app)
    # RFC 8058 one-click unsubscribe: mail clients POST without a CSRF token.
    csrf.exempt("surveyapp.web.distribution.unsubscribe")
    access.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(contacts.bp)
    app.register_blueprint(distribution.bp)
