"""Who may see what: Flask-Login set-up and the role check for staff routes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Flask, abort, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user

from surveyapp.services import users

__all__ = ["init_app", "role_required"]

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
