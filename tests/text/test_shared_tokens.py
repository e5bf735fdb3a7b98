"""One pass over a text: shared chunks, TextBlob's polarity unchanged, false friends of stems."""

from __future__ import annotations

import pytest

from surveyapp.text.evaluation import DEFAULT_DATA_DIR
from surveyapp.text.normalize import fold
from surveyapp.text.pipeline import read_text
from surveyapp.text.sentiment import reference_polarity, sentiment
from surveyapp.text.tagging import tag_text
from surveyapp.text.tokenize import chunk_tokens, chunks, tokenize

SENTENCES = [
    ("I don't like it at all, the engineer never came!", "en"),
    ("Not bad... really not good though :) (!)", "en"),
    ("Very very happy with the service, thanks!!", "en"),
    ("Mr. Smith said it's \u201cfine\u201d, it isn't. e.g. the router", "en"),
    ("Je n\u2019ai pas aimé, vraiment pas génial :(", "fr"),
    ("Très bien, livraison rapide ! Je recommande.", "fr"),
    ("L'équipe est nulle, aucune réponse à mes mails ; c'est honteux", "fr"),
    ("Pas mal du tout :-) mais le colis n'est jamais arrivé", "fr"),
    ("", "en"),
    ("🙂🙂", "fr"),
]


@pytest.mark.parametrize(("text", "language"), SENTENCES)
def test_polarity_is_textblobs_own(text: str, language: str) -> None:
    assert sentiment(text, language) == pytest.approx(reference_polarity(text, language), abs=1e-9)


@pytest.mark.parametrize(("text", "language"), SENTENCES)
def test_shared_chunks_give_the_tokenizer_tokens(text: str, language: str) -> None:
    assert chunk_tokens(chunks(text)) == tokenize(fold(text))


@pytest.mark.parametrize(("text", "language"), SENTENCES)
def test_read_text_agrees_with_the_separate_functions(text: str, language: str) -> None:
    reading = read_text(text, language)
    assert reading.tags == tag_text(text, language)
    assert reading.sentiment == pytest.approx(sentiment(text, language), abs=1e-12)
    assert reading.language == language


def test_read_text_detects_the_language() -> None:
    reading = read_text("Je n'ai toujours pas reçu ma commande, aucune réponse du service client")
    assert reading.language == "fr"
    assert {tag.tag for tag in reading.tags} == {"onboarding", "support"}


@pytest.mark.parametrize(
    ("text", "language", "tag"),
    [
        # "déc" (December) and "décès" share the stem "dec".
        ("Commande du 3 déc, toujours rien", "fr", "no_longer_needed"),
        # "liquide" (cash, a liquid) and "liquidation" share the stem "liquid".
        ("J'ai payé en liquide et le flacon de liquide vaisselle fuyait", "fr", "business_closed"),
        # One edit away, but on the first letter: another word.
        ("Commande passée lundi, reçue mardi", "fr", "bugs_reliability"),
        # Phoning is not by itself a complaint about the staff.
        ("I phoned to order and it was installed two days later, great", "en", "support"),
        # A change made without consent is not a privacy matter.
        ("Ils ont changé mon abonnement sans mon consentement", "fr", "privacy_security"),
    ],
)
def test_false_friends_do_not_tag(text: str, language: str, tag: str) -> None:
    assert tag not in {found.tag for found in tag_text(text, language)}


@pytest.mark.parametrize(
    ("text", "language", "tag"),
    [
        ("Colis non parvenu après trois semaines", "fr", "onboarding"),
        ("Les écrans ne fonctionnent plus", "fr", "bugs_reliability"),
        ("Impossible de retourner l'article, aucun moyen de le renvoyer", "fr", "missing_feature"),
        ("La livraison est payante même pour une grosse commande", "fr", "price"),
        ("Prélevé deux fois pour le même mois", "fr", "billing"),
        ("Le vendeur ne portait pas de masque", "fr", "other"),
        ("Je vais voir chez d'autres enseignes", "fr", "competitor"),
        ("The value is not good for what you get", "en", "price"),
        ("Poor choice of channels in the package", "en", "missing_feature"),
        ("They changed my appointment without warning", "en", "support"),
        ("I had problems placing an order online", "en", "usability"),
        ("Money taken from my account for an order I never made", "en", "billing"),
    ],
)
def test_common_ways_to_say_a_reason_are_tagged(text: str, language: str, tag: str) -> None:
    assert tag in {found.tag for found in tag_text(text, language)}


def test_polarity_agrees_with_textblob_on_real_texts() -> None:
    paths = [
        (DEFAULT_DATA_DIR / "nps_verbatims_en" / "text_data.csv", "en"),
        (DEFAULT_DATA_DIR / "trustpilot_fr" / "df_for_train.csv", "fr"),
    ]
    if not all(path.exists() for path, _ in paths):
        pytest.skip(f"real data not found under {DEFAULT_DATA_DIR} (never copied here)")
    texts: list[tuple[str, str]] = []
    for path, language in paths:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        # Raw lines are real text enough for this check, and need no CSV parsing.
        texts += [(line, language) for line in lines[1:1500:3]]
    equal = sum(
        abs(sentiment(text, language) - reference_polarity(text, language)) <= 1e-9
        for text, language in texts
    )
    assert equal >= 0.99 * len(texts)
