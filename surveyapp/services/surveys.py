"""Surveys: creation from a kind, the builder's edits, status changes, and the text respondents see.

Every rule about what a survey may become lives here, so the admin pages and
the API refuse the same things with the same messages.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.models import Answer, Question, Response, Survey, User, utcnow
from surveyapp.models.survey import KINDS, QUESTION_TYPES, STATUSES
from surveyapp.services import audit
from surveyapp.services.errors import Conflict, InvalidInput, NotFound
from surveyapp.services.survey_kinds import DEFAULT_TOPIC, KIND_TEMPLATES, QuestionTemplate

__all__ = [
    "CHOICE_TYPES",
    "MAX_OPTIONS",
    "MAX_OPTION_LABEL_LENGTH",
    "MAX_PULSE_QUESTIONS",
    "MAX_QUESTION_TEXT_LENGTH",
    "MAX_SETTING_LENGTH",
    "MAX_TITLE_LENGTH",
    "SUPPORTED_LANGUAGES",
    "activation_problems",
    "add_question",
    "count_responses",
    "create_survey",
    "delete_question",
    "duplicate_survey",
    "get_question",
    "get_survey",
    "get_survey_by_slug",
    "list_surveys",
    "move_question",
    "question_has_answers",
    "question_text",
    "response_counts",
    "set_status",
    "update_question",
    "update_survey",
]

SUPPORTED_LANGUAGES = ("en", "fr")
MAX_TITLE_LENGTH = 200
MAX_QUESTION_TEXT_LENGTH = 500
MAX_OPTION_LABEL_LENGTH = 200
MAX_OPTION_VALUE_LENGTH = 64
MAX_OPTIONS = 30
MAX_PULSE_QUESTIONS = 10
# The CSAT topic and the company name override.
MAX_SETTING_LENGTH = 200
CHOICE_TYPES = ("single_choice", "multiple_choice")
# Kinds whose headline number must come from their first score question, of this type.
MAIN_QUESTION_TYPES = {"nps": "nps", "enps": "nps", "csat": "csat"}
# draft -> active -> closed, and closed -> active again; never back to draft once activated.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("active",),
    "active": ("closed",),
    "closed": ("active",),
}


def create_survey(
    kind: str,
    title: str,
    *,
    language: str = "en",
    languages: list[str] | None = None,
    anonymous: bool | None = None,
    owner: User | None = None,
) -> Survey:
    """Create a draft survey of ``kind`` with its default questions in every language.

    ``anonymous`` defaults to the kind's default (eNPS is anonymous).
    Raises InvalidInput for an unknown kind or language or an empty title.
    """
    if kind not in KINDS:
        raise InvalidInput(
            _(
                "Unknown survey kind %(kind)r: choose one of %(kinds)s.",
                kind=kind,
                kinds=", ".join(KINDS),
            ),
            "kind",
        )
    title = _clean_title(title)
    languages = _clean_languages(languages or list(SUPPORTED_LANGUAGES))
    if language not in SUPPORTED_LANGUAGES:
        raise InvalidInput(
            _("Unsupported language %(code)r: choose en or fr.", code=language), "language"
        )
    if language not in languages:
        languages.insert(0, language)

    template = KIND_TEMPLATES[kind]
    survey = Survey(
        kind=kind,
        title=title,
        default_language=language,
        languages=languages,
        anonymous=template.anonymous if anonymous is None else anonymous,
        public_slug=secrets.token_urlsafe(9),
        owner_id=owner.id if owner is not None else None,
        questions=_copied_questions(template.questions),
    )
    session = db.session()
    session.add(survey)
    audit.record(None, "survey.created", survey, {"kind": kind})
    session.commit()
    return survey


def get_survey(survey_id: int) -> Survey:
    """The survey with this id, questions loaded. Raises NotFound."""
    survey = db.session().get(Survey, survey_id, options=[so.selectinload(Survey.questions)])
    if survey is None:
        raise NotFound(_("No such survey."))
    return survey


def get_survey_by_slug(slug: str) -> Survey:
    """The survey with this public slug. Raises NotFound."""
    survey = db.session().scalar(
        sa.select(Survey)
        .where(Survey.public_slug == slug)
        .options(so.selectinload(Survey.questions))
    )
    if survey is None:
        raise NotFound(_("No such survey."))
    return survey


def get_question(survey_id: int, question_id: int) -> Question:
    """The question ``question_id`` of survey ``survey_id``. Raises NotFound."""
    question = db.session().get(Question, question_id)
    if question is None or question.survey_id != survey_id:
        raise NotFound(_("No such question."))
    return question


def list_surveys() -> list[Survey]:
    """Every survey, newest first."""
    return list(
        db.session().scalars(sa.select(Survey).order_by(Survey.created_at.desc(), Survey.id.desc()))
    )


def count_responses(survey_id: int) -> int:
    """How many responses survey ``survey_id`` has received."""
    return (
        db.session().scalar(
            sa.select(sa.func.count(Response.id)).where(Response.survey_id == survey_id)
        )
        or 0
    )


def response_counts() -> dict[int, int]:
    """Survey id -> number of responses, for every survey that has any (one GROUP BY query)."""
    rows = db.session().execute(
        sa.select(Response.survey_id, sa.func.count(Response.id)).group_by(Response.survey_id)
    )
    return {survey_id: count for survey_id, count in rows}


def question_has_answers(question_id: int) -> bool:
    """True when at least one response answered this question."""
    return bool(
        db.session().scalar(sa.select(sa.exists().where(Answer.question_id == question_id)))
    )


def question_text(survey: Survey, question: Question, language: str) -> str:
    """The question as a respondent reads it in ``language``, placeholders filled in."""
    company = survey.settings.get("company") or current_app.config["COMPANY_NAME"]
    topics = survey.settings.get("topic") or {}
    topic = topics.get(language) or DEFAULT_TOPIC.get(language) or DEFAULT_TOPIC["en"]
    return question.text_in(language).replace("{company}", company).replace("{topic}", topic)


def activation_problems(survey: Survey) -> list[str]:
    """What stops ``survey`` from being activated, in words for its editor; empty when ready."""
    problems: list[str] = []
    if not survey.questions:
        return [_("Add at least one question.")]
    expected = MAIN_QUESTION_TYPES.get(survey.kind)
    main = survey.main_question
    if expected is not None and (main is None or main.type != expected):
        if expected == "nps":
            problems.append(
                _("Add a 0–10 recommendation (NPS) question before any other score question.")
            )
        else:
            problems.append(
                _("Add a 1–5 satisfaction (CSAT) question before any other score question.")
            )
    for number, question in enumerate(survey.questions, start=1):
        for code in survey.languages:
            if not str(question.text.get(code) or "").strip():
                problems.append(
                    _(
                        "Question %(n)s has no text in %(language)s.",
                        n=number,
                        language=_language_name(code),
                    )
                )
        if question.type in CHOICE_TYPES:
            if not question.options:
                problems.append(_("Question %(n)s has no options to choose from.", n=number))
            for option_number, option in enumerate(question.options, start=1):
                for code in survey.languages:
                    if not str(option.get("label", {}).get(code) or "").strip():
                        problems.append(
                            _(
                                "Question %(n)s: option %(o)s has no label in %(language)s.",
                                n=number,
                                o=option_number,
                                language=_language_name(code),
                            )
                        )
    return problems


def update_survey(
    survey_id: int,
    *,
    title: str | None = None,
    languages: Sequence[str] | None = None,
    default_language: str | None = None,
    anonymous: bool | None = None,
    topic: Mapping[str, str] | None = None,
    company: str | None = None,
) -> Survey:
    """Change a survey's settings; ``None`` leaves a setting as it is.

    ``topic`` maps a language to the CSAT topic (an empty text removes it);
    ``company`` overrides the company name (empty: use the installation's).
    Raises NotFound, InvalidInput (bad values, or an active survey would no
    longer be complete) and Conflict (anonymity changed after responses arrived).
    """
    survey = get_survey(survey_id)
    new_title = _clean_title(title) if title is not None else survey.title
    new_languages = _clean_languages(languages) if languages is not None else survey.languages
    new_default = default_language or survey.default_language
    if new_default not in SUPPORTED_LANGUAGES:
        raise InvalidInput(
            _("Unsupported language %(code)r: choose en or fr.", code=new_default),
            "default_language",
        )
    if new_default not in new_languages:
        raise InvalidInput(
            _("The default language must be one of the survey's languages."), "default_language"
        )
    if anonymous is not None and anonymous != survey.anonymous and count_responses(survey.id):
        if anonymous:
            raise Conflict(
                _(
                    "This survey already has responses that were not collected anonymously. "
                    "Create a new anonymous survey instead."
                )
            )
        raise Conflict(
            _(
                "This survey already has responses that were given anonymously: "
                "it must stay anonymous."
            )
        )
    settings = dict(survey.settings)
    if topic is not None:
        topics = dict(settings.get("topic") or {})
        for code, text in topic.items():
            if code not in SUPPORTED_LANGUAGES:
                continue
            cleaned = _clean_setting(text, f"topic_{code}")
            if cleaned:
                topics[code] = cleaned
            else:
                topics.pop(code, None)
        _set_or_remove(settings, "topic", topics)
    if company is not None:
        _set_or_remove(settings, "company", _clean_setting(company, "company"))

    survey.title = new_title
    survey.languages = new_languages
    survey.default_language = new_default
    if anonymous is not None:
        survey.anonymous = anonymous
    survey.settings = settings
    audit.record(None, "survey.updated", survey)
    _commit_checked(survey, survey.main_question)
    return survey


def set_status(survey_id: int, status: str) -> Survey:
    """Move a survey to ``status``: draft -> active -> closed, closed -> active.

    Setting the current status again changes nothing. Raises NotFound,
    InvalidInput (unknown status, or a survey not ready to be activated) and
    Conflict (a transition that is not allowed, such as back to draft).
    """
    if status not in STATUSES:
        raise InvalidInput(
            _("Unknown status %(status)r: choose draft, active or closed.", status=status),
            "status",
        )
    survey = get_survey(survey_id)
    if status == survey.status:
        return survey
    if status not in TRANSITIONS[survey.status]:
        if status == "draft":
            raise Conflict(
                _("A survey that has been active cannot go back to draft: close it instead.")
            )
        raise Conflict(_("A draft survey cannot be closed: activate it first."))
    if status == "active":
        problems = activation_problems(survey)
        if problems:
            raise InvalidInput(
                _("This survey cannot be activated yet:") + " " + " ".join(problems), "status"
            )
        survey.activated_at = survey.activated_at or utcnow()
        survey.closed_at = None
    else:
        survey.closed_at = utcnow()
    audit.record(None, "survey.status_changed", survey, {"from": survey.status, "to": status})
    survey.status = status
    db.session().commit()
    return survey


def add_question(
    survey_id: int,
    question_type: str,
    text: Mapping[str, str],
    *,
    required: bool = False,
    options: Sequence[Mapping[str, Any]] | None = None,
    long: bool = False,
    allow_other: bool = False,
) -> Question:
    """Add a question at the end of a survey.

    ``text`` maps languages to the question's text; ``options`` (choice
    questions only, ignored otherwise) are ``{"label": {"en": …, "fr": …}}``
    with an optional stable ``"value"``, generated from the label when absent.
    Raises NotFound, InvalidInput (bad values, a full pulse survey, or an
    active survey that would no longer be complete).
    """
    survey = get_survey(survey_id)
    _check_type(question_type)
    if survey.kind == "pulse" and len(survey.questions) >= MAX_PULSE_QUESTIONS:
        raise InvalidInput(
            _("A pulse survey has at most %(n)s questions.", n=MAX_PULSE_QUESTIONS), "type"
        )
    main_before = survey.main_question
    texts = _merge_texts({}, text, survey)
    question = Question(
        position=len(survey.questions),
        type=question_type,
        text=texts,
        options=_clean_options(question_type, options, [], survey),
        required=required,
        settings=_question_settings(question_type, long=long, allow_other=allow_other),
    )
    survey.questions.append(question)
    audit.record(None, "survey.question_added", survey, {"type": question_type})
    _commit_checked(survey, main_before)
    return question


def update_question(
    survey_id: int,
    question_id: int,
    question_type: str,
    text: Mapping[str, str],
    *,
    required: bool = False,
    options: Sequence[Mapping[str, Any]] | None = None,
    long: bool = False,
    allow_other: bool = False,
) -> Question:
    """Change a question; arguments as in ``add_question``, an empty text removes that language.

    Options keep their stored value when their label (in any language) or
    their place is unchanged, so answers already given keep their meaning.
    Raises NotFound, InvalidInput, and Conflict when a question with answers
    would change type or lose an option someone chose.
    """
    survey = get_survey(survey_id)
    question = get_question(survey_id, question_id)
    _check_type(question_type)
    answered = question_has_answers(question.id)
    if answered and question_type != question.type:
        raise Conflict(
            _(
                "This question already has answers, so its type cannot change. "
                "Close the survey and duplicate it instead."
            )
        )
    main_before = survey.main_question
    texts = _merge_texts(question.text, text, survey)
    new_options = _clean_options(question_type, options, question.options, survey)
    if answered:
        kept = {option["value"] for option in new_options}
        lost = [option for option in question.options if option.get("value") not in kept]
        chosen = _chosen_values(question.id)
        if any(option.get("value") in chosen for option in lost):
            raise Conflict(
                _(
                    "An option that respondents already chose cannot be removed. "
                    "Close the survey and duplicate it instead."
                )
            )
    question.type = question_type
    question.text = texts
    question.options = new_options
    question.required = required
    question.settings = {
        **{
            key: value
            for key, value in question.settings.items()
            if key not in ("long", "allow_other")
        },
        **_question_settings(question_type, long=long, allow_other=allow_other),
    }
    audit.record(None, "survey.question_changed", survey, {"question_id": question.id})
    _commit_checked(survey, main_before)
    return question


def delete_question(survey_id: int, question_id: int) -> None:
    """Delete a question that has no answers; the others keep dense positions 0..n-1.

    Raises NotFound, Conflict (the question has answers) and InvalidInput
    (an active survey would no longer be complete).
    """
    survey = get_survey(survey_id)
    question = get_question(survey_id, question_id)
    if question_has_answers(question.id):
        raise Conflict(
            _(
                "This question already has answers, so it cannot be deleted. "
                "Close the survey and duplicate it instead."
            )
        )
    main_before = survey.main_question
    _reorder(survey, [other for other in survey.questions if other.id != question.id])
    audit.record(None, "survey.question_deleted", survey, {"question_id": question.id})
    _commit_checked(survey, main_before)


def move_question(survey_id: int, question_id: int, direction: Literal["up", "down"]) -> Question:
    """Swap a question with the one above or below it; at either end nothing changes.

    Raises NotFound, InvalidInput (unknown direction) and Conflict (the move
    would change which question gives the score of a survey with responses).
    """
    if direction not in ("up", "down"):
        raise InvalidInput(_("Move a question up or down."), "direction")
    survey = get_survey(survey_id)
    question = get_question(survey_id, question_id)
    ordered = list(survey.questions)
    index = ordered.index(question)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(ordered):
        main_before = survey.main_question
        ordered[index], ordered[target] = ordered[target], ordered[index]
        _reorder(survey, ordered)
        audit.record(None, "survey.question_moved", survey, {"question_id": question.id})
        _commit_checked(survey, main_before)
    return question


def duplicate_survey(survey_id: int, owner: User | None = None) -> Survey:
    """A new draft copy of a survey: its settings and questions, none of its responses.

    Raises NotFound.
    """
    source = get_survey(survey_id)
    title = _("Copy of %(title)s", title=source.title)[:MAX_TITLE_LENGTH]
    copy = Survey(
        kind=source.kind,
        title=title,
        default_language=source.default_language,
        languages=list(source.languages),
        anonymous=source.anonymous,
        public_slug=secrets.token_urlsafe(9),
        settings=dict(source.settings),
        owner_id=owner.id if owner is not None else source.owner_id,
        questions=_copied_questions(source.questions),
    )
    session = db.session()
    session.add(copy)
    audit.record(None, "survey.created", copy, {"kind": copy.kind, "copied_from": source.id})
    session.commit()
    return copy


def _commit_checked(survey: Survey, main_before: Question | None) -> None:
    """Commit the survey's changes, or roll them back when they break a published survey.

    An active or closed survey must stay complete (respondents may open it),
    and once it has responses its score must keep coming from the same question.
    """
    session = db.session()
    if survey.status != "draft":
        problems = activation_problems(survey)
        if problems:
            session.rollback()
            raise InvalidInput(
                _("This change would leave the published survey incomplete:")
                + " "
                + " ".join(problems)
            )
    main_after = survey.main_question
    if main_before is not None and main_after is not main_before and count_responses(survey.id):
        session.rollback()
        raise Conflict(
            _(
                "This change would make another question give the survey's score, "
                "but its responses were scored on the current one."
            )
        )
    session.commit()


def _reorder(survey: Survey, ordered: list[Question]) -> None:
    """Make ``ordered`` the survey's questions with positions 0..n-1 (a missing one is deleted)."""
    for position, question in enumerate(ordered):
        question.position = position
    survey.questions = ordered


def _check_type(question_type: str) -> None:
    if question_type not in QUESTION_TYPES:
        raise InvalidInput(_("Unknown question type %(type)r.", type=question_type), "type")


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("Give the survey a title."), "title")
    if len(title) > MAX_TITLE_LENGTH:
        raise InvalidInput(
            _("The title must be at most %(n)s characters.", n=MAX_TITLE_LENGTH), "title"
        )
    return title


def _clean_languages(languages: Sequence[str]) -> list[str]:
    cleaned = list(dict.fromkeys(languages))
    if not cleaned:
        raise InvalidInput(_("Choose at least one language."), "languages")
    for code in cleaned:
        if code not in SUPPORTED_LANGUAGES:
            raise InvalidInput(
                _("Unsupported language %(code)r: choose en or fr.", code=code), "languages"
            )
    return cleaned


def _clean_setting(value: str, field: str) -> str:
    value = (value or "").strip()
    if len(value) > MAX_SETTING_LENGTH:
        raise InvalidInput(
            _("This text must be at most %(n)s characters.", n=MAX_SETTING_LENGTH), field
        )
    return value


def _set_or_remove(settings: dict[str, Any], key: str, value: Any) -> None:
    if value:
        settings[key] = value
    else:
        settings.pop(key, None)


def _merge_texts(
    current: Mapping[str, Any], given: Mapping[str, str], survey: Survey
) -> dict[str, str]:
    """The question's texts after applying ``given``; at least one language must remain."""
    texts = {code: str(value) for code, value in current.items() if value}
    for code, value in given.items():
        if code not in SUPPORTED_LANGUAGES:
            continue
        value = (value or "").strip()
        if len(value) > MAX_QUESTION_TEXT_LENGTH:
            raise InvalidInput(
                _("The question must be at most %(n)s characters.", n=MAX_QUESTION_TEXT_LENGTH),
                f"text_{code}",
            )
        if value:
            texts[code] = value
        else:
            texts.pop(code, None)
    if not any(texts.get(code) for code in survey.languages):
        raise InvalidInput(_("Write the question."), f"text_{survey.default_language}")
    return texts


def _question_settings(question_type: str, *, long: bool, allow_other: bool) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if question_type == "text" and long:
        settings["long"] = True
    if question_type in CHOICE_TYPES and allow_other:
        settings["allow_other"] = True
    return settings


def _clean_options(
    question_type: str,
    options: Sequence[Mapping[str, Any]] | None,
    current: Sequence[Mapping[str, Any]],
    survey: Survey,
) -> list[dict[str, Any]]:
    """Validated options with stable values; other question types have none."""
    if question_type not in CHOICE_TYPES:
        return []
    field = f"options_{survey.default_language}"
    labels: list[dict[str, str]] = []
    given_values: list[str | None] = []
    for option in options or ():
        label: dict[str, str] = {}
        for code, text in dict(option.get("label") or {}).items():
            text = str(text or "").strip()
            if code not in SUPPORTED_LANGUAGES or not text:
                continue
            if len(text) > MAX_OPTION_LABEL_LENGTH:
                raise InvalidInput(
                    _("An option must be at most %(n)s characters.", n=MAX_OPTION_LABEL_LENGTH),
                    f"options_{code}",
                )
            label[code] = text
        if not label:
            continue
        value = str(option.get("value") or "").strip() or None
        if value is not None and len(value) > MAX_OPTION_VALUE_LENGTH:
            raise InvalidInput(_("An option's value is too long."), field)
        labels.append(label)
        given_values.append(value)
    if len(labels) > MAX_OPTIONS:
        raise InvalidInput(_("A question has at most %(n)s options.", n=MAX_OPTIONS), field)
    for code in SUPPORTED_LANGUAGES:
        texts = [label[code].casefold() for label in labels if code in label]
        if len(set(texts)) != len(texts):
            raise InvalidInput(_("Two options are the same: remove one."), f"options_{code}")
    values = _option_values(labels, given_values, current)
    if len(set(values)) != len(values):
        raise InvalidInput(_("Two options are the same: remove one."), field)
    return [{"value": value, "label": label} for value, label in zip(values, labels, strict=True)]


def _option_values(
    labels: list[dict[str, str]],
    given: list[str | None],
    current: Sequence[Mapping[str, Any]],
) -> list[str]:
    """Reuse the value of the option with the same label, else at the same place, else a new one."""
    by_label: dict[str, str] = {}
    for option in current:
        for text in dict(option.get("label") or {}).values():
            by_label.setdefault(str(text).strip().casefold(), str(option.get("value")))
    values: list[str | None] = list(given)
    claimed = {value for value in values if value}
    for index, label in enumerate(labels):
        if values[index]:
            continue
        for text in label.values():
            match = by_label.get(text.casefold())
            if match and match not in claimed:
                values[index] = match
                claimed.add(match)
                break
    result: list[str] = []
    for index, label in enumerate(labels):
        value = values[index]
        if not value and index < len(current):
            positional = str(current[index].get("value"))
            if positional not in claimed:
                value = positional
        if not value:
            # Never a value an option had before: old answers must not change meaning.
            value = _unique_slug(next(iter(label.values())), claimed | set(by_label.values()))
        claimed.add(value)
        result.append(value)
    return result


def _unique_slug(text: str, taken: set[str]) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:40] or "option"
    slug, suffix = base, 2
    while slug in taken:
        slug, suffix = f"{base}_{suffix}", suffix + 1
    return slug


def _chosen_values(question_id: int) -> set[str]:
    """Every option value some respondent chose for this question."""
    chosen: set[str] = set()
    for choices in db.session().scalars(
        sa.select(Answer.choices).where(
            Answer.question_id == question_id, Answer.choices.is_not(None)
        )
    ):
        chosen.update(str(value) for value in choices or ())
    return chosen


def _language_name(code: str) -> str:
    names = {"en": _("English"), "fr": _("French")}
    return names.get(code, code)


def _copied_questions(questions: Sequence[QuestionTemplate | Question]) -> list[Question]:
    """New questions with the same content (deep-copied JSON), numbered from 0."""
    return [
        Question(
            position=position,
            type=question.type,
            text=dict(question.text),
            options=[dict(option) for option in question.options],
            required=question.required,
            settings=dict(question.settings),
        )
        for position, question in enumerate(questions)
    ]
