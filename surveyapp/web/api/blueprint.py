"""The ``api`` blueprint object, apart so that every API module can add routes to it."""

from __future__ import annotations

from flask import Blueprint

__all__ = ["PREFIX", "bp"]

PREFIX = "/api/v1"

bp = Blueprint("api", __name__, url_prefix=PREFIX)
