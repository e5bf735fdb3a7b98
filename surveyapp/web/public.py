"""placeholder while the blueprint is written."""
from flask import Blueprint

bp = Blueprint("public", __name__)
