"""Pinned outputs of the text pipeline, so speed work cannot change what it reads.

The polarities are TextBlob's and textblob-fr's own (checked against
``reference_polarity``, bit for bit); odd ones, such as the French "très bien !"
at 0.0, are the analysers' and stay as they are.
"""

from __future__ import annotations

import pytest

from surveyapp.text.pipeline import read_text
from surveyapp.text.sentiment import _language, reference_polarity, sentiment
from surveyapp.text.tokenize import chunks

PINNED = [
    ("The support was very helpful!", "en", 0.25),
    ("Not good at all, never again", "en", -0.35),
    ("Really not bad :)", "en", 0.42499999999999993),
    ("Terrible (!) service", "en", -0.5),
    ("The price was way too high and support never answered my tickets", "en", 0.16),
    ("Je n'ai pas été satisfait du service", "fr", 0.3),
    ("C'est vraiment très bien !", "fr", 0.0),
    ("Ce n'est pas mauvais du tout", "fr", 0.2875),
    ("Livraison rapide, produit parfait :-)", "fr", 0.5499999999999999),
    ("aujourd'hui l'appli plante", "fr", 0.0),
]


@pytest.mark.parametrize(("text", "language", "polarity"), PINNED)
def test_polarity_is_pinned_and_equal_to_the_analysers(
    text: str, language: str, polarity: float
) -> None:
    assert sentiment(text, language) == polarity
    assert reference_polarity(text, language) == polarity


@pytest.mark.parametrize(("text", "language", "polarity"), PINNED)
def test_the_plain_dict_scorer_matches_the_analyser_on_every_token(
    text: str, language: str, polarity: float
) -> None:
    lang = _language(language)
    words = [word for chunk in chunks(text) for word, _kind in lang.chunk_tokens(chunk)]
    assert lang.polarity(words) == float(lang.analyser(words)[0])


def test_read_text_outputs_are_pinned() -> None:
    english = read_text("Way too expensive and support never answered")
    assert english.language == "en" and english.sentiment == -0.5
    assert [(tag.tag, tag.confidence) for tag in english.tags] == [
        ("price", 0.8),
        ("support", 0.8),
    ]
    french = read_text("Je n ai toujours pas reçu ma commande, service client injoignable")
    assert french.language == "fr" and french.sentiment == 0.0
    assert [(tag.tag, tag.confidence) for tag in french.tags] == [
        ("support", 0.992),
        ("onboarding", 0.998),
    ]
