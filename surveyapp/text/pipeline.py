"""Tags, language and sentiment of one text in a single pass (what a stored answer needs).

``read_text`` cuts the text into chunks once; the tagger's tokens and the
sentiment analyser's tokens both come from those chunks (each distinct chunk is
worked out once and remembered), so nothing is tokenized twice. A workspace's
keywords and a model trained on its corrections join the rules in that one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from surveyapp.text import sentiment as sentiment_module
from surveyapp.text import stemming, tagging, tokenize
from surveyapp.text.classifier import CorrectionModel, revise
from surveyapp.text.language import token_language_scores
from surveyapp.text.sentiment import MAX_SENTIMENT_LENGTH, chunk_polarity, sentiment
from surveyapp.text.tagging import (
    MAX_TEXT_LENGTH,
    THRESHOLD,
    Keywords,
    Tag,
    analyze_tokens,
    resolve_language,
)
from surveyapp.text.tokenize import chunk_tokens, chunks

__all__ = ["Reading", "forget_words", "read_text"]


@dataclass(frozen=True)
class Reading:
    """What the engine reads in one text: language ("en", "fr" or "mixed"), tags, polarity,
    and the tags a correction model added that the rules alone missed (``learned``)."""

    language: str
    tags: list[Tag]
    sentiment: float
    learned: tuple[str, ...] = ()


def read_text(
    text: str,
    language: str | None = None,
    chosen_reason: str | None = None,
    threshold: float = THRESHOLD,
    keywords: Keywords | None = None,
    model: CorrectionModel | None = None,
) -> Reading:
    """Return the tags (as ``tag_text``), language and polarity (as ``sentiment``) of ``text``.

    ``language`` is "en", "fr", "auto" or None (detect). A mixed text's polarity is
    computed in the language with more evidence. ``keywords`` extend the lexicons;
    ``model`` revises the rules' tags (as ``classifier.tag_with_model``).
    Raises TextAnalyticsError for an unknown language.
    """
    text = (text or "")[:MAX_TEXT_LENGTH]
    parts = chunks(text)
    tokens = chunk_tokens(parts)
    languages = resolve_language(text, language, tokens)
    learned: tuple[str, ...] = ()
    if model is None:
        analysis = analyze_tokens(tokens, languages, chosen_reason, threshold, keywords=keywords)
        tags = analysis.tags
    else:
        analysis = analyze_tokens(
            tokens, languages, chosen_reason, 0.0, keep_stems=True, keywords=keywords
        )
        tags = revise(analysis, model, threshold)
        by_rules = {tag.tag for tag in analysis.tags if tag.confidence >= threshold}
        learned = tuple(tag.tag for tag in tags if tag.tag not in by_rules)
    mood_language: str = languages[0]
    if len(languages) > 1:
        en, fr = token_language_scores(tokens, text)
        mood_language = "fr" if fr > en else "en"
    if not any(ch.isalpha() for ch in text):
        polarity = 0.0
    elif len(text) <= MAX_SENTIMENT_LENGTH:
        polarity = chunk_polarity(parts, mood_language)
    else:
        polarity = sentiment(text, mood_language)
    return Reading(analysis.language, tags, polarity, learned)


def forget_words() -> None:
    """Empty the memories of words and chunks (to measure a cold start; texts are never kept)."""
    tokenize.forget_chunks()
    sentiment_module.forget_chunks()
    tagging.forget_words()
    stemming.forget_stems()
