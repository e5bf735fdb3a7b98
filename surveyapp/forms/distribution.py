"""The send screen's form: who receives a survey by email, and its reminder rule."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from surveyapp.services import invitations
from surveyapp.services.reminders import DEFAULT_REMINDER_DAYS, MAX_REMINDER_DAYS

__all__ = ["SendForm"]


class SendForm(FlaskForm):
    """The audience of a send and the survey's reminder rule."""

    audience = RadioField(
        _l("Who receives the survey"),
        choices=[
            SelectChoice("all", _l("All contacts")),
            SelectChoice("segment", _l("Contacts with an attribute value")),
            SelectChoice("emails", _l("These email addresses")),
        ],
        default="all",
    )
    segment_key = StringField(_l("Attribute"), [Optional(), Length(max=64)])
    segment_value = StringField(_l("Value"), [Optional(), Length(max=200)])
    emails = TextAreaField(
        _l("Email addresses"),
        [Optional(), Length(max=5_000_000)],
        description=_l("One per line, or separated by commas. New addresses become contacts."),
    )
    reminders = SelectField(
        _l("Reminders to people who have not answered"),
        choices=[
            SelectChoice("0", _l("No reminder")),
            SelectChoice("1", _l("One reminder")),
            SelectChoice("2", _l("Two reminders")),
        ],
        default="0",
    )
    reminder_days = IntegerField(
        _l("Days before each reminder"),
        [InputRequired(), NumberRange(min=1, max=MAX_REMINDER_DAYS)],
        default=DEFAULT_REMINDER_DAYS,
    )
    preview = SubmitField(_l("Preview"))
    send = SubmitField(_l("Send"))

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields of the chosen audience must be filled in."""
        valid = super().validate(extra_validators)
        if self.audience.data == "segment":
            for field in (self.segment_key, self.segment_value):
                if not (field.data or "").strip():
                    field.errors = [*field.errors, _("Fill in the attribute and its value.")]
                    valid = False
        if self.audience.data == "emails" and not invitations.parse_email_list(
            self.emails.data or ""
        ):
            self.emails.errors = [*self.emails.errors, _("Paste at least one email address.")]
            valid = False
        return valid

    def audience_arguments(self) -> dict[str, Any]:
        """The keyword arguments of invite_contacts for the chosen audience."""
        if self.audience.data == "segment":
            return {"segment": {self.segment_key.data.strip(): self.segment_value.data.strip()}}
        if self.audience.data == "emails":
            return {"emails": invitations.parse_email_list(self.emails.data or "")}
        return {}
