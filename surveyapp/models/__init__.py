"""Typed SQLAlchemy models, one module per aggregate; importing this registers them all."""

from surveyapp.models.base import Base, utcnow
from surveyapp.models.contact import AttributeDefinition, Contact
from surveyapp.models.invitation import Invitation
from surveyapp.models.outbox import OutboxMessage
from surveyapp.models.response import Answer, Response
from surveyapp.models.survey import Question, Survey
from surveyapp.models.user import ApiKey, User

__all__ = [
    "Answer",
    "ApiKey",
    "AttributeDefinition",
    "Base",
    "Contact",
    "Invitation",
    "OutboxMessage",
    "Question",
    "Response",
    "Survey",
    "User",
    "utcnow",
]
