"""Who may see what: Flask-Login set-up, the role check for staff routes, and eNPS access.

Every staff route about one survey (``survey_id`` in its URL) goes through
``services.survey_access`` before its view runs: an eNPS survey is 404 for
an account that is neither HR nor given a share, on every page, export and
form about it. Team-only access (a manager) opens only ``TEAM_SCOPED_ENDPOINTS``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Flask, abort, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user

from surveyapp.services import survey_access, users

__all__ = ["TEAM_SCOPED_ENDPOINTS", "init_app", "role_required"]

# The pages a manager with team-only access may open (their teams' numbers only).
TEAM_SCOPED_ENDPOINTS = frozenset({"enps.dashboard"})
# The API authenticates with keys and checks access itself (web/api/surveys.py).
_SELF_CHECKED_BLUEPRINTS = ("api",)

P = ParamSpec("P")
R = TypeVar("R")


def init_app(app: Flask) -> None:
    """Attach Flask-Login; sessions are loaded through the users service."""
    # Flask-Login's own context processor loads the user for every template: on a
    # respondent's cookie (no login) its session protection then rewrites the session and
    # clears the remember cookie on every page. The proxy loads the user only when a
    # template reads it (the staff pages).
    manager = LoginManager(app, add_context_processor=False)
    app.context_processor(_current_user_context)
    manager.login_view = "auth.login"
    manager.login_message = _l("Please log in to see this page.")
    manager.login_message_category = "info"
    manager.session_protection = "strong"
    manager.user_loader(_load_user)
    app.before_request(_check_survey_access)


def _check_survey_access() -> None:
    """404 for a survey's staff page when the logged-in account may not see that survey."""
    survey_id = (request.view_args or {}).get("survey_id")
    if not isinstance(survey_id, int) or request.blueprint in _SELF_CHECKED_BLUEPRINTS:
        return
    # Anyone not logged in is sent to the login page by role_required, as before.
    if not current_user.is_authenticated:
        return
    teams_enough = request.endpoint in TEAM_SCOPED_ENDPOINTS
    if not survey_access.may_open(current_user, survey_id, teams_enough=teams_enough):
        abort(404)


def _current_user_context() -> dict[str, object]:
    return {"current_user": current_user}


def _load_user(user_id: str) -> users.User | None:
    return users.get_active_user(int(user_id)) if user_id.isdigit() else None


def role_required(role: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Allow the view to logged-in users whose role is ``role`` or above; else 401/403.

    A browser that is not logged in is sent to the login page (or to the
    first-run setup page when no account exists yet).
    """

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.is_authenticated:
                if not users.any_user_exists():
                    return redirect(url_for("auth.setup"))  # type: ignore[return-value]
                if request.method == "GET":
                    return redirect(url_for("auth.login", next=request.full_path))  # type: ignore[return-value]
                abort(401)
            if not current_user.can(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
