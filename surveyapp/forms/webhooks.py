"""Forms of the webhook settings: an endpoint's URL, events, survey and state; its buttons."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from surveyapp.mail.webhook_transport import MAX_URL_LENGTH
from surveyapp.services.webhooks import MAX_DESCRIPTION_LENGTH

__all__ = ["WebhookActionForm", "WebhookForm", "event_labels"]


def event_labels() -> dict[str, str]:
    """What each event is, in words."""
    return {
        "response.created": str(_l("A response arrives (response.created)")),
        "response.updated": str(_l("A response is changed (response.updated)")),
        "invitation.failed": str(_l("An invitation cannot be delivered (invitation.failed)")),
        "alert.created": str(
            _l("A detractor, a low CSAT or a cancellation opens a case (alert.created)")
        ),
        "webhook.test": str(_l("Test event (webhook.test)")),
    }


class WebhookForm(FlaskForm):
    """An endpoint; the view fills the survey choices (0: every survey).

    Events and survey are checked by the service (validate_choice off), so an
    unknown value gets its own message instead of a generic one.
    """

    url = StringField(
        _l("URL"),
        description=_l("The https:// address that receives the events as JSON POST requests."),
        validators=[
            DataRequired(message=_l("Give the URL that receives the events.")),
            Length(max=MAX_URL_LENGTH),
        ],
    )
    description = StringField(
        _l("Description"),
        description=_l("Optional: who or what receives them, e.g. “CRM sync”."),
        validators=[Length(max=MAX_DESCRIPTION_LENGTH)],
    )
    events = SelectMultipleField(
        _l("Events"),
        choices=[],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    survey_id = SelectField(_l("Survey"), coerce=int, choices=[], validate_choice=False)
    active = BooleanField(_l("Active: send events to this URL"), default=True)

    def fill_choices(self, surveys: list[tuple[int, str]], events: dict[str, str]) -> None:
        """Offer these surveys (after "every survey") and events."""
        self.survey_id.choices = [SelectChoice(0, _l("Every survey"))] + [
            SelectChoice(survey_id, title) for survey_id, title in surveys
        ]
        self.events.choices = [SelectChoice(value, label) for value, label in events.items()]


class WebhookActionForm(FlaskForm):
    """A button on an endpoint or a delivery (its CSRF token only)."""
