"""API: contacts, listed page by page, created or updated by email (JSON or a CSV body)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.models import Contact
from surveyapp.services import contacts, listings
from surveyapp.services.contacts import ImportReport
from surveyapp.web.api import schemas
from surveyapp.web.api.errors import ApiError
from surveyapp.web.api.inputs import encode_cursor, json_body, query, raw_body
from surveyapp.web.api.openapi import cursor_param, date_param, int_param, operation, text_param
from surveyapp.web.api.surveys import iso

__all__ = ["contact_json"]


def contact_json(contact: Contact) -> dict[str, Any]:
    """One contact as the API shows it."""
    return {
        "id": contact.id,
        "email": contact.email,
        "name": contact.name,
        "language": contact.language,
        "attributes": dict(contact.attributes or {}),
        "unsubscribed": contact.unsubscribed_at is not None,
        "created_at": iso(contact.created_at),
        "updated_at": iso(contact.updated_at),
    }


@operation(
    "/contacts",
    "GET",
    summary=_l("List contacts in the order they were created, page by page"),
    scope="read",
    tag="contacts",
    response=schemas.CONTACT_LIST,
    query=[
        text_param("search", _l("Part of the email or name."), 200),
        date_param("updated_since", _l("Only contacts changed from this moment.")),
        cursor_param(),
        int_param("limit", _l("Contacts per page."), 1, listings.MAX_PAGE_SIZE, 50),
    ],
)
def list_contacts() -> Response:
    """One page of contacts."""
    args = query()
    page = listings.list_contacts(
        search=args["search"],
        updated_since=args["updated_since"],
        after=args["cursor"],
        limit=args["limit"],
    )
    return jsonify(
        {
            "items": [contact_json(contact) for contact in page.items],
            "next_cursor": encode_cursor(page.next_after),
        }
    )


@operation(
    "/contacts",
    "POST",
    summary=_l("Create or update contacts by email"),
    description=_l(
        'A JSON body {"contacts": [{"email", "name", "language", "attributes"}]} or a text/csv '
        "body with an email column. Each bad row is reported with its number; good rows are "
        "kept. A body that is not a usable list at all is refused whole (422)."
    ),
    scope="write",
    tag="contacts",
    response=schemas.CONTACT_REPORT,
    body=schemas.CONTACTS_BODY,
    body_types=("application/json", "text/csv"),
)
def upsert_contacts() -> Response:
    """Import contacts."""
    if request.mimetype == "text/csv":
        report = contacts.import_contacts_csv(raw_body())
    elif request.mimetype == "application/json":
        report = contacts.upsert_contacts(json_body(schemas.CONTACTS_BODY)["contacts"])
    else:
        raise ApiError(
            415, "unsupported_media_type", _("Send the contacts as application/json or text/csv.")
        )
    return jsonify(_report_json(report))


def _report_json(report: ImportReport) -> dict[str, Any]:
    return {
        "created": report.created,
        "updated": report.updated,
        "errors": [
            {"row": error.row, "email": error.email, "message": error.message}
            for error in report.errors
        ],
    }
