"""Contacts: create, edit, delete, import (upsert by email) and typed attributes used as segments.

Attribute values are stored typed in ``Contact.attributes``: numbers as JSON
numbers, dates as ISO strings, text and choices as strings. A column the
import does not know becomes a text attribute; an editor can later declare
its real type, which converts every stored value or is refused.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.models import AttributeDefinition, Contact, utcnow
from surveyapp.models.contact import ATTRIBUTE_TYPES
from surveyapp.services import audit, retention
from surveyapp.services.contact_csv import (
    ATTRIBUTE_KEY_PATTERN,
    MAX_ATTRIBUTE_KEY_LENGTH,
    MAX_VALUE_LENGTH,
    RESERVED_COLUMNS,
    ContactRow,
    CsvError,
    ImportReport,
    RowError,
    clean_customer,
    clean_email,
    clean_language,
    clean_name,
    normalise_header,
    parse_contacts_csv,
)
from surveyapp.services.errors import Conflict, InvalidInput, NotFound

__all__ = [
    "ATTRIBUTE_TYPES",
    "MAX_REPORTABLE_VALUES",
    "PER_PAGE",
    "PREVIEW_ROWS",
    "ContactPage",
    "ContactRow",
    "CsvError",
    "ImportPreview",
    "ImportReport",
    "PreviewRow",
    "RowError",
    "coerce_attribute",
    "create_contact",
    "define_attribute",
    "delete_contact",
    "get_contact",
    "import_contacts_csv",
    "list_attributes",
    "list_contacts",
    "parse_date",
    "parse_number",
    "preview_import",
    "segment_filter",
    "update_contact",
    "upsert_contacts",
]

PER_PAGE = 50
PREVIEW_ROWS = 20
MAX_LABEL_LENGTH = 200
# A reportable attribute's values are groups (teams, plans), never identities.
MAX_REPORTABLE_VALUES = 50
# Emails looked up per query, well under every database's parameter limit.
LOOKUP_CHUNK = 500
# Larger numbers lose precision as JSON numbers in other tools.
MAX_NUMBER = Decimal(10) ** 15
_NUMBER_SPACES = re.compile(r"[\s\u00a0\u202f']")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.+\-Z]*)?")
_DAY_FIRST_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?: [0-9:]*)?")


@dataclass(frozen=True)
class PreviewRow:
    """A good row as it will be stored, and whether it creates or updates a contact."""

    row: int
    email: str
    name: str | None
    language: str | None
    attributes: dict[str, Any]
    creates: bool


@dataclass(frozen=True)
class ImportPreview:
    """What importing a file would do, computed without writing anything."""

    rows: list[PreviewRow]
    errors: list[RowError]
    to_create: int
    to_update: int
    # New attribute key -> the header it comes from; they will be text attributes.
    new_attributes: dict[str, str]
    attribute_keys: list[str]
    encoding: str
    delimiter: str


@dataclass(frozen=True)
class ContactPage:
    """One page of contacts and where it sits in the whole list."""

    items: list[Contact]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages the whole list has (at least 1)."""
        return max(1, math.ceil(self.total / self.per_page))


@dataclass
class _Plan:
    """Rows checked against the database: what to create, what to update, what is refused."""

    creates: list[ContactRow] = field(default_factory=list)
    updates: list[tuple[Contact, ContactRow]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    new_attributes: dict[str, str] = field(default_factory=dict)


def parse_number(raw: Any) -> int | float:
    """A number from "1 234,50", "1234.5", "1,234.50", "1.234,50" or "€ 49".

    A single comma is a decimal comma. Integral values come back as ``int``.
    Raises ValueError for anything else.

    >>> parse_number("1 234,50"), parse_number("1234.5"), parse_number("12")
    (1234.5, 1234.5, 12)
    """
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, int | float):
        value = Decimal(str(raw)) if math.isfinite(raw) else Decimal("nan")
    else:
        value = _decimal_from_text(str(raw))
    if not value.is_finite() or abs(value) >= MAX_NUMBER:
        raise ValueError(raw)
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _decimal_from_text(raw: str) -> Decimal:
    text = _NUMBER_SPACES.sub("", raw.replace("−", "-")).strip("€$£")
    sign = ""
    if text[:1] in ("+", "-"):
        sign, text = text[0], text[1:]
    text = text.strip("€$£")
    commas, dots = text.count(","), text.count(".")
    decimal: str | None = None
    if commas and dots:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
    elif commas == 1:
        decimal = ","
    elif dots == 1:
        decimal = "."
    if decimal is not None:
        integer, _sep, fraction = text.rpartition(decimal)
        thousands = "." if decimal == "," else ","
    else:
        integer, fraction = text, ""
        thousands = "," if commas else "."
    if thousands in integer:
        if not re.fullmatch(rf"\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+", integer):
            raise ValueError(raw)
        integer = integer.replace(thousands, "")
    if not (integer or fraction) or not re.fullmatch(r"\d*", integer + fraction):
        raise ValueError(raw)
    try:
        return Decimal(f"{sign}{integer or '0'}.{fraction or '0'}")
    except InvalidOperation:  # pragma: no cover - the pattern above admits only digits
        raise ValueError(raw) from None


def parse_date(raw: Any) -> str:
    """An ISO date from "2024-03-15" (a time after it is ignored), "15/03/2024" or "15.03.2024".

    Raises ValueError for anything else, including impossible dates.

    >>> parse_date("5/3/2024"), parse_date("2024-03-05T10:00:00Z")
    ('2024-03-05', '2024-03-05')
    """
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    text = str(raw).strip()
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    elif match := _DAY_FIRST_DATE.fullmatch(text):
        day, month, year = match.groups()
    else:
        raise ValueError(raw)
    return dt.date(int(year), int(month), int(day)).isoformat()


def coerce_attribute(attribute_type: str, raw: Any) -> str | int | float:
    """``raw`` as a stored value of ``attribute_type`` (text, number, date, choice).

    Raises ValueError with a message for its user when the value does not fit.
    """
    if attribute_type == "number":
        try:
            return parse_number(raw)
        except ValueError:
            raise ValueError(_("%(value)r is not a number.", value=str(raw))) from None
    if attribute_type == "date":
        try:
            return parse_date(raw)
        except ValueError:
            raise ValueError(
                _("%(value)r is not a date (use 2024-03-15 or 15/03/2024).", value=str(raw))
            ) from None
    text = " ".join(str(raw).split())
    if len(text) > MAX_VALUE_LENGTH:
        raise ValueError(_("The value is longer than %(n)s characters.", n=MAX_VALUE_LENGTH))
    return text


def list_attributes() -> list[AttributeDefinition]:
    """Every attribute definition, by key."""
    return list(
        db.session().scalars(sa.select(AttributeDefinition).order_by(AttributeDefinition.key))
    )


def define_attribute(
    key: str, type: str = "text", label: str = "", reportable: bool = False
) -> AttributeDefinition:
    """Create or change the definition of attribute ``key``.

    Changing the type converts every stored value. Raises InvalidInput for a
    bad or reserved key, an unknown type, too long a label, stored values
    that do not fit the new type, or a reportable attribute that could name
    a person (nothing is changed then): only a "choice" attribute with at most
    MAX_REPORTABLE_VALUES distinct values can be reportable, because its values
    are copied onto anonymous answers and become groups in reports; free text
    such as a name would make every answer a group of one.
    """
    key = _clean_key(key)
    if type not in ATTRIBUTE_TYPES:
        raise InvalidInput(_("Unknown attribute type %(type)r.", type=type), "type")
    if reportable:
        _check_reportable(key, type)
    label = " ".join((label or "").split())
    if len(label) > MAX_LABEL_LENGTH:
        raise InvalidInput(
            _("The label must be at most %(n)s characters.", n=MAX_LABEL_LENGTH), "label"
        )
    session = db.session()
    definition = session.scalar(
        sa.select(AttributeDefinition).where(AttributeDefinition.key == key)
    )
    if definition is None:
        definition = AttributeDefinition(key=key, type=type)
        session.add(definition)
    elif definition.type != type:
        _convert_values(key, type)
    definition.type = type
    definition.label = label
    definition.reportable = reportable
    try:
        session.commit()
    except sa.exc.IntegrityError as exc:
        session.rollback()
        raise Conflict(
            _("The attribute %(key)s was just defined by someone else.", key=key)
        ) from exc
    return definition


def _check_reportable(key: str, attribute_type: str) -> None:
    """Raise InvalidInput ("reportable") unless ``key`` is a choice with few distinct values."""
    if attribute_type != "choice":
        raise InvalidInput(
            _(
                "Only a choice attribute (a few fixed values, such as a team or a plan) can be "
                "used in reports: free text or numbers could single a person out."
            ),
            "reportable",
        )
    value = sa.cast(Contact.attributes[key].as_string(), sa.String)
    distinct = db.session().scalar(
        sa.select(sa.func.count(sa.distinct(value))).where(value.is_not(None))
    )
    if (distinct or 0) > MAX_REPORTABLE_VALUES:
        raise InvalidInput(
            _(
                "%(key)s has %(n)s different values: an attribute used in reports has at most "
                "%(max)s, so that each value is a group, not a person.",
                key=key,
                n=distinct,
                max=MAX_REPORTABLE_VALUES,
            ),
            "reportable",
        )


def _convert_values(key: str, new_type: str) -> None:
    """Convert every stored value of ``key`` to ``new_type``, or raise InvalidInput listing some."""
    session = db.session()
    holders = session.scalars(
        sa.select(Contact)
        .where(Contact.attributes[key].as_string().is_not(None))
        .order_by(Contact.email)
    ).all()
    converted: list[tuple[Contact, Any]] = []
    misfits: list[str] = []
    for contact in holders:
        try:
            converted.append((contact, coerce_attribute(new_type, contact.attributes[key])))
        except ValueError:
            misfits.append(f"{contact.email} ({contact.attributes[key]})")
    if misfits:
        session.rollback()
        raise InvalidInput(
            _(
                "%(n)s contacts have a value that is not of this type, for example %(examples)s. "
                "Correct them first.",
                n=len(misfits),
                examples=", ".join(misfits[:3]),
            ),
            "type",
        )
    for contact, value in converted:
        contact.attributes = {**contact.attributes, key: value}


def get_contact(contact_id: int) -> Contact:
    """The contact with this id. Raises NotFound."""
    contact = db.session().get(Contact, contact_id)
    if contact is None:
        raise NotFound(_("No such contact."))
    return contact


def create_contact(
    email: str,
    name: str = "",
    language: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Contact:
    """Create a contact; attribute values are typed by their definitions (unknown keys: text).

    Raises InvalidInput for a bad email, name, language or attribute value,
    and Conflict when a contact already has this email.
    """
    session = db.session()
    cleaned = _clean_contact_fields(email, name, language)
    values, new_keys = _typed_values(attributes or {}, _definitions())
    contact = Contact(
        email=cleaned.email,
        name=cleaned.name or "",
        language=cleaned.language,
        attributes={key: value for key, value in values.items() if value is not None},
    )
    session.add(contact)
    _add_definitions(new_keys)
    _commit_contact(cleaned.email)
    return contact


def update_contact(
    contact_id: int,
    *,
    email: str,
    name: str = "",
    language: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Contact:
    """Change a contact; a blank attribute value removes it, attributes not given stay.

    Raises NotFound, InvalidInput (as create_contact) and Conflict when the
    new email belongs to another contact.
    """
    contact = get_contact(contact_id)
    cleaned = _clean_contact_fields(email, name, language)
    values, new_keys = _typed_values(attributes or {}, _definitions())
    merged = dict(contact.attributes)
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    contact.email = cleaned.email
    contact.name = cleaned.name or ""
    contact.language = cleaned.language
    contact.attributes = merged
    _add_definitions(new_keys)
    _commit_contact(cleaned.email)
    return contact


def delete_contact(contact_id: int) -> None:
    """Delete a contact and its invitations; its responses stay, no longer linked to anyone.

    The database does the rest: invitations cascade, responses' contact and
    invitation links become NULL. Raises NotFound.
    """
    session = db.session()
    get_contact(contact_id)
    session.execute(sa.delete(Contact).where(Contact.id == contact_id))
    audit.record(None, "contact.deleted", f"contact {contact_id}")
    session.commit()
    session.expire_all()


def list_contacts(
    page: int = 1,
    search: str = "",
    segment: Mapping[str, Any] | None = None,
    per_page: int = PER_PAGE,
) -> ContactPage:
    """One page of contacts by email, matching ``search`` (email or name) and ``segment``.

    A page past the end gives the last page. Raises InvalidInput for a
    segment on an unknown attribute or with a value of the wrong type.
    """
    conditions: list[sa.ColumnElement[bool]] = []
    search = (search or "").strip()
    if search:
        conditions.append(
            sa.or_(
                Contact.email.icontains(search, autoescape=True),
                Contact.name.icontains(search, autoescape=True),
            )
        )
    if segment:
        conditions.append(segment_filter(segment))
    session = db.session()
    total = session.scalar(sa.select(sa.func.count(Contact.id)).where(*conditions)) or 0
    per_page = max(1, per_page)
    page = min(max(1, page), max(1, math.ceil(total / per_page)))
    items = session.scalars(
        sa.select(Contact)
        .where(*conditions)
        .order_by(Contact.email)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return ContactPage(list(items), page, per_page, total)


def segment_filter(
    segment: Mapping[str, Any] | None = None, /, **criteria: Any
) -> sa.ColumnElement[bool]:
    """A WHERE condition on ``Contact`` for ``{"plan": "pro", "mrr": [49, 99]}``.

    Each attribute must equal the value (or one of the listed values); the
    value is read with the attribute's type, and text and choices match
    regardless of case. Works on SQLite and PostgreSQL. Raises InvalidInput
    for an unknown attribute or a value of the wrong type.
    """
    wanted = {**(segment or {}), **criteria}
    definitions = _definitions()
    conditions: list[sa.ColumnElement[bool]] = []
    for raw_key, raw_value in wanted.items():
        key = normalise_header(str(raw_key))
        definition = definitions.get(key)
        if definition is None:
            raise InvalidInput(_("Unknown attribute %(key)s.", key=str(raw_key)), "segment")
        values = raw_value if isinstance(raw_value, list | tuple | set) else [raw_value]
        try:
            typed = [coerce_attribute(definition.type, value) for value in values]
        except ValueError as exc:
            raise InvalidInput(f"{key}: {exc}", "segment") from None
        if definition.type == "number":
            column: sa.ColumnElement[Any] = Contact.attributes[key].as_float()
            targets: list[Any] = [float(value) for value in typed]
        else:
            column = sa.func.lower(Contact.attributes[key].as_string())
            targets = [str(value).lower() for value in typed]
        conditions.append(column.in_(targets) if len(targets) > 1 else column == targets[0])
    return sa.and_(sa.true(), *conditions)


def preview_import(data: bytes) -> ImportPreview:
    """What importing this CSV file would do, without writing anything.

    Raises CsvError (an InvalidInput) when the file is not a usable contact list.
    """
    parsed = parse_contacts_csv(data, languages=_languages())
    plan = _plan(parsed.rows, parsed.attribute_columns)
    existing = {contact.email for contact, _row in plan.updates}
    good = sorted(
        [*plan.creates, *(row for _contact, row in plan.updates)], key=lambda row: row.row
    )
    rows = [
        PreviewRow(
            row.row,
            row.email,
            row.name,
            row.language,
            dict(row.attributes),
            row.email not in existing,
        )
        for row in good[:PREVIEW_ROWS]
    ]
    return ImportPreview(
        rows=rows,
        errors=sorted([*parsed.errors, *plan.errors], key=lambda error: error.row),
        to_create=len(plan.creates),
        to_update=len(plan.updates),
        new_attributes=plan.new_attributes,
        attribute_keys=list(parsed.attribute_columns),
        encoding=parsed.encoding,
        delimiter=parsed.delimiter,
    )


def import_contacts_csv(data: bytes) -> ImportReport:
    """Import a CSV file: good rows created or updated by email, each bad row reported.

    Raises CsvError (an InvalidInput) and imports nothing when the file is not
    a usable contact list; Conflict when a concurrent import wrote the same emails.
    """
    parsed = parse_contacts_csv(data, languages=_languages())
    report = _apply(_plan(parsed.rows, parsed.attribute_columns))
    errors = sorted([*parsed.errors, *report.errors], key=lambda error: error.row)
    return ImportReport(report.created, report.updated, errors)


def upsert_contacts(rows: Iterable[ContactRow | Mapping[str, Any]]) -> ImportReport:
    """Create or update contacts by email (case-insensitive); each bad row is reported once.

    A mapping row has "email" and optional "name", "language", "attributes";
    its row number is its position from 1. Raises Conflict when a concurrent
    import wrote the same emails (nothing is written then).
    """
    checked: list[ContactRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows, start=1):
        outcome = row if isinstance(row, ContactRow) else _row_from_mapping(index, row)
        if isinstance(outcome, RowError):
            errors.append(outcome)
        elif outcome.email in seen:
            errors.append(
                RowError(
                    outcome.row,
                    outcome.email,
                    _(
                        "This email is already on row %(line)s: only that row is kept.",
                        line=seen[outcome.email],
                    ),
                )
            )
        else:
            seen[outcome.email] = outcome.row
            checked.append(outcome)
    report = _apply(_plan(checked, {}))
    return ImportReport(
        report.created,
        report.updated,
        sorted([*errors, *report.errors], key=lambda error: error.row),
    )


def _row_from_mapping(index: int, row: Mapping[str, Any]) -> ContactRow | RowError:
    raw_email = str(row.get("email") or "") if isinstance(row, Mapping) else ""
    if not isinstance(row, Mapping):
        return RowError(index, "", _("Each contact must be an object with an email."))
    problems: list[str] = []
    cleaned: ContactRow | None = None
    try:
        cleaned = _clean_contact_fields(raw_email, row.get("name"), row.get("language"), index)
    except InvalidInput as exc:
        problems.append(str(exc))
    attributes = row.get("attributes") or {}
    if not isinstance(attributes, Mapping):
        problems.append(_("The attributes must be an object."))
        attributes = {}
    customer = None
    try:
        customer = clean_customer(
            row.get("status"), row.get("start_date"), row.get("cancel_date"), row.get("mrr")
        )
    except ValueError as exc:
        problems.append(str(exc))
    if problems or cleaned is None:
        return RowError(index, raw_email, " ".join(problems))
    return ContactRow(
        index, cleaned.email, cleaned.name, cleaned.language, dict(attributes), customer
    )


def _plan(rows: Sequence[ContactRow], headers: Mapping[str, str]) -> _Plan:
    """Check each row's attribute values and find which emails already exist."""
    plan = _Plan()
    definitions = _definitions()
    choices = _choice_spellings(definitions, rows)
    good: list[ContactRow] = []
    for row in rows:
        try:
            values, new_keys = _typed_values(row.attributes, definitions, choices)
        except InvalidInput as exc:
            plan.errors.append(RowError(row.row, row.email, str(exc)))
            continue
        for key in new_keys:
            plan.new_attributes.setdefault(key, headers.get(key, key))
        good.append(
            ContactRow(
                row.row,
                row.email,
                row.name,
                row.language,
                {key: value for key, value in values.items() if value is not None},
                row.customer,
            )
        )
    existing = _existing_contacts([row.email for row in good])
    today = utcnow().date()
    for row in good:
        contact = existing.get(row.email)
        if row.customer is not None:
            try:
                # Checked against the current history now, so a refused row writes nothing.
                retention.customer_events(contact or Contact(), row.customer, today)
            except ValueError as exc:
                plan.errors.append(RowError(row.row, row.email, str(exc)))
                continue
        if contact is None:
            plan.creates.append(row)
        else:
            plan.updates.append((contact, row))
    return plan


def _apply(plan: _Plan) -> ImportReport:
    """Write a plan in one transaction."""
    session = db.session()
    for definition_key, label in plan.new_attributes.items():
        session.add(AttributeDefinition(key=definition_key, label=label, type="text"))
    created = [
        (
            Contact(
                email=row.email,
                name=row.name or "",
                language=row.language,
                attributes=dict(row.attributes),
            ),
            row,
        )
        for row in plan.creates
    ]
    session.add_all(contact for contact, _row in created)
    for contact, row in plan.updates:
        if row.name is not None:
            contact.name = row.name
        if row.language is not None:
            contact.language = row.language
        if row.attributes:
            contact.attributes = {**contact.attributes, **row.attributes}
    customers = [(contact, row) for contact, row in [*created, *plan.updates] if row.customer]
    if customers:
        session.flush()
        today = utcnow().date()
        for contact, row in customers:
            if row.customer is not None:
                retention.apply_customer(contact, row.customer, today)
    counts = {"created": len(plan.creates), "updated": len(plan.updates)}
    audit.record(None, "contacts.imported", "contacts", counts)
    try:
        session.commit()
    except sa.exc.IntegrityError as exc:
        session.rollback()
        raise Conflict(
            _("Another change added some of these contacts at the same time: import again.")
        ) from exc
    return ImportReport(len(plan.creates), len(plan.updates), list(plan.errors))


def _existing_contacts(emails: Sequence[str]) -> dict[str, Contact]:
    session = db.session()
    found: dict[str, Contact] = {}
    for start in range(0, len(emails), LOOKUP_CHUNK):
        chunk = emails[start : start + LOOKUP_CHUNK]
        for contact in session.scalars(sa.select(Contact).where(Contact.email.in_(chunk))):
            found[contact.email] = contact
    return found


def _choice_spellings(
    definitions: Mapping[str, AttributeDefinition], rows: Sequence[ContactRow]
) -> dict[str, dict[str, str]]:
    """Per choice attribute in use: casefolded value -> the spelling already stored."""
    used = {key for row in rows for key in row.attributes}
    spellings: dict[str, dict[str, str]] = {}
    for key, definition in definitions.items():
        if definition.type != "choice" or key not in used:
            continue
        column = Contact.attributes[key].as_string()
        stored = db.session().scalars(
            sa.select(column).where(column.is_not(None)).distinct().order_by(column)
        )
        spellings[key] = {}
        for value in stored:
            spellings[key].setdefault(str(value).casefold(), str(value))
    return spellings


def _typed_values(
    attributes: Mapping[str, Any],
    definitions: Mapping[str, AttributeDefinition],
    choices: dict[str, dict[str, str]] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Typed values by normalised key (None for a blank one) and the keys not yet defined.

    Raises InvalidInput naming every attribute whose value does not fit; its field is
    ``attributes.<key>`` of the first one.
    """
    values: dict[str, Any] = {}
    new_keys: list[str] = []
    problems: list[str] = []
    first_bad = ""
    for raw_key, raw_value in attributes.items():
        try:
            key = _clean_key(str(raw_key))
        except InvalidInput as exc:
            problems.append(str(exc))
            continue
        if raw_value is None or (isinstance(raw_value, str) and not raw_value.strip()):
            values[key] = None
            continue
        definition = definitions.get(key)
        attribute_type = definition.type if definition is not None else "text"
        if definition is None and key not in new_keys:
            new_keys.append(key)
        try:
            value = coerce_attribute(attribute_type, raw_value)
        except ValueError as exc:
            problems.append(f"{_label(key, definition)}: {exc}")
            first_bad = first_bad or key
            continue
        if attribute_type == "choice" and choices is not None and isinstance(value, str):
            # "Pro" and "pro" are one segment: the first spelling seen is kept.
            value = choices.setdefault(key, {}).setdefault(value.casefold(), value)
        values[key] = value
    if problems:
        # "attributes.<key>" lets a form show the message next to that attribute's field.
        raise InvalidInput(
            " ".join(problems), f"attributes.{first_bad}" if first_bad else "attributes"
        )
    return values, new_keys


def _label(key: str, definition: AttributeDefinition | None) -> str:
    return definition.label if definition is not None and definition.label else key


def _clean_key(raw: str) -> str:
    """A valid attribute key from ``raw``. Raises InvalidInput for a reserved or empty one."""
    key = normalise_header(raw)[:MAX_ATTRIBUTE_KEY_LENGTH]
    if not key or not ATTRIBUTE_KEY_PATTERN.fullmatch(key):
        raise InvalidInput(
            _("An attribute name needs at least one letter or digit: %(raw)r.", raw=raw), "key"
        )
    if key in RESERVED_COLUMNS:
        raise InvalidInput(
            _("%(key)s is a contact field, not an attribute: choose another name.", key=key),
            "key",
        )
    return key


def _clean_contact_fields(
    email: str, name: str | None, language: str | None, row: int = 0
) -> ContactRow:
    """Email, name and language checked as the CSV import checks them. Raises InvalidInput."""
    try:
        clean = clean_email(email)
    except ValueError as exc:
        raise InvalidInput(str(exc), "email") from None
    try:
        clean_name_ = clean_name(name)
    except ValueError as exc:
        raise InvalidInput(str(exc), "name") from None
    try:
        clean_language_ = clean_language(language, _languages())
    except ValueError as exc:
        raise InvalidInput(str(exc), "language") from None
    return ContactRow(row, clean, clean_name_, clean_language_)


def _add_definitions(keys: Sequence[str]) -> None:
    for key in keys:
        db.session().add(AttributeDefinition(key=key, label=key, type="text"))


def _commit_contact(email: str) -> None:
    session = db.session()
    try:
        session.commit()
    except sa.exc.IntegrityError as exc:
        session.rollback()
        raise Conflict(
            _("A contact with the email %(email)s already exists.", email=email)
        ) from exc


def _definitions() -> dict[str, AttributeDefinition]:
    return {definition.key: definition for definition in list_attributes()}


def _languages() -> list[str]:
    return list(current_app.config["LANGUAGES"])
