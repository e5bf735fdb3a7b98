"""The survey builder and the user admin pages, through the test client and a real database."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.models import Survey, User
from surveyapp.models.survey import KINDS, QUESTION_TYPES
from surveyapp.services import surveys
from tests import factories, factories_enps
from tests.conftest import make_test_app
from tests.factories_admin import gen_answer

Login = Callable[..., object]


def _stored(survey_id: int) -> Survey:
    db.session().expire_all()
    return surveys.get_survey(survey_id)


def _text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def test_index_sends_to_setup_then_login_then_the_survey_list(
    client: FlaskClient, login: Login
) -> None:
    assert client.get("/").headers["Location"] == "/setup"
    factories.gen_user("viewer")
    assert client.get("/").headers["Location"].startswith("/login")
    login("viewer")
    assert client.get("/").headers["Location"] == "/surveys"


def test_empty_survey_list_tells_what_to_do_next(client: FlaskClient, login: Login) -> None:
    login("editor")
    page = _text(client.get("/surveys"))
    assert "Create your first survey" in page
    assert 'href="/surveys/new"' in page


def test_survey_list_shows_status_kind_and_response_counts(
    client: FlaskClient, login: Login
) -> None:
    login("editor")
    survey = factories.gen_survey("nps", title="Clients <Q1>")
    factories.gen_survey("csat", status="draft", title="Support desk")
    for score in (10, 9, 2):
        factories.gen_response(survey, score)
    page = _text(client.get("/surveys"))
    assert "Clients &lt;Q1&gt;" in page
    assert "Support desk" in page
    assert "Net Promoter Score (NPS)" in page and "Customer satisfaction (CSAT)" in page
    assert 'class="badge badge-active"' in page and 'class="badge badge-draft"' in page
    row = page[page.index("Clients &lt;Q1&gt;") :]
    assert re.search(r'<td class="num">3</td>', row[: row.index("</tr>")])
    assert f'href="/surveys/{survey.id}/results"' in page


def test_viewers_see_the_list_without_edit_links(client: FlaskClient, login: Login) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    page = _text(client.get("/surveys"))
    assert f'href="/surveys/{survey.id}/results"' in page
    assert "New survey" not in page and ">Edit<" not in page
    assert "Create your first survey" not in page


def test_create_each_kind_from_the_form(client: FlaskClient, login: Login) -> None:
    factories_enps.hr(login("editor"))
    for kind in KINDS:
        response = client.post(
            "/surveys/new",
            data={
                "kind": kind,
                "title": f"My {kind}",
                "default_language": "fr",
                "languages": ["en", "fr"],
                "anonymity": "default",
            },
        )
        assert response.status_code == 302, kind
        survey_id = int(response.headers["Location"].rsplit("/", 1)[1])
        survey = _stored(survey_id)
        assert (survey.kind, survey.title, survey.status) == (kind, f"My {kind}", "draft")
        assert survey.default_language == "fr" and survey.languages == ["en", "fr"]
        assert survey.anonymous is (kind == "enps")
        assert all(q.text.get("en") and q.text.get("fr") for q in survey.questions)
        page = _text(client.get(f"/surveys/{survey_id}"))
        assert "Survey created" in page
        for question in survey.questions:
            assert f"/surveys/{survey_id}/questions/{question.id}" in page


def test_anonymity_choice_overrides_the_kind_default(client: FlaskClient, login: Login) -> None:
    user = login("editor")
    data = {"kind": "enps", "title": "Team", "default_language": "en", "languages": ["en"]}
    # Only HR creates eNPS surveys: an editor without it is told so.
    refused = client.post("/surveys/new", data={**data, "anonymity": "no"})
    assert refused.status_code == 400
    assert "Only HR can create eNPS surveys" in _text(refused)
    factories_enps.hr(user)
    response = client.post("/surveys/new", data={**data, "anonymity": "no"})
    survey = _stored(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert survey.anonymous is False
    assert survey.languages == ["en"]


def test_new_survey_errors_keep_what_was_typed(client: FlaskClient, login: Login) -> None:
    login("editor")
    long_title = "T" * 201
    response = client.post(
        "/surveys/new",
        data={"kind": "csat", "title": long_title, "default_language": "fr", "languages": ["fr"]},
    )
    page = _text(response)
    assert response.status_code == 400
    assert f'value="{long_title}"' in page
    assert re.search(r'value="csat"[^>]*checked', page)
    assert 'role="alert"' in page and 'aria-invalid="true"' in page
    response = client.post("/surveys/new", data={"title": "No kind chosen", "languages": ["en"]})
    assert response.status_code == 400
    assert "Choose a kind of survey." in _text(response)
    assert 'value="No kind chosen"' in _text(response)
    assert db.session().scalar(sa.select(sa.func.count(Survey.id))) == 0


def test_survey_page_shows_public_link_preview_and_results(
    client: FlaskClient, login: Login
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    page = _text(client.get(f"/surveys/{survey.id}"))
    assert f"http://surveys.test/p/{survey.public_slug}" in page
    assert f'href="/surveys/{survey.id}/preview"' in page
    assert f'href="/surveys/{survey.id}/results"' in page
    # Filled placeholders, read-only for a viewer.
    assert "How likely are you to recommend Acme" in page
    assert "<form" not in page.split("</header>", 1)[1]


def test_editor_changes_settings_and_csat_topic(client: FlaskClient, login: Login) -> None:
    login("editor")
    survey = factories.gen_survey("csat", status="draft")
    response = client.post(
        f"/surveys/{survey.id}",
        data={
            "title": "After delivery",
            "default_language": "fr",
            "languages": ["fr", "en"],
            "topic_en": "your delivery",
            "topic_fr": "votre livraison",
            "company": "Acme France",
        },
    )
    assert response.status_code == 302
    stored = _stored(survey.id)
    assert stored.title == "After delivery"
    assert stored.default_language == "fr"
    assert stored.settings == {
        "topic": {"en": "your delivery", "fr": "votre livraison"},
        "company": "Acme France",
    }
    assert "How satisfied were you with your delivery?" in _text(
        client.get(f"/surveys/{survey.id}", headers={"Accept-Language": "en"})
    )


def test_settings_errors_keep_what_was_typed(client: FlaskClient, login: Login) -> None:
    login("editor")
    survey = factories.gen_survey("nps", status="draft")
    response = client.post(
        f"/surveys/{survey.id}",
        data={"title": "New name", "default_language": "en", "languages": ["fr"]},
    )
    assert response.status_code == 400
    page = _text(response)
    assert "The default language must be one of the survey&#39;s languages." in page
    assert 'value="New name"' in page
    assert _stored(survey.id).title == survey.title


def test_anonymity_cannot_be_turned_off_after_responses(client: FlaskClient, login: Login) -> None:
    factories_enps.hr(login("editor"))
    survey = factories.gen_survey("enps")
    factories.gen_response(survey, 10)
    response = client.post(
        f"/surveys/{survey.id}",
        data={"title": survey.title, "default_language": "en", "languages": ["en", "fr"]},
    )
    assert response.status_code == 400
    assert "must stay anonymous" in _text(response)
    assert _stored(survey.id).anonymous is True


def test_add_every_question_type(client: FlaskClient, login: Login) -> None:
    login("editor")
    survey = factories.gen_survey("custom", status="draft")
    for question_type in QUESTION_TYPES:
        response = client.post(
            f"/surveys/{survey.id}/questions",
            data={
                "type": question_type,
                "text_en": f"What do you think ({question_type})?",
                "text_fr": "Qu'en pensez-vous ?",
                "options_en": "Price\r\nSpeed\r\n",
                "options_fr": "Prix\r\nVitesse",
                "required": "y",
                "allow_other": "y",
            },
        )
        assert response.status_code == 302, question_type
    stored = _stored(survey.id).questions
    assert [q.type for q in stored] == list(QUESTION_TYPES)
    assert [q.position for q in stored] == list(range(len(QUESTION_TYPES)))
    for question in stored:
        assert question.text == {
            "en": f"What do you think ({question.type})?",
            "fr": "Qu'en pensez-vous ?",
        }
        assert question.required is True
        if question.type in ("single_choice", "multiple_choice"):
            assert question.options == [
                {"value": "price", "label": {"en": "Price", "fr": "Prix"}},
                {"value": "speed", "label": {"en": "Speed", "fr": "Vitesse"}},
            ]
            assert question.settings == {"allow_other": True}
        else:
            assert question.options == [] and question.settings == {}


def test_add_question_errors_keep_what_was_typed(client: FlaskClient, login: Login) -> None:
    login("editor")
    survey = factories.gen_survey("custom", status="draft")
    too_long = "Why " + "x" * 500
    response = client.post(
        f"/surveys/{survey.id}/questions",
        data={"type": "single_choice", "text_en": too_long, "options_fr": "Rouge\r\nBleu"},
    )
    assert response.status_code == 400
    page = _text(response)
    assert too_long in page
    assert "Rouge\nBleu" in page or "Rouge\r\nBleu" in page
    assert re.search(r'<option selected value="single_choice">', page)
    assert _stored(survey.id).questions == []


def test_a_full_pulse_survey_refuses_another_question(client: FlaskClient, login: Login) -> None:
    login("editor")
    survey = factories.gen_survey("pulse", status="draft")
    for number in range(7):
        surveys.add_question(survey.id, "yes_no", {"en": f"Q{number}", "fr": f"Q{number}"})
    assert "at most 10 questions" in _text(client.get(f"/surveys/{survey.id}"))
    response = client.post(
        f"/surveys/{survey.id}/questions", data={"type": "text", "text_en": "11th"}
    )
    assert response.status_code == 400
    assert len(_stored(survey.id).questions) == 10


def test_edit_a_question(client: FlaskClient, login: Login) -> None:
    login("editor")
    survey = factories.gen_survey("cancellation", status="draft")
    question = survey.questions[0]
    form = _text(client.get(f"/surveys/{survey.id}/questions/{question.id}"))
    assert "It is too expensive\nA feature I need is missing" in form
    assert "C&#39;est trop cher" in form
    response = client.post(
        f"/surveys/{survey.id}/questions/{question.id}",
        data={
            "type": "single_choice",
            "text_en": "Why are you leaving?",
            "text_fr": "Pourquoi partez-vous ?",
            "options_en": "Too expensive\nToo slow",
            "options_fr": "C'est trop cher\nC'est trop lent",
            "required": "y",
        },
    )
    assert response.status_code == 302
    stored = _stored(survey.id).questions[0]
    assert stored.text == {"en": "Why are you leaving?", "fr": "Pourquoi partez-vous ?"}
    assert [o["value"] for o in stored.options] == ["price", "performance"]
    assert stored.settings == {}


def test_question_type_with_answers_cannot_change(client: FlaskClient, login: Login) -> None:
    login("editor")
    survey = factories.gen_survey("nps")
    factories.gen_response(survey, 9)
    main = survey.questions[0]
    response = client.post(
        f"/surveys/{survey.id}/questions/{main.id}",
        data={"type": "csat", "text_en": "Satisfied?", "text_fr": "Satisfait ?"},
    )
    assert response.status_code == 400
    assert "its type cannot change" in _text(response)
    assert "Satisfied?</textarea>" in _text(response)
    assert _stored(survey.id).questions[0].type == "nps"


def test_move_and_delete_questions(client: FlaskClient, login: Login) -> None:
    login("editor")
    survey = factories.gen_survey("pulse", status="draft")
    ids = [q.id for q in survey.questions]
    response = client.post(
        f"/surveys/{survey.id}/questions/{ids[2]}/move", data={"direction": "up"}
    )
    assert response.status_code == 302
    assert [q.id for q in _stored(survey.id).questions] == [ids[0], ids[2], ids[1]]
    client.post(f"/surveys/{survey.id}/questions/{ids[0]}/move", data={"direction": "down"})
    assert [q.id for q in _stored(survey.id).questions] == [ids[2], ids[0], ids[1]]

    response = client.post(f"/surveys/{survey.id}/questions/{ids[0]}/delete")
    assert response.status_code == 302
    stored = _stored(survey.id)
    assert [(q.id, q.position) for q in stored.questions] == [(ids[2], 0), (ids[1], 1)]
    assert "Question deleted." in _text(client.get(f"/surveys/{survey.id}"))


def test_deleting_an_answered_question_is_refused_with_advice(
    client: FlaskClient, login: Login
) -> None:
    login("editor")
    survey = factories.gen_survey("nps")
    factories.gen_response(survey, 6, "Too slow")
    response = client.post(
        f"/surveys/{survey.id}/questions/{survey.questions[1].id}/delete", follow_redirects=True
    )
    page = _text(response)
    assert "Close the survey and duplicate it instead." in page
    assert len(_stored(survey.id).questions) == 2


def test_duplicate_makes_a_draft_copy(client: FlaskClient, login: Login) -> None:
    login("editor")
    survey = factories.gen_survey("nps", title="Clients")
    response = client.post(f"/surveys/{survey.id}/duplicate")
    copy = _stored(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert copy.id != survey.id
    assert (copy.title, copy.status) == ("Copy of Clients", "draft")


def test_activation_rules_and_status_buttons(client: FlaskClient, login: Login) -> None:
    login("editor")
    empty = factories.gen_survey("custom", status="draft")
    page = _text(client.get(f"/surveys/{empty.id}"))
    assert "Before you can activate this survey" in page and "Add at least one question." in page
    response = client.post(
        f"/surveys/{empty.id}/status", data={"status": "active"}, follow_redirects=True
    )
    assert "cannot be activated yet" in _text(response)
    assert _stored(empty.id).status == "draft"

    survey = factories.gen_survey("nps", status="draft")
    client.post(f"/surveys/{survey.id}/status", data={"status": "active"})
    assert _stored(survey.id).status == "active"
    assert ">Close the survey<" in _text(client.get(f"/surveys/{survey.id}"))
    client.post(f"/surveys/{survey.id}/status", data={"status": "closed"})
    assert _stored(survey.id).status == "closed"
    response = client.post(
        f"/surveys/{survey.id}/status", data={"status": "draft"}, follow_redirects=True
    )
    assert "cannot go back to draft" in _text(response)
    client.post(f"/surveys/{survey.id}/status", data={"status": "active"})
    assert _stored(survey.id).status == "active"


VIEWER_REFUSED: list[tuple[str, str, dict[str, object] | None]] = [
    ("post", "/surveys/{id}", {"title": "Hacked", "languages": ["en"]}),
    ("post", "/surveys/{id}/status", {"status": "closed"}),
    ("post", "/surveys/{id}/questions", {"type": "text", "text_en": "Hacked?"}),
    ("post", "/surveys/{id}/questions/{qid}", {"type": "text", "text_en": "Hacked?"}),
    ("post", "/surveys/{id}/questions/{qid}/delete", {}),
    ("post", "/surveys/{id}/questions/{qid}/move", {"direction": "down"}),
    ("post", "/surveys/{id}/duplicate", {}),
    ("get", "/surveys/{id}/questions/{qid}", None),
    ("get", "/surveys/new", None),
    ("post", "/surveys/new", {"kind": "nps", "title": "Hacked", "languages": ["en"]}),
]


def test_viewers_cannot_modify_surveys(client: FlaskClient, login: Login) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    for method, path, data in VIEWER_REFUSED:
        url = path.format(id=survey.id, qid=survey.questions[0].id)
        assert getattr(client, method)(url, data=data).status_code == 403, (method, url)
    stored = _stored(survey.id)
    assert (stored.title, stored.status, len(stored.questions)) == (survey.title, "active", 2)
    assert stored.questions[0].text == survey.questions[0].text
    assert db.session().scalar(sa.select(sa.func.count(Survey.id))) == 1


def test_unknown_survey_and_foreign_question_are_404(client: FlaskClient, login: Login) -> None:
    login("editor")
    survey, other = factories.gen_survey("nps"), factories.gen_survey("nps")
    assert client.get("/surveys/999999").status_code == 404
    foreign = other.questions[0].id
    assert client.get(f"/surveys/{survey.id}/questions/{foreign}").status_code == 404
    assert client.post(f"/surveys/{survey.id}/questions/{foreign}/delete").status_code == 404
    assert len(_stored(other.id).questions) == 2


def test_admin_creates_users(client: FlaskClient, login: Login) -> None:
    admin = login("admin")
    page = _text(client.get("/users"))
    assert admin.email in page  # type: ignore[attr-defined]
    response = client.post(
        "/users",
        data={
            "email": "New.Person@Example.com",
            "name": "New Person",
            "role": "editor",
            "password": "a long enough password",
        },
    )
    assert response.status_code == 302
    user = db.session().scalar(sa.select(User).where(User.email == "new.person@example.com"))
    assert user is not None and user.role == "editor" and user.name == "New Person"
    assert user.password_hash.startswith("$argon2id$")
    assert "Account created for new.person@example.com." in _text(client.get("/users"))


def test_user_form_errors_keep_what_was_typed(client: FlaskClient, login: Login) -> None:
    login("admin")
    factories.gen_user("viewer", email="taken@example.com")
    response = client.post(
        "/users",
        data={"email": "taken@example.com", "name": "Twin", "role": "viewer", "password": "x" * 12},
    )
    assert response.status_code == 400
    page = _text(response)
    assert "An account already exists for taken@example.com." in page
    assert 'value="Twin"' in page
    response = client.post(
        "/users", data={"email": "short@example.com", "role": "viewer", "password": "short"}
    )
    assert response.status_code == 400
    assert db.session().scalar(sa.select(sa.func.count(User.id))) == 2


def test_editors_cannot_manage_users(client: FlaskClient, login: Login) -> None:
    login("editor")
    assert client.get("/users").status_code == 403
    response = client.post(
        "/users", data={"email": "x@example.com", "role": "admin", "password": "x" * 12}
    )
    assert response.status_code == 403
    assert db.session().scalar(sa.select(sa.func.count(User.id))) == 1


@pytest.fixture
def csrf_client(database_url: str) -> Iterator[FlaskClient]:
    """A client of an app that checks CSRF tokens, as in production."""
    app: Flask = make_test_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app.test_client()
        db.session().close()
    app.extensions["surveyapp.engine"].dispose()


def test_forms_carry_a_csrf_token_and_posts_without_it_are_refused(
    csrf_client: FlaskClient,
) -> None:
    client = csrf_client
    factories.gen_user("editor", email="csrf@example.com")
    survey = factories.gen_survey("pulse", status="draft")
    ids = [q.id for q in survey.questions]

    def token(path: str) -> str:
        match = re.search(r'name="csrf_token"[^>]* value="([^"]+)"', _text(client.get(path)))
        assert match, path
        return match.group(1)

    client.post(
        "/login",
        data={
            "email": "csrf@example.com",
            "password": factories.PASSWORD,
            "csrf_token": token("/login"),
        },
    )
    move = f"/surveys/{survey.id}/questions/{ids[1]}/move"
    assert client.post(move, data={"direction": "up"}).status_code == 400
    assert [q.id for q in _stored(survey.id).questions] == ids
    response = client.post(
        move, data={"direction": "up", "csrf_token": token(f"/surveys/{survey.id}")}
    )
    assert response.status_code == 302
    assert [q.id for q in _stored(survey.id).questions] == [ids[1], ids[0], ids[2]]


def test_answered_choice_survives_label_edit_from_the_page(
    client: FlaskClient, login: Login
) -> None:
    login("editor")
    survey = factories.gen_survey("custom", status="draft")
    question = surveys.add_question(
        survey.id,
        "single_choice",
        {"en": "Plan?", "fr": "Offre ?"},
        options=[{"label": {"en": "Basic", "fr": "Base"}}, {"label": {"en": "Pro", "fr": "Pro"}}],
    )
    gen_answer(survey, question, choices=["basic"])
    response = client.post(
        f"/surveys/{survey.id}/questions/{question.id}",
        data={
            "type": "single_choice",
            "text_en": "Plan?",
            "text_fr": "Offre ?",
            "options_en": "Pro",
            "options_fr": "Pro",
        },
    )
    assert response.status_code == 400
    assert "already chose" in _text(response)
    response = client.post(
        f"/surveys/{survey.id}/questions/{question.id}",
        data={
            "type": "single_choice",
            "text_en": "Plan?",
            "text_fr": "Offre ?",
            "options_en": "Starter\nPro",
            "options_fr": "Base\nPro",
        },
    )
    assert response.status_code == 302
    assert [o["value"] for o in _stored(survey.id).questions[0].options] == ["basic", "pro"]
