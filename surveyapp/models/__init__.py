"""Typed SQLAlchemy models, one module per aggregate; importing this registers them all."""

from surveyapp.models.audit import AuditEvent
from surveyapp.models.base import Base, utcnow
from surveyapp.models.contact import AttributeDefinition, Contact
from surveyapp.models.customer import ContactEvent
from surveyapp.models.followup import Alert, AlertPreference, AlertSubscription, Case, CaseNote
from surveyapp.models.invitation import Invitation
from surveyapp.models.org import Team, TeamManager
from surveyapp.models.outbox import OutboxMessage
from surveyapp.models.pulse import PulseWave
from surveyapp.models.response import Answer, Response
from surveyapp.models.rollup import DailyRollup, RollupState
from surveyapp.models.survey import Question, Survey, SurveyShare
from surveyapp.models.tagging import AnswerTag
from surveyapp.models.taxonomy import ReasonKeyword, ReasonTag, RetagJob, TagCorrection
from surveyapp.models.user import ApiKey, User
from surveyapp.models.webhook import WebhookDelivery, WebhookEndpoint

__all__ = [
    "Alert",
    "AlertPreference",
    "AlertSubscription",
    "Answer",
    "AnswerTag",
    "ApiKey",
    "AttributeDefinition",
    "AuditEvent",
    "Base",
    "Case",
    "CaseNote",
    "Contact",
    "ContactEvent",
    "DailyRollup",
    "Invitation",
    "OutboxMessage",
    "PulseWave",
    "Question",
    "ReasonKeyword",
    "ReasonTag",
    "Response",
    "RetagJob",
    "RollupState",
    "Survey",
    "SurveyShare",
    "TagCorrection",
    "Team",
    "TeamManager",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "utcnow",
]
