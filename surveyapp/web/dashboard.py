"""Results pages: what a survey's answers add up to, for viewers and above."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from surveyapp.analytics.nps import MIN_RESPONSES_FOR_TREND
from surveyapp.services import reporting, surveys
from surveyapp.services.errors import NotFound
from surveyapp.web.access import role_required

__all__ = ["bp"]

bp = Blueprint("dashboard", __name__)

LANGUAGE_NAMES = {"en": _l("English"), "fr": _l("French")}


@bp.get("/surveys/<int:survey_id>/results")
@role_required("viewer")
def survey_results(survey_id: int) -> str:
    """The results of one survey: count, headline score with its margin, distribution, comments.

    Answers 404 for an unknown survey.
    """
    try:
        results = reporting.survey_results(survey_id)
    except NotFound:
        abort(404)
    survey = results.survey
    main = survey.main_question
    language = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    return render_template(
        "dashboard/results.html",
        results=results,
        survey=survey,
        main_question_text=surveys.question_text(survey, main, language) if main else "",
        # The public link is part of the public contract (PRODUCT.md): /p/<slug> under BASE_URL.
        public_url=f"{current_app.config['BASE_URL']}/p/{survey.public_slug}",
        min_trend=MIN_RESPONSES_FOR_TREND,
        language_names=LANGUAGE_NAMES,
    )
