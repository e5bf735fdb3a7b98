"""Snowball stemming (nltk, no corpus needed), one cached stemmer per language.

A third of the new words of comments (and every number) end in no suffix that a
Snowball step acts on, yet the stemmer walks all its steps for them, most of the
cost of a new word. ``_STEPPED`` gathers, from nltk's own suffix tables, every
ending that can make a step change a lower-case ASCII word; a word with none of
them is its own stem and is returned without running the stemmer (the steps'
other conditions only narrow when a matching suffix is removed).
tests/text/test_stemming.py compares the shortcut with nltk's stemmer, so an nltk
upgrade that changes the steps shows.
"""

from __future__ import annotations

from functools import cache

from nltk.stem.snowball import EnglishStemmer, FrenchStemmer, SnowballStemmer

from surveyapp.text.language import Language

__all__ = ["MAX_STEMMED_LENGTH", "forget_stems", "stem"]

# Longer tokens are never words of a lexicon; stemming them only costs time.
MAX_STEMMED_LENGTH = 30
_NAMES = {"en": "english", "fr": "french"}
# Stems remembered per language before the memory is cleared (comment words repeat).
# Plain dicts rather than functools.lru_cache: each of its entries is an object the
# garbage collector tracks, and the first thousands of new words made it run a full
# collection over every lexicon.
_STEM_MEMORY = 200_000
_memories: dict[str, dict[str, str]] = {language: {} for language in _NAMES}


def _endings(stemmer: type, steps: tuple[str, ...], extra: tuple[str, ...]) -> frozenset[str]:
    """Every ending (lower-cased) that one of the stemmer's numbered steps tests for."""
    found = set(extra)
    for step in steps:
        suffixes = getattr(stemmer, f"_{stemmer.__name__}__step{step}_suffixes")
        found.update(suffix.lower() for suffix in suffixes)
    return frozenset(found)


# Per language: the endings a step looks for (the steps test suffixes of the word, or
# of its regions, which are themselves suffixes of it; the markers the stemmers put on
# "i", "u" and "y" only change case), and the words it treats as exceptions.
_STEPPED: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "en": (
        _endings(
            EnglishStemmer,
            ("0", "1a", "1b", "2", "3", "4", "5"),
            # Step 1c turns a final "y" into "i"; step 5 tests a final "e" or "l".
            ("y", "e", "l"),
        ),
        frozenset(EnglishStemmer._EnglishStemmer__special_words),  # type: ignore[attr-defined]
    ),
    "fr": (
        _endings(
            FrenchStemmer,
            ("1", "2a", "2b", "4"),
            # Step 4 drops a final "s"; step 5 undoubles these endings.
            ("s", "enn", "onn", "ett", "ell", "eill"),
        ),
        frozenset(),
    ),
}
# Last letter -> the endings with that last letter, for one ``str.endswith`` call.
_BY_LAST: dict[str, dict[str, tuple[str, ...]]] = {
    language: {
        last: tuple(sorted(e for e in endings if e.endswith(last)))
        for last in {e[-1] for e in endings}
    }
    for language, (endings, _special) in _STEPPED.items()
}


@cache
def _stemmer(language: Language) -> SnowballStemmer:
    return SnowballStemmer(_NAMES[language])


def _unchanged(word: str, language: Language) -> bool:
    """Whether no Snowball step can change ``word``: ASCII letters (lower-case) and digits,
    no ending a step tests for, not one of the stemmer's exceptions."""
    if not (word.isascii() and word.isalnum() and (word.islower() or word.isdigit())):
        return False
    endings = _BY_LAST[language].get(word[-1])
    if endings is not None and word.endswith(endings):
        return False
    return word not in _STEPPED[language][1]


def stem(word: str, language: Language) -> str:
    """Return the Snowball stem of a folded ``word`` (unchanged when it is too long).

    >>> stem("installations", "en"), stem("livraisons", "fr"), stem("support", "en")
    ('instal', 'livraison', 'support')
    """
    memory = _memories[language]
    found = memory.get(word)
    if found is not None:
        return found
    if len(word) > MAX_STEMMED_LENGTH or _unchanged(word, language):
        stemmed = word
    else:
        stemmed = _stemmer(language).stem(word)
    if len(memory) >= _STEM_MEMORY:
        memory.clear()
    memory[word] = stemmed
    return stemmed


def forget_stems() -> None:
    """Empty the memories of stems (to measure a cold start)."""
    for memory in _memories.values():
        memory.clear()
