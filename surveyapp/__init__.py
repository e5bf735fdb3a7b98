"""surveyapp: a self-hosted feedback and survey service.

This module holds the application factory only; every resource is wired in
through an ``init_app(app)`` call so nothing happens at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

ROOT = Path(__file__).resolve().parent.parent
# The X-Forwarded-* headers ProxyFix can trust, each with its PROXY_FIX_X_* setting.
PROXY_HEADERS = ("for", "proto", "host", "port", "prefix")

__all__ = ["ROOT", "create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build and configure a surveyapp Flask application.

    ``test_config`` replaces ``instance/config.py`` and the environment, so a
    test sees exactly the settings it passes.
    """
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
    )

    from surveyapp import cli, config, db, i18n, logging, web
    from surveyapp.services import rollups, survey_cache

    config.load(app, test_config)
    logging.init_app(app)
    db.init_app(app)
    rollups.init_app(app)
    survey_cache.init_app(app)
    i18n.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    _trust_proxies(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind a reverse proxy, read the client's address and scheme from its headers.

    ``PROXY_FIX_X_FOR`` etc. say how many proxies set each header; 0 (the
    default) trusts none, so a client cannot spoof its address.
    """
    counts = {name: int(app.config[f"PROXY_FIX_X_{name.upper()}"]) for name in PROXY_HEADERS}
    if any(counts.values()):
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, **{f"x_{name}": count for name, count in counts.items()}
        )
