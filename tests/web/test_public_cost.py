"""What a public-link submission costs the database, and the per-process caches it relies on.

The load benchmark (docs/benchmarks.md) depends on a POST doing few statements and
on each process keeping the survey and its form; these tests keep both honest:
every change of a survey, made by this process or another, is seen at once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.models import Survey
from surveyapp.services import responses, rollups, surveys
from surveyapp.services.responses import AnswerValue, new_submission_key, submit_response
from tests import factories
from tests.concurrency import race
from tests.conftest import make_test_app
from tests.factories_public import stored_responses
from tests.web.test_public import main_and_text, page, submission_key

FIRST, END = dt.date(2020, 1, 1), dt.date(2100, 1, 1)


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert found, "no CSRF token in the form"
    return found.group(1)


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs inside the block, in order."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(" ".join(str(args[2]).split()))

    engine = app.extensions["surveyapp.engine"]
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_a_public_post_reads_one_row_and_writes_without_looking_first(database_url: str) -> None:
    """Each request in its own app context and session, as under gunicorn."""
    application = make_test_app(database_url)
    with application.app_context():
        survey = factories.gen_survey("nps")
        main, _text = main_and_text(survey)
        survey_id, url = survey.id, f"/p/{survey.public_slug}"
        db.session().close()
    client = application.test_client()
    client.get(url)
    key = submission_key(page(client.get(url)))

    with statements(application) as seen:
        posted = client.post(url, data={main: "9", "submission_key": key})

    assert posted.status_code == 302
    reads = [sql for sql in seen if sql.startswith("SELECT")]
    # The survey's version (its questions come from the process's cache; a new key needs
    # neither a lookup, nor a lock, nor a read of earlier tags), then the active webhook
    # subscriptions (one small table, read so an event is queued in this transaction).
    assert len(reads) == 2, reads
    assert reads[0].startswith("SELECT surveys.id, surveys.updated_at")
    assert reads[1].startswith("SELECT webhook_endpoints.id")
    assert not [sql for sql in seen if sql.startswith(("UPDATE", "DELETE"))], seen
    with application.app_context():
        assert [r.score for r in stored_responses(survey_id)] == [9]
        db.session().close()
    application.extensions["surveyapp.engine"].dispose()


def test_a_changed_question_shows_at_once_on_the_cached_public_page(database_url: str) -> None:
    """Each request in its own app context and session, as under gunicorn: the cache is used."""
    application = make_test_app(database_url)
    with application.app_context():
        survey = factories.gen_survey("nps")
        survey_id, main_id, url = survey.id, survey.questions[0].id, f"/p/{survey.public_slug}"
        db.session().close()
    client = application.test_client()
    assert "How likely are you" in page(client.get(url))

    with application.app_context():
        surveys.update_question(
            survey_id,
            main_id,
            "nps",
            {"en": "Would you tell a friend about us?", "fr": "En parleriez-vous ?"},
            required=True,
        )
        surveys.add_question(survey_id, "yes_no", {"en": "Back next year?", "fr": "De retour ?"})
        db.session().close()

    html = page(client.get(url))
    assert "Would you tell a friend about us?" in html and "How likely are you" not in html
    assert "Back next year?" in html
    application.extensions["surveyapp.engine"].dispose()


def test_changes_made_by_another_process_are_seen_at_once(database_url: str) -> None:
    """Two applications stand for two gunicorn workers, each with its own caches."""
    first, second = make_test_app(database_url), make_test_app(database_url)
    with first.app_context():
        survey = factories.gen_survey("nps")
        slug, survey_id = survey.public_slug, survey.id
        main_id = survey.questions[0].id
        db.session().close()
    reader = first.test_client()
    assert "How likely are you" in page(reader.get(f"/p/{slug}"))

    with second.app_context():
        surveys.update_question(
            survey_id, main_id, "nps", {"en": "Tell a friend?", "fr": "En parler ?"}, required=True
        )
        db.session().close()
    assert "Tell a friend?" in page(reader.get(f"/p/{slug}"))

    with second.app_context():
        surveys.set_status(survey_id, "closed")
        db.session().close()
    assert reader.get(f"/p/{slug}").status_code == 410
    key = new_submission_key()
    assert (
        reader.post(f"/p/{slug}", data={f"q{main_id}": "9", "submission_key": key}).status_code
        == 410
    )
    with first.app_context():
        assert (
            db.session().scalar(sa.select(Survey.status).where(Survey.id == survey_id)) == "closed"
        )
        assert stored_responses(survey_id) == []
        db.session().close()
    for application in (first, second):
        application.extensions["surveyapp.engine"].dispose()


def test_the_form_follows_the_page_language_with_its_cached_class(client: FlaskClient) -> None:
    survey = factories.gen_survey("nps")
    url = f"/p/{survey.public_slug}"
    for _twice in range(2):
        french = page(client.get(f"{url}?lang=fr"))
        english = page(client.get(f"{url}?lang=en"))
        assert "Pas du tout probable" in french and "Not at all likely" not in french
        assert "Not at all likely" in english and "Pas du tout probable" not in english


def test_racing_resubmissions_of_one_public_key_keep_one_response_and_exact_rollups(
    database_url: str,
) -> None:
    """A key already used makes the first, optimistic insert fail; the retry updates once."""
    setup = make_test_app(database_url)
    key = new_submission_key()
    with setup.app_context():
        survey = factories.gen_survey("nps")
        slug, survey_id, main_id = survey.public_slug, survey.id, survey.questions[0].id
        submit_response(survey, {main_id: AnswerValue(number=4)}, language="en", submission_key=key)
        db.session().close()

    def resubmit(ready: Callable[[], None]) -> None:
        survey = responses.open_public_link(slug)
        ready()
        submit_response(survey, {main_id: AnswerValue(number=9)}, language="en", submission_key=key)

    race(database_url, 4, resubmit)
    with setup.app_context():
        [stored] = stored_responses(survey_id)
        assert stored.score == 9 and stored.submission_key == key
        days = rollups.daily_counts([survey_id], FIRST, END)[survey_id]
        raw = rollups.raw_daily_counts([survey_id], FIRST, END)[survey_id]
        assert days == raw and [(n, histogram) for _v, _d, n, histogram in days] == [(1, {9: 1})]
        db.session().close()
    setup.extensions["surveyapp.engine"].dispose()


def test_the_statement_log_sees_inserts(app: Flask) -> None:
    """The helper above must see writes, or the first test could pass by seeing nothing."""
    with statements(app) as seen:
        factories.gen_survey("nps")
    assert any(re.match(r"INSERT INTO surveys", sql) for sql in seen)


def test_a_returning_respondent_gets_no_cookie_rewritten(database_url: str) -> None:
    """Only the first page sets the session (its CSRF token); later pages and posts set none."""
    application = make_test_app(database_url, WTF_CSRF_ENABLED=True)
    with application.app_context():
        survey = factories.gen_survey("nps")
        main, _text = main_and_text(survey)
        url = f"/p/{survey.public_slug}"
        client = application.test_client()
        first = client.get(url)
        assert [c.split("=")[0] for c in first.headers.getlist("Set-Cookie")] == ["session"]

        again = client.get(url)
        html = page(again)
        posted = client.post(
            url,
            data={
                "csrf_token": csrf_token(html),
                "submission_key": submission_key(html),
                main: "9",
            },
        )

        assert again.headers.getlist("Set-Cookie") == []
        assert posted.status_code == 302 and posted.headers.getlist("Set-Cookie") == []
        db.session().close()
    application.extensions["surveyapp.engine"].dispose()
