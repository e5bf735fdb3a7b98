"""Respondents read the survey and every interface string in their language."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests import factories


def test_a_french_contact_sees_the_page_in_french(app: Flask, client: FlaskClient) -> None:
    survey = factories.gen_survey("nps")
    invitation = factories.gen_invitation(survey, factories.gen_contact(language="fr"))
    page = client.get(f"/s/{invitation.token}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert '<html lang="fr">' in page
    assert "Quelle est la probabilité que vous recommandiez Acme" in page
    assert "Envoyer mes réponses" in page
    assert "Send my answers" not in page


def test_an_english_contact_sees_the_page_in_english(app: Flask, client: FlaskClient) -> None:
    survey = factories.gen_survey("nps", language="fr")
    invitation = factories.gen_invitation(survey, factories.gen_contact(language="en"))
    page = client.get(f"/s/{invitation.token}", headers={"Accept-Language": "fr"}).get_data(
        as_text=True
    )
    assert '<html lang="en">' in page
    assert "How likely are you to recommend Acme" in page
    assert "Send my answers" in page


def test_the_public_link_follows_the_browser_language(app: Flask, client: FlaskClient) -> None:
    survey = factories.gen_survey("csat")
    french = client.get(f"/p/{survey.public_slug}", headers={"Accept-Language": "fr-CA,fr;q=0.9"})
    english = client.get(f"/p/{survey.public_slug}", headers={"Accept-Language": "de, en;q=0.5"})
    assert "Quel est votre niveau de satisfaction" in french.get_data(as_text=True)
    assert "Très insatisfait" in french.get_data(as_text=True)
    assert "How satisfied were you" in english.get_data(as_text=True)


def test_error_pages_are_translated(app: Flask, client: FlaskClient) -> None:
    page = client.get("/s/not-a-token", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Page introuvable" in page
