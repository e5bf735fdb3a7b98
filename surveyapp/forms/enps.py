"""Forms of the eNPS area: the org chart upload and sharing a survey with an account."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField
from wtforms.validators import DataRequired, Length

__all__ = ["OrgChartForm", "ShareForm"]


class OrgChartForm(FlaskForm):
    """The org chart CSV file."""

    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(message=_l("Choose a CSV file to import."))],
    )


class ShareForm(FlaskForm):
    """The staff account to share an eNPS survey with."""

    email = EmailField(
        _l("Email of the account"),
        validators=[DataRequired(message=_l("Give the account's email.")), Length(max=320)],
    )
