"""CSV parsing of contact files: encodings, separators, headers, and one report per bad row."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveyapp.services.contact_csv import (
    CsvError,
    clean_language,
    decode,
    normalise_header,
    parse_contacts_csv,
    sniff_delimiter,
)


def test_utf8_with_bom_semicolons_and_french_headers() -> None:
    data = (
        "\ufeffAdresse e-mail;Nom;Langue;Équipe\nA.Martin@Example.COM;Anaïs Martin;Français;Ops\n"
    )
    parsed = parse_contacts_csv(data.encode("utf-8"))
    assert (parsed.encoding, parsed.delimiter) == ("utf-8-sig", ";")
    assert parsed.attribute_columns == {"equipe": "Équipe"}
    [row] = parsed.rows
    assert (row.row, row.email, row.name, row.language) == (
        2,
        "a.martin@example.com",
        "Anaïs Martin",
        "fr",
    )
    assert row.attributes == {"equipe": "Ops"}
    assert parsed.errors == []


def test_latin1_file_from_excel_is_read() -> None:
    data = "Courriel;Prénom;Nom\nzoe@example.com;Zoé;Lefèvre\n".encode("cp1252")
    parsed = parse_contacts_csv(data)
    assert parsed.encoding == "cp1252"
    # Next to "Prénom", "Nom" is the family name.
    assert parsed.rows[0].name == "Zoé Lefèvre"


def test_utf16_with_bom_and_tabs() -> None:
    data = "Email\tName\nann@example.com\tAnn\n".encode("utf-16")
    parsed = parse_contacts_csv(data)
    assert parsed.delimiter == "\t"
    assert [row.email for row in parsed.rows] == ["ann@example.com"]


def test_quoted_fields_with_separators_quotes_and_line_breaks() -> None:
    data = b'email,name,note\n"a@example.com","Doe, ""JD"" John","two\nlines"\nb@example.com,Bo,x\n'
    parsed = parse_contacts_csv(data)
    assert parsed.rows[0].name == 'Doe, "JD" John'
    assert parsed.rows[0].attributes == {"note": "two\nlines"}
    # A spreadsheet shows the quoted two-line cell as one row: b@ is on line 3.
    assert [row.row for row in parsed.rows] == [2, 3]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not-an-email;Ann;en", "Not a valid email address."),
        ("a@b@example.com;Ann;en", "Not a valid email address."),
        (";Ann;en", "No email address."),
        ("ann@example.com;Ann;de", "Unknown language 'de'"),
        ("ann@example.com;" + "x" * 201 + ";en", "longer than 200"),
        ("ann@example.com;Ann;en;surplus", "more values than the header has columns"),
    ],
)
def test_each_kind_of_bad_row_is_reported_with_its_line(line: str, message: str) -> None:
    data = f"email;name;language\ngood@example.com;Good;en\n\n{line}\n".encode()
    parsed = parse_contacts_csv(data)
    assert [row.email for row in parsed.rows] == ["good@example.com"]
    [error] = parsed.errors
    # Header 1, good row 2, blank line 3: the bad row is line 4, as a spreadsheet shows it.
    assert error.row == 4
    assert message in error.message


def test_a_repeated_email_is_reported_and_the_first_row_kept() -> None:
    parsed = parse_contacts_csv(b"email,plan\nann@example.com,pro\nANN@example.com,free\n")
    assert [(row.row, row.attributes) for row in parsed.rows] == [(2, {"plan": "pro"})]
    [error] = parsed.errors
    assert (error.row, error.email) == (3, "ann@example.com")
    assert "line 2" in error.message


def test_trailing_empty_cells_and_blank_rows_are_not_errors() -> None:
    parsed = parse_contacts_csv(b"email;name;;\r\nann@example.com;Ann;;\r\n;;;\r\n\r\n")
    assert [row.email for row in parsed.rows] == ["ann@example.com"]
    assert parsed.errors == []
    assert parsed.attribute_columns == {}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf  \r\n", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV text file"),
        (bytes(range(1, 32)) * 20, "not a CSV text file"),
        (b"PK\x03\x04\x14\x00\x06\x00", "spreadsheet file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "spreadsheet file"),
        (b"name,plan\nAnn,pro\n", "No email column"),
        (b"email\n", "no contacts under it"),
        (b"email,E-mail\na@example.com,b@example.com\n", "mean the same thing"),
    ],
)
def test_a_file_that_is_not_a_contact_list_gives_one_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(CsvError, match=message):
        parse_contacts_csv(data)


def test_no_email_column_error_names_the_columns_found() -> None:
    with pytest.raises(CsvError) as caught:
        parse_contacts_csv(b"Nom;Plan\nAnn;pro\n")
    assert "Nom, Plan" in str(caught.value)
    assert caught.value.field == "file"


def test_header_normalisation() -> None:
    assert normalise_header("  Date d'inscription ") == "date_d_inscription"
    assert normalise_header("E-MAIL") == "e_mail"
    assert normalise_header("MRR (€)") == "mrr"


def test_language_accepts_codes_and_names() -> None:
    assert [clean_language(v) for v in ("FR", "fr-CA", "English", "Français", "")] == [
        "fr",
        "fr",
        "en",
        "fr",
        None,
    ]
    with pytest.raises(ValueError):
        clean_language("es")
    with pytest.raises(ValueError):
        clean_language("fr", supported=("en",))


def test_sniffing_prefers_the_separator_that_splits_the_header() -> None:
    assert sniff_delimiter("email;name;plan, monthly\n") == ";"
    assert sniff_delimiter("email,name\n") == ","
    assert sniff_delimiter("email\n") == ","


def test_decode_falls_back_to_latin1_only_when_utf8_fails() -> None:
    assert decode("é".encode()) == ("é", "utf-8-sig")
    assert decode("é".encode("latin-1")) == ("é", "cp1252")


# --- property: every data row ends up either kept or reported, exactly once ---------------

BAD_EMAILS = ["plainaddress", "a@b@example.com", "@example.com", "user@", "us er@example.com"]
UNICODE_NAME = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"))
    | st.just("\n"),
    max_size=20,
)
# Accented letters only: none of them can pair up into valid UTF-8 once encoded as cp1252.
CP1252_NAME = st.text(alphabet=st.sampled_from("abcXYZ -'éèàçùâêîôûëïüÉ;,\""), max_size=20)


@st.composite
def contact_files(draw: st.DrawFn) -> tuple[bytes, list[tuple[int, str]], list[int]]:
    """A CSV file and what it must give: the good (line, email) pairs and the bad lines."""
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    names = CP1252_NAME if encoding == "cp1252" else UNICODE_NAME
    kinds = draw(
        st.lists(
            st.sampled_from(
                ["good", "good", "bad_email", "no_email", "bad_language", "dup", "blank"]
            ),
            max_size=25,
        )
    )
    buffer = io.StringIO(newline="")
    writer = csv.writer(
        buffer, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))
    )
    writer.writerow(["E-mail", "Name", "Langue", "Plan"])
    good: list[tuple[int, str]] = []
    bad: list[int] = []
    line = 1
    for index, kind in enumerate(kinds):
        line += 1
        name = draw(names)
        language = draw(st.sampled_from(["", "en", "FR", "Français"]))
        plan = draw(st.sampled_from(["", "pro", "free"]))
        if kind == "blank":
            writer.writerow([])
            continue
        if kind == "dup" and good:
            email = good[draw(st.integers(0, len(good) - 1))][1].upper()
            bad.append(line)
        elif kind == "bad_email":
            email = draw(st.sampled_from(BAD_EMAILS))
            bad.append(line)
        elif kind == "no_email":
            email, name = "", name + "x"
            bad.append(line)
        elif kind == "bad_language":
            email, language = f"lang{index}@example.com", "de"
            bad.append(line)
        else:
            email = (
                f"User{index}@Example.com" if draw(st.booleans()) else f"user{index}@example.com"
            )
            good.append((line, email.lower()))
        writer.writerow([email, name, language, plan])
    return buffer.getvalue().encode(encoding), good, bad


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contact_files())
def test_good_rows_are_kept_and_bad_rows_reported_once(
    generated: tuple[bytes, list[tuple[int, str]], list[int]],
) -> None:
    data, good, bad = generated
    if not good and not bad:
        with pytest.raises(CsvError):
            parse_contacts_csv(data)
        return
    parsed = parse_contacts_csv(data)
    assert [(row.row, row.email) for row in parsed.rows] == good
    assert [error.row for error in parsed.errors] == bad
    assert parsed.line_count == len(good) + len(bad)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash_the_parser(data: bytes) -> None:
    try:
        parsed = parse_contacts_csv(data)
    except CsvError as exc:
        assert str(exc)
    else:
        assert all("@" in row.email for row in parsed.rows)
