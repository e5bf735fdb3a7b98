"""The contacts service on SQLite and PostgreSQL: upsert, typed attributes, segments, deletion."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from surveyapp import db
from surveyapp.models import AttributeDefinition, Contact, Invitation, Response
from surveyapp.services import contacts
from surveyapp.services.contact_csv import ContactRow, CsvError
from surveyapp.services.errors import Conflict, InvalidInput, NotFound
from tests import factories


def _contact(email: str) -> Contact:
    db.session().expire_all()
    contact = db.session().scalar(sa.select(Contact).where(Contact.email == email))
    assert contact is not None
    return contact


def _emails(**segment: object) -> list[str]:
    return [contact.email for contact in contacts.list_contacts(segment=segment).items]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 234,50", 1234.5),
        ("1\u202f234,50", 1234.5),
        ("1234.5", 1234.5),
        ("1,234.50", 1234.5),
        ("1.234,50", 1234.5),
        ("12,5", 12.5),
        ("€ 49", 49),
        ("-3", -3),
        ("1 000 000", 1000000),
    ],
)
def test_numbers_as_spreadsheets_write_them(text: str, value: float) -> None:
    parsed = contacts.parse_number(text)
    assert parsed == value
    assert isinstance(parsed, int) == float(value).is_integer()


@pytest.mark.parametrize("text", ["abc", "1.2.3", "12,34,5", "", "1e5", "1,2345.6", "nan", "--1"])
def test_what_is_not_a_number(text: str) -> None:
    with pytest.raises(ValueError):
        contacts.parse_number(text)


def test_dates_iso_and_day_first() -> None:
    assert contacts.parse_date("2024-03-15") == "2024-03-15"
    assert contacts.parse_date("15/03/2024") == "2024-03-15"
    assert contacts.parse_date("5.3.2024") == "2024-03-05"
    assert contacts.parse_date("2024-03-15 08:30:00") == "2024-03-15"
    for bad in ("31/02/2024", "03/15/2024", "15 March 2024", "2024-13-01"):
        with pytest.raises(ValueError):
            contacts.parse_date(bad)


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False))
def test_french_and_english_spellings_of_a_number_agree(value: object) -> None:
    english = f"{value:,.2f}"
    french = english.replace(",", " ").replace(".", ",")
    assert contacts.parse_number(english) == contacts.parse_number(french)
    assert contacts.parse_number(english) == pytest.approx(float(value))  # type: ignore[arg-type]


def test_coercion_messages_name_the_value() -> None:
    with pytest.raises(ValueError, match="'lots' is not a number"):
        contacts.coerce_attribute("number", "lots")
    with pytest.raises(ValueError, match="not a date"):
        contacts.coerce_attribute("date", "yesterday")
    assert contacts.coerce_attribute("choice", "  Pro  plan ") == "Pro plan"


def test_import_creates_updates_by_email_and_reports_bad_rows(app: Flask) -> None:
    factories.gen_contact("ann@example.com", attributes={"team": "ops"})
    contacts.define_attribute("mrr", "number", "MRR")
    contacts.define_attribute("signup", "date", "Signup date")
    data = (
        b"Email;Nom;Langue;MRR;Signup;Plan\n"
        b"ANN@Example.com;Ann Lee;fr;1 234,50;15/03/2024;Pro\n"
        b"bob@example.com;Bob;;49;2024-01-02;\n"
        b"not-an-email;Bad;en;1;;\n"
        b"carl@example.com;Carl;;lots;;free\n"
        b"dan@example.com;Dan;;;31/02/2024;\n"
    )
    report = contacts.import_contacts_csv(data)
    assert (report.created, report.updated) == (1, 1)
    assert [(error.row, error.email) for error in report.errors] == [
        (4, "not-an-email"),
        (5, "carl@example.com"),
        (6, "dan@example.com"),
    ]
    assert "'lots' is not a number" in report.errors[1].message
    assert "MRR" in report.errors[1].message
    assert "not a date" in report.errors[2].message

    ann = _contact("ann@example.com")
    assert (ann.name, ann.language) == ("Ann Lee", "fr")
    # Existing attributes stay; new ones are typed by their definitions.
    assert ann.attributes == {"team": "ops", "mrr": 1234.5, "signup": "2024-03-15", "plan": "Pro"}
    bob = _contact("bob@example.com")
    assert bob.attributes == {"mrr": 49, "signup": "2024-01-02"}
    assert db.session().scalar(sa.select(sa.func.count(Contact.id))) == 2
    plan = db.session().scalar(
        sa.select(AttributeDefinition).where(AttributeDefinition.key == "plan")
    )
    assert plan is not None and (plan.type, plan.label, plan.reportable) == ("text", "Plan", False)


def test_blank_cells_leave_values_unchanged_on_update(app: Flask) -> None:
    factories.gen_contact("ann@example.com", language="en", attributes={"plan": "pro"})
    report = contacts.import_contacts_csv(b"email,name,language,plan\nann@example.com,,,\n")
    assert (report.created, report.updated) == (0, 1)
    ann = _contact("ann@example.com")
    assert (ann.name, ann.language, ann.attributes) == ("Test Contact", "en", {"plan": "pro"})


def test_a_file_that_is_not_csv_imports_nothing(app: Flask) -> None:
    with pytest.raises(CsvError):
        contacts.import_contacts_csv(b"name\nAnn\n")
    with pytest.raises(InvalidInput):
        contacts.import_contacts_csv(b"\x00\x01\x02binary")
    assert db.session().scalar(sa.select(sa.func.count(Contact.id))) == 0


def test_preview_computes_the_import_without_writing(app: Flask) -> None:
    factories.gen_contact("ann@example.com")
    contacts.define_attribute("mrr", "number")
    data = b'email,mrr,team\nann@example.com,"1 000,5",ops\nbob@example.com,2,\nbad,1,\n'
    preview = contacts.preview_import(data)
    assert (preview.to_create, preview.to_update) == (1, 1)
    assert [(row.row, row.email, row.creates) for row in preview.rows] == [
        (2, "ann@example.com", False),
        (3, "bob@example.com", True),
    ]
    assert preview.rows[0].attributes == {"mrr": 1000.5, "team": "ops"}
    assert preview.new_attributes == {"team": "team"}
    assert [error.row for error in preview.errors] == [4]
    db.session().expire_all()
    assert db.session().scalar(sa.select(sa.func.count(Contact.id))) == 1
    assert db.session().scalar(sa.select(sa.func.count(AttributeDefinition.id))) == 1


def test_upsert_of_api_rows(app: Flask) -> None:
    factories.gen_contact("ann@example.com")
    contacts.define_attribute("mrr", "number")
    report = contacts.upsert_contacts(
        [
            {"email": "Ann@example.com", "name": "Ann", "attributes": {"Plan": "pro", "mrr": 99}},
            {"email": "bob@example.com", "language": "fr"},
            {"email": "nope", "name": "x"},
            {"email": "BOB@example.com"},
            {"email": "carl@example.com", "attributes": {"mrr": "many"}},
            {"email": "dan@example.com", "attributes": {"email": "x"}},
            ContactRow(7, "eve@example.com", "Eve", None, {"team": "ops"}),
        ]
    )
    assert (report.created, report.updated) == (2, 1)
    assert [error.row for error in report.errors] == [3, 4, 5, 6]
    assert _contact("ann@example.com").attributes == {"plan": "pro", "mrr": 99}
    assert _contact("bob@example.com").language == "fr"
    assert _contact("eve@example.com").attributes == {"team": "ops"}


def test_choice_values_keep_one_spelling(app: Flask) -> None:
    contacts.define_attribute("plan", "choice", "Plan", reportable=True)
    factories.gen_contact("ann@example.com", attributes={"plan": "Pro"})
    contacts.import_contacts_csv(b"email,plan\nbob@example.com,PRO\ncarl@example.com,team\n")
    contacts.import_contacts_csv(b"email,plan\ndan@example.com,Team\n")
    assert _contact("bob@example.com").attributes["plan"] == "Pro"
    assert _contact("dan@example.com").attributes["plan"] == "team"


def test_segment_filter_on_typed_attributes(app: Flask) -> None:
    contacts.define_attribute("plan", "choice")
    contacts.define_attribute("mrr", "number")
    contacts.define_attribute("signup", "date")
    factories.gen_contact(
        "a@example.com", attributes={"plan": "pro", "mrr": 49, "signup": "2024-03-15"}
    )
    factories.gen_contact("b@example.com", attributes={"plan": "free", "mrr": 0})
    factories.gen_contact("c@example.com", attributes={"plan": "Team", "mrr": 1234.5})
    factories.gen_contact("d@example.com")
    assert _emails(plan="PRO") == ["a@example.com"]
    assert _emails(plan=["pro", "team"]) == ["a@example.com", "c@example.com"]
    assert _emails(mrr="1 234,50") == ["c@example.com"]
    assert _emails(mrr=0) == ["b@example.com"]
    assert _emails(signup="15/03/2024") == ["a@example.com"]
    assert _emails(plan="pro", mrr=0) == []
    # The invitations service combines it with its own conditions.
    query = sa.select(Contact.email).where(contacts.segment_filter({"plan": "free"}))
    assert db.session().scalars(query).all() == ["b@example.com"]
    with pytest.raises(InvalidInput, match="Unknown attribute"):
        contacts.segment_filter(colour="red")
    with pytest.raises(InvalidInput, match="not a number"):
        contacts.segment_filter(mrr="lots")


def test_list_contacts_searches_and_pages(app: Flask) -> None:
    for number in range(7):
        factories.gen_contact(f"user{number}@example.com")
    factories.gen_contact("100%_sure@example.com")
    page = contacts.list_contacts(page=2, per_page=3)
    assert (page.total, page.pages, page.page) == (8, 3, 2)
    assert [c.email for c in page.items] == [
        "user2@example.com",
        "user3@example.com",
        "user4@example.com",
    ]
    assert contacts.list_contacts(page=99, per_page=3).page == 3
    assert [c.email for c in contacts.list_contacts(search="USER6").items] == ["user6@example.com"]
    # LIKE wildcards in a search are taken literally.
    assert [c.email for c in contacts.list_contacts(search="0%_").items] == [
        "100%_sure@example.com"
    ]


def test_create_and_update_a_contact(app: Flask) -> None:
    contacts.define_attribute("mrr", "number")
    contact = contacts.create_contact(
        " Ann@Example.com ", "  Ann   Lee ", "Français", {"mrr": "1 200", "team": ""}
    )
    assert (contact.email, contact.name, contact.language) == ("ann@example.com", "Ann Lee", "fr")
    assert contact.attributes == {"mrr": 1200}
    with pytest.raises(Conflict):
        contacts.create_contact("ANN@example.com")
    with pytest.raises(InvalidInput) as caught:
        contacts.create_contact("ann.example.com")
    assert caught.value.field == "email"
    with pytest.raises(InvalidInput) as caught:
        contacts.create_contact("zed@example.com", attributes={"mrr": "x"})
    assert caught.value.field == "attributes.mrr"

    other = contacts.create_contact("bob@example.com")
    updated = contacts.update_contact(contact.id, email="ann@example.org", attributes={"mrr": ""})
    assert (updated.email, updated.attributes, updated.language) == ("ann@example.org", {}, None)
    with pytest.raises(Conflict):
        contacts.update_contact(other.id, email="ANN@example.org")
    with pytest.raises(NotFound):
        contacts.update_contact(999999, email="x@example.com")


def test_deleting_a_contact_deletes_invitations_and_keeps_responses(app: Flask) -> None:
    survey = factories.gen_survey("nps")
    contact = factories.gen_contact("ann@example.com")
    invitation = factories.gen_invitation(survey, contact)
    response = factories.gen_response(survey, 9)
    response.contact_id, response.invitation_id = contact.id, invitation.id
    db.session().commit()
    contacts.delete_contact(contact.id)
    session = db.session()
    assert session.get(Contact, contact.id) is None
    assert session.scalar(sa.select(sa.func.count(Invitation.id))) == 0
    kept = session.get(Response, response.id)
    assert kept is not None and kept.score == 9
    assert (kept.contact_id, kept.invitation_id) == (None, None)
    with pytest.raises(NotFound):
        contacts.delete_contact(contact.id)


def test_changing_a_type_converts_values_or_is_refused(app: Flask) -> None:
    contacts.import_contacts_csv(
        b"email;mrr;since\na@example.com;1 234,5;15/03/2024\nb@example.com;12;\n"
    )
    assert _contact("a@example.com").attributes["mrr"] == "1 234,5"
    contacts.define_attribute("mrr", "number", "MRR")
    contacts.define_attribute("since", "date")
    assert _contact("a@example.com").attributes == {"mrr": 1234.5, "since": "2024-03-15"}
    assert _contact("b@example.com").attributes == {"mrr": 12}
    factories.gen_contact("c@example.com", attributes={"mrr": "unknown"})
    contacts.define_attribute("mrr", "text")
    assert _contact("a@example.com").attributes["mrr"] == "1234.5"
    with pytest.raises(InvalidInput, match=r"c@example\.com"):
        contacts.define_attribute("mrr", "number")
    definition = db.session().scalar(
        sa.select(AttributeDefinition).where(AttributeDefinition.key == "mrr")
    )
    assert definition is not None and definition.type == "text"
    assert _contact("a@example.com").attributes["mrr"] == "1234.5"


@pytest.mark.parametrize("key", ["email", "Name", "LANGUAGE", "", "--"])
def test_reserved_or_empty_attribute_keys_are_refused(app: Flask, key: str) -> None:
    with pytest.raises(InvalidInput):
        contacts.define_attribute(key, "text")


def test_unknown_type_is_refused(app: Flask) -> None:
    with pytest.raises(InvalidInput):
        contacts.define_attribute("plan", "colour")
