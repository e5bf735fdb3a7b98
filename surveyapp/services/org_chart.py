"""The org chart: teams, their department, parent team and managers, imported from CSV.

Employees are contacts whose ``team`` attribute names a team of the chart
(with ``department``, ``location`` and ``manager`` attributes of their own
when the contacts file has them). The chart says which department a team
belongs to, which team a sub-team hangs under, and who manages it: the
staff account with a manager's email sees that team and every team under it
(``managed_teams``), always under the reporting threshold.

The CSV file reads like the contacts import (``services.contact_csv``):
any encoding a spreadsheet writes, ``,``/``;``/tab separators, French or
English headers. Columns: ``team`` (required), ``department``, ``parent``
(the parent team's name) and ``managers`` (one or more emails separated by
spaces, ``|`` or ``;`` when the file is comma-separated). Each bad row is
reported with its line number and the others are imported; a row naming an
unknown parent, or a parent that would make a team its own ancestor, is bad.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.models import Contact, Team, TeamManager
from surveyapp.services import audit
from surveyapp.services.contact_csv import (
    CsvError,
    ImportReport,
    RowError,
    clean_email,
    decode,
    normalise_header,
    sniff_delimiter,
)
from surveyapp.services.errors import Conflict

__all__ = [
    "MAX_TEAM_NAME_LENGTH",
    "TeamRow",
    "import_org_chart_csv",
    "list_teams",
    "managed_teams",
    "team_departments",
    "team_parents",
]

MAX_TEAM_NAME_LENGTH = 200
TEAM_ATTRIBUTE = "team"
HEADER_ALIASES = {
    "team": "team",
    "team_name": "team",
    "equipe": "team",
    "nom_de_l_equipe": "team",
    "department": "department",
    "dept": "department",
    "departement": "department",
    "service": "department",
    "division": "department",
    "parent": "parent",
    "parent_team": "parent",
    "equipe_parente": "parent",
    "equipe_mere": "parent",
    "manager": "managers",
    "managers": "managers",
    "manager_email": "managers",
    "manager_emails": "managers",
    "responsable": "managers",
    "responsables": "managers",
    "email_du_responsable": "managers",
}
_EMAIL_SEPARATORS = re.compile(r"[\s|;,]+")


@dataclass(frozen=True)
class _TeamLine:
    row: int
    name: str
    department: str
    parent: str | None
    managers: tuple[str, ...]


@dataclass(frozen=True)
class TeamRow:
    """One team as the org chart page lists it."""

    name: str
    department: str
    parent: str | None
    managers: list[str]
    employees: int


def import_org_chart_csv(data: bytes) -> ImportReport:
    """Create or update teams from a CSV file; each bad row is reported, the others kept.

    Raises CsvError (an InvalidInput) and imports nothing when the file has no
    team column or no data row; Conflict when a concurrent import wrote the same teams.
    """
    text, _encoding = decode(data)
    delimiter = sniff_delimiter(text)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows:
        raise CsvError(_("The file is empty."))
    columns = [HEADER_ALIASES.get(normalise_header(cell), "") for cell in rows[0]]
    if "team" not in columns:
        raise CsvError(
            _(
                "No team column: the first line must name the columns, one of them "
                "“team” (or “équipe”), with “department”, “parent” and “managers” if you have them."
            )
        )
    lines: list[_TeamLine] = []
    errors: list[RowError] = []
    first_line_of: dict[str, int] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        outcome = _line(number, cells, columns)
        if isinstance(outcome, RowError):
            errors.append(outcome)
        elif outcome.name.casefold() in first_line_of:
            errors.append(
                RowError(
                    number,
                    outcome.name,
                    _(
                        "This team is already on line %(line)s: only that row is kept.",
                        line=first_line_of[outcome.name.casefold()],
                    ),
                )
            )
        else:
            first_line_of[outcome.name.casefold()] = number
            lines.append(outcome)
    if not lines and not errors:
        raise CsvError(_("The file has a header line but no teams under it."))
    lines, refused = _check_parents(lines)
    errors += refused
    created, updated = _apply(lines)
    return ImportReport(created, updated, sorted(errors, key=lambda error: error.row))


def _line(number: int, cells: list[str], columns: list[str]) -> _TeamLine | RowError:
    values: dict[str, str] = {}
    for index, key in enumerate(columns):
        if key and index < len(cells):
            values[key] = " ".join(cells[index].split())
    name = values.get("team", "")
    if not name:
        return RowError(number, "", _("No team name."))
    problems: list[str] = []
    if len(name) > MAX_TEAM_NAME_LENGTH or len(values.get("department", "")) > MAX_TEAM_NAME_LENGTH:
        problems.append(_("A name is longer than %(n)s characters.", n=MAX_TEAM_NAME_LENGTH))
    parent = values.get("parent") or None
    if parent is not None and parent.casefold() == name.casefold():
        problems.append(_("A team cannot be its own parent."))
    managers: list[str] = []
    for raw in _EMAIL_SEPARATORS.split(values.get("managers", "")):
        if not raw:
            continue
        try:
            managers.append(clean_email(raw))
        except ValueError:
            problems.append(_("%(value)s is not a valid manager email.", value=raw[:80]))
    if problems:
        return RowError(number, name, " ".join(problems))
    return _TeamLine(
        number, name, values.get("department", ""), parent, tuple(dict.fromkeys(managers))
    )


def _check_parents(lines: list[_TeamLine]) -> tuple[list[_TeamLine], list[RowError]]:
    """Refuse the rows whose parent is unknown or would make a loop (the others are kept)."""
    existing = {
        team.name.casefold(): (team.name, team.parent_id, team.id)
        for team in db.session().scalars(sa.select(Team))
    }
    names_by_id = {team_id: name for name, _parent, team_id in existing.values()}
    parents: dict[str, str | None] = {
        key: (names_by_id[parent_id].casefold() if parent_id in names_by_id else None)
        for key, (_name, parent_id, _id) in existing.items()
    }
    known = set(existing) | {line.name.casefold() for line in lines}
    errors: list[RowError] = []
    kept: list[_TeamLine] = []
    for line in lines:
        if line.parent is not None and line.parent.casefold() not in known:
            errors.append(
                RowError(line.row, line.name, _("Unknown parent team %(name)s.", name=line.parent))
            )
            continue
        kept.append(line)
    for line in kept:
        parents[line.name.casefold()] = line.parent.casefold() if line.parent else None
    looping = {line.name.casefold() for line in kept if _loops(line.name.casefold(), parents)}
    for line in kept:
        if line.name.casefold() in looping:
            errors.append(
                RowError(
                    line.row,
                    line.name,
                    _("Parent team %(name)s would make a loop of teams.", name=line.parent),
                )
            )
    return [line for line in kept if line.name.casefold() not in looping], errors


def _loops(start: str, parents: Mapping[str, str | None]) -> bool:
    seen = {start}
    current = parents.get(start)
    while current is not None:
        if current in seen:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def _apply(lines: list[_TeamLine]) -> tuple[int, int]:
    """Write the checked rows: teams first, then their parents (a parent may come later)."""
    session = db.session()
    teams = {team.name.casefold(): team for team in session.scalars(sa.select(Team))}
    created = updated = 0
    for line in lines:
        team = teams.get(line.name.casefold())
        if team is None:
            team = Team(name=line.name)
            session.add(team)
            teams[line.name.casefold()] = team
            created += 1
        else:
            updated += 1
        team.department = line.department
        team.managers = [TeamManager(email=email) for email in line.managers]
    session.flush()
    for line in lines:
        parent = teams.get(line.parent.casefold()) if line.parent else None
        teams[line.name.casefold()].parent_id = parent.id if parent is not None else None
    audit.record(None, "org_chart.imported", "org chart", {"created": created, "updated": updated})
    try:
        session.commit()
    except sa.exc.IntegrityError as exc:
        session.rollback()
        raise Conflict(
            _("Another import wrote the same teams at the same time: try again.")
        ) from exc
    return created, updated


def list_teams() -> list[TeamRow]:
    """Every team with its department, parent, managers and how many employees it has."""
    session = db.session()
    team_value = sa.cast(Contact.attributes[TEAM_ATTRIBUTE].as_string(), sa.String)
    employees = {
        str(name): int(count)
        for name, count in session.execute(
            sa.select(team_value, sa.func.count())
            .where(team_value.is_not(None))
            .group_by(team_value)
        )
    }
    teams = list(
        session.scalars(
            sa.select(Team)
            .options(so.selectinload(Team.managers))
            .order_by(Team.department, Team.name)
        )
    )
    names = {team.id: team.name for team in teams}
    return [
        TeamRow(
            name=team.name,
            department=team.department,
            parent=names.get(team.parent_id) if team.parent_id is not None else None,
            managers=[manager.email for manager in team.managers],
            employees=employees.get(team.name, 0),
        )
        for team in teams
    ]


def team_departments() -> dict[str, str]:
    """Team name -> its department ("" when none is given)."""
    return {
        name: department
        for name, department in db.session().execute(sa.select(Team.name, Team.department))
    }


def team_parents() -> dict[str, str | None]:
    """Team name -> the name of its parent team, or None for a top-level team."""
    rows = db.session().execute(sa.select(Team.id, Team.name, Team.parent_id)).all()
    names = {team_id: name for team_id, name, _parent in rows}
    return {name: names.get(parent_id) for _id, name, parent_id in rows}


def managed_teams(email: str) -> frozenset[str]:
    """The names of the teams ``email`` manages and of every team under them."""
    session = db.session()
    own = set(
        session.scalars(
            sa.select(Team.name)
            .join(TeamManager, TeamManager.team_id == Team.id)
            .where(TeamManager.email == email.strip().lower())
        )
    )
    return frozenset(_with_descendants(own, team_parents()))


def _with_descendants(roots: Iterable[str], parents: Mapping[str, str | None]) -> set[str]:
    children: dict[str, list[str]] = {}
    for name, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(name)
    found: set[str] = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in found:
            continue
        found.add(name)
        stack.extend(children.get(name, ()))
    return found
