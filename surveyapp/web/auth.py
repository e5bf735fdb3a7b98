"""First-run setup, login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from surveyapp.forms.auth import LoginForm, SetupForm
from surveyapp.services import users
from surveyapp.services.errors import Conflict, InvalidInput

bp = Blueprint("auth", __name__)


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> str | Response:
    """Create the first admin; only reachable while no account exists."""
    if users.any_user_exists():
        return redirect(url_for("auth.login"))
    form = SetupForm()
    if form.validate_on_submit():
        try:
            user = users.create_first_admin(
                form.email.data, form.password.data, form.name.data or ""
            )
        except InvalidInput as exc:
            getattr(form, exc.field or "email").errors.append(str(exc))
        except Conflict:
            return redirect(url_for("auth.login"))
        else:
            login_user(user)
            flash(_("Welcome! Your admin account is ready. Create your first survey."), "success")
            return redirect(url_for("admin.list_surveys"))
    return render_template("auth/setup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    """Log in with email and password."""
    if not users.any_user_exists():
        return redirect(url_for("auth.setup"))
    if current_user.is_authenticated:
        return redirect(url_for("admin.list_surveys"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = users.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(form.next.data) or url_for("admin.list_surveys"))
        form.password.errors.append(
            _(
                "Wrong email or password, or the account is locked for a few minutes "
                "after too many attempts."
            )
        )
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Log out (POST only, so a link on another site cannot log you out)."""
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after login (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
