"""The public link's blank form, rendered once per survey version and language (page_cache)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.services import surveys
from surveyapp.web.page_cache import CSRF_MARK, KEY_MARK
from tests import factories
from tests.conftest import make_test_app

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_KEY = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')
_SCORE = re.compile(r'type="radio" name="(q\d+)" value="9"')


@pytest.fixture
def csrf_app(database_url: str) -> Iterator[Flask]:
    """An app that checks CSRF tokens, as in production."""
    app = make_test_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app
        db.session().close()
    app.extensions["surveyapp.engine"].dispose()


def _values(html: str) -> tuple[str, str]:
    token, key = _TOKEN.search(html), _KEY.search(html)
    assert token is not None and key is not None
    return token.group(1), key.group(1)


def test_each_visitor_gets_their_own_token_and_key_and_can_submit(csrf_app: Flask) -> None:
    survey = factories.gen_survey("nps")
    first, second = csrf_app.test_client(), csrf_app.test_client()
    pages = [
        client.get(f"/p/{survey.public_slug}").get_data(as_text=True) for client in (first, second)
    ]
    (token_1, key_1), (token_2, key_2) = _values(pages[0]), _values(pages[1])
    assert key_1 != key_2 and token_1 != token_2
    assert CSRF_MARK not in pages[0] + pages[1] and KEY_MARK not in pages[0] + pages[1]
    # The same page but for the two values.
    assert pages[0].replace(token_1, "T").replace(key_1, "K") == pages[1].replace(
        token_2, "T"
    ).replace(key_2, "K")
    field = _SCORE.search(pages[0])
    assert field is not None
    # Each token belongs to its visitor's session.
    for client, token, key, status in ((second, token_1, key_1, 400), (first, token_1, key_1, 302)):
        answer = client.post(
            f"/p/{survey.public_slug}",
            data={"csrf_token": token, "submission_key": key, field.group(1): "9"},
        )
        assert answer.status_code == status


def test_a_changed_question_shows_at_the_next_visit(client: FlaskClient) -> None:
    survey = factories.gen_survey("nps")
    url = f"/p/{survey.public_slug}"
    assert "Would you recommend" not in client.get(url).get_data(as_text=True)
    main = survey.questions[0]
    surveys.update_question(
        survey.id, main.id, main.type, {"en": "Would you recommend Acme to a friend?"}
    )
    assert "Would you recommend Acme to a friend?" in client.get(url).get_data(as_text=True)
    french = client.get(f"{url}?lang=fr").get_data(as_text=True)
    assert 'lang="fr"' in french


def test_a_pending_message_is_shown_once(client: FlaskClient) -> None:
    survey = factories.gen_survey("nps")
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "A message for this visitor")]
    url = f"/p/{survey.public_slug}"
    assert "A message for this visitor" in client.get(url).get_data(as_text=True)
    assert "A message for this visitor" not in client.get(url).get_data(as_text=True)
