"""The contact pages through the test client: list, edit, delete, CSV import and attributes."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from surveyapp import db
from surveyapp.models import AttributeDefinition, Contact, Invitation
from surveyapp.services import contacts
from tests import factories

Login = Callable[..., object]


def _text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def _count() -> int:
    db.session().expire_all()
    return db.session().scalar(sa.select(sa.func.count(Contact.id))) or 0


def _upload(client: FlaskClient, data: bytes, filename: str = "contacts.csv") -> object:
    return client.post(
        "/contacts/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


@pytest.fixture
def import_dir(app: Flask, tmp_path: Path) -> Path:
    """Where big previewed files wait; a folder of this test only."""
    directory = tmp_path / "imports"
    app.config["CONTACT_IMPORT_DIR"] = str(directory)
    return directory


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("get", "/contacts", "viewer"),
        ("get", "/contacts/new", "editor"),
        ("post", "/contacts/new", "editor"),
        ("post", "/contacts/1", "editor"),
        ("post", "/contacts/1/delete", "editor"),
        ("get", "/contacts/import", "editor"),
        ("post", "/contacts/import", "editor"),
        ("get", "/contacts/attributes", "editor"),
    ],
)
def test_access_rules(client: FlaskClient, login: Login, method: str, path: str, role: str) -> None:
    factories.gen_contact()
    anonymous = getattr(client, method)(path)
    assert anonymous.status_code in (302, 401)
    if role == "editor":
        login("viewer")
        assert getattr(client, method)(path).status_code == 403
    else:
        login("viewer")
        assert getattr(client, method)(path).status_code == 200


def test_empty_list_tells_what_to_do(client: FlaskClient, login: Login) -> None:
    login("editor")
    page = _text(client.get("/contacts"))
    assert "No contacts yet" in page
    assert 'href="/contacts/import"' in page and 'href="/contacts/new"' in page


def test_list_searches_segments_and_pages(client: FlaskClient, login: Login) -> None:
    login("viewer")
    contacts.define_attribute("plan", "choice", "Plan")
    for number in range(55):
        factories.gen_contact(f"user{number:02d}@example.com", attributes={"plan": "free"})
    factories.gen_contact("boss@example.com", attributes={"plan": "pro"})
    first = _text(client.get("/contacts"))
    assert "56 contacts" in first and "Page 1 of 2" in first
    assert "boss@example.com" in first and "user54@example.com" not in first
    second = _text(client.get("/contacts?page=2"))
    assert "user54@example.com" in second and "boss@example.com" not in second
    found = _text(client.get("/contacts?q=USER07"))
    assert "user07@example.com" in found and "1 contact" in found
    segment = _text(client.get("/contacts?attribute=plan&value=PRO"))
    assert "boss@example.com" in segment and "user00@example.com" not in segment
    assert "No contact matches" in _text(client.get("/contacts?q=nobody"))


def test_add_and_edit_a_contact_with_typed_attributes(client: FlaskClient, login: Login) -> None:
    login("editor")
    contacts.define_attribute("mrr", "number", "MRR")
    form = _text(client.get("/contacts/new"))
    assert 'name="attr_mrr"' in form and "1 234,50" in form
    response = client.post(
        "/contacts/new",
        data={"email": "Ann@Example.com", "name": "Ann", "language": "fr", "attr_mrr": "1 234,50"},
    )
    assert response.status_code == 302
    contact = db.session().scalar(sa.select(Contact))
    assert contact is not None and contact.attributes == {"mrr": 1234.5}
    assert response.headers["Location"] == f"/contacts/{contact.id}"
    assert 'value="1234.5"' in _text(client.get(f"/contacts/{contact.id}"))

    bad = client.post(
        f"/contacts/{contact.id}", data={"email": "ann@example.com", "attr_mrr": "lots"}
    )
    assert bad.status_code == 400
    assert re.search(r'role="alert">[^<]*is not a number', _text(bad))
    taken = factories.gen_contact("bob@example.com")
    clash = client.post(f"/contacts/{taken.id}", data={"email": "ANN@example.com"})
    assert clash.status_code == 400 and "already exists" in _text(clash)
    saved = client.post(
        f"/contacts/{contact.id}", data={"email": "ann@example.org", "attr_mrr": ""}
    )
    assert saved.status_code == 302
    db.session().expire_all()
    assert (contact.email, contact.attributes, contact.language) == ("ann@example.org", {}, None)


def test_viewers_read_a_contact_without_a_form(client: FlaskClient, login: Login) -> None:
    contact = factories.gen_contact("ann@example.com", attributes={"plan": "pro"})
    contacts.define_attribute("plan", "choice", "Plan")
    login("viewer")
    page = _text(client.get(f"/contacts/{contact.id}"))
    assert "ann@example.com" in page and "pro" in page
    assert '<form method="post" action="/contacts/' not in page
    assert client.get("/contacts/999999").status_code == 404


def test_delete_needs_confirmation_and_removes_invitations(
    client: FlaskClient, login: Login
) -> None:
    login("editor")
    survey = factories.gen_survey("nps")
    contact = factories.gen_contact("ann@example.com")
    factories.gen_invitation(survey, contact)
    refused = client.post(f"/contacts/{contact.id}/delete", data={})
    assert refused.status_code == 302 and refused.headers["Location"].endswith("#delete")
    assert _count() == 1
    done = client.post(f"/contacts/{contact.id}/delete", data={"delete-confirm": "y"})
    assert done.status_code == 302 and done.headers["Location"] == "/contacts"
    assert _count() == 0
    assert db.session().scalar(sa.select(sa.func.count(Invitation.id))) == 0
    assert "ann@example.com is deleted" in _text(client.get("/contacts"))
    assert (
        client.post(f"/contacts/{contact.id}/delete", data={"delete-confirm": "y"}).status_code
        == 404
    )


def test_import_preview_confirm_report(client: FlaskClient, login: Login, import_dir: Path) -> None:
    login("editor")
    factories.gen_contact("ann@example.com")
    data = (
        "\ufeffE-mail;Nom;Langue;Plan\n"
        "ann@example.com;Ann;fr;pro\n"
        "bob@example.com;Bob;;free\n"
        "not-an-email;Bad;;\n"
        "carl@example.com;Carl;de;\n"
    ).encode()
    preview = _upload(client, data)
    page = _text(preview)
    assert preview.status_code == 200
    assert "1 contact will be created" in page and "1 contact will be updated" in page
    assert "2 rows cannot be imported" in page
    assert re.search(r'<td class="num">4</td>\s*<td class="cell-wrap">not-an-email</td>', page)
    assert "Unknown language" in page
    assert "semicolon" in page
    assert _count() == 1  # nothing written yet
    assert not import_dir.exists() or not any(import_dir.iterdir())  # small: kept in the session

    report = client.post("/contacts/import", data={"action": "confirm"})
    page = _text(report)
    assert report.status_code == 200
    assert "1 contact created" in page and "1 contact updated" in page
    assert "2 rows not imported" in page and "not-an-email" in page
    assert _count() == 2
    # The stash is gone: confirming again imports nothing.
    again = client.post("/contacts/import", data={"action": "confirm"})
    assert again.status_code == 302
    assert "no file waiting" in _text(client.get("/contacts/import"))


def test_a_big_file_waits_in_the_instance_folder_and_is_removed(
    client: FlaskClient, login: Login, import_dir: Path
) -> None:
    login("editor")
    rows = "".join(f"user{number}@example.com,User {number}\n" for number in range(200))
    _upload(client, f"email,name\n{rows}".encode())
    [waiting] = list(import_dir.iterdir())
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.csv", waiting.name)
    report = client.post("/contacts/import", data={"action": "confirm"})
    assert "200 contacts created" in _text(report)
    assert not waiting.exists()
    assert _count() == 200


def test_cancel_discards_the_file(client: FlaskClient, login: Login, import_dir: Path) -> None:
    login("editor")
    rows = "".join(f"user{number}@example.com\n" for number in range(200))
    _upload(client, f"email\n{rows}".encode())
    assert len(list(import_dir.iterdir())) == 1
    cancelled = client.post("/contacts/import", data={"action": "cancel"})
    assert cancelled.status_code == 302
    assert list(import_dir.iterdir()) == []
    assert _count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a CSV text file"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00", "spreadsheet file"),
        (b"name;plan\nAnn;pro\n", "No email column"),
    ],
)
def test_a_file_that_is_not_csv_gets_one_clear_error(
    client: FlaskClient, login: Login, import_dir: Path, data: bytes, message: str
) -> None:
    login("editor")
    response = _upload(client, data)
    assert response.status_code == 400
    assert re.search(r'role="alert">[^<]*' + re.escape(message), _text(response))
    assert _count() == 0
    assert not import_dir.exists()


def test_no_file_chosen(client: FlaskClient, login: Login) -> None:
    login("editor")
    response = client.post("/contacts/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose a CSV file" in _text(response)


def test_an_oversized_file_is_refused(client: FlaskClient, login: Login, app: Flask) -> None:
    login("editor")
    app.config["CONTACT_IMPORT_MAX_BYTES"] = 1000
    header = b"email\n"
    # Just over the limit: the multipart envelope fits, the capped read refuses it.
    just_over = header + b"a@example.com\n" * 72
    assert 1000 < len(just_over) < 1100
    response = _upload(client, just_over)
    assert response.status_code == 413
    assert "larger than 1 KB" in _text(response)
    # Far over: refused on its Content-Length, before the body is parsed.
    response = _upload(client, header + b"a@example.com\n" * 5000)
    assert response.status_code == 413
    assert _count() == 0


def test_attributes_page_changes_types_and_adds(client: FlaskClient, login: Login) -> None:
    login("editor")
    contacts.import_contacts_csv(b"email;mrr\na@example.com;1 234,5\n")
    definition = db.session().scalar(sa.select(AttributeDefinition))
    assert definition is not None
    prefix = f"a{definition.id}-"
    page = _text(client.get("/contacts/attributes"))
    assert f'name="{prefix}type"' in page
    fields = {
        "form": str(definition.id),
        f"{prefix}key": "mrr",
        f"{prefix}label": "MRR",
        f"{prefix}type": "number",
    }
    # Amounts are nearly unique per contact: they cannot become report groups.
    refused_number = client.post(
        "/contacts/attributes", data={**fields, f"{prefix}reportable": "y"}
    )
    assert refused_number.status_code == 400
    assert "Only a choice attribute" in _text(refused_number)
    saved = client.post("/contacts/attributes", data=fields)
    assert saved.status_code == 302
    db.session().expire_all()
    assert (definition.type, definition.label, definition.reportable) == ("number", "MRR", False)
    assert db.session().scalar(sa.select(Contact)).attributes == {"mrr": 1234.5}  # type: ignore[union-attr]

    factories.gen_contact("b@example.com", attributes={"since": "someday"})
    contacts.define_attribute("since", "text")
    since = db.session().scalar(
        sa.select(AttributeDefinition).where(AttributeDefinition.key == "since")
    )
    assert since is not None
    refused = client.post(
        "/contacts/attributes",
        data={"form": str(since.id), f"a{since.id}-key": "since", f"a{since.id}-type": "date"},
    )
    assert refused.status_code == 400
    assert re.search(r'role="alert">[^<]*b@example\.com', _text(refused))

    added = client.post(
        "/contacts/attributes",
        data={"form": "new", "new_key": "Signup date", "new_type": "date", "new_label": "Signup"},
    )
    assert added.status_code == 302
    assert (
        db.session().scalar(
            sa.select(AttributeDefinition.type).where(AttributeDefinition.key == "signup_date")
        )
        == "date"
    )
    reserved = client.post(
        "/contacts/attributes", data={"form": "new", "new_key": "Email", "new_type": "text"}
    )
    assert reserved.status_code == 400 and "contact field" in _text(reserved)


def test_import_with_csrf_on(database_url: str, tmp_path: Path) -> None:
    from tests.conftest import make_test_app

    application = make_test_app(
        database_url, WTF_CSRF_ENABLED=True, CONTACT_IMPORT_DIR=str(tmp_path)
    )
    with application.app_context():
        factories.gen_user("editor", email="ed@example.com")
        client = application.test_client()
        login_page = _text(client.get("/login"))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)
        assert token is not None
        client.post(
            "/login",
            data={
                "email": "ed@example.com",
                "password": factories.PASSWORD,
                "csrf_token": token[1],
            },
        )
        page = _text(client.get("/contacts/import"))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token is not None
        preview = client.post(
            "/contacts/import",
            data={
                "file": (io.BytesIO(b"email\nann@example.com\n"), "c.csv"),
                "csrf_token": token[1],
            },
            content_type="multipart/form-data",
        )
        assert preview.status_code == 200
        assert client.post("/contacts/import", data={"action": "confirm"}).status_code == 400
        report = client.post("/contacts/import", data={"action": "confirm", "csrf_token": token[1]})
        assert "1 contact created" in _text(report)
        db.session().close()
    application.extensions["surveyapp.engine"].dispose()
