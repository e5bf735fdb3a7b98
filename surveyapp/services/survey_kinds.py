"""The survey kinds of PRODUCT.md and the default questions each starts with, in English and French.

``{company}`` and ``{topic}`` in a question's text are filled in when it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CANCELLATION_REASONS",
    "DEFAULT_TOPIC",
    "KIND_TEMPLATES",
    "KindTemplate",
    "QuestionTemplate",
]


@dataclass(frozen=True)
class QuestionTemplate:
    """A question a new survey of some kind starts with."""

    type: str
    text: dict[str, str]
    required: bool = False
    options: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class KindTemplate:
    """What a new survey of a kind looks like."""

    kind: str
    label: dict[str, str]
    questions: tuple[QuestionTemplate, ...]
    anonymous: bool = False


REASON_FOLLOW_UP = {
    "en": "What is the main reason for your score?",
    "fr": "Quelle est la principale raison de votre note ?",
}

# The cancellation survey's choices are the churn-reason tags of PRODUCT.md.
CANCELLATION_REASONS: tuple[tuple[str, dict[str, str]], ...] = (
    ("price", {"en": "It is too expensive", "fr": "C'est trop cher"}),
    (
        "missing_feature",
        {
            "en": "A feature I need is missing",
            "fr": "Il manque une fonctionnalité dont j'ai besoin",
        },
    ),
    ("bugs_reliability", {"en": "Too many bugs or outages", "fr": "Trop de bugs ou de pannes"}),
    ("performance", {"en": "It is too slow", "fr": "C'est trop lent"}),
    ("usability", {"en": "It is too hard to use", "fr": "C'est trop difficile à utiliser"}),
    ("support", {"en": "Support did not help me", "fr": "Le support ne m'a pas aidé"}),
    (
        "competitor",
        {"en": "I am switching to another product", "fr": "Je passe à un autre produit"},
    ),
    ("no_longer_needed", {"en": "I no longer need it", "fr": "Je n'en ai plus besoin"}),
    (
        "business_closed",
        {"en": "My business is closing", "fr": "Mon entreprise cesse son activité"},
    ),
    ("other", {"en": "Other", "fr": "Autre"}),
)

KIND_TEMPLATES: dict[str, KindTemplate] = {
    "nps": KindTemplate(
        kind="nps",
        label={"en": "Net Promoter Score (NPS)", "fr": "Net Promoter Score (NPS)"},
        questions=(
            QuestionTemplate(
                type="nps",
                required=True,
                text={
                    "en": "How likely are you to recommend {company} to a friend or colleague?",
                    "fr": (
                        "Quelle est la probabilité que vous recommandiez {company} "
                        "à un ami ou à un collègue ?"
                    ),
                },
            ),
            QuestionTemplate(type="text", text=REASON_FOLLOW_UP, settings={"long": True}),
        ),
    ),
    "enps": KindTemplate(
        kind="enps",
        label={"en": "Employee NPS (eNPS)", "fr": "eNPS (NPS employés)"},
        anonymous=True,
        questions=(
            QuestionTemplate(
                type="nps",
                required=True,
                text={
                    "en": "How likely are you to recommend {company} as a place to work?",
                    "fr": (
                        "Quelle est la probabilité que vous recommandiez {company} "
                        "comme employeur ?"
                    ),
                },
            ),
            QuestionTemplate(type="text", text=REASON_FOLLOW_UP, settings={"long": True}),
        ),
    ),
    "csat": KindTemplate(
        kind="csat",
        label={"en": "Customer satisfaction (CSAT)", "fr": "Satisfaction client (CSAT)"},
        questions=(
            QuestionTemplate(
                type="csat",
                required=True,
                text={
                    "en": "How satisfied were you with {topic}?",
                    "fr": "Quel est votre niveau de satisfaction concernant {topic} ?",
                },
            ),
            QuestionTemplate(
                type="text",
                text={
                    "en": "What could we have done better?",
                    "fr": "Qu'aurions-nous pu mieux faire ?",
                },
                settings={"long": True},
            ),
        ),
    ),
    "pulse": KindTemplate(
        kind="pulse",
        label={"en": "Recurring pulse", "fr": "Pulse récurrent"},
        questions=(
            QuestionTemplate(
                type="rating",
                required=True,
                text={
                    "en": "How would you rate your work experience lately?",
                    "fr": "Comment évaluez-vous votre expérience de travail ces derniers temps ?",
                },
            ),
            QuestionTemplate(
                type="yes_no",
                text={
                    "en": "Do you have what you need to do your job well?",
                    "fr": "Disposez-vous de ce qu'il vous faut pour bien faire votre travail ?",
                },
            ),
            QuestionTemplate(
                type="text",
                text={
                    "en": "Is there anything you would like to share?",
                    "fr": "Souhaitez-vous partager quelque chose ?",
                },
                settings={"long": True},
            ),
        ),
    ),
    "cancellation": KindTemplate(
        kind="cancellation",
        label={"en": "Cancellation survey", "fr": "Questionnaire de résiliation"},
        questions=(
            QuestionTemplate(
                type="single_choice",
                required=True,
                text={
                    "en": "What is the main reason you are cancelling?",
                    "fr": "Quelle est la principale raison de votre résiliation ?",
                },
                options=[{"value": value, "label": label} for value, label in CANCELLATION_REASONS],
                settings={"allow_other": True},
            ),
            QuestionTemplate(
                type="text",
                text={
                    "en": "What could we have done to keep you?",
                    "fr": "Qu'aurions-nous pu faire pour vous garder ?",
                },
                settings={"long": True},
            ),
        ),
    ),
    "custom": KindTemplate(
        kind="custom",
        label={"en": "Custom survey", "fr": "Questionnaire personnalisé"},
        questions=(),
    ),
}

# What {topic} says when a CSAT survey has not named one.
DEFAULT_TOPIC = {"en": "your recent experience with us", "fr": "votre expérience récente avec nous"}
