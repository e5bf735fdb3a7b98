"""Reading contact CSV files as spreadsheets really write them (pure parsing, no database).

Bytes are decoded as UTF-8 (with or without BOM), UTF-16 when it has a BOM,
else Windows-1252/Latin-1; the separator is sniffed among ``,``, ``;`` and tab;
header names are normalised ("E-mail", "Courriel", "Adresse e-mail" all mean
``email``). Each data row is validated on its own and reported with the line
number a spreadsheet shows (the header is line 1). A file that cannot be a
contact list at all raises one ``CsvError`` and yields nothing.

Customer columns (status, start date, cancel date, MRR; "statut", "date de
début", "date de résiliation" in French) make a row a customer update. They
are read when the file has a status, start date or cancel date column; only
then is "mrr" a customer column rather than an attribute. A row whose status
is unknown, whose cancel date comes before its start date or whose MRR is
negative is reported and skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from surveyapp.services.errors import InvalidInput

__all__ = [
    "ATTRIBUTE_KEY_PATTERN",
    "CUSTOMER_COLUMNS",
    "MAX_ATTRIBUTE_KEY_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_VALUE_LENGTH",
    "RESERVED_COLUMNS",
    "ContactRow",
    "CsvError",
    "CustomerFields",
    "ImportReport",
    "ParsedCsv",
    "RowError",
    "clean_customer",
    "clean_email",
    "clean_language",
    "clean_name",
    "decode",
    "normalise_header",
    "parse_contacts_csv",
    "sniff_delimiter",
]

RESERVED_COLUMNS = ("email", "name", "language")
MAX_NAME_LENGTH = 200
MAX_VALUE_LENGTH = 200
MAX_ATTRIBUTE_KEY_LENGTH = 64
MAX_EMAIL_LENGTH = 320
ATTRIBUTE_KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]*$")
DELIMITERS = (",", ";", "\t")

# Normalised header -> column. Spreadsheets from French and English tools.
HEADER_ALIASES: dict[str, str] = {
    **dict.fromkeys(
        (
            "email",
            "e_mail",
            "mail",
            "courriel",
            "email_address",
            "e_mail_address",
            "adresse_e_mail",
            "adresse_email",
            "adresse_mail",
            "adresse_courriel",
            "adresse_electronique",
        ),
        "email",
    ),
    **dict.fromkeys(("name", "nom", "full_name", "nom_complet", "contact_name"), "name"),
    **dict.fromkeys(("language", "langue", "lang", "locale"), "language"),
    **dict.fromkeys(("first_name", "firstname", "given_name", "prenom"), "first_name"),
    **dict.fromkeys(
        ("last_name", "lastname", "surname", "family_name", "nom_de_famille"), "last_name"
    ),
    **dict.fromkeys(("status", "statut", "customer_status", "statut_client"), "status"),
    **dict.fromkeys(
        (
            "start_date",
            "started_on",
            "date_de_debut",
            "date_debut",
            "debut",
            "subscription_start",
            "date_d_abonnement",
        ),
        "start_date",
    ),
    **dict.fromkeys(
        (
            "cancel_date",
            "cancelled_on",
            "canceled_on",
            "cancellation_date",
            "date_de_resiliation",
            "date_resiliation",
            "date_d_annulation",
        ),
        "cancel_date",
    ),
}
# A monthly revenue above this is a typo (and would overflow the cents column).
MAX_MRR = Decimal(10) ** 9
# The columns that make a file a customer file (and "mrr" a customer column in it).
CUSTOMER_COLUMNS = ("status", "start_date", "cancel_date")
STATUS_ALIASES: dict[str, str] = {
    **dict.fromkeys(("active", "actif", "active_customer", "client", "abonne"), "active"),
    **dict.fromkeys(
        ("cancelled", "canceled", "resilie", "annule", "churned", "inactive", "inactif"),
        "cancelled",
    ),
}
_DAY_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%Y")
LANGUAGE_ALIASES: dict[str, str] = {
    "en": "en",
    "english": "en",
    "anglais": "en",
    "fr": "fr",
    "french": "fr",
    "francais": "fr",
}


class CsvError(InvalidInput):
    """The file as a whole is not a usable contact list; ``str()`` says why, for its user."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="file")


@dataclass(frozen=True)
class RowError:
    """One refused row: its line as a spreadsheet numbers it, its email as given, and why."""

    row: int
    email: str
    message: str


@dataclass(frozen=True)
class ImportReport:
    """What a CSV import did: rows created, rows updated, and every refused row."""

    created: int
    updated: int
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class CustomerFields:
    """A row's customer data, checked: status, start and cancel days, MRR in cents (None: keep)."""

    status: str
    started_on: dt.date | None = None
    cancelled_on: dt.date | None = None
    mrr_cents: int | None = None


@dataclass(frozen=True)
class ContactRow:
    """One contact to create or update; ``None`` (or a missing attribute) leaves a value as is."""

    row: int
    email: str
    name: str | None = None
    language: str | None = None
    attributes: Mapping[str, object] = field(default_factory=dict)
    customer: CustomerFields | None = None


@dataclass(frozen=True)
class ParsedCsv:
    """A parsed file: its valid rows (attribute values still raw text) and its bad rows."""

    encoding: str
    delimiter: str
    # Attribute keys in column order, with the header text each came from.
    attribute_columns: dict[str, str]
    rows: list[ContactRow]
    errors: list[RowError]

    @property
    def line_count(self) -> int:
        """How many data rows carried something (good and bad)."""
        return len(self.rows) + len(self.errors)


def decode(data: bytes) -> tuple[str, str]:
    """Decode a file's bytes and return ``(text, encoding)``.

    Raises CsvError when the file is empty or binary (a spreadsheet, an image…).
    """
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise CsvError(_("The file is empty."))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _check_text(data.decode("utf-16")), "utf-16"
        except UnicodeDecodeError:
            raise _not_csv() from None
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise CsvError(
            _(
                "This is a spreadsheet file, not a CSV file: open it in your spreadsheet "
                "and save it as CSV, then upload that file."
            )
        )
    if b"\x00" in data:
        raise _not_csv()
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return _check_text(data.decode(encoding)), encoding
        except UnicodeDecodeError:
            continue
    raise _not_csv()  # pragma: no cover - latin-1 decodes every byte


def sniff_delimiter(text: str) -> str:
    """The separator of the header line: the one of ``,``, ``;`` and tab splitting it most."""
    first_line = next(iter(io.StringIO(text, newline="")), "")
    best, best_count = ",", 1
    for delimiter in DELIMITERS:
        count = len(next(csv.reader([first_line], delimiter=delimiter), []))
        if count > best_count:
            best, best_count = delimiter, count
    return best


def normalise_header(name: str) -> str:
    """A header cell as a column key: lower case, no accents, words joined by ``_``.

    >>> normalise_header(" Adresse E-mail ")
    'adresse_e_mail'
    >>> normalise_header("Date d'inscription")
    'date_d_inscription'
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", ascii_name.casefold()).strip("_")


def clean_email(raw: str) -> str:
    """Check an address's syntax (no DNS lookup); return it in lower case. Raises ValueError."""
    text = (raw or "").strip()
    if not text:
        raise ValueError(_("No email address."))
    if len(text) > MAX_EMAIL_LENGTH:
        raise ValueError(_("Not a valid email address."))
    try:
        valid = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError(_("Not a valid email address.")) from None
    return valid.normalized.lower()


def clean_name(raw: str | None) -> str | None:
    """A name with its spaces tidied (None when blank). Raises ValueError when too long."""
    text = " ".join((raw or "").split())
    if len(text) > MAX_NAME_LENGTH:
        raise ValueError(_("The name is longer than %(n)s characters.", n=MAX_NAME_LENGTH))
    return text or None


def clean_language(raw: str | None, supported: Sequence[str] = ("en", "fr")) -> str | None:
    """A language code among ``supported`` from "fr", "FR-ca", "Français"… (None when blank).

    Raises ValueError for any other language.
    """
    text = normalise_header(raw or "")
    if not text:
        return None
    code = LANGUAGE_ALIASES.get(text) or LANGUAGE_ALIASES.get(text.split("_")[0])
    if code is None or code not in supported:
        raise ValueError(
            _(
                "Unknown language %(value)r: use one of %(codes)s.",
                value=(raw or "").strip(),
                codes=", ".join(supported),
            )
        )
    return code


def parse_contacts_csv(data: bytes, *, languages: Sequence[str] = ("en", "fr")) -> ParsedCsv:
    """Parse a contact file into valid rows and one RowError per bad row.

    Blank lines are skipped. Raises CsvError for a file that is empty, binary,
    has no email column, two columns with the same meaning, or no data row.
    """
    text, encoding = decode(data)
    delimiter = sniff_delimiter(text)
    records = _records(text, delimiter)
    try:
        header = next(records)
    except StopIteration:
        raise CsvError(_("The file is empty.")) from None
    columns = _columns(header[1])
    attribute_columns = {
        key: header[1][index].strip()
        for index, key in enumerate(columns)
        if _is_attribute(key, customer_file=_is_customer_file(columns))
    }
    rows: list[ContactRow] = []
    errors: list[RowError] = []
    first_line_of: dict[str, int] = {}
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        outcome = _row(line, cells, columns, languages)
        if isinstance(outcome, RowError):
            errors.append(outcome)
            continue
        if outcome.email in first_line_of:
            errors.append(
                RowError(
                    line,
                    outcome.email,
                    _(
                        "This email is already on line %(line)s: only that row is kept.",
                        line=first_line_of[outcome.email],
                    ),
                )
            )
            continue
        first_line_of[outcome.email] = line
        rows.append(outcome)
    if not rows and not errors:
        raise CsvError(_("The file has a header line but no contacts under it."))
    return ParsedCsv(encoding, delimiter, attribute_columns, rows, errors)


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Each record with its spreadsheet line number (a quoted multi-line cell is one row)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CsvError(
                _("Line %(line)s cannot be read as CSV (%(reason)s).", line=number + 1, reason=exc)
            ) from None
        number += 1
        yield number, cells


def _columns(header: list[str]) -> list[str]:
    """The key of each header cell ("" for a blank one, which is ignored)."""
    keys = [normalise_header(cell) for cell in header]
    columns = [HEADER_ALIASES.get(key, key)[:MAX_ATTRIBUTE_KEY_LENGTH] for key in keys]
    if "first_name" in columns and "last_name" not in columns:
        # Next to a "Prénom" column, "Nom" is the family name, not the full name.
        columns = [
            "last_name" if key == "nom" else column
            for key, column in zip(keys, columns, strict=True)
        ]
    if "email" not in columns:
        found = ", ".join(cell.strip() for cell in header if cell.strip())
        raise CsvError(
            _(
                "No email column: the first line must name the columns, one of them "
                "“email” (or “e-mail”, “courriel”). Columns found: %(found)s.",
                found=found or _("none"),
            )
        )
    seen: dict[str, int] = {}
    for index, key in enumerate(columns):
        if not key:
            continue
        if key in seen:
            raise CsvError(
                _(
                    "Columns %(first)s and %(second)s mean the same thing (%(key)s): "
                    "keep only one.",
                    first=seen[key] + 1,
                    second=index + 1,
                    key=key,
                )
            )
        seen[key] = index
    return columns


def _is_customer_file(columns: Sequence[str]) -> bool:
    return any(column in CUSTOMER_COLUMNS for column in columns)


def _is_attribute(key: str, *, customer_file: bool = False) -> bool:
    return (
        bool(key)
        and key not in RESERVED_COLUMNS
        and key not in ("first_name", "last_name")
        and key not in CUSTOMER_COLUMNS
        and not (customer_file and key == "mrr")
    )


def clean_customer(
    status: object = None, start: object = None, cancel: object = None, mrr: object = None
) -> CustomerFields | None:
    """Customer fields from raw values (text, or dates and numbers); None when all are blank.

    A cancel date alone means "cancelled". Raises ValueError (every problem in
    one message) for an unknown status, a malformed date, a negative or
    malformed MRR, a cancel date before the start date, a cancelled customer
    without cancel date or an active one with one.
    """
    problems: list[str] = []
    raw_status = "" if status is None else str(status).strip()
    started_on = _clean_day(start, problems)
    cancelled_on = _clean_day(cancel, problems)
    mrr_cents = _clean_mrr(mrr, problems)
    blank = not raw_status and started_on is None and cancelled_on is None and mrr_cents is None
    if blank and not problems:
        return None
    clean_status = STATUS_ALIASES.get(normalise_header(raw_status)) if raw_status else None
    if raw_status and clean_status is None:
        problems.append(
            _("Unknown status %(value)r: use active or cancelled.", value=raw_status[:40])
        )
    if clean_status is None and not raw_status:
        clean_status = "cancelled" if cancelled_on is not None else "active"
    if clean_status == "cancelled" and cancelled_on is None and not problems:
        problems.append(_("A cancelled customer needs a cancel date."))
    if clean_status == "active" and cancelled_on is not None:
        problems.append(_("An active customer cannot have a cancel date."))
    if started_on is not None and cancelled_on is not None and cancelled_on < started_on:
        problems.append(_("The cancel date comes before the start date."))
    if problems:
        raise ValueError(" ".join(problems))
    return CustomerFields(clean_status or "active", started_on, cancelled_on, mrr_cents)


def _clean_day(raw: object, problems: list[str]) -> dt.date | None:
    if raw is None:
        return None
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    text = str(raw).strip()
    if not text:
        return None
    for pattern in _DAY_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    problems.append(_("%(value)r is not a date: use YYYY-MM-DD.", value=text[:40]))
    return None


def _clean_mrr(raw: object, problems: list[str]) -> int | None:
    if raw is None or isinstance(raw, bool):
        if isinstance(raw, bool):
            problems.append(_("The MRR must be a number."))
        return None
    text = str(raw).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if not text:
        return None
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        problems.append(_("The MRR %(value)r is not a number.", value=str(raw)[:40]))
        return None
    if not amount.is_finite():
        problems.append(_("The MRR %(value)r is not a number.", value=str(raw)[:40]))
        return None
    if amount < 0:
        problems.append(_("The MRR cannot be negative."))
        return None
    if amount > MAX_MRR:
        problems.append(_("The MRR is larger than %(max)s.", max=f"{MAX_MRR:,}"))
        return None
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _row(
    line: int, cells: list[str], columns: list[str], languages: Sequence[str]
) -> ContactRow | RowError:
    values: dict[str, str] = {}
    for index, cell in enumerate(cells):
        if index < len(columns):
            if columns[index]:
                values[columns[index]] = cell.strip()
        elif cell.strip():
            return RowError(
                line,
                _email_as_given(cells, columns),
                _(
                    "This row has more values than the header has columns: "
                    "a value containing the separator must be in quotes."
                ),
            )
    raw_email = values.get("email", "")
    problems: list[str] = []
    email = ""
    try:
        email = clean_email(raw_email)
    except ValueError as exc:
        problems.append(str(exc))
    name: str | None = None
    try:
        name = clean_name(
            values.get("name")
            or " ".join(filter(None, (values.get("first_name"), values.get("last_name"))))
        )
    except ValueError as exc:
        problems.append(str(exc))
    language: str | None = None
    try:
        language = clean_language(values.get("language"), languages)
    except ValueError as exc:
        problems.append(str(exc))
    customer_file = _is_customer_file(columns)
    attributes = {
        key: value
        for key, value in values.items()
        if _is_attribute(key, customer_file=customer_file) and value
    }
    customer: CustomerFields | None = None
    if customer_file:
        try:
            customer = clean_customer(
                values.get("status"),
                values.get("start_date"),
                values.get("cancel_date"),
                values.get("mrr"),
            )
        except ValueError as exc:
            problems.append(str(exc))
    for key, value in attributes.items():
        if len(value) > MAX_VALUE_LENGTH:
            problems.append(
                _(
                    "The value of %(key)s is longer than %(n)s characters.",
                    key=key,
                    n=MAX_VALUE_LENGTH,
                )
            )
    if problems:
        return RowError(line, raw_email, " ".join(problems))
    return ContactRow(line, email, name, language, attributes, customer)


def _email_as_given(cells: list[str], columns: list[str]) -> str:
    index = columns.index("email")
    return cells[index].strip() if index < len(cells) else ""


def _check_text(text: str) -> str:
    """Refuse decoded text that is mostly control characters (a binary file)."""
    sample = text[:4096]
    controls = sum(
        1 for char in sample if unicodedata.category(char) == "Cc" and char not in "\t\r\n\f"
    )
    if controls > max(2, len(sample) // 100):
        raise _not_csv()
    return text


def _not_csv() -> CsvError:
    return CsvError(
        _("This file is not a CSV text file. Export your contacts as CSV (UTF-8) and try again.")
    )
