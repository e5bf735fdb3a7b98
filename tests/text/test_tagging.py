"""Reason tagging on sentences written for these tests, in English and French."""

from __future__ import annotations

import time

import pytest

from surveyapp.text import TAXONOMY, TextAnalyticsError
from surveyapp.text.language import detect_language
from surveyapp.text.tagging import analyze, tag_text


def tags_of(text: str, language: str | None = None, **kwargs: object) -> set[str]:
    return {tag.tag for tag in tag_text(text, language, **kwargs)}


@pytest.mark.parametrize(
    ("text", "language", "tag"),
    [
        ("Not expensive at all", "en", "price"),
        ("I never had a problem with support", "en", "support"),
        ("No issues with the app", "en", "bugs_reliability"),
        ("Pas cher du tout", "fr", "price"),
        ("Aucun problème avec le support", "fr", "support"),
        ("Sans problème, le site marche bien", "fr", "bugs_reliability"),
    ],
)
def test_negated_complaint_is_not_tagged(text: str, language: str, tag: str) -> None:
    assert tag not in tags_of(text, language)


@pytest.mark.parametrize(
    ("text", "language", "tag"),
    [
        ("Far too expensive", "en", "price"),
        ("The staff were rude and nobody called me back", "en", "support"),
        ("The app keeps crashing", "en", "bugs_reliability"),
        ("Beaucoup trop cher", "fr", "price"),
        ("Service client injoignable, aucune réponse à mes mails", "fr", "support"),
        ("Le site ne fonctionne pas", "fr", "bugs_reliability"),
    ],
)
def test_the_same_complaint_without_negation_is_tagged(text: str, language: str, tag: str) -> None:
    assert tag in tags_of(text, language)


def test_negation_scope_ends_at_a_contrast() -> None:
    assert tags_of("No delay at all, but the staff were rude", "en") == {"support"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The engineer never turned up and I am still waiting for my internet", {"onboarding"}),
        ("Je n'ai toujours pas reçu ma commande", {"onboarding"}),
        ("Colis arrivé cassé", {"bugs_reliability"}),
        ("Produit de mauvaise qualité, ne correspond pas à la description", {"other"}),
    ],
)
def test_tags_in_both_languages(text: str, expected: set[str]) -> None:
    assert tags_of(text) == expected


def test_several_reasons_in_one_text_give_several_tags() -> None:
    text = "Far too expensive, the app keeps crashing and support never answered"
    result = tag_text(text, "en")
    assert [tag.tag for tag in result] == ["price", "bugs_reliability", "support"]
    for tag in result:
        assert 0.5 <= tag.confidence <= 1.0
        assert tag.words, "every tag explains itself with the words that triggered it"
    assert "expensive" in result[0].words


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("We are moving abroad next month so we no longer need it", "no_longer_needed"),
        ("My husband passed away and I do not use the service", "no_longer_needed"),
        ("Je déménage à l'étranger, je n'en ai plus besoin", "no_longer_needed"),
        ("We are closing our business at the end of the year", "business_closed"),
        ("The shop went bust", "business_closed"),
        ("Cessation d'activité : nous fermons notre boutique", "business_closed"),
    ],
)
def test_reasons_the_real_data_lacks(text: str, tag: str) -> None:
    assert tag in tags_of(text)


@pytest.mark.parametrize(
    "text",
    [
        "We had to wait a month after moving in to get it fitted",
        "They closed my account without asking",
        "Le point relais était fermé",
    ],
)
def test_near_misses_of_the_guide_are_not_leaving_reasons(text: str) -> None:
    assert not tags_of(text) & {"no_longer_needed", "business_closed"}


def test_one_letter_typos_still_match() -> None:
    result = tag_text("The instalation was delayed and I recieved nothing", "en")
    assert [tag.tag for tag in result] == ["onboarding"]
    assert "instalation" in result[0].words
    assert "price" in tags_of("Way too expensve", "en")
    assert "price" not in tags_of("Way too exp", "en"), "short words get no typo fix"


def test_chosen_reason_is_a_strong_signal() -> None:
    assert tag_text("Nothing more to add", "en") == []
    result = tag_text("Nothing more to add", "en", chosen_reason="competitor")
    assert [(tag.tag, tag.confidence) for tag in result] == [("competitor", 0.9)]
    assert tag_text("Nothing", "en", chosen_reason="not-a-tag") == []


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I have been waiting for weeks and nobody answers the phone", "en"),
        ("J'attends ma commande depuis trois semaines et personne ne répond", "fr"),
        ("Toujours rien reçu", "fr"),
        ("Still nothing", "en"),
    ],
)
def test_language_detection(text: str, language: str) -> None:
    assert detect_language(text) == language
    assert analyze(text).language == language


def test_mixed_languages_use_both_lexicons() -> None:
    text = (
        "Commande jamais reçue et le service client ne répond pas. "
        "The price is far too high and the staff were rude to me"
    )
    analysis = analyze(text)
    assert analysis.language == "mixed"
    assert {"onboarding", "support", "price"} <= {tag.tag for tag in analysis.tags}


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😀😡🙏", "!!!???", "a" * 5000, "expensive " * 500, "42", "\x00\x01"],
)
def test_bad_input_never_crashes(text: str) -> None:
    result = tag_text(text)
    assert all(tag.tag in TAXONOMY and 0 <= tag.confidence <= 1 for tag in result)


def test_huge_input_stays_fast() -> None:
    start = time.perf_counter()
    tag_text("a" * 5000)
    tag_text("support " * 2500)
    assert time.perf_counter() - start < 1.0


def test_html_is_treated_as_text() -> None:
    text = "<script>alert('x')</script><b>Far too expensive</b>"
    result = tag_text(text, "en")
    assert [tag.tag for tag in result] == ["price"]
    assert "script" not in result[0].words


def test_unknown_language_is_refused() -> None:
    with pytest.raises(TextAnalyticsError, match="unknown language"):
        tag_text("hello", "de")
