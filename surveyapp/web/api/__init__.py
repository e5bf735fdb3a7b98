"""The JSON API under /api/v1: API keys, JSON errors, an OpenAPI document that matches the code.

Importing the package registers every route on ``bp``.
"""

from surveyapp.web.api import auth, contacts, docs, errors, reasons, responses, surveys
from surveyapp.web.api.blueprint import bp

__all__ = ["auth", "bp", "contacts", "docs", "errors", "reasons", "responses", "surveys"]
