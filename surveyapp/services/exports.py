"""Exports: responses as CSV or XLSX (a row per response, a column per question), metrics as CSV.

Every text cell that a spreadsheet would read as a formula (starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with an
apostrophe, so an answer like ``=HYPERLINK(...)`` stays text. Numbers are
written as numbers.

Anonymous surveys (PRODUCT.md § Anonymity): no export under ``k`` responses,
no response id (ids follow submission order), dates to the day, and segment
values shared by fewer than ``k`` responses are blanked.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.analytics.suppression import withheld_groups
from surveyapp.models import Question, Response, Survey
from surveyapp.services import reporting, rollups, surveys, tagging
from surveyapp.services.errors import Conflict

__all__ = [
    "FORMULA_PREFIXES",
    "metrics_csv",
    "neutralise",
    "response_table",
    "responses_csv",
    "responses_xlsx",
]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BATCH = 1000


def neutralise(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell: formula-like text gets a leading apostrophe.

    >>> neutralise("=1+1"), neutralise("-5 stars"), neutralise("fine"), neutralise(-5)
    ("'=1+1", "'-5 stars", 'fine', -5)
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _question_header(position: int, question: Question) -> str:
    return f"Q{position} {question.text_in('en')}".strip()


def response_table(survey_id: int) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and the rows (lazily, in batches) of the survey's responses, neutralised.

    Raises NotFound for an unknown survey, Conflict for an anonymous survey under k.
    """
    survey = surveys.get_survey(survey_id)
    k = reporting.reporting_threshold()
    session = db.session()
    total = int(
        session.scalar(sa.select(sa.func.count(Response.id)).where(Response.survey_id == survey.id))
        or 0
    )
    if withheld_groups({"all": total}, anonymous=survey.anonymous, k=k):
        raise Conflict(
            _("This survey is anonymous: it can be exported once it has %(k)s responses.", k=k)
        )
    keys = _segment_keys(survey.id)
    blanked = _blanked_values(survey, keys, k)
    questions = list(survey.questions)
    header = [
        *([] if survey.anonymous else ["response_id"]),
        "created_at",
        "language",
        "channel",
        "completed",
        "score",
        *keys,
        *(_question_header(i, q) for i, q in enumerate(questions, start=1)),
        "tags",
    ]
    return [str(neutralise(cell)) for cell in header], _rows(survey, questions, keys, blanked)


class _Tagger:
    """Tags export texts with the workspace's taxonomy, read once per export on first use
    (the tagger pulls in nltk, which processes that never export need not load)."""

    def __init__(self) -> None:
        self.context: tagging.Context | None = None

    def __call__(self, text: str, language: str) -> list[str]:
        self.context = self.context or tagging.context()
        return tagging.text_tags(text, language, self.context)


def _segment_keys(survey_id: int) -> list[str]:
    return rollups.segment_keys(db.session().connection(), [survey_id])


def _blanked_values(survey: Survey, keys: Sequence[str], k: int) -> dict[str, set[str]]:
    """Per segment key, the values too rare to print on an anonymous survey's rows."""
    if not survey.anonymous:
        return {}
    blanked: dict[str, set[str]] = {}
    for key in keys:
        value = sa.cast(Response.segment[key].as_string(), sa.String)
        counts = {
            str(v): int(n)
            for v, n in db.session().execute(
                sa.select(value, sa.func.count())
                .where(Response.survey_id == survey.id, value.is_not(None))
                .group_by(value)
            )
        }
        blanked[key] = withheld_groups(counts, anonymous=True, k=k)
    return blanked


def _rows(
    survey: Survey,
    questions: Sequence[Question],
    keys: Sequence[str],
    blanked: dict[str, set[str]],
) -> Iterator[list[Any]]:
    session = db.session()
    order = (
        (Response.created_at, Response.score, Response.language)
        if survey.anonymous
        else (Response.created_at, Response.id)
    )
    ids = list(
        session.scalars(
            sa.select(Response.id).where(Response.survey_id == survey.id).order_by(*order)
        )
    )
    tagger = _Tagger()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        loaded = {
            response.id: response
            for response in session.scalars(
                sa.select(Response)
                .where(Response.id.in_(chunk))
                .options(so.selectinload(Response.answers))
            )
        }
        for response_id in chunk:
            yield _row(survey, loaded[response_id], questions, keys, blanked, tagger)
        session.expunge_all()


def _row(
    survey: Survey,
    response: Response,
    questions: Sequence[Question],
    keys: Sequence[str],
    blanked: dict[str, set[str]],
    tagger: _Tagger,
) -> list[Any]:
    answers = {answer.question_id: answer for answer in response.answers}
    created = (
        response.created_at.date().isoformat()
        if survey.anonymous
        else response.created_at.isoformat(timespec="seconds")
    )
    segment = response.segment or {}
    cells: list[Any] = [] if survey.anonymous else [response.id]
    cells += [created, response.language, response.channel, response.completed, response.score]
    for key in keys:
        value = segment.get(key)
        shown = None if value is None or str(value) in blanked.get(key, set()) else value
        cells.append(shown)
    tags: list[str] = []
    for question in questions:
        answer = answers.get(question.id)
        if answer is None:
            cells.append(None)
        elif answer.value_number is not None:
            cells.append(answer.value_number)
        elif answer.choices:
            chosen = "; ".join(str(choice) for choice in answer.choices)
            cells.append(f"{chosen}: {answer.text}" if answer.text else chosen)
        else:
            cells.append(answer.text)
            if answer.text:
                tags += [tag for tag in tagger(answer.text, response.language) if tag not in tags]
    cells.append("; ".join(tags) or None)
    return [neutralise(cell) for cell in cells]


def _csv_line(cells: Sequence[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["" if cell is None else cell for cell in cells])
    return buffer.getvalue()


def responses_csv(survey_id: int) -> Iterator[str]:
    """The responses as CSV text, line by line (a BOM first, for spreadsheets).

    Raises NotFound or Conflict (anonymous under k) before the first line.
    """
    header, rows = response_table(survey_id)

    def lines() -> Iterator[str]:
        yield "\ufeff" + _csv_line(header)
        for row in rows:
            yield _csv_line(row)

    return lines()


def responses_xlsx(survey_id: int) -> bytes:
    """The responses as an XLSX workbook (write-only, so memory stays flat).

    Raises NotFound or Conflict (anonymous under k).
    """
    header, rows = response_table(survey_id)
    from openpyxl import Workbook  # only exports need it; keeps it out of every process

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("responses")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def metrics_csv(survey_id: int, query: reporting.MetricsQuery) -> str:
    """The per-period metrics of ``query`` as CSV (the API's rows and columns).

    Raises NotFound for an unknown survey.
    """
    rows = reporting.metrics_by_period(
        survey_id, query.interval, query.start, query.end, query.segment
    )
    columns: list[str] = []
    for row in rows:
        columns += [column for column in row if column not in columns]
    lines = [_csv_line([neutralise(column) for column in columns])]
    lines += [_csv_line([neutralise(row.get(column)) for column in columns]) for row in rows]
    return "\ufeff" + "".join(lines)
