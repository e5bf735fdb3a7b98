"""Forms of the reasons pages: a reason's labels, its keywords, merging, and correcting the
tags of one comment."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from surveyapp.services.taxonomy import MAX_LABEL_LENGTH, MAX_PHRASE_LENGTH

__all__ = ["ButtonForm", "CorrectionForm", "KeywordForm", "MergeForm", "ReasonForm"]


class ReasonForm(FlaskForm):
    """A reason's name in each language (its code never changes)."""

    label_en = StringField(
        _l("Name in English"),
        validators=[
            DataRequired(message=_l("Give the reason a name.")),
            Length(max=MAX_LABEL_LENGTH),
        ],
    )
    label_fr = StringField(
        _l("Name in French"),
        validators=[
            DataRequired(message=_l("Give the reason a name.")),
            Length(max=MAX_LABEL_LENGTH),
        ],
    )


class KeywordForm(FlaskForm):
    """A keyword or phrase of one language that signals the reason."""

    language = SelectField(
        _l("Language"),
        choices=[SelectChoice("en", _l("English")), SelectChoice("fr", _l("French"))],
        validators=[InputRequired(message=_l("Choose English or French."))],
    )
    phrase = StringField(
        _l("Keyword or phrase"),
        description=_l(
            "Matched like the built-in ones: any case or accents, other forms of the words "
            "(“invoice” also finds “invoices”), small typos, and not when negated "
            "(“not expensive”)."
        ),
        validators=[
            DataRequired(message=_l("Write a keyword or a phrase.")),
            Length(max=MAX_PHRASE_LENGTH),
        ],
    )


class MergeForm(FlaskForm):
    """The reason to merge this one into; the view fills the choices with active reasons."""

    # The service explains a refused target (itself, a retired reason) better than
    # "Not a valid choice".
    target = SelectField(_l("Merge into"), coerce=int, choices=[], validate_choice=False)


class ButtonForm(FlaskForm):
    """A button that changes something (its CSRF token only): retire, restore, re-tag."""


class CorrectionForm(FlaskForm):
    """The reasons one comment gives; the view fills the choices with active reasons."""

    tags = SelectMultipleField(
        _l("Reasons in this comment"),
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
