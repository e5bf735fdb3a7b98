"""The send screen, the invitation status list and the one-click unsubscribe page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.services import invitations, reminders, surveys
from tests import factories, factories_enps
from tests.conftest import make_test_app
from tests.factories_distribution import invitation_rows, outbox_rows

Login = Callable[..., object]


@pytest.mark.parametrize(
    ("path", "role", "status"),
    [
        ("/surveys/{id}/send", "viewer", 403),
        ("/surveys/{id}/send", "editor", 200),
        ("/surveys/{id}/invitations", "viewer", 200),
    ],
)
def test_access(client: FlaskClient, login: Login, path: str, role: str, status: int) -> None:
    survey = factories.gen_survey()
    login(role)
    assert client.get(path.format(id=survey.id)).status_code == status


@pytest.mark.parametrize("path", ["/surveys/{id}/send", "/surveys/{id}/invitations"])
def test_staff_pages_need_a_login(client: FlaskClient, path: str) -> None:
    factories.gen_user()
    survey = factories.gen_survey()
    response = client.get(path.format(id=survey.id))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_survey_is_404(client: FlaskClient, login: Login) -> None:
    login("editor")
    assert client.get("/surveys/999/send").status_code == 404
    assert client.get("/surveys/999/invitations").status_code == 404


def test_preview_shows_who_is_held_back_then_send_queues(client: FlaskClient, login: Login) -> None:
    login("editor")
    survey = factories.gen_survey()
    factories.gen_contact("one@example.com")
    factories.gen_contact("two@example.com")
    gone = factories.gen_contact("gone@example.com")
    gone_survey = factories.gen_survey()
    invitations.invite_contacts(gone_survey.id, contact_ids=[gone.id])
    invitations.unsubscribe(invitation_rows(gone_survey.id)[0].token)
    form = {"audience": "emails", "reminders": "1", "reminder_days": "4"}
    form["emails"] = "one@example.com, two@example.com\ngone@example.com\nnot-an-address"

    page = client.post(f"/surveys/{survey.id}/send", data={**form, "preview": "Preview"})

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<strong>2</strong> invitations will be queued" in html
    assert "Unsubscribed" in html and "Invalid email address" in html
    assert "not-an-address" in html
    assert "Send 2 invitations" in html
    assert invitation_rows(survey.id) == []  # a preview queues nothing

    sent = client.post(f"/surveys/{survey.id}/send", data={**form, "send": "y"})

    assert sent.status_code == 302
    assert sent.headers["Location"].endswith(f"/surveys/{survey.id}/invitations")
    rows = invitation_rows(survey.id)
    assert len(rows) == 2 and {row.status for row in rows} == {"queued"}
    ids = {row.id for row in rows}
    assert sum(1 for m in outbox_rows() if m.invitation_id in ids and m.status == "pending") == 2
    assert reminders.reminder_settings(surveys.get_survey(survey.id)) == (1, 4)
    listing = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "2 invitations queued; 2 contacts held back." in listing


def test_throttled_contacts_are_counted_before_sending(client: FlaskClient, login: Login) -> None:
    login("editor")
    contact = factories.gen_contact()
    invitations.invite_contacts(factories.gen_survey().id, contact_ids=[contact.id])
    survey = factories.gen_survey()

    page = client.post(
        f"/surveys/{survey.id}/send",
        data={"audience": "all", "reminders": "0", "reminder_days": "3", "preview": "Preview"},
    )

    html = page.get_data(as_text=True)
    assert "<strong>0</strong> invitations will be queued" in html
    assert "Surveyed in the last 90 days" in html
    assert "Send 0 invitations" not in html


def test_a_segment_needs_an_attribute_and_a_value(client: FlaskClient, login: Login) -> None:
    login("editor")
    survey = factories.gen_survey()
    page = client.post(
        f"/surveys/{survey.id}/send",
        data={
            "audience": "segment",
            "segment_key": "plan",
            "reminders": "0",
            "reminder_days": "3",
            "preview": "Preview",
        },
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert 'role="alert"' in html and "Fill in the attribute and its value." in html
    assert 'aria-describedby="segment_value-hint segment_value-error"' in html


def test_a_draft_survey_cannot_be_sent(client: FlaskClient, login: Login) -> None:
    login("editor")
    factories.gen_contact()
    survey = factories.gen_survey(status="draft")
    assert "Only an active survey can be sent" in client.get(f"/surveys/{survey.id}/send").get_data(
        as_text=True
    )
    page = client.post(
        f"/surveys/{survey.id}/send",
        data={"audience": "all", "reminders": "0", "reminder_days": "3", "send": "y"},
    )
    assert page.status_code == 400
    assert "Activate the survey before sending invitations." in page.get_data(as_text=True)
    assert invitation_rows() == []


def test_invitation_list_shows_counts_reasons_and_people(
    app: Flask, client: FlaskClient, login: Login
) -> None:
    login("viewer")
    survey = factories.gen_survey()
    factories.gen_contact("fine@example.com")
    factories.gen_contact("bounced@example.com")
    invitations.invite_contacts(survey.id)
    bounced = invitation_rows(survey.id)[1]
    bounced.status, bounced.failure_reason = "failed", "550 5.1.1 No such user"
    db.session().commit()

    html = client.get(f"/surveys/{survey.id}/invitations").get_data(as_text=True)

    assert "<strong>1</strong> Queued" in html and "<strong>1</strong> Failed" in html
    assert "550 5.1.1 No such user" in html
    assert "fine@example.com" in html and "bounced@example.com" in html
    failed_only = client.get(f"/surveys/{survey.id}/invitations?status=failed")
    assert "fine@example.com" not in failed_only.get_data(as_text=True)
    assert client.get(f"/surveys/{survey.id}/invitations?status=lost").status_code == 404


def test_anonymous_survey_lists_nobodys_status_but_failures(
    client: FlaskClient, login: Login
) -> None:
    factories_enps.hr(login("viewer"))
    survey = factories.gen_survey("enps")
    assert survey.anonymous
    factories.gen_contact("employee@example.com")
    factories.gen_contact("bounced@example.com")
    invitations.invite_contacts(survey.id)
    first, second = invitation_rows(survey.id)
    first.status = "answered"
    second.status, second.failure_reason = "failed", "550 No such user"
    db.session().commit()

    html = client.get(f"/surveys/{survey.id}/invitations?status=answered").get_data(as_text=True)

    assert "employee@example.com" not in html
    assert "bounced@example.com" in html
    assert "<strong>1</strong> Answered" in html


@pytest.fixture
def csrf_client(database_url: str) -> object:
    """A client of an app with CSRF protection on, as in production."""
    application = make_test_app(database_url, WTF_CSRF_ENABLED=True)
    with application.app_context():
        yield application.test_client()
        db.session().close()
    application.extensions["surveyapp.engine"].dispose()


def _token_for(email: str, language: str | None = None) -> str:
    contact = factories.gen_contact(email, language=language)
    survey = factories.gen_survey()
    invitations.invite_contacts(survey.id, contact_ids=[contact.id])
    return invitation_rows(survey.id)[0].token


def test_unsubscribe_page_asks_first_then_unsubscribes_without_login(
    csrf_client: FlaskClient,
) -> None:
    token = _token_for("reader@example.com", language="fr")

    page = csrf_client.get(f"/u/{token}")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="fr">' in html and "reader@example.com" in html
    assert invitation_rows()[0].contact.unsubscribed_at is None  # a GET changes nothing

    done = csrf_client.post(f"/u/{token}", data={"action": "unsubscribe"})

    assert done.status_code == 200
    assert invitation_rows()[0].contact.unsubscribed_at is not None
    assert invitations.preview_invitations(factories.gen_survey().id).queued == 0

    again = csrf_client.post(f"/u/{token}", data={"action": "resubscribe"})
    assert again.status_code == 200
    assert invitation_rows()[0].contact.unsubscribed_at is None


def test_rfc_8058_one_click_post_unsubscribes(csrf_client: FlaskClient) -> None:
    token = _token_for("mailclient@example.com")
    response = csrf_client.post(
        f"/u/{token}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert invitation_rows()[0].contact.unsubscribed_at is not None


def test_unknown_unsubscribe_token_is_404(client: FlaskClient) -> None:
    assert client.get("/u/not-a-token").status_code == 404
    assert client.post("/u/not-a-token").status_code == 404
