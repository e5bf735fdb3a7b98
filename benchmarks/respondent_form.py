"""What a benchmark's respondent posts back from the public link's form page."""

from __future__ import annotations

import re

__all__ = ["DETRACTOR_COMMENT", "answers"]

_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_KEY = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')
_SCORE_FIELD = re.compile(r'type="radio" name="(q\d+)" value="9"')
_COMMENT_FIELD = re.compile(r'<textarea[^>]*name="(q\d+)"')
# A detractor's comment: sentiment and reason tags, a follow-up case and its alerts.
DETRACTOR_COMMENT = "Way too expensive for what it does, and support never answers my emails"


def answers(html: str, *, comment: bool = False) -> dict[str, str] | None:
    """The fields to post for the form in ``html`` (CSRF token, submission key, a score of
    9, or with ``comment`` a 3 and ``DETRACTOR_COMMENT``), or None if it is not that form."""
    csrf, key, score = _CSRF.search(html), _KEY.search(html), _SCORE_FIELD.search(html)
    if not (csrf and key and score):
        return None
    fields = {"csrf_token": csrf.group(1), "submission_key": key.group(1), score.group(1): "9"}
    if comment:
        text = _COMMENT_FIELD.search(html)
        if text is None:
            return None
        fields |= {score.group(1): "3", text.group(1): DETRACTOR_COMMENT}
    return fields
