"""placeholder while the blueprint is written."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__)
