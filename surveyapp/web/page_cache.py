"""A public link's blank form page, rendered once per survey version and language.

Every visitor of ``/p/<slug>`` gets the same page but for two values: the CSRF
token of their session and a new submission key. Rendering it (the template,
the form's fields, the links) cost about 60 % of such a request (1.6 -> 0.7 ms
of CPU in process), so each process renders it once with a mark in place of
each value and fills the marks in per request. The key includes the survey's
``updated_at``, which moves with any change of the survey or its questions
(services.survey_cache); translations, templates and configuration only change
with a restart. A page with a pending flashed message is not taken from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import current_app

__all__ = ["CSRF_MARK", "KEY_MARK", "blank_form_page"]

# Plain letters and digits: HTML escaping leaves them as they are, and no survey text
# could produce them by chance with both the prefix and the suffix.
CSRF_MARK = "surveyappCsrfMark4f0c9e1b"
KEY_MARK = "surveyappKeyMark8d2a7c53"
_CACHE = "surveyapp.blank_form_pages"
# Surveys × languages a process keeps pages for; past it the cache starts again.
MAX_PAGES = 1000

PageKey = tuple[int, dt.datetime, str]


def blank_form_page(
    key: PageKey, render: Callable[[str, str], str], *, csrf_token: str, submission_key: str
) -> str:
    """The page of ``key`` (survey id, its ``updated_at``, language) with these values.

    ``render(csrf, submission_key)`` renders the page; it is called with the marks,
    once per key and process.
    """
    pages: dict[PageKey, str] = current_app.extensions.setdefault(_CACHE, {})
    page = pages.get(key)
    if page is None:
        page = render(CSRF_MARK, KEY_MARK)
        if len(pages) >= MAX_PAGES:
            pages.clear()
        pages[key] = page
    return page.replace(CSRF_MARK, csrf_token).replace(KEY_MARK, submission_key)
