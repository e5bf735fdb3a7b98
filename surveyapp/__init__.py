"""surveyapp: a self-hosted feedback and survey service.

This module holds the application factory only; every resource is wired in
through an ``init_app(app)`` call so nothing happens at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent

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

    from surveyapp import cli, config, db, i18n, web

    config.load(app, test_config)
    db.init_app(app)
    i18n.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    return app
