"""A light French/English detector: stopword counts plus French accents.

Good enough for survey comments (a sentence or a paragraph); it needs no model.
Texts with no evidence either way fall back to the default language.
"""

from __future__ import annotations

import re
from typing import Literal

from surveyapp.text.normalize import fold
from surveyapp.text.tokenize import words

__all__ = [
    "LANGUAGES",
    "STOPWORDS",
    "Language",
    "detect_language",
    "language_scores",
    "token_language_scores",
]

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "fr")

# Frequent function words that are rare in the other language (so "a", "on", "me" are out).
_EN = frozenset(
    [
        "the",
        "and",
        "is",
        "was",
        "are",
        "were",
        "have",
        "has",
        "had",
        "been",
        "be",
        "this",
        "that",
        "with",
        "for",
        "not",
        "my",
        "your",
        "our",
        "i",
        "you",
        "they",
        "it",
        "we",
        "of",
        "to",
        "in",
        "at",
        "from",
        "but",
        "they",
        "them",
        "there",
        "what",
        "when",
        "which",
        "who",
        "would",
        "could",
        "should",
        "will",
        "did",
        "does",
        "do",
        "no",
        "very",
        "still",
        "after",
        "before",
        "because",
        "about",
        "just",
        "been",
        "get",
        "got",
        "out",
        "into",
        "than",
        "then",
        "their",
        "its",
        "only",
        "also",
        "ever",
        "never",
        "over",
        "all",
        "any",
    ]
)
_FR = frozenset(
    [
        "le",
        "la",
        "les",
        "un",
        "une",
        "des",
        "du",
        "de",
        "et",
        "est",
        "sont",
        "etait",
        "ete",
        "avoir",
        "avec",
        "pour",
        "pas",
        "ne",
        "n",
        "mon",
        "ma",
        "mes",
        "votre",
        "vos",
        "notre",
        "nos",
        "je",
        "j",
        "vous",
        "il",
        "elle",
        "ils",
        "nous",
        "on",
        "qui",
        "que",
        "qu",
        "quoi",
        "dans",
        "sur",
        "mais",
        "tres",
        "toujours",
        "jamais",
        "rien",
        "aucun",
        "aucune",
        "ce",
        "cette",
        "ces",
        "c",
        "d",
        "l",
        "s",
        "au",
        "aux",
        "ai",
        "avons",
        "avez",
        "ont",
        "deja",
        "apres",
        "avant",
        "car",
        "donc",
        "plus",
        "sans",
        "chez",
        "leur",
        "leurs",
    ]
)
STOPWORDS: dict[str, frozenset[str]] = {"en": _EN, "fr": _FR}
_FR_ACCENTS_RE = re.compile(r"[éèêàùçâîôûëïœ]", re.IGNORECASE)


def language_scores(text: str) -> tuple[int, int]:
    """Return the (English, French) evidence counts of ``text``."""
    tokens = words(fold(text[:2000]))
    # map over the set's own lookup: no Python frame per token.
    en = sum(map(_EN.__contains__, tokens))
    fr = sum(map(_FR.__contains__, tokens))
    fr += min(len(_FR_ACCENTS_RE.findall(text[:2000])), 3)
    return en, fr


def token_language_scores(tokens: list[str], text: str) -> tuple[int, int]:
    """Return ``language_scores(text)`` from the text's tokens (``tokenize(fold(text))``)."""
    # About the first 2,000 characters, as language_scores reads.
    head = tokens[:400]
    en = sum(map(_EN.__contains__, head))
    fr = sum(map(_FR.__contains__, head))
    fr += min(len(_FR_ACCENTS_RE.findall(text[:2000])), 3)
    return en, fr


def detect_language(text: str, default: Language = "en") -> Language:
    """Return "fr" or "en" for ``text``; ``default`` when there is no evidence or a tie.

    >>> detect_language("Je n'ai toujours pas reçu ma commande")
    'fr'
    >>> detect_language("Still waiting for the engineer")
    'en'
    """
    en, fr = language_scores(text)
    if en == fr:
        return default
    return "en" if en > fr else "fr"
