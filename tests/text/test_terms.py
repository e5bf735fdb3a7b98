"""Emerging terms on sentences written for the test: phrases, stopwords, coverage and lift."""

from __future__ import annotations

import pytest

from surveyapp.text.terms import Comment, comment_phrases, emerging_terms, lexicon_stems


def en(text: str, tagged: bool = False) -> Comment:
    return Comment(text, "en", tagged)


def fr(text: str, tagged: bool = False) -> Comment:
    return Comment(text, "fr", tagged)


def test_phrases_stay_within_a_clause_and_drop_edge_stopwords() -> None:
    phrases = comment_phrases("The invoices were late, and the portal crashed.", "en")
    assert set(phrases.values()) == {
        "invoices",
        "invoices were late",
        "late",
        "portal",
        "portal crashed",
        "crashed",
    }
    # Stemmed and folded: one key for "Portails"/"portail", accents gone.
    assert (
        comment_phrases("Portails illisibles", "fr").keys()
        == comment_phrases("portail ILLISIBLE", "fr").keys()
    )


def test_french_stopwords_and_accents() -> None:
    phrases = comment_phrases("Le nouveau tableau de bord est illisible", "fr")
    assert "tableau de bord" in phrases.values()
    assert not any(value.split()[0] in {"le", "de", "est"} for value in phrases.values())


def test_lexicon_words_in_tagged_comments_do_not_emerge() -> None:
    assert "expens" in lexicon_stems("en")
    recent = [en("Too expensive, the onboarding wizard loops", tagged=True) for _ in range(3)]
    phrases = {term.phrase for term in emerging_terms(recent, [])}
    assert "expensive" not in phrases
    assert "onboarding wizard loops" in phrases
    # Untagged comments count every phrase: nothing covered them.
    untagged = {term.phrase for term in emerging_terms([en("Too expensive")] * 3, [])}
    assert untagged == {"expensive"}


def test_lift_ranks_what_is_new_above_what_was_always_there() -> None:
    recent = [
        en("Sync fails with the calendar"),
        en("Calendar sync fails every morning"),
        en("Sync fails again, reports slow"),
        en("Reports slow"),
    ]
    baseline = [en("Reports slow")] * 6 + [en("All fine")] * 3

    terms = emerging_terms(recent, baseline)

    assert [(term.phrase, term.count) for term in terms] == [("sync fails", 3)]
    (term,) = terms
    # (3/4) / ((0 + 1) / (9 + 1)) = 7.5
    assert term.lift == pytest.approx(7.5) and term.share == 0.75
    assert term.baseline_count == 0 and term.baseline_share == 0.0
    loose = emerging_terms(recent, baseline, min_count=2)
    assert [term.phrase for term in loose][:2] == ["sync fails", "calendar"]
    slow = next(term for term in loose if term.phrase == "reports slow")
    # (2/4) / ((6 + 1) / (9 + 1)) = 0.714...
    assert slow.lift == pytest.approx(0.5 / 0.7, rel=1e-5)


def test_keywords_of_the_taxonomy_count_as_covered() -> None:
    recent = [fr("Le connecteur Zapier plante", tagged=True)] * 3
    assert [term.phrase for term in emerging_terms(recent, [])] == ["connecteur zapier plante"]
    covered = emerging_terms(recent, [], keywords=["connecteur zapier", "plante"])
    assert covered == []


def test_empty_and_odd_input() -> None:
    assert emerging_terms([], []) == []
    odd = [en(""), en("🙂🙂"), Comment("word " * 3000, None, False)]
    assert [(term.phrase, term.count) for term in emerging_terms(odd, [], min_count=1)] == [
        ("word word word", 1)
    ]
