"""The respondent's form, built from a survey's questions: one field named ``q<id>`` per question.

Each field checks its own answer (scale range, offered options, required,
MAX_TEXT_ANSWER_LENGTH) with a translated message, keeps what the person typed
for the re-rendered page, and hands the service an ``AnswerValue``.
Build the form after the request's language is set: messages are translated
when the form reads the request.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField
from wtforms.i18n import messages_path
from wtforms.utils import unset_value
from wtforms.validators import StopValidation, ValidationError

from surveyapp.models import Survey
from surveyapp.services import surveys
from surveyapp.services.responses import OTHER_VALUE, YES_NO_VALUES, AnswerValue

__all__ = [
    "AnswerField",
    "ChoiceField",
    "ChoicesField",
    "QuestionView",
    "ResponseForm",
    "ScaleField",
    "TextAnswerField",
    "build_response_form",
]

# The words under both ends of each numeric scale.
SCALE_ENDS: dict[str, tuple[Any, Any]] = {
    "nps": (_l("Not at all likely"), _l("Extremely likely")),
    "csat": (_l("Very dissatisfied"), _l("Very satisfied")),
    "ces": (_l("Very difficult"), _l("Very easy")),
    "rating": (_l("Poor"), _l("Excellent")),
}
_DIGITS = re.compile(r"[0-9]{1,3}")
_FORM_CLASSES = "surveyapp.response_form_classes"
# Surveys × languages a process keeps form classes for; past it the cache starts again.
MAX_FORM_CLASSES = 1000


@dataclass(frozen=True)
class QuestionView:
    """A question as one respondent sees it: text and option labels in their language."""

    id: int
    type: str
    text: str
    required: bool
    options: tuple[tuple[str, str], ...] = ()
    allow_other: bool = False
    long: bool = False
    scale: tuple[int, int] | None = None
    low_label: str = ""
    high_label: str = ""

    @property
    def values(self) -> range:
        """The numbers of a scale question, low to high (empty for other types)."""
        return range(self.scale[0], self.scale[1] + 1) if self.scale else range(0)


class AnswerField(Field):
    """The field of one question; ``view`` says how to show it, ``answer()`` what was given."""

    def __init__(
        self,
        label: str | None = None,
        validators: Sequence[Any] | None = None,
        *,
        view: QuestionView,
        max_text: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.view = view
        self.max_text = max_text

    def answer(self) -> AnswerValue:
        """The answer given, empty when the question was skipped."""
        return AnswerValue()

    def _require(self, empty: bool) -> None:
        if empty and self.view.required:
            raise StopValidation(_("Please answer this question."))

    def _check_length(self, text: str) -> None:
        if len(text) > self.max_text:
            raise ValidationError(
                _(
                    "Your answer is %(length)s characters long; the limit is %(limit)s "
                    "characters. Please shorten it.",
                    length=len(text),
                    limit=self.max_text,
                )
            )


class ScaleField(AnswerField):
    """A 0–10, 1–5 or 1–7 question: one number on the scale."""

    data: int | None

    def process_data(self, value: Any) -> None:
        """Fill the field from a stored answer (an AnswerValue) or leave it empty."""
        self.data = value.number if isinstance(value, AnswerValue) else None

    def process_formdata(self, valuelist: list[str]) -> None:
        """Read the posted value; a value that is not offered becomes a field error."""
        raw = valuelist[0].strip() if valuelist else ""
        self.data = None
        if not raw:
            return
        low, high = self.view.scale or (0, 0)
        if _DIGITS.fullmatch(raw) is None or not low <= int(raw) <= high:
            raise ValueError(_("Choose a number from %(low)s to %(high)s.", low=low, high=high))
        self.data = int(raw)

    def pre_validate(self, form: Any) -> None:
        """Check the answer (required, length); the messages are translated now."""
        if not self.process_errors:
            self._require(self.data is None)

    def answer(self) -> AnswerValue:
        """The chosen number."""
        return AnswerValue(number=self.data)


class ChoiceField(AnswerField):
    """One option among several (single choice, yes/no), with an optional "other" text."""

    data: str | None

    @property
    def other_name(self) -> str:
        """The name of the "other" text box."""
        return f"{self.name}_other"

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        """Read the choice, then the "other" text box posted next to it."""
        self.other = ""
        super().process(formdata, data, extra_filters)
        if formdata is not None and self.view.allow_other:
            self.other = formdata.get(self.other_name, "").replace("\r\n", "\n")

    def process_data(self, value: Any) -> None:
        """Fill the field from a stored answer (an AnswerValue) or leave it empty."""
        self.data = value.choices[0] if isinstance(value, AnswerValue) and value.choices else None
        if isinstance(value, AnswerValue) and self.view.allow_other:
            self.other = value.text or ""

    def process_formdata(self, valuelist: list[str]) -> None:
        """Read the posted value; a value that is not offered becomes a field error."""
        raw = valuelist[0] if valuelist else ""
        self.data = None
        if not raw:
            return
        if raw not in {value for value, _label in self.view.options}:
            raise ValueError(_("Please choose one of the options shown."))
        self.data = raw

    def pre_validate(self, form: Any) -> None:
        """Check the answer (required, length); the messages are translated now."""
        if self.process_errors:
            return
        other = self.other.strip()
        if other and self.data is None:
            # Typing in the "other" box without ticking "Other" still means "Other".
            self.data = OTHER_VALUE
        self._check_length(other)
        self._require(self.data is None)

    def answer(self) -> AnswerValue:
        """The chosen option value, and the "other" text when there is one."""
        return AnswerValue(
            choices=(self.data,) if self.data else (), text=self.other.strip() or None
        )


class ChoicesField(AnswerField):
    """Any number of options (multiple choice)."""

    data: list[str]

    def process_data(self, value: Any) -> None:
        """Fill the field from a stored answer (an AnswerValue) or leave it empty."""
        self.data = list(value.choices) if isinstance(value, AnswerValue) else []

    def process_formdata(self, valuelist: list[str]) -> None:
        """Read the posted value; a value that is not offered becomes a field error."""
        allowed = {value for value, _label in self.view.options}
        self.data = [value for value in dict.fromkeys(valuelist) if value]
        if any(value not in allowed for value in self.data):
            self.data = [value for value in self.data if value in allowed]
            raise ValueError(_("Please choose among the options shown."))

    def pre_validate(self, form: Any) -> None:
        """Check the answer (required, length); the messages are translated now."""
        if not self.process_errors:
            self._require(not self.data)

    def answer(self) -> AnswerValue:
        """The chosen option values."""
        return AnswerValue(choices=tuple(self.data))


class TextAnswerField(AnswerField):
    """A short or long text, kept exactly as typed until it is stored (stripped)."""

    data: str

    def process_data(self, value: Any) -> None:
        """Fill the field from a stored answer (an AnswerValue) or leave it empty."""
        self.data = (value.text or "") if isinstance(value, AnswerValue) else ""

    def process_formdata(self, valuelist: list[str]) -> None:
        """Read the posted text; browser line ends (CRLF) become plain newlines."""
        self.data = valuelist[0].replace("\r\n", "\n") if valuelist else ""

    def pre_validate(self, form: Any) -> None:
        """Check the answer (required, length); the messages are translated now."""
        text = self.data.strip()
        self._check_length(text)
        self._require(not text)

    def answer(self) -> AnswerValue:
        """The text, without surrounding blanks."""
        return AnswerValue(text=self.data.strip() or None)


FIELD_TYPES: dict[str, type[AnswerField]] = {
    "nps": ScaleField,
    "csat": ScaleField,
    "ces": ScaleField,
    "rating": ScaleField,
    "single_choice": ChoiceField,
    "yes_no": ChoiceField,
    "multiple_choice": ChoicesField,
    "text": TextAnswerField,
}


class ResponseForm(FlaskForm):
    """Base of every survey's form: the public link's submission key, then the questions.

    The CSRF token is the application's (``CSRFProtect`` checks every POST before any
    view; the template renders ``csrf_token()``): a form-level token would sign a new
    token on every POST for a page that, after a valid submission, is never shown.
    """

    class Meta:
        csrf = False

        def get_translations(self, form: Any) -> Any:
            """WTForms' own messages in the request's language, read from disk once per process."""
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)  # type: ignore[misc]
            return _wtforms_translations(str(get_locale() or "en"))

    submission_key = HiddenField()

    def answer_fields(self) -> list[AnswerField]:
        """The question fields, in the survey's order."""
        return [field for field in self if isinstance(field, AnswerField)]

    def answers(self) -> dict[int, AnswerValue]:
        """Question id -> answer given, for the responses service."""
        return {field.view.id: field.answer() for field in self.answer_fields()}


def question_views(survey: Survey, language: str) -> list[QuestionView]:
    """The survey's questions as shown in ``language``, in order."""
    views = []
    for question in survey.questions:
        low_label, high_label = SCALE_ENDS.get(question.type, ("", ""))
        views.append(
            QuestionView(
                id=question.id,
                type=question.type,
                text=surveys.question_text(survey, question, language),
                required=question.required,
                options=_options(question.type, question.options, question.settings, language),
                allow_other=question.type == "single_choice"
                and bool(question.settings.get("allow_other")),
                long=bool(question.settings.get("long")),
                scale=question.scale,
                low_label=str(low_label),
                high_label=str(high_label),
            )
        )
    return views


def build_response_form(
    survey: Survey,
    language: str,
    *,
    prefill: Mapping[int, AnswerValue] | None = None,
    submission_key: str | None = None,
) -> ResponseForm:
    """A form for ``survey`` in ``language``, bound to the request's POST data if any.

    ``prefill`` (question id -> answer) fills a GET page with answers already stored.
    """
    data: dict[str, Any] = {
        f"q{question_id}": value for question_id, value in (prefill or {}).items()
    }
    if submission_key is not None:
        data["submission_key"] = submission_key
    return _form_class(survey, language)(data=data)


def _form_class(survey: Survey, language: str) -> type[ResponseForm]:
    """The form class of ``survey`` in ``language``, built once per survey version and language.

    Every request of a respondent page needs it; ``updated_at`` moves with any
    change of the survey or its questions (services.survey_cache).
    """
    classes: dict[tuple[Any, ...], type[ResponseForm]] = current_app.extensions.setdefault(
        _FORM_CLASSES, {}
    )
    key = (survey.id, survey.updated_at, language)
    form_class = classes.get(key)
    if form_class is not None:
        return form_class
    max_text = int(current_app.config["MAX_TEXT_ANSWER_LENGTH"])

    class SurveyForm(ResponseForm):
        pass

    for view in question_views(survey, language):
        field_class = FIELD_TYPES[view.type]
        setattr(SurveyForm, f"q{view.id}", field_class(view.text, view=view, max_text=max_text))
    if len(classes) >= MAX_FORM_CLASSES:
        classes.clear()
    classes[key] = SurveyForm
    return SurveyForm


@functools.cache
def _wtforms_translations(locale: str) -> support.Translations:
    # Flask-WTF would read this catalogue from disk again for every request.
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def _options(
    kind: str, options: list[Any], settings: Mapping[str, Any], language: str
) -> tuple[tuple[str, str], ...]:
    if kind == "yes_no":
        labels = {"yes": _("Yes"), "no": _("No")}
        return tuple((value, labels[value]) for value in YES_NO_VALUES)
    if kind not in ("single_choice", "multiple_choice"):
        return ()
    shown = []
    for option in options:
        value = str(option.get("value"))
        label = option.get("label") or {}
        text = label.get(language) or label.get("en") if isinstance(label, dict) else str(label)
        shown.append((value, text or value))
    if (
        kind == "single_choice"
        and settings.get("allow_other")
        and all(value != OTHER_VALUE for value, _label in shown)
    ):
        shown.append((OTHER_VALUE, _("Other")))
    return tuple(shown)
