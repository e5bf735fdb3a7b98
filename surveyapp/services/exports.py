"""Exports: responses as CSV or XLSX (a row per response, a column per question), metrics as CSV.

Every text cell that a spreadsheet would read as a formula (starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with an
apostrophe, so an answer like ``=HYPERLINK(...)`` stays text. Numbers are
written as numbers.

Anonymous surveys (PRODUCT.md § Anonymity): only released answers
(``services.anonymity``: today's and an unfinished block of fewer than k
wait), no export under ``k`` of them, no response id (ids follow submission
order), each row dated on its block's release day, rows in a random order
within a day, score and language. A row is a group of one, so the columns
that describe a group (every segment value, with the date) must describe at
least k rows: a row whose combination is rarer has its segment cells
blanked, and when fewer than k rows of one date are blanked, more are, so
that the blanked ones cannot be told apart by elimination (team A ∩ Lyon
stays hidden even when team A and Lyon are each large enough).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.analytics.suppression import withheld_groups
from surveyapp.models import AnswerTag, Question, Response, Survey
from surveyapp.services import reporting, rollups, surveys, taxonomy
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
    k = reporting.reporting_threshold(survey)
    keys = _segment_keys(survey.id)
    plan = _anonymous_plan(survey, keys, k) if survey.anonymous else None
    total = len(plan.order) if plan is not None else _count(survey.id)
    if withheld_groups({"all": total}, anonymous=survey.anonymous, k=k):
        raise Conflict(
            _("This survey is anonymous: it can be exported once it has %(k)s responses.", k=k)
        )
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
    return [str(neutralise(cell)) for cell in header], _rows(survey, questions, keys, plan)


def _count(survey_id: int) -> int:
    query = sa.select(sa.func.count(Response.id)).where(Response.survey_id == survey_id)
    return int(db.session().scalar(query) or 0)


def _shown_tags(answer_ids: Sequence[int]) -> dict[int, list[str]]:
    """Answer id -> its stored reason tags, as the dashboards count them: manual
    corrections included, retired and merged reasons left out, surest first."""
    tags: dict[int, list[str]] = {}
    if not answer_ids:
        return tags
    rows = db.session().execute(
        sa.select(AnswerTag.answer_id, AnswerTag.tag)
        .where(AnswerTag.answer_id.in_(answer_ids), taxonomy.is_shown(AnswerTag.tag))
        .order_by(AnswerTag.answer_id, AnswerTag.confidence.desc(), AnswerTag.tag)
    )
    for answer_id, tag in rows:
        tags.setdefault(answer_id, []).append(tag)
    return tags


def _segment_keys(survey_id: int) -> list[str]:
    return rollups.segment_keys(db.session().connection(), [survey_id])


@dataclass(frozen=True)
class _AnonymousPlan:
    """Which rows of an anonymous survey are exported, in what order, dated and blanked how."""

    order: list[int]
    release: dict[int, dt.date]
    blanked: set[int]


def _anonymous_plan(survey: Survey, keys: Sequence[str], k: int) -> _AnonymousPlan:
    """The released rows, shuffled within (release day, score), and those to blank.

    Language and channel describe a group too (the one French speaker of a team).
    """
    schedule = reporting.release_schedule(survey)
    rows: list[tuple[int, dt.date, int, tuple[str, ...]]] = []
    for response_id, created_at, score, language, channel, segment in db.session().execute(
        sa.select(
            Response.id,
            Response.created_at,
            Response.score,
            Response.language,
            Response.channel,
            Response.segment,
        ).where(Response.survey_id == survey.id)
    ):
        released = schedule.get(reporting.local_answer_day(created_at))
        if released is None:
            continue
        values = (language, channel, *(str((segment or {}).get(key, "")) for key in keys))
        rows.append((response_id, released, -1 if score is None else score, values))
    # Ids and days within a block follow submission order: shuffle, then sort stably.
    random.SystemRandom().shuffle(rows)
    rows.sort(key=lambda row: (row[1], row[2]))
    return _AnonymousPlan(
        order=[row[0] for row in rows],
        release={row[0]: row[1] for row in rows},
        blanked=_blanked_rows([(row[0], row[1], row[3]) for row in rows], k),
    )


def _blanked_rows(rows: Sequence[tuple[int, dt.date, tuple[str, ...]]], k: int) -> set[int]:
    """The ids whose segment cells are blanked so every printed combination has >= k rows."""
    combos = Counter((day, values) for _id, day, values in rows)
    rare = {combo for combo, n in combos.items() if n < k}
    by_day: dict[dt.date, list[tuple[int, tuple[str, ...]]]] = {}
    for combo in combos:
        by_day.setdefault(combo[0], []).append((combos[combo], combo[1]))
    for day, entries in by_day.items():
        blanked = sum(n for n, values in entries if (day, values) in rare)
        # The blanked rows of a day must be at least k too, or none (elimination).
        for n, values in sorted(entries):
            if blanked == 0 or blanked >= k:
                break
            if (day, values) not in rare:
                rare.add((day, values))
                blanked += n
    return {response_id for response_id, day, values in rows if (day, values) in rare}


def _rows(
    survey: Survey,
    questions: Sequence[Question],
    keys: Sequence[str],
    plan: _AnonymousPlan | None,
) -> Iterator[list[Any]]:
    session = db.session()
    if plan is not None:
        ids = plan.order
    else:
        ids = list(
            session.scalars(
                sa.select(Response.id)
                .where(Response.survey_id == survey.id)
                .order_by(Response.created_at, Response.id)
            )
        )
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
        texts = [a.id for response in loaded.values() for a in response.answers if a.text]
        tags = _shown_tags(texts)
        for response_id in chunk:
            yield _row(survey, loaded[response_id], questions, keys, plan, tags)
        session.expunge_all()


def _row(
    survey: Survey,
    response: Response,
    questions: Sequence[Question],
    keys: Sequence[str],
    plan: _AnonymousPlan | None,
    tags_by_answer: dict[int, list[str]],
) -> list[Any]:
    answers = {answer.question_id: answer for answer in response.answers}
    created = (
        plan.release[response.id].isoformat()
        if plan is not None
        else response.created_at.isoformat(timespec="seconds")
    )
    blank = plan is not None and response.id in plan.blanked
    segment = {} if blank else response.segment or {}
    cells: list[Any] = [] if survey.anonymous else [response.id]
    cells += [
        created,
        None if blank else response.language,
        None if blank else response.channel,
        response.completed,
        response.score,
    ]
    for key in keys:
        cells.append(segment.get(key))
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
            tags += [tag for tag in tags_by_answer.get(answer.id, ()) if tag not in tags]
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
    """The per-period metrics of ``query`` as CSV (the API's rows and columns), of its
    segment value only when it names one.

    Raises NotFound for an unknown survey.
    """
    rows = reporting.metrics_by_period(
        survey_id, query.interval, query.start, query.end, query.segment
    )
    if query.value_filter is not None:
        # Suppression was decided over every value: a subset of a safe table is safe.
        rows = [row for row in rows if row["segment"] == query.value]
    columns: list[str] = []
    for row in rows:
        columns += [column for column in row if column not in columns]
    lines = [_csv_line([neutralise(column) for column in columns])]
    lines += [_csv_line([neutralise(row.get(column)) for column in columns]) for row in rows]
    return "\ufeff" + "".join(lines)
