"""Snowball stemming (nltk, no corpus needed), one cached stemmer per language."""

from __future__ import annotations

from functools import cache, lru_cache

from nltk.stem.snowball import SnowballStemmer

from surveyapp.text.language import Language

__all__ = ["MAX_STEMMED_LENGTH", "stem"]

# Longer tokens are never words of a lexicon; stemming them only costs time.
MAX_STEMMED_LENGTH = 30
_NAMES = {"en": "english", "fr": "french"}


@cache
def _stemmer(language: Language) -> SnowballStemmer:
    return SnowballStemmer(_NAMES[language])


@lru_cache(maxsize=200_000)
def stem(word: str, language: Language) -> str:
    """Return the Snowball stem of a folded ``word`` (unchanged when it is too long).

    >>> stem("installations", "en"), stem("livraisons", "fr")
    ('instal', 'livraison')
    """
    if len(word) > MAX_STEMMED_LENGTH:
        return word
    return _stemmer(language).stem(word)
