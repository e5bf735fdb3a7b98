"""A workspace's own keywords and phrases, read like the built-in lexicon entries."""

from __future__ import annotations

import pytest

from surveyapp.text import TextAnalyticsError
from surveyapp.text.classifier import CorrectionModel, tag_with_model
from surveyapp.text.pipeline import read_text
from surveyapp.text.tagging import Keywords, keyword_words, tag_text

KEYWORDS = Keywords.of(
    [
        ("loyalty", "en", "loyalty points"),
        ("loyalty", "fr", "points de fidélité"),
        ("price", "en", "steep"),
        ("hardware", "en", "thermostat"),
    ],
    tags=["hardware", "loyalty"],
)


def names(tags: list) -> list[str]:
    return [tag.tag for tag in tags]


def test_a_custom_phrase_tags_english_and_french_texts() -> None:
    assert names(tag_text("They removed my Loyalty  Points", "en", keywords=KEYWORDS)) == [
        "loyalty"
    ]
    # Folded accents and a stem ("fidelite"/"fidélité"), and a word in between.
    assert names(tag_text("Plus de points de fidelite", "fr", keywords=KEYWORDS)) == ["loyalty"]
    assert tag_text("They removed my loyalty points", "en") == []


def test_negation_applies_to_custom_keywords() -> None:
    assert tag_text("The plan is not steep at all", "en", keywords=KEYWORDS) == []
    assert names(tag_text("The plan is steep", "en", keywords=KEYWORDS)) == ["price"]
    assert tag_text("Aucun souci avec les points de fidélité", "fr", keywords=KEYWORDS) == []


def test_custom_keywords_get_typo_tolerance_and_stemming() -> None:
    found = tag_text("The thermostats keep failing", "en", keywords=KEYWORDS)
    assert "hardware" in names(found)
    typo = tag_text("the themrostat again", "en", keywords=KEYWORDS)
    right = tag_text("the thermostat again", "en", keywords=KEYWORDS)
    assert names(typo) == names(right) == ["hardware"]
    assert typo[0].confidence < right[0].confidence


def test_a_custom_tag_is_listed_after_the_builtin_ones_and_accepted_as_chosen_reason() -> None:
    found = tag_text("Too expensive and the thermostat broke", "en", keywords=KEYWORDS)
    assert names(found)[0] == "price" and names(found)[-1] == "hardware"
    assert names(tag_text("ok", "en", chosen_reason="loyalty", keywords=KEYWORDS)) == ["loyalty"]
    assert tag_text("ok", "en", chosen_reason="loyalty") == []


def test_keyword_sets_are_hashable_and_canonical() -> None:
    again = Keywords.of(reversed(KEYWORDS.entries), tags=["loyalty", "hardware"])
    assert again == KEYWORDS and hash(again) == hash(KEYWORDS)


@pytest.mark.parametrize("phrase", ["", "   ", "!!!", "…", "😀😀"])
def test_a_keyword_without_a_word_is_refused(phrase: str) -> None:
    with pytest.raises(TextAnalyticsError):
        keyword_words(phrase)


def test_read_text_reports_the_tags_only_the_model_found() -> None:
    corrections = [
        ("The widget froze again", {"hardware"}),
        ("My widget is dead", {"hardware"}),
        ("widget broken after a week", {"hardware"}),
        ("Lovely support team", set()),
    ]
    model = CorrectionModel().learn(corrections, "en", keywords=KEYWORDS)
    reading = read_text("The widget froze", "en", keywords=KEYWORDS, model=model)
    assert "hardware" in names(reading.tags) and reading.learned == ("hardware",)
    plain = read_text("The widget froze", "en", keywords=KEYWORDS)
    assert "hardware" not in names(plain.tags) and plain.learned == ()
    assert names(tag_with_model("The widget froze", model, "en", keywords=KEYWORDS)) == names(
        reading.tags
    )
