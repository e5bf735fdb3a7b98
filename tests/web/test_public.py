"""Respondent pages through the test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.models import Answer, Response, Survey
from tests import factories
from tests.conftest import make_test_app
from tests.factories_public import (
    count_rows,
    gen_attribute,
    gen_survey_with_every_type,
    stored_answers,
    stored_invitation,
    stored_responses,
)


def page(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def main_and_text(survey: Survey) -> tuple[str, str]:
    """The form field names of the main question and of the first text question."""
    text = next(q for q in survey.questions if q.type == "text")
    assert survey.main_question is not None
    return f"q{survey.main_question.id}", f"q{text.id}"


def submission_key(html: str) -> str:
    found = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html)
    assert found, "no submission key in the form"
    return found.group(1)


# --- the form -------------------------------------------------------------------------------


def test_nps_invitation_page_shows_a_labelled_scale_and_marks_the_invitation_opened(
    client: FlaskClient,
) -> None:
    survey = factories.gen_survey("nps")
    invitation = factories.gen_invitation(survey)
    main, text = main_and_text(survey)

    response = client.get(f"/s/{invitation.token}")

    html = page(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert '<body class="respondent">' in html
    assert "How likely are you to recommend Acme to a friend or colleague?" in html
    assert "<legend>" in html and 'class="scale points-11"' in html
    for number in range(11):
        assert f'<input type="radio" name="{main}" value="{number}">' in html
    assert "Not at all likely" in html and "Extremely likely" in html
    assert f'<textarea id="{text}" name="{text}"' in html
    assert "Log out" not in html
    opened = stored_invitation(invitation.id)
    assert opened.status == "opened" and opened.opened_at is not None


def test_csat_page_has_five_points_and_satisfaction_ends(client: FlaskClient) -> None:
    survey = factories.gen_survey("csat")
    invitation = factories.gen_invitation(survey)

    html = page(client.get(f"/s/{invitation.token}"))

    assert "How satisfied were you with your recent experience with us?" in html
    assert 'class="scale points-5"' in html
    assert 'value="0"' not in html and 'value="5"' in html
    assert "Very dissatisfied" in html and "Very satisfied" in html


def test_cancellation_page_offers_the_reasons_and_an_other_box(client: FlaskClient) -> None:
    survey = factories.gen_survey("cancellation")
    invitation = factories.gen_invitation(survey)
    choice = f"q{survey.questions[0].id}"

    html = page(client.get(f"/s/{invitation.token}"))

    assert "What is the main reason you are cancelling?" in html
    assert f'<input type="radio" name="{choice}" value="price"> It is too expensive' in html
    assert f'<input type="text" id="{choice}_other" name="{choice}_other"' in html


def test_every_question_type_renders_with_real_controls(client: FlaskClient) -> None:
    survey = gen_survey_with_every_type()
    ces, rating, single, multiple, yes_no, text = (f"q{q.id}" for q in survey.questions)

    html = page(client.get(f"/p/{survey.public_slug}"))

    assert 'class="scale points-7"' in html and "Very difficult" in html
    assert f'name="{rating}" value="5"' in html and "Excellent" in html
    assert f'<input type="checkbox" name="{multiple}" value="app"> The app' in html
    assert f'<input type="radio" name="{yes_no}" value="yes"> Yes' in html
    assert f'<input type="radio" name="{single}" value="other"> Other' in html
    assert f'<input type="text" id="{text}" name="{text}" value="">' in html
    assert f'name="{ces}"' in html


# --- one-click scores -------------------------------------------------------------------------


def test_one_click_score_is_recorded_at_once_and_repeating_it_updates_the_same_response(
    client: FlaskClient,
) -> None:
    survey = factories.gen_survey("nps")
    contact = factories.gen_contact()
    invitation = factories.gen_invitation(survey, contact)
    main, _text = main_and_text(survey)

    first = client.get(f"/s/{invitation.token}?score=9")

    assert first.status_code == 200
    assert "Thanks, your score is recorded." in page(first)
    assert f'name="{main}" value="9" checked' in page(first)
    [stored] = stored_responses(survey.id)
    assert (stored.score, stored.channel, stored.contact_id) == (9, "email", contact.id)
    assert stored.invitation_id == invitation.id
    assert stored_invitation(invitation.id).status == "answered"

    again = client.get(f"/s/{invitation.token}?score=9")
    changed = client.get(f"/s/{invitation.token}?score=4")

    assert again.status_code == changed.status_code == 200
    [updated] = stored_responses(survey.id)
    assert updated.id == stored.id and updated.score == 4
    assert [a.value_number for a in stored_answers(stored.id).values()] == [4]


@pytest.mark.parametrize("bad", ["11", "-1", "abc", "3.5", ""])
def test_a_bad_one_click_score_is_refused_and_records_nothing(
    client: FlaskClient, bad: str
) -> None:
    survey = factories.gen_survey("nps")
    invitation = factories.gen_invitation(survey)
    main, _text = main_and_text(survey)

    response = client.get(f"/s/{invitation.token}", query_string={"score": bad})

    html = page(response)
    assert response.status_code == 400
    assert "please choose a whole number from 0 to 10 below" in html
    assert 'role="alert"' in html
    assert f'name="{main}" value="10"' in html and " checked" not in html
    assert count_rows(Response) == 0 and count_rows(Answer) == 0


def test_one_click_score_on_a_public_link_is_remembered_by_the_session(
    client: FlaskClient,
) -> None:
    survey = factories.gen_survey("nps")
    main, text = main_and_text(survey)

    first = client.get(f"/p/{survey.public_slug}?score=3")
    client.get(f"/p/{survey.public_slug}?score=6")
    key = submission_key(page(first))
    done = client.post(
        f"/p/{survey.public_slug}", data={main: "6", text: "Slow", "submission_key": key}
    )

    assert done.status_code == 302
    [stored] = stored_responses(survey.id)
    assert (stored.score, stored.channel, stored.completed) == (6, "link", True)
    assert stored_answers(stored.id)[int(text[1:])].text == "Slow"

    other_visitor = make_client_like(client)
    other_visitor.get(f"/p/{survey.public_slug}?score=10")
    assert sorted(r.score for r in stored_responses(survey.id)) == [6, 10]


def make_client_like(client: FlaskClient) -> FlaskClient:
    """A second browser: same app, no cookies."""
    return client.application.test_client()


# --- submitting ------------------------------------------------------------------------------


def test_full_submit_stores_answers_marks_answered_and_redirects_to_thanks(
    client: FlaskClient,
) -> None:
    survey = factories.gen_survey("nps")
    invitation = factories.gen_invitation(survey)
    main, text = main_and_text(survey)

    response = client.post(
        f"/s/{invitation.token}?lang=en", data={main: "8", text: "  Good support  "}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/thanks?lang=en"
    [stored] = stored_responses(survey.id)
    answers = stored_answers(stored.id)
    assert (stored.score, stored.completed, stored.language) == (8, True, "en")
    assert answers[int(main[1:])].value_number == 8
    assert answers[int(text[1:])].text == "Good support"
    answered = stored_invitation(invitation.id)
    assert answered.status == "answered" and answered.answered_at is not None
    thanks = client.get(response.headers["Location"])
    assert thanks.status_code == 200 and "Thank you!" in page(thanks)


def test_submitting_twice_with_the_same_token_updates_the_one_response(
    client: FlaskClient,
) -> None:
    survey = factories.gen_survey("nps")
    invitation = factories.gen_invitation(survey)
    main, text = main_and_text(survey)

    client.get(f"/s/{invitation.token}?score=2")
    client.post(f"/s/{invitation.token}", data={main: "5", text: "First words"})
    again = client.post(f"/s/{invitation.token}", data={main: "7", text: ""})

    assert again.status_code == 302
    [stored] = stored_responses(survey.id)
    assert stored.score == 7
    # The optional text left empty the second time is gone, not kept from the first.
    assert list(stored_answers(stored.id)) == [int(main[1:])]
    form = page(client.get(f"/s/{invitation.token}"))
    assert f'name="{main}" value="7" checked' in form


def test_public_link_double_post_with_one_key_makes_one_response(client: FlaskClient) -> None:
    survey = factories.gen_survey("nps")
    main, text = main_and_text(survey)
    key = submission_key(page(client.get(f"/p/{survey.public_slug}")))

    for comment in ("Nice", "Nice!"):
        posted = client.post(
            f"/p/{survey.public_slug}", data={main: "10", text: comment, "submission_key": key}
        )
        assert posted.status_code == 302
    other_key = submission_key(page(client.get(f"/p/{survey.public_slug}")))
    client.post(f"/p/{survey.public_slug}", data={main: "1", "submission_key": other_key})

    stored = stored_responses(survey.id)
    assert [r.score for r in stored] == [10, 1]
    assert stored[0].submission_key == key and stored[0].invitation_id is None
    assert stored_answers(stored[0].id)[int(text[1:])].text == "Nice!"
    assert other_key != key and len(key) == 22


def test_public_link_post_without_a_key_still_counts_once(client: FlaskClient) -> None:
    survey = factories.gen_survey("csat")
    main, _text = main_and_text(survey)

    posted = client.post(f"/p/{survey.public_slug}", data={main: "4", "submission_key": "x"})

    assert posted.status_code == 302
    [stored] = stored_responses(survey.id)
    assert stored.score == 4 and stored.submission_key != "x"


def test_non_anonymous_response_copies_only_reportable_attributes(client: FlaskClient) -> None:
    gen_attribute("plan", reportable=True)
    gen_attribute("phone", reportable=False)
    survey = factories.gen_survey("nps")
    contact = factories.gen_contact(attributes={"plan": "pro", "phone": "+33 6 12 34 56 78"})
    invitation = factories.gen_invitation(survey, contact)
    main, _text = main_and_text(survey)

    client.post(f"/s/{invitation.token}", data={main: "9"})

    [stored] = stored_responses(survey.id)
    assert stored.segment == {"plan": "pro"}


# --- validation ------------------------------------------------------------------------------


def test_validation_errors_keep_what_was_typed_and_are_announced(client: FlaskClient) -> None:
    survey = factories.gen_survey("nps")
    invitation = factories.gen_invitation(survey)
    main, text = main_and_text(survey)

    response = client.post(f"/s/{invitation.token}", data={text: "Line one\r\n<b>two</b>"})

    html = page(response)
    assert response.status_code == 400
    assert 'class="error-summary" role="alert"' in html
    assert f'href="#{main}"' in html
    assert f'<p class="error" id="{main}-error" role="alert">Please answer this question.' in html
    assert f'aria-describedby="{main}-ends {main}-error"' in html
    assert "Line one\n&lt;b&gt;two&lt;/b&gt;</textarea>" in html
    assert count_rows(Response) == 0


def test_a_text_over_the_limit_is_refused_with_both_lengths_and_not_stored(
    client: FlaskClient,
) -> None:
    survey = factories.gen_survey("nps")
    invitation = factories.gen_invitation(survey)
    main, text = main_and_text(survey)

    too_long = client.post(f"/s/{invitation.token}", data={main: "6", text: "é" * 5001})

    html = page(too_long)
    assert too_long.status_code == 400
    assert "Your answer is 5001 characters long; the limit is 5000 characters." in html
    assert "é" * 5001 in html
    assert count_rows(Response) == 0 and count_rows(Answer) == 0

    at_limit = client.post(f"/s/{invitation.token}", data={main: "6", text: "é" * 5000})
    assert at_limit.status_code == 302
    [stored] = stored_responses(survey.id)
    assert stored_answers(stored.id)[int(text[1:])].text == "é" * 5000


def test_an_optional_question_left_empty_stores_no_answer(client: FlaskClient) -> None:
    survey = gen_survey_with_every_type()
    ces = f"q{survey.questions[0].id}"

    posted = client.post(f"/p/{survey.public_slug}", data={ces: "5"})

    assert posted.status_code == 302
    [stored] = stored_responses(survey.id)
    assert list(stored_answers(stored.id)) == [survey.questions[0].id]
    assert stored.score == 5


def test_choices_are_checked_against_the_options(client: FlaskClient) -> None:
    survey = gen_survey_with_every_type()
    ces, rating, single, multiple, yes_no, text = (f"q{q.id}" for q in survey.questions)

    refused = client.post(
        f"/p/{survey.public_slug}",
        data={ces: "8", single: "fax", multiple: ["web", "carrier pigeon"], yes_no: "maybe"},
    )

    html = page(refused)
    assert refused.status_code == 400
    assert "Choose a number from 1 to 7." in html
    assert html.count("Please choose") >= 4  # the three fields and the summary
    assert count_rows(Response) == 0

    accepted = client.post(
        f"/p/{survey.public_slug}",
        data={
            ces: "7",
            rating: "4",
            single: "",
            f"{single}_other": "A podcast",
            multiple: ["web", "app", "web"],
            yes_no: "no",
            text: "Ada",
        },
    )

    assert accepted.status_code == 302
    [stored] = stored_responses(survey.id)
    answers = stored_answers(stored.id)
    ids = [q.id for q in survey.questions]
    assert answers[ids[0]].value_number == 7 and answers[ids[1]].value_number == 4
    assert (answers[ids[2]].choices, answers[ids[2]].text) == (["other"], "A podcast")
    assert answers[ids[3]].choices == ["web", "app"]
    assert answers[ids[4]].choices == ["no"]
    assert answers[ids[5]].text == "Ada"


# --- anonymity -------------------------------------------------------------------------------


def test_anonymous_response_keeps_no_link_to_the_person_and_only_the_day(
    client: FlaskClient,
) -> None:
    survey = factories.gen_survey("enps")
    assert survey.anonymous
    invitation = factories.gen_invitation(survey, factories.gen_contact(attributes={"t": "x"}))
    main, text = main_and_text(survey)

    client.get(f"/s/{invitation.token}")
    posted = client.post(f"/s/{invitation.token}", data={main: "3", text: "Too much overtime"})

    assert posted.status_code == 302
    [stored] = stored_responses(survey.id)
    assert stored.contact_id is None and stored.invitation_id is None
    assert stored.segment == {} and stored.channel == "email"
    midnight = dt.time(0, 0)
    assert stored.created_at.time() == midnight and stored.updated_at.time() == midnight
    assert stored.created_at.date() == dt.datetime.now(dt.UTC).date()
    answered = stored_invitation(invitation.id)
    assert answered.status == "answered"
    assert answered.answered_at is not None and answered.answered_at.time() == midnight
    assert answered.opened_at is not None and answered.opened_at.time() == midnight

    # The same browser (back button) updates its answer; another one is politely refused.
    client.post(f"/s/{invitation.token}", data={main: "4", text: "Too much overtime"})
    stranger = make_client_like(client)
    refused_page = stranger.get(f"/s/{invitation.token}")
    refused_post = stranger.post(f"/s/{invitation.token}", data={main: "10"})

    assert refused_page.status_code == refused_post.status_code == 409
    assert "You have already answered" in page(refused_post)
    [updated] = stored_responses(survey.id)
    assert updated.score == 4 and updated.updated_at.time() == midnight


def test_anonymous_one_click_then_follow_up_updates_the_same_response(
    client: FlaskClient,
) -> None:
    survey = factories.gen_survey("nps", anonymous=True)
    invitation = factories.gen_invitation(survey)
    main, text = main_and_text(survey)

    clicked = client.get(f"/s/{invitation.token}?score=10")
    follow_up = client.post(f"/s/{invitation.token}", data={main: "10", text: "Great team"})
    stranger = make_client_like(client).get(f"/s/{invitation.token}?score=0")

    assert clicked.status_code == 200 and follow_up.status_code == 302
    assert stranger.status_code == 409
    [stored] = stored_responses(survey.id)
    assert stored.score == 10 and stored.invitation_id is None
    assert stored_answers(stored.id)[int(text[1:])].text == "Great team"


# --- what respondents cannot reach -----------------------------------------------------------


def test_an_unknown_or_tampered_token_is_a_plain_404(client: FlaskClient) -> None:
    survey = factories.gen_survey("nps")
    invitation = factories.gen_invitation(survey)
    main, _text = main_and_text(survey)
    tampered = invitation.token[:-1] + "y"

    got = client.get(f"/s/{tampered}?score=9")
    posted = client.post(f"/s/{tampered}", data={main: "9"})
    no_slug = client.get("/p/not-a-slug")
    unknown_url = client.get("/nothing-here")

    assert got.status_code == posted.status_code == no_slug.status_code == 404
    assert page(got) == page(unknown_url) == page(no_slug)
    assert count_rows(Response) == 0


@pytest.mark.parametrize(("status", "code"), [("draft", 404), ("closed", 410)])
def test_draft_surveys_are_unreachable_and_closed_ones_say_so(
    client: FlaskClient, status: str, code: int
) -> None:
    survey = factories.gen_survey("nps", status=status)
    invitation = factories.gen_invitation(survey)
    main, _text = main_and_text(survey)

    answers = [
        client.get(f"/s/{invitation.token}"),
        client.get(f"/s/{invitation.token}?score=9"),
        client.post(f"/s/{invitation.token}", data={main: "9"}),
        client.get(f"/p/{survey.public_slug}"),
        client.post(f"/p/{survey.public_slug}", data={main: "9"}),
    ]

    assert [r.status_code for r in answers] == [code] * 5
    if status == "closed":
        assert "This survey is closed" in page(answers[0])
    assert count_rows(Response) == 0
    assert stored_invitation(invitation.id).opened_at is None


def test_a_post_without_csrf_token_is_refused_and_stores_nothing(database_url: str) -> None:
    app: Flask = make_test_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        survey = factories.gen_survey("nps")
        invitation = factories.gen_invitation(survey)
        main, _text = main_and_text(survey)
        client = app.test_client()

        form = page(client.get(f"/s/{invitation.token}"))
        refused = client.post(f"/s/{invitation.token}", data={main: "9"})
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
        assert token is not None
        accepted = client.post(
            f"/s/{invitation.token}", data={main: "9", "csrf_token": token.group(1)}
        )

        assert refused.status_code == 400 and "This form has expired" in page(refused)
        assert accepted.status_code == 302
        assert [r.score for r in stored_responses(survey.id)] == [9]
        db.session().close()
    app.extensions["surveyapp.engine"].dispose()


# --- languages -------------------------------------------------------------------------------


def test_a_french_contact_sees_the_survey_in_french(client: FlaskClient) -> None:
    survey = factories.gen_survey("nps")
    invitation = factories.gen_invitation(survey, factories.gen_contact(language="fr"))
    main, text = main_and_text(survey)

    html = page(client.get(f"/s/{invitation.token}"))

    assert '<html lang="fr">' in html
    assert "Quelle est la probabilité que vous recommandiez Acme" in html
    assert "Quelle est la principale raison de votre note ?" in html
    assert 'hreflang="en" lang="en">English</a>' in html
    posted = client.post(f"/s/{invitation.token}?lang=fr", data={main: "9", text: "Très bien"})
    assert posted.headers["Location"] == "/thanks?lang=fr"
    assert '<html lang="fr">' in page(client.get("/thanks?lang=fr"))
    [stored] = stored_responses(survey.id)
    assert stored.language == "fr"


def test_the_language_switch_and_accept_language_choose_the_page_language(
    client: FlaskClient,
) -> None:
    survey = factories.gen_survey("csat")

    browser_fr = client.get(f"/p/{survey.public_slug}", headers={"Accept-Language": "fr-CA,en"})
    browser_de = client.get(f"/p/{survey.public_slug}", headers={"Accept-Language": "de"})
    switched = client.get(
        f"/p/{survey.public_slug}?lang=en", headers={"Accept-Language": "fr-CA,en"}
    )

    assert '<html lang="fr">' in page(browser_fr)
    assert "Quel est votre niveau de satisfaction concernant" in page(browser_fr)
    assert '<html lang="en">' in page(browser_de)
    assert "How satisfied were you" in page(switched)


def test_an_invitation_uses_the_contact_language_before_the_browser(client: FlaskClient) -> None:
    survey = factories.gen_survey("nps", language="fr")
    english = factories.gen_invitation(survey, factories.gen_contact(language="en"))
    unknown = factories.gen_invitation(survey, factories.gen_contact())

    assert '<html lang="en">' in page(
        client.get(f"/s/{english.token}", headers={"Accept-Language": "fr"})
    )
    # No language on the contact or the invitation: the survey's default, French.
    assert '<html lang="fr">' in page(
        client.get(f"/s/{unknown.token}", headers={"Accept-Language": "en"})
    )


# --- preview ---------------------------------------------------------------------------------


def test_preview_needs_a_login(client: FlaskClient) -> None:
    factories.gen_user("viewer")
    survey = factories.gen_survey("nps", status="draft")

    response = client.get(f"/surveys/{survey.id}/preview")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_preview_shows_any_survey_validates_and_stores_nothing(
    client: FlaskClient, login: Callable[[str], object], role: str
) -> None:
    login(role)
    survey = factories.gen_survey("nps", status="draft")
    main, text = main_and_text(survey)

    shown = client.get(f"/surveys/{survey.id}/preview?lang=fr")
    invalid = client.post(f"/surveys/{survey.id}/preview", data={text: "keep me"})
    valid = client.post(f"/surveys/{survey.id}/preview", data={main: "9", text: "ok"})

    assert shown.status_code == 200
    # ?lang=fr shows the whole page as a French respondent sees it, banner included.
    assert "Aperçu — les réponses ne sont pas enregistrées" in page(shown)
    assert "Quelle est la probabilité" in page(shown)
    back = f"/surveys/{survey.id}" if role == "editor" else "/surveys"
    assert f'<a href="{back}">' in page(shown)
    assert invalid.status_code == 400 and "keep me</textarea>" in page(invalid)
    assert valid.status_code == 200
    assert "Nothing was saved" in page(valid)
    assert count_rows(Response) == 0 and count_rows(Answer) == 0
    assert client.get("/surveys/999999/preview").status_code == 404
