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
        api,
        auth,
        cases,
        contacts,
        dashboard,
        distribution,
        enps,
        errors,
        headers,
        health,
        limits,
        public,
        reasons,
        settings,
        taxonomy,
        webhooks,
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
    app.register_blueprint(reasons.bp)
    app.register_blueprint(contacts.bp)
    app.register_blueprint(distribution.bp)
    app.register_blueprint(settings.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(taxonomy.bp)
    app.register_blueprint(enps.bp)
    app.register_blueprint(health.bp)
    # The API authenticates with keys, never with the session cookie: no CSRF token.
    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)
    # Last: it wraps the views of every blueprint registered above.
    limits.init_app(app)
