"""Forms of the survey builder and the user admin page.

Question text and choice options have one field per language (``text_en``,
``options_fr``…); the pages show only the survey's languages.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from surveyapp.analytics.suppression import MIN_K
from surveyapp.models.survey import KINDS, QUESTION_TYPES
from surveyapp.models.user import ROLES
from surveyapp.services.surveys import (
    MAX_QUESTION_TEXT_LENGTH,
    MAX_SETTING_LENGTH,
    MAX_TITLE_LENGTH,
    SUPPORTED_LANGUAGES,
)
from surveyapp.services.users import MIN_PASSWORD_LENGTH

__all__ = [
    "KIND_DESCRIPTIONS",
    "LANGUAGE_NAMES",
    "QUESTION_TYPE_LABELS",
    "ActionForm",
    "MoveForm",
    "NewSurveyForm",
    "NewUserForm",
    "QuestionForm",
    "StatusForm",
    "SurveySettingsForm",
    "options_from_form",
    "options_to_form",
]

LANGUAGE_NAMES = {"en": _l("English"), "fr": _l("French")}

KIND_DESCRIPTIONS = {
    "nps": _l("Ask customers how likely they are to recommend you, from 0 to 10, and why."),
    "enps": _l("Ask employees whether they recommend you as an employer; anonymous by default."),
    "csat": _l("Ask how satisfied people were with one topic, from 1 to 5."),
    "pulse": _l("Up to 10 short questions sent on a schedule to follow a team over time."),
    "cancellation": _l("Ask customers who leave why they are cancelling."),
    "custom": _l("Start empty and add any questions you like."),
}

QUESTION_TYPE_LABELS = {
    "nps": _l("Recommendation score, 0 to 10 (NPS)"),
    "csat": _l("Satisfaction, 1 to 5 (CSAT)"),
    "ces": _l("Effort, 1 to 7 (CES)"),
    "rating": _l("Star rating, 1 to 5"),
    "single_choice": _l("One choice from a list"),
    "multiple_choice": _l("Several choices from a list"),
    "yes_no": _l("Yes or no"),
    "text": _l("Free text"),
}

ROLE_LABELS = {
    "admin": _l("Admin: everything, including users"),
    "editor": _l("Editor: builds surveys and reads results"),
    "viewer": _l("Viewer: reads results"),
}

ANONYMITY_CHOICES = [
    SelectChoice("default", _l("The kind's default (only eNPS surveys are anonymous)")),
    SelectChoice("yes", _l("Anonymous: answers are never linked to a person")),
    SelectChoice("no", _l("Not anonymous")),
]


class CheckboxListField(SelectMultipleField):
    """Several choices shown as a list of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _language_choices() -> list[SelectChoice]:
    return [SelectChoice(code, LANGUAGE_NAMES[code]) for code in SUPPORTED_LANGUAGES]


class NewSurveyForm(FlaskForm):
    """A new survey: its kind, title and languages."""

    kind = RadioField(
        _l("Kind of survey"),
        choices=[SelectChoice(kind, kind) for kind in KINDS],
        default="nps",
        validators=[InputRequired(message=_l("Choose a kind of survey."))],
    )
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Give the survey a title.")),
            Length(max=MAX_TITLE_LENGTH),
        ],
        description=_l("Only your team sees it, in the list of surveys."),
    )
    default_language = SelectField(_l("Default language"), choices=_language_choices())
    languages = CheckboxListField(
        _l("Languages offered to respondents"),
        choices=_language_choices(),
        default=list(SUPPORTED_LANGUAGES),
        validators=[DataRequired(message=_l("Choose at least one language."))],
    )
    anonymity = RadioField(_l("Anonymity"), choices=ANONYMITY_CHOICES, default="default")

    def anonymous_choice(self) -> bool | None:
        """True or False when the user chose, None to keep the kind's default."""
        return {"yes": True, "no": False}.get(self.anonymity.data or "default")


class SurveySettingsForm(FlaskForm):
    """A survey's settings: title, languages, anonymity, CSAT topic and company name."""

    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Give the survey a title.")),
            Length(max=MAX_TITLE_LENGTH),
        ],
    )
    default_language = SelectField(_l("Default language"), choices=_language_choices())
    languages = CheckboxListField(
        _l("Languages offered to respondents"),
        choices=_language_choices(),
        validators=[DataRequired(message=_l("Choose at least one language."))],
    )
    anonymous = BooleanField(_l("Anonymous: answers are never linked to a person"))
    reporting_threshold = IntegerField(
        _l("Reporting threshold"),
        validators=[
            Optional(),
            NumberRange(
                min=MIN_K,
                max=1000,
                message=_l(
                    "The reporting threshold is at least %(min)s: below that, colleagues "
                    "could tell each other's answers apart.",
                    min=MIN_K,
                ),
            ),
        ],
        description=_l(
            "An anonymous survey shows no number or comment about fewer responses than this "
            "(at least %(min)s). Leave empty for the default.",
            min=MIN_K,
        ),
    )
    topic_en = StringField(
        _l("Topic in English"),
        validators=[Length(max=MAX_SETTING_LENGTH)],
        description=_l('Replaces {topic} in the questions, e.g. "your delivery".'),
    )
    topic_fr = StringField(
        _l("Topic in French"),
        validators=[Length(max=MAX_SETTING_LENGTH)],
        description=_l('Replaces {topic} in the questions, e.g. "votre livraison".'),
    )
    company = StringField(
        _l("Company name"),
        validators=[Length(max=MAX_SETTING_LENGTH)],
        description=_l("Replaces {company} in the questions. Leave empty to use the default name."),
    )


class QuestionForm(FlaskForm):
    """One question: type, text and options in each language, and its flags."""

    type = SelectField(
        _l("Type of question"),
        choices=[SelectChoice(kind, QUESTION_TYPE_LABELS[kind]) for kind in QUESTION_TYPES],
    )
    text_en = TextAreaField(
        _l("Question in English"), validators=[Length(max=MAX_QUESTION_TEXT_LENGTH)]
    )
    text_fr = TextAreaField(
        _l("Question in French"), validators=[Length(max=MAX_QUESTION_TEXT_LENGTH)]
    )
    options_en = TextAreaField(_l("Choices in English"))
    options_fr = TextAreaField(_l("Choices in French"))
    required = BooleanField(_l("An answer is required"))
    long = BooleanField(_l("Long answer (a large text box), for free-text questions"))
    allow_other = BooleanField(_l('Offer "Other" with a text box, for choice questions'))


class StatusForm(FlaskForm):
    """The button that activates, closes or reopens a survey."""

    status = HiddenField(validators=[DataRequired()])


class MoveForm(FlaskForm):
    """The up and down buttons of a question."""

    direction = HiddenField(validators=[DataRequired()])


class ActionForm(FlaskForm):
    """A button with nothing but its CSRF token (delete, duplicate)."""


class NewUserForm(FlaskForm):
    """A new staff account."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=320)])
    name = StringField(_l("Name"), validators=[Length(max=200)])
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(role, ROLE_LABELS[role]) for role in ROLES],
        default="viewer",
    )
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)],
        description=_l(
            "At least %(n)s characters. Give it to the person in private.", n=MIN_PASSWORD_LENGTH
        ),
    )


def options_from_form(form: QuestionForm, languages: list[str]) -> list[dict[str, Any]]:
    """Options from the per-language text areas: line N of each area is the same choice."""
    columns = {
        code: (getattr(form, f"options_{code}").data or "").splitlines() for code in languages
    }
    count = max((len(lines) for lines in columns.values()), default=0)
    return [
        {
            "label": {
                code: lines[index].strip() for code, lines in columns.items() if index < len(lines)
            }
        }
        for index in range(count)
    ]


def options_to_form(options: list[dict[str, Any]], code: str) -> str:
    """The text area content listing the options' labels in one language, one per line."""
    return "\n".join(str(option.get("label", {}).get(code, "")) for option in options)


class UserUpdateForm(FlaskForm):
    """An account's role and whether it may log in."""

    role = SelectField(
        _l("Role"), choices=[SelectChoice(role, ROLE_LABELS[role]) for role in ROLES]
    )
    active = BooleanField(_l("Active"))
    hr = BooleanField(_l("HR: sees eNPS surveys"))


FREQUENCY_CHOICES = [
    SelectChoice("", _l("Not recurring")),
    SelectChoice("weekly", _l("Every week")),
    SelectChoice("monthly", _l("Every month")),
    SelectChoice("quarterly", _l("Every quarter")),
]


class ScheduleForm(FlaskForm):
    """When a pulse survey's waves open, and to whom."""

    frequency = SelectField(_l("Frequency"), choices=FREQUENCY_CHOICES, default="")
    starts_on = DateField(
        _l("First wave"),
        validators=[Optional()],
        description=_l("Each wave opens at 09:00 on its day and is emailed to the audience."),
    )
    segment_key = StringField(
        _l("Only contacts whose attribute…"),
        validators=[Length(max=64)],
        description=_l("Leave empty to ask every contact, e.g. team."),
    )
    segment_value = StringField(_l("…has the value"), validators=[Length(max=200)])
