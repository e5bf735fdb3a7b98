"""The staff side: the survey list, the survey builder and the user admin page.

Views parse a form, call one service and render or redirect (POST, then
redirect, then GET). Viewers read; editors build surveys; admins manage users.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from surveyapp.forms.admin import (
    KIND_DESCRIPTIONS,
    LANGUAGE_NAMES,
    QUESTION_TYPE_LABELS,
    ActionForm,
    MoveForm,
    NewSurveyForm,
    NewUserForm,
    QuestionForm,
    ScheduleForm,
    StatusForm,
    SurveySettingsForm,
    UserUpdateForm,
    options_from_form,
    options_to_form,
)
from surveyapp.forms.enps import ShareForm
from surveyapp.models import Question, Survey
from surveyapp.services import anonymity, pulses, survey_access, surveys, users
from surveyapp.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from surveyapp.services.survey_kinds import KIND_TEMPLATES
from surveyapp.web.access import role_required

bp = Blueprint("admin", __name__)

# Service field names that differ from the form field showing them.
FIELD_ALIASES = {"language": "default_language"}


@bp.route("/")
@role_required("viewer")
def index() -> Response:
    """Send staff to the survey list (the login or setup page when not logged in)."""
    return redirect(url_for("admin.list_surveys"))


@bp.route("/surveys")
@role_required("viewer")
def list_surveys() -> str:
    """Every survey with its status and number of responses; a manager's teams' eNPS."""
    every = surveys.list_surveys()
    return render_template(
        "admin/surveys.html",
        surveys=survey_access.visible_surveys(current_user, every),
        team_surveys=survey_access.team_surveys(current_user, every),
        counts=surveys.response_counts(),
        kind_label=_kind_label,
    )


@bp.route("/surveys/new", methods=["GET", "POST"])
@role_required("editor")
def new_survey() -> str | tuple[str, int] | Response:
    """Create a survey from a kind; it starts as a draft with the kind's questions."""
    form = NewSurveyForm()
    if request.method == "GET":
        form.default_language.data = _user_language()
    if form.validate_on_submit():
        try:
            survey_access.check_may_create(current_user, form.kind.data)
            survey = surveys.create_survey(
                form.kind.data,
                form.title.data,
                language=form.default_language.data,
                languages=form.languages.data,
                anonymous=form.anonymous_choice(),
                owner=current_user._get_current_object(),
            )
        except InvalidInput as exc:
            _attach_error(form, exc)
        else:
            flash(_("Survey created. Check its questions, then activate it."), "success")
            return redirect(url_for("admin.edit_survey", survey_id=survey.id))
    page = render_template(
        "admin/new_survey.html",
        form=form,
        kinds=[(kind, _kind_label(kind), KIND_DESCRIPTIONS[kind]) for kind in KIND_TEMPLATES],
    )
    return (page, 400) if form.errors else page


@bp.route("/surveys/<int:survey_id>", methods=["GET", "POST"])
@role_required("viewer")
def edit_survey(survey_id: int) -> str | tuple[str, int] | Response:
    """Show a survey (read-only for viewers); editors change its settings here."""
    if request.method == "POST" and not current_user.can("editor"):
        abort(403)
    survey = _survey_or_404(survey_id)
    if request.method == "GET":
        return _render_survey(survey, settings_form=_settings_form(survey))
    form = SurveySettingsForm()
    if form.validate_on_submit():
        try:
            # Checked first: a refused threshold leaves every other setting as it was.
            anonymity.set_reporting_threshold(survey.id, form.reporting_threshold.data)
            surveys.update_survey(
                survey.id,
                title=form.title.data,
                languages=form.languages.data,
                default_language=form.default_language.data,
                anonymous=form.anonymous.data,
                topic={"en": form.topic_en.data, "fr": form.topic_fr.data}
                if _uses_topic(survey)
                else None,
                company=form.company.data,
            )
        except (InvalidInput, Conflict) as exc:
            _attach_error(form, exc)
        else:
            flash(_("Settings saved."), "success")
            return redirect(url_for("admin.edit_survey", survey_id=survey.id))
    return _render_survey(surveys.get_survey(survey.id), settings_form=form), 400


@bp.route("/surveys/<int:survey_id>/status", methods=["POST"])
@role_required("editor")
def change_status(survey_id: int) -> Response:
    """Activate, close or reopen a survey."""
    survey = _survey_or_404(survey_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            surveys.set_status(survey.id, form.status.data)
        except (InvalidInput, Conflict) as exc:
            flash(str(exc), "error")
        else:
            messages = {
                "active": _("The survey is active: respondents can answer it."),
                "closed": _("The survey is closed: it no longer accepts answers."),
            }
            flash(messages.get(form.status.data, _("Status changed.")), "success")
    return redirect(url_for("admin.edit_survey", survey_id=survey.id))


@bp.route("/surveys/<int:survey_id>/duplicate", methods=["POST"])
@role_required("editor")
def duplicate_survey(survey_id: int) -> Response:
    """Copy a survey into a new draft (to change questions that already have answers)."""
    survey = _survey_or_404(survey_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    copy = surveys.duplicate_survey(survey.id, owner=current_user._get_current_object())
    flash(_("This is a new draft copy of the survey."), "success")
    return redirect(url_for("admin.edit_survey", survey_id=copy.id))


@bp.route("/surveys/<int:survey_id>/questions", methods=["POST"])
@role_required("editor")
def add_question(survey_id: int) -> tuple[str, int] | Response:
    """Add a question at the end of the survey."""
    survey = _survey_or_404(survey_id)
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            surveys.add_question(survey.id, **_question_arguments(form, survey))
        except (InvalidInput, Conflict) as exc:
            _attach_error(form, exc)
        else:
            flash(_("Question added."), "success")
            return redirect(url_for("admin.edit_survey", survey_id=survey.id) + "#questions")
    return _render_survey(
        surveys.get_survey(survey.id), settings_form=_settings_form(survey), question_form=form
    ), 400


@bp.route("/surveys/<int:survey_id>/questions/<int:question_id>", methods=["GET", "POST"])
@role_required("editor")
def edit_question(survey_id: int, question_id: int) -> str | tuple[str, int] | Response:
    """Change one question."""
    survey = _survey_or_404(survey_id)
    question = _question_or_404(survey, question_id)
    if request.method == "GET":
        form = QuestionForm(data=_question_data(question))
        return render_template(
            "admin/question.html", survey=survey, question=question, form=form, **_names()
        )
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            surveys.update_question(survey.id, question.id, **_question_arguments(form, survey))
        except (InvalidInput, Conflict) as exc:
            _attach_error(form, exc)
        else:
            flash(_("Question saved."), "success")
            return redirect(url_for("admin.edit_survey", survey_id=survey.id) + "#questions")
    survey = surveys.get_survey(survey.id)
    question = _question_or_404(survey, question_id)
    page = render_template(
        "admin/question.html", survey=survey, question=question, form=form, **_names()
    )
    return page, 400


@bp.route("/surveys/<int:survey_id>/questions/<int:question_id>/delete", methods=["POST"])
@role_required("editor")
def delete_question(survey_id: int, question_id: int) -> Response:
    """Delete a question that has no answers yet."""
    survey = _survey_or_404(survey_id)
    question = _question_or_404(survey, question_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        surveys.delete_question(survey.id, question.id)
    except (InvalidInput, Conflict) as exc:
        flash(str(exc), "error")
    else:
        flash(_("Question deleted."), "success")
    return redirect(url_for("admin.edit_survey", survey_id=survey.id) + "#questions")


@bp.route("/surveys/<int:survey_id>/questions/<int:question_id>/move", methods=["POST"])
@role_required("editor")
def move_question(survey_id: int, question_id: int) -> Response:
    """Move a question one place up or down."""
    survey = _survey_or_404(survey_id)
    question = _question_or_404(survey, question_id)
    form = MoveForm()
    if form.validate_on_submit():
        try:
            surveys.move_question(survey.id, question.id, form.direction.data)
        except (InvalidInput, Conflict) as exc:
            flash(str(exc), "error")
    return redirect(url_for("admin.edit_survey", survey_id=survey.id) + "#questions")


@bp.route("/surveys/<int:survey_id>/schedule", methods=["POST"])
@role_required("editor")
def set_schedule(survey_id: int) -> str | tuple[str, int] | Response:
    """Make a pulse survey recur (or stop recurring); the worker opens each wave."""
    survey = _survey_or_404(survey_id)
    form = ScheduleForm()
    if form.validate_on_submit():
        key = (form.segment_key.data or "").strip()
        segment = {key: (form.segment_value.data or "").strip()} if key else {}
        try:
            pulses.set_schedule(
                survey.id, form.frequency.data or None, form.starts_on.data, segment
            )
        except InvalidInput as exc:
            _attach_error(form, exc, default_field="frequency")
        else:
            flash(_("The schedule is saved."), "success")
            return redirect(url_for("admin.edit_survey", survey_id=survey.id) + "#schedule")
    page = _render_survey(survey, settings_form=_settings_form(survey), schedule_form=form)
    return page, 400


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def list_users() -> str | tuple[str, int] | Response:
    """Every staff account, and a form to create one."""
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = users.create_user(
                form.email.data, form.password.data, form.role.data, form.name.data or ""
            )
        except (InvalidInput, Conflict) as exc:
            _attach_error(form, exc, default_field="email")
        else:
            flash(_("Account created for %(email)s.", email=user.email), "success")
            return redirect(url_for("admin.list_users"))
    accounts = users.list_users()
    update_forms = {
        user.id: UserUpdateForm(
            prefix=f"user{user.id}", role=user.role, active=user.is_active, hr=user.hr
        )
        for user in accounts
    }
    page = render_template("admin/users.html", users=accounts, form=form, update_forms=update_forms)
    return (page, 400) if form.errors else page


@bp.route("/users/<int:user_id>", methods=["POST"])
@role_required("admin")
def update_user(user_id: int) -> Response:
    """Change an account's role or deactivate it (never the last active admin)."""
    form = UserUpdateForm(prefix=f"user{user_id}")
    if not form.validate_on_submit():
        flash(_("The change could not be read; please try again."), "error")
        return redirect(url_for("admin.list_users"))
    try:
        user = users.update_user(user_id, role=form.role.data, active=form.active.data)
        user = survey_access.set_hr(user_id, form.hr.data)
    except NotFound:
        abort(404)
    except (InvalidInput, Conflict) as exc:
        flash(str(exc), "error")
    else:
        flash(_("Account %(email)s updated.", email=user.email), "success")
    return redirect(url_for("admin.list_users"))


def _survey_or_404(survey_id: int) -> Survey:
    try:
        return surveys.get_survey(survey_id)
    except NotFound:
        abort(404)


def _question_or_404(survey: Survey, question_id: int) -> Question:
    for question in survey.questions:
        if question.id == question_id:
            return question
    abort(404)


def _render_survey(
    survey: Survey,
    *,
    settings_form: SurveySettingsForm,
    question_form: QuestionForm | None = None,
    schedule_form: ScheduleForm | None = None,
) -> str:
    """The survey page: settings, status buttons, questions and the add-question form."""
    if question_form is None:
        question_form = QuestionForm(formdata=None, data={"type": "text"})
    if schedule_form is None and survey.kind in pulses.RECURRING_KINDS:
        schedule_form = _schedule_form(survey)
    return render_template(
        "admin/survey.html",
        survey=survey,
        settings_form=settings_form,
        question_form=question_form,
        schedule_form=schedule_form,
        waves=pulses.list_waves(survey.id) if survey.kind in pulses.RECURRING_KINDS else [],
        recurring=survey.kind in pulses.RECURRING_KINDS,
        restricted=survey_access.is_restricted(survey),
        shares=survey_access.list_shares(survey.id) if survey_access.is_restricted(survey) else [],
        share_form=ShareForm(),
        response_count=surveys.count_responses(survey.id),
        problems=surveys.activation_problems(survey),
        public_url=current_app.config["BASE_URL"]
        + url_for("public.answer_public", slug=survey.public_slug, _external=False),
        uses_topic=_uses_topic(survey),
        kind_label=_kind_label(survey.kind),
        can_add=survey.kind != "pulse" or len(survey.questions) < surveys.MAX_PULSE_QUESTIONS,
        max_pulse=surveys.MAX_PULSE_QUESTIONS,
        question_label=lambda question: surveys.question_text(
            survey, question, _display_language(survey)
        ),
        **_names(),
    )


def _schedule_form(survey: Survey) -> ScheduleForm:
    schedule = pulses.Schedule.from_settings(survey.settings)
    if schedule is None:
        return ScheduleForm(formdata=None)
    key, value = next(iter(schedule.segment.items()), ("", ""))
    return ScheduleForm(
        formdata=None,
        frequency=schedule.frequency,
        starts_on=schedule.starts_on,
        segment_key=key,
        segment_value=value,
    )


def _settings_form(survey: Survey) -> SurveySettingsForm:
    topics = survey.settings.get("topic") or {}
    return SurveySettingsForm(
        formdata=None,
        data={
            "title": survey.title,
            "default_language": survey.default_language,
            "languages": list(survey.languages),
            "anonymous": survey.anonymous,
            "reporting_threshold": survey.reporting_threshold,
            "topic_en": topics.get("en", ""),
            "topic_fr": topics.get("fr", ""),
            "company": survey.settings.get("company", ""),
        },
    )


def _question_data(question: Question) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": question.type,
        "required": question.required,
        "long": bool(question.settings.get("long")),
        "allow_other": bool(question.settings.get("allow_other")),
    }
    for code in surveys.SUPPORTED_LANGUAGES:
        data[f"text_{code}"] = question.text.get(code, "")
        data[f"options_{code}"] = options_to_form(question.options, code)
    return data


def _question_arguments(form: QuestionForm, survey: Survey) -> dict[str, Any]:
    """The service arguments of a question form; only the survey's languages are read."""
    return {
        "question_type": form.type.data,
        "text": {code: getattr(form, f"text_{code}").data or "" for code in survey.languages},
        "required": form.required.data,
        "options": options_from_form(form, list(survey.languages)),
        "long": form.long.data,
        "allow_other": form.allow_other.data,
    }


def _attach_error(form: FlaskForm, exc: ServiceError, default_field: str | None = None) -> None:
    """Show a service's refusal next to the field it names, else at the top of the form."""
    name = getattr(exc, "field", None) or default_field
    name = FIELD_ALIASES.get(name, name) if name else None
    field = form._fields.get(name) if name else None
    if field is not None:
        field.errors = [*field.errors, str(exc)]
    else:
        form.form_errors.append(str(exc))


def _uses_topic(survey: Survey) -> bool:
    """CSAT surveys, and any survey whose questions mention {topic}, name a topic."""
    return survey.kind == "csat" or any(
        "{topic}" in str(text) for question in survey.questions for text in question.text.values()
    )


def _kind_label(kind: str) -> str:
    label = KIND_TEMPLATES[kind].label
    return label.get(_user_language()) or label["en"]


def _user_language() -> str:
    return str(get_locale() or "en")


def _display_language(survey: Survey) -> str:
    language = _user_language()
    return language if language in survey.languages else survey.default_language


def _names() -> dict[str, Any]:
    return {"language_names": LANGUAGE_NAMES, "type_labels": QUESTION_TYPE_LABELS}
