"""placeholder while the blueprint is written."""

from flask import Blueprint

bp = Blueprint("distribution", __name__)
