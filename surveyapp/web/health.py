"""placeholder while the blueprint is written."""

from flask import Blueprint

bp = Blueprint("health", __name__)
