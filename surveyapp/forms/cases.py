"""Forms of the follow-up pages: acting on a case, and a user's alert preferences."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from surveyapp.services.cases import MAX_NOTE_LENGTH, MAX_SUBJECT_LENGTH

__all__ = [
    "AlertSettingsForm",
    "AssignForm",
    "NoteForm",
    "ReplyForm",
    "StatusForm",
    "status_labels",
]


def status_labels() -> dict[str, str]:
    """The words for a case's status."""
    return {
        "open": str(_l("Open")),
        "in_progress": str(_l("In progress")),
        "closed": str(_l("Closed")),
    }


class AssignForm(FlaskForm):
    """Give the case to someone (0: nobody); the view fills the choices with active users."""

    assignee_id = SelectField(_l("Assignee"), coerce=int, choices=[])


class StatusForm(FlaskForm):
    """Move the case along: open, in progress, closed."""

    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("open", _l("Open")),
            SelectChoice("in_progress", _l("In progress")),
            SelectChoice("closed", _l("Closed")),
        ],
        validators=[InputRequired()],
    )


class NoteForm(FlaskForm):
    """An internal note, never shown to the respondent."""

    body = TextAreaField(
        _l("Internal note"),
        validators=[DataRequired(message=_l("Write the note.")), Length(max=MAX_NOTE_LENGTH)],
    )


class ReplyForm(FlaskForm):
    """An email to the respondent, sent from the app."""

    subject = StringField(
        _l("Subject"),
        validators=[
            DataRequired(message=_l("Give the email a subject.")),
            Length(max=MAX_SUBJECT_LENGTH),
        ],
    )
    body = TextAreaField(
        _l("Message"),
        validators=[DataRequired(message=_l("Write the message.")), Length(max=MAX_NOTE_LENGTH)],
    )


class AlertSettingsForm(FlaskForm):
    """How to be alerted of new cases, and which other surveys to follow."""

    mode = RadioField(
        _l("Alert me"),
        choices=[
            SelectChoice("instant", _l("At once: one email per minute at most")),
            SelectChoice("digest", _l("Once a day: a daily digest")),
            SelectChoice("off", _l("Never")),
        ],
        default="instant",
        validators=[InputRequired(message=_l("Choose how you want to be alerted."))],
    )
    survey_ids = SelectMultipleField(
        _l("Also follow these surveys (you always follow the surveys you own)"),
        coerce=int,
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
