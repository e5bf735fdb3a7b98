"""Languages: Flask-Babel set-up and the choice of language for each request.

Respondent pages set ``g.respondent_language`` (from the contact or the
survey) before rendering; everywhere else the browser's Accept-Language
decides among the supported languages.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_babel import Babel, get_locale

from surveyapp import ROOT

__all__ = ["best_language", "init_app", "supported_languages"]


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with the catalogues in ``surveyapp/translations``."""
    Babel(
        app,
        locale_selector=_select_locale,
        default_translation_directories=str(ROOT / "surveyapp" / "translations"),
    )
    app.context_processor(_language_context)


def supported_languages() -> list[str]:
    """The language codes this installation offers (``LANGUAGES`` setting)."""
    return list(current_app.config["LANGUAGES"])


def best_language(*preferred: str | None) -> str:
    """The first supported language among ``preferred``, else Accept-Language, else the default."""
    supported = supported_languages()
    for code in preferred:
        if code:
            short = code.split("-")[0].split("_")[0].lower()
            if short in supported:
                return short
    from_browser = request.accept_languages.best_match(supported) if request else None
    return from_browser or current_app.config["BABEL_DEFAULT_LOCALE"]


def _select_locale() -> str:
    chosen = g.get("respondent_language")
    return chosen or best_language()


def _language_context() -> dict[str, str]:
    return {"current_language": str(get_locale() or "en")}
