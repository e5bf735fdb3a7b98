"""Forms of the contact pages: a contact with its attributes, the CSV upload, attribute types.

The contact form has one text field per defined attribute (``attr_<key>``),
built at request time from the definitions; values are typed by the service.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from surveyapp.models import AttributeDefinition
from surveyapp.services.contact_csv import MAX_ATTRIBUTE_KEY_LENGTH, MAX_NAME_LENGTH

__all__ = [
    "ATTRIBUTE_FIELD_PREFIX",
    "ATTRIBUTE_TYPE_HINTS",
    "ATTRIBUTE_TYPE_LABELS",
    "AttributeForm",
    "ConfirmImportForm",
    "ContactFilterForm",
    "ContactForm",
    "DeleteContactForm",
    "ImportForm",
    "NewAttributeForm",
    "attribute_values",
    "contact_form_class",
]

ATTRIBUTE_FIELD_PREFIX = "attr_"

ATTRIBUTE_TYPE_LABELS = {
    "text": _l("Text"),
    "number": _l("Number"),
    "date": _l("Date"),
    "choice": _l("Choice (a few values, for segments)"),
}
ATTRIBUTE_TYPE_HINTS = {
    "text": None,
    "number": _l("A number, such as 1 234,50 or 1234.5."),
    "date": _l("A date, such as 2024-03-15 or 15/03/2024."),
    "choice": _l("One value of a short list, such as a plan or a team."),
}
LANGUAGE_CHOICES = [
    SelectChoice("", _l("Not set")),
    SelectChoice("en", _l("English")),
    SelectChoice("fr", _l("French")),
]


def _type_choices() -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in ATTRIBUTE_TYPE_LABELS.items()]


class ContactForm(FlaskForm):
    """A contact's email, name and language; attribute fields are added per definition."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=320)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=MAX_NAME_LENGTH)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="")


def contact_form_class(definitions: Sequence[AttributeDefinition]) -> type[ContactForm]:
    """A ContactForm subclass with one text field per attribute definition."""

    class _ContactWithAttributes(ContactForm):
        pass

    for definition in definitions:
        field = StringField(
            definition.label or definition.key,
            validators=[Optional(), Length(max=200)],
            description=ATTRIBUTE_TYPE_HINTS.get(definition.type),
        )
        setattr(_ContactWithAttributes, ATTRIBUTE_FIELD_PREFIX + definition.key, field)
    return _ContactWithAttributes


def attribute_values(form: ContactForm) -> dict[str, Any]:
    """The attribute fields' raw values by key (blank ones included, to remove a value)."""
    return {
        name.removeprefix(ATTRIBUTE_FIELD_PREFIX): (field.data or "")
        for name, field in form._fields.items()
        if name.startswith(ATTRIBUTE_FIELD_PREFIX)
    }


class DeleteContactForm(FlaskForm):
    """Deleting a contact needs a ticked confirmation."""

    confirm = BooleanField(
        _l("Yes, delete this contact and their invitations"),
        validators=[DataRequired(message=_l("Tick the box to confirm the deletion."))],
    )


class ImportForm(FlaskForm):
    """The CSV file to import."""

    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(message=_l("Choose a CSV file to import."))],
    )


class ConfirmImportForm(FlaskForm):
    """Confirms or cancels the import of the file shown in the preview (its buttons say which)."""


class ContactFilterForm(FlaskForm):
    """Search and segment of the contact list (a GET form, no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search by email or name"), validators=[Optional(), Length(max=200)])
    attribute = SelectField(_l("Attribute"), choices=[], default="")
    value = StringField(_l("Value"), validators=[Optional(), Length(max=200)])


class AttributeForm(FlaskForm):
    """The type, label and reporting flag of an existing attribute."""

    key = HiddenField(validators=[DataRequired()])
    label = StringField(_l("Label"), validators=[Optional(), Length(max=200)])
    type = SelectField(_l("Type"), choices=_type_choices())
    reportable = BooleanField(_l("Use in reports and segments of results"))


class NewAttributeForm(FlaskForm):
    """A new attribute: its key, label, type and reporting flag."""

    new_key = StringField(
        _l("Name (letters, digits and _)"),
        validators=[DataRequired(), Length(max=MAX_ATTRIBUTE_KEY_LENGTH)],
    )
    new_label = StringField(_l("Label"), validators=[Optional(), Length(max=200)])
    new_type = SelectField(_l("Type"), choices=_type_choices())
    new_reportable = BooleanField(_l("Use in reports and segments of results"))
