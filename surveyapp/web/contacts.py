"""placeholder while the blueprint is written."""

from flask import Blueprint

bp = Blueprint("contacts", __name__)
