"""Respondent pages: personal invitation links, public links, the thank-you page, staff preview.

Every page works without JavaScript, in the respondent's language, and never
keeps an IP address or user agent. Anonymous surveys remember the respondent's
submission key only in the signed session cookie, per invitation, so that the
follow-up form and a double click update the same response.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import refresh as refresh_locale
from flask_wtf.csrf import generate_csrf

from surveyapp.forms.public import ResponseForm, build_response_form
from surveyapp.i18n import best_language, supported_languages
from surveyapp.models import Invitation, Survey
from surveyapp.services import responses, surveys
from surveyapp.services.errors import Conflict, Gone, InvalidInput, NotFound
from surveyapp.web import page_cache
from surveyapp.web.access import role_required

bp = Blueprint("public", __name__)

# Each language named in itself, for the language switch.
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
# Session: invitation id -> submission key, on anonymous surveys only.
INVITATION_KEYS = "invitation_keys"
# Session: survey id -> submission key of a one-click score on a public link.
LINK_KEYS = "link_keys"


@bp.errorhandler(NotFound)
def _not_found(_error: NotFound) -> ResponseReturnValue:
    # The same page as any unknown URL: no hint whether a token or a draft exists.
    return render_template("errors/error.html", code=404), 404


@bp.errorhandler(Gone)
def _gone(_error: Gone) -> ResponseReturnValue:
    return render_template("errors/error.html", code=410), 410


@bp.route("/s/<token>", methods=["GET", "POST"])
def answer_invitation(token: str) -> ResponseReturnValue:
    """The personal survey page of one invitation; ``?score=N`` records the one-click score."""
    # HEAD (link checkers, mail scanners) neither opens the invitation nor records a score.
    visiting = request.method == "GET"
    invitation = responses.open_invitation(token, mark_opened=visiting)
    survey = invitation.survey
    language = _use_language(
        survey,
        request.args.get("lang"),
        invitation.contact.language,
        invitation.language,
        survey.default_language,
    )
    key = _remembered_key(INVITATION_KEYS, invitation.id) if survey.anonymous else None
    try:
        existing = responses.find_response(survey, invitation=invitation, submission_key=key)
    except Conflict:
        return _already_answered(survey)
    if survey.anonymous and key is None:
        key = responses.new_submission_key()
        _remember_key(INVITATION_KEYS, invitation.id, key)

    if request.method == "POST":
        return _submit(survey, language, invitation=invitation, submission_key=key)

    score_problem = None
    recorded = False
    raw_score = request.args.get("score")
    if raw_score is not None and visiting:
        try:
            score = responses.parse_score(survey, raw_score)
        except InvalidInput:
            score_problem = _score_problem(survey)
        else:
            try:
                existing = responses.record_score(
                    survey, score, language=language, invitation=invitation, submission_key=key
                )
            except Conflict:
                return _already_answered(survey)
            recorded = True
    form = build_response_form(
        survey, language, prefill=responses.answer_values(existing) if existing else None
    )
    return _page(
        survey,
        form,
        recorded=recorded,
        problem=score_problem,
        status=400 if score_problem else 200,
    )


@bp.route("/p/<slug>", methods=["GET", "POST"])
def answer_public(slug: str) -> ResponseReturnValue:
    """The anonymous public link of an active survey; each visitor makes a new response."""
    survey = responses.open_public_link(slug)
    language = _use_language(survey, request.args.get("lang"))
    if request.method == "POST":
        return _submit(survey, language, invitation=None, submission_key=None)

    score_problem = None
    recorded = False
    existing = None
    key = responses.new_submission_key()
    raw_score = request.args.get("score")
    if raw_score is None and not session.get("_flashes"):
        return _no_store(_blank_public_page(survey, language, key), 200)
    if raw_score is not None and request.method == "GET":
        try:
            score = responses.parse_score(survey, raw_score)
        except InvalidInput:
            score_problem = _score_problem(survey)
        else:
            # The same browser clicking a score again updates its response.
            key = _remembered_key(LINK_KEYS, survey.id) or key
            _remember_key(LINK_KEYS, survey.id, key)
            existing = responses.record_score(survey, score, language=language, submission_key=key)
            recorded = True
    form = build_response_form(
        survey,
        language,
        prefill=responses.answer_values(existing) if existing else None,
        submission_key=key,
    )
    return _page(
        survey,
        form,
        recorded=recorded,
        problem=score_problem,
        with_key=True,
        status=400 if score_problem else 200,
    )


@bp.route("/thanks")
def thank_you() -> ResponseReturnValue:
    """The thank-you page shown after a submission, in the language given by ``?lang``."""
    language = best_language(request.args.get("lang"))
    g.respondent_language = language
    refresh_locale()
    links = [
        _language_link(code, url_for(".thank_you", lang=code))
        for code in supported_languages()
        if code != language
    ]
    page = render_template(
        "public/thanks.html",
        company=current_app.config["COMPANY_NAME"],
        language_links=links,
    )
    return _no_store(page, 200)


@bp.route("/surveys/<int:survey_id>/preview", methods=["GET", "POST"])
@role_required("viewer")
def preview_survey(survey_id: int) -> ResponseReturnValue:
    """The form exactly as a respondent sees it, in any status; answers are checked, not saved."""
    survey = surveys.get_survey(survey_id)
    language = _use_language(survey, request.args.get("lang"), survey.default_language)
    form = build_response_form(survey, language)
    checked = form.validate_on_submit()
    return _page(
        survey,
        form,
        preview=True,
        checked=checked,
        status=400 if request.method == "POST" and not checked else 200,
    )


def _submit(
    survey: Survey,
    language: str,
    *,
    invitation: Invitation | None,
    submission_key: str | None,
) -> ResponseReturnValue:
    """Validate the posted form and store it, then redirect to the thank-you page."""
    form = build_response_form(survey, language)
    public_link = invitation is None
    if public_link:
        posted_key = form.submission_key.data
        # A form without a well-formed key still counts, as one new response.
        submission_key = (
            posted_key
            if responses.is_submission_key(posted_key)
            else responses.new_submission_key()
        )
        form.submission_key.data = submission_key
    problem = None
    if form.validate_on_submit():
        try:
            responses.submit_response(
                survey,
                form.answers(),
                language=language,
                invitation=invitation,
                submission_key=submission_key,
            )
        except Conflict:
            return _already_answered(survey)
        except InvalidInput as exc:
            problem = str(exc)
        else:
            return redirect(url_for(".thank_you", lang=language))
    return _page(survey, form, problem=problem, with_key=public_link, status=400)


def _blank_public_page(survey: Survey, language: str, submission_key: str) -> str:
    """The public link's form as every new visitor sees it (rendered once: page_cache)."""

    def render(csrf_token: str, key: str) -> str:
        form = build_response_form(survey, language, submission_key=key)
        return _render(survey, form, with_key=True, csrf_token=csrf_token)

    return page_cache.blank_form_page(
        (survey.id, survey.updated_at, language),
        render,
        csrf_token=generate_csrf() if current_app.config.get("WTF_CSRF_ENABLED", True) else "",
        submission_key=submission_key,
    )


def _page(survey: Survey, form: ResponseForm, *, status: int, **shown: Any) -> ResponseReturnValue:
    """The form page (``shown``: what ``_render`` takes) with ``status``, marked no-store."""
    return _no_store(_render(survey, form, **shown), status)


def _render(
    survey: Survey,
    form: ResponseForm,
    *,
    recorded: bool = False,
    problem: str | None = None,
    with_key: bool = False,
    preview: bool = False,
    checked: bool = False,
    csrf_token: str | None = None,
) -> str:
    """The form page; ``csrf_token`` replaces the session's (page_cache's mark)."""
    return render_template(
        "public/form.html",
        form=form,
        # The page posts to itself, in the language it is shown in.
        action=url_for(
            str(request.endpoint), **(request.view_args or {}), lang=g.respondent_language
        ),
        recorded=recorded,
        problem=problem,
        with_key=with_key,
        preview=preview,
        checked=checked,
        csrf_value=csrf_token,
        survey_id=survey.id,
        # After a one-click score the other language keeps the score (recorded again, no change).
        **_chrome(survey, keep_score=recorded),
    )


def _already_answered(survey: Survey) -> ResponseReturnValue:
    return _no_store(render_template("public/answered.html", **_chrome(survey)), 409)


def _chrome(survey: Survey, *, keep_score: bool = False) -> dict[str, Any]:
    """What the respondent header shows: the company and the other languages."""
    current = g.respondent_language
    args = dict(request.view_args or {})
    if keep_score:
        args["score"] = request.args["score"]
    links = [
        _language_link(code, url_for(str(request.endpoint), **args, lang=code))
        for code in _survey_languages(survey)
        if code != current
    ]
    company = survey.settings.get("company") or current_app.config["COMPANY_NAME"]
    return {"company": company, "language_links": links}


def _language_link(code: str, url: str) -> dict[str, str]:
    return {"code": code, "name": LANGUAGE_NAMES.get(code, code), "url": url}


def _survey_languages(survey: Survey) -> list[str]:
    supported = supported_languages()
    offered = [code for code in survey.languages if code in supported]
    return offered or [best_language(survey.default_language)]


def _use_language(survey: Survey, *preferred: str | None) -> str:
    """Pick the page's language among the survey's and hand it to Flask-Babel.

    The first of ``preferred`` the survey offers wins, then the browser's
    Accept-Language, then the survey's first language.
    """
    offered = _survey_languages(survey)
    # Accept-Language is ordered by preference; "fr-CA" counts as French.
    browser = [code for code, _quality in request.accept_languages]
    language = next(
        (short for short in map(_primary_subtag, [*preferred, *browser]) if short in offered),
        offered[0],
    )
    g.respondent_language = language
    # Flask-Babel caches the locale per context: drop anything chosen before this point.
    refresh_locale()
    return language


def _primary_subtag(code: str | None) -> str:
    return (code or "").split("-")[0].split("_")[0].lower()


def _score_problem(survey: Survey) -> str:
    main = survey.main_question
    if main is None or main.scale is None:
        return _("This survey does not take a score from a link. Please answer below.")
    low, high = main.scale
    return _(
        "The score in this link is not valid: please choose a whole number from %(low)s "
        "to %(high)s below.",
        low=low,
        high=high,
    )


def _remembered_key(store: str, ident: int) -> str | None:
    key = (session.get(store) or {}).get(str(ident))
    return key if responses.is_submission_key(key) else None


def _remember_key(store: str, ident: int, key: str) -> None:
    keys = dict(session.get(store) or {})
    keys[str(ident)] = key
    session[store] = keys


def _no_store(page: str, status: int) -> ResponseReturnValue:
    # Respondent pages can show stored answers: keep them out of shared caches.
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response
