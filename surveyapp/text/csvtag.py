"""The body of the ``tag-texts`` command: tag the comments of a CSV file from another tool.

Reads UTF-8 (with or without a BOM), with "," or ";" as separator (sniffed from
the header line), and writes every input column back with four more:
``tags`` (pipe-separated, taxonomy order), ``confidence`` (pipe-separated, same
order), ``sentiment`` (polarity, 3 decimals) and ``language``. Each comment is read
with ``read_text`` (the built-in lexicons), or with the ``read`` function given
(the command passes one that applies the workspace's taxonomy).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from surveyapp.text import TextAnalyticsError
from surveyapp.text.pipeline import Reading, read_text

__all__ = ["ADDED_COLUMNS", "tag_csv", "tag_csv_file"]

ADDED_COLUMNS = ("tags", "confidence", "sentiment", "language")


def _delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


Reader = Callable[[str, str], Reading]


def tag_csv(
    source: TextIO,
    target: TextIO,
    column: str,
    language: str = "auto",
    read: Reader | None = None,
) -> int:
    """Tag the ``column`` of the CSV in ``source`` and write the result to ``target``.

    Returns the number of data rows written. Raises TextAnalyticsError when the
    column is missing (listing the columns found) or the language is not en, fr or auto.
    """
    if language not in ("en", "fr", "auto"):
        raise TextAnalyticsError(f"unknown language {language!r}: use en, fr or auto")
    text = source.read().removeprefix("\ufeff")
    delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    fields = list(reader.fieldnames or [])
    if column not in fields:
        found = ", ".join(repr(name) for name in fields) or "none"
        raise TextAnalyticsError(f"no column {column!r} in the CSV; columns found: {found}")
    added = [name for name in ADDED_COLUMNS if name not in fields]
    writer = csv.DictWriter(target, fieldnames=fields + added, delimiter=delimiter)
    writer.writeheader()
    count = 0
    for row in reader:
        comment = row.get(column) or ""
        # One pass: tags, language and polarity (a mixed text scored in its main language).
        reading = (read or read_text)(comment, language)
        row.update(
            tags="|".join(tag.tag for tag in reading.tags),
            confidence="|".join(f"{tag.confidence:.3f}" for tag in reading.tags),
            sentiment=f"{reading.sentiment:.3f}",
            language=reading.language,
        )
        row.pop(None, None)  # type: ignore[call-overload]
        writer.writerow(row)
        count += 1
    return count


def tag_csv_file(
    input_path: Path | str,
    column: str,
    language: str = "auto",
    output_path: Path | str | None = None,
    stdout: TextIO | None = None,
    read: Reader | None = None,
) -> int:
    """Tag a CSV file; write to ``output_path`` (UTF-8) or else to ``stdout``.

    Returns the number of rows tagged. Raises TextAnalyticsError (missing column,
    unknown language) and OSError (unreadable or unwritable file).
    """
    with Path(input_path).open(encoding="utf-8-sig", newline="") as source:
        if output_path is None:
            if stdout is None:
                raise TextAnalyticsError("give an output path or a stream to write to")
            return tag_csv(source, stdout, column, language, read)
        with Path(output_path).open("w", encoding="utf-8", newline="") as target:
            return tag_csv(source, target, column, language, read)
