"""The stemmer's shortcut for words no Snowball step can change gives nltk's own stems."""

from __future__ import annotations

import importlib
import random

import pytest

from surveyapp.text import stemming
from surveyapp.text.normalize import fold
from surveyapp.text.tokenize import words


def _lexicon_words(language: str) -> set[str]:
    module = importlib.import_module(f"surveyapp.text.lexicons.{language}")
    phrases = [p for group in module.GROUPS.values() for p in group]
    phrases += [spec for specs in module.RULES.values() for spec in specs]
    return {word for phrase in phrases for word in words(fold(phrase))}


def _generated(seed: int, count: int) -> set[str]:
    # Vowels, "y", the letters the steps' endings use, digits: every ending shape occurs.
    rng = random.Random(seed)
    letters = "aeiouyybcdfghlmnrstvqxz019"
    return {"".join(rng.choices(letters, k=rng.randint(1, 12))) for _ in range(count)}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_shortcut_gives_nltk_stems(language: str) -> None:
    stemmer = stemming._stemmer(language)
    candidates = _lexicon_words("en") | _lexicon_words("fr") | _generated(8, 40_000)
    kept = [word for word in candidates if stemming._unchanged(word, language)]
    assert len(kept) > 5_000  # the shortcut is taken, so this test checks something
    assert [word for word in kept if stemmer.stem(word) != word] == []
    # And the words it leaves to the stemmer are stemmed as before.
    for word in sorted(candidates)[:3_000]:
        stemming.forget_stems()
        assert stemming.stem(word, language) == stemmer.stem(word)


@pytest.mark.parametrize(
    ("word", "language"),
    [
        ("news", "en"),
        ("skies", "en"),
        ("happy", "en"),
        ("Support", "en"),
        ("chiens", "fr"),
        ("rapidement", "fr"),
    ],
)
def test_shortcut_leaves_exceptions_and_endings_to_the_stemmer(word: str, language: str) -> None:
    assert not stemming._unchanged(word, language)
