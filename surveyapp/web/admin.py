"""placeholder while the blueprint is written."""
from flask import Blueprint

bp = Blueprint("admin", __name__)


@bp.route("/surveys")
def list_surveys():
    return ""


@bp.route("/users")
def list_users():
    return ""
