"""Forms of the settings pages: creating and revoking API keys, filtering the audit log."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from surveyapp.services.api_keys import MAX_NAME_LENGTH

__all__ = ["NewApiKeyForm", "RevokeApiKeyForm"]


class NewApiKeyForm(FlaskForm):
    """A new API key: a name saying who uses it, and its scope."""

    name = StringField(
        _l("Name"),
        description=_l("Who or what uses it, e.g. “CRM sync”."),
        validators=[
            DataRequired(message=_l("Give the key a name.")),
            Length(max=MAX_NAME_LENGTH),
        ],
    )
    scope = RadioField(
        _l("Scope"),
        choices=[
            SelectChoice("read", _l("Read: list and read surveys, contacts, responses, metrics")),
            SelectChoice(
                "write", _l("Write: also create surveys, import contacts, invite, submit")
            ),
        ],
        default="read",
        validators=[InputRequired(message=_l("Choose a scope."))],
    )


class RevokeApiKeyForm(FlaskForm):
    """The revoke button of one key (its CSRF token only)."""
