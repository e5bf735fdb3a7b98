"""Sentiment polarity in [-1, 1]: TextBlob's pattern analyser (en), textblob-fr's (fr).

The only module of the project that imports TextBlob. Only the lexicon-based
sentiment is used: it needs no corpus (``.words``, ``.tags`` and the like would).

Polarity is a weak signal for complaints: TextBlob reads "The price was way too
high and support never answered my tickets" as +0.16. ``python -m
surveyapp.text.evaluation`` measures how often a detractor's comment comes out
positive; never use the polarity alone to decide that a comment is a complaint.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from surveyapp.text import TextAnalyticsError
from surveyapp.text.language import detect_language

__all__ = ["MAX_SENTIMENT_LENGTH", "sentiment"]

# Polarity of a survey comment is decided by its opening; this bounds the cost of huge input.
MAX_SENTIMENT_LENGTH = 5_000


@cache
def _analyser(language: str) -> Callable[[str], tuple[float, float]]:
    # Imported on first use: loading the XML lexicons takes a noticeable moment.
    if language == "en":
        from textblob.en import sentiment as english

        return english
    from textblob_fr.fr import sentiment as french

    return french


def sentiment(text: str, language: str | None = None) -> float:
    """Return the polarity of ``text`` in [-1, 1] (0.0 for empty or wordless text).

    ``language`` is "en", "fr", or None/"auto" to detect it. Raises TextAnalyticsError
    for any other language.
    """
    if language in (None, "auto"):
        language = detect_language(text or "")
    if language not in ("en", "fr"):
        raise TextAnalyticsError(f"unknown language {language!r}: use en, fr or auto")
    text = (text or "")[:MAX_SENTIMENT_LENGTH]
    if not any(ch.isalpha() for ch in text):
        return 0.0
    polarity = float(_analyser(language)(text)[0])
    return max(-1.0, min(1.0, polarity))
