"""The eNPS dashboard: company eNPS by wave, by department and team, participation, reasons.

One GROUP BY over the survey's responses (day, wave, team, score) feeds
every number; the org chart (``services.org_chart``) maps teams to
departments. Every group passes through ``services.anonymity``: its answers
count by release block (never one person at a time), a group under the
survey's threshold k is withheld, and complementary suppression runs across
the shown total and, for teams, within each department, since the
department breakdown shows the department's total.

A manager with team-only access (``services.survey_access``) gets the same
page computed over their teams and sub-teams only: the "company" line is
the sum of those teams, the same threshold applies to it, and the reasons
(which cannot be restricted to teams) are not shown to them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from surveyapp import db
from surveyapp.analytics.periods import day_bounds, local_day, time_zone
from surveyapp.analytics.significance import Change, change_significance
from surveyapp.models import Contact, Invitation, PulseWave, Response, Survey
from surveyapp.services import anonymity, org_chart, reasons, reporting, rollups, surveys
from surveyapp.services.errors import InvalidInput
from surveyapp.services.survey_access import SurveyAccess

__all__ = [
    "EnpsDashboard",
    "GroupRow",
    "ParticipationRow",
    "WaveRow",
    "enps_dashboard",
]

WAVE = "wave"
TEAM = org_chart.TEAM_ATTRIBUTE
DEPARTMENT = "department"
DELIVERED = reporting.DELIVERED_STATUSES
# The answers a shown total holds beyond its shown groups (see anonymity.withheld).
_REST = "\x00rest"
# (day, wave, team, department, score, count): one row of the GROUP BY.
_Row = tuple[dt.date, str, str, str, int, int]


@dataclass(frozen=True)
class WaveRow:
    """One pulse wave (or month, before the survey recurs): eNPS ± margin, change since the last."""

    label: str
    opened_on: dt.date | None
    score: reporting.GroupScore
    change: Change | None = None


@dataclass(frozen=True)
class GroupRow:
    """One department or team and its eNPS (``score.suppressed`` when withheld)."""

    name: str
    score: reporting.GroupScore
    department: str = ""


@dataclass(frozen=True)
class ParticipationRow:
    """One team's invitations delivered and answered; numbers are None when withheld."""

    team: str
    invited: int | None
    answered: int | None
    suppressed: bool = False

    @property
    def rate(self) -> float | None:
        """Answered as a percentage of invited, or None."""
        if self.suppressed or not self.invited or self.answered is None:
            return None
        return 100 * self.answered / self.invited


@dataclass(frozen=True)
class EnpsDashboard:
    """Everything the eNPS page shows for one survey and one reader's access."""

    survey: Survey
    k: int
    teams_only: bool
    scope: list[str]
    company: reporting.GroupScore
    waves: list[WaveRow] = field(default_factory=list)
    by_wave: bool = True
    departments: list[GroupRow] = field(default_factory=list)
    teams: list[GroupRow] = field(default_factory=list)
    participation: list[ParticipationRow] = field(default_factory=list)
    reasons: reasons.ReasonReport | None = None


def enps_dashboard(survey_id: int, access: SurveyAccess) -> EnpsDashboard:
    """The eNPS page of survey ``survey_id`` as ``access`` may see it.

    Raises NotFound for an unknown survey, InvalidInput for a survey that is not
    an eNPS survey with its 0–10 question, or an access that sees nothing.
    """
    survey = surveys.get_survey(survey_id)
    main = survey.main_question
    if survey.kind != "enps" or main is None or main.type != "nps":
        raise InvalidInput(_("This survey has no 0–10 question to compute an eNPS from."), "survey")
    if not access.visible:
        raise InvalidInput(_("You do not manage any team of the org chart."), "survey")
    k = anonymity.reporting_k(survey)
    scope = None if access.full else access.teams
    departments_of = org_chart.team_departments()
    rows = [row for row in _rows(survey, departments_of) if scope is None or row[2] in scope]

    company_days = anonymity.released(survey, _days(rows, lambda row: ""))
    company_n, company_histogram = _total(company_days)
    company_hidden = bool(anonymity.withheld(survey, {"all": company_n}))
    company = reporting.group_score(main, company_n, company_histogram, company_hidden)
    teams_only = not access.full
    base = EnpsDashboard(
        survey=survey,
        k=k,
        teams_only=teams_only,
        scope=sorted(scope or ()),
        company=company,
    )
    if company_hidden:
        return base

    by_wave = any(row[1] for row in rows)
    waves = _waves(survey, rows, by_wave, company_n)
    departments = _breakdown(survey, rows, 3, {"": company_n}, lambda name: "")
    shown = {row.name: row.score.responses for row in departments if not row.score.suppressed}
    teams = _breakdown(
        survey,
        rows,
        2,
        {"": company_n, **shown},
        lambda name: departments_of.get(name, ""),
        departments_of=departments_of,
    )
    participation = _participation(survey, scope, departments_of)
    report = None
    if access.full:
        start, end = reporting.released_range(survey, None, None)
        report = reasons.reason_shares(survey.id, start=start, end=end)
    return EnpsDashboard(
        survey=survey,
        k=k,
        teams_only=teams_only,
        scope=sorted(scope or ()),
        company=company,
        waves=waves,
        by_wave=by_wave,
        departments=departments,
        teams=teams,
        participation=participation,
        reasons=report,
    )


def _rows(survey: Survey, departments_of: Mapping[str, str]) -> list[_Row]:
    """The survey's scored answers grouped by day, wave, team (and its department), score."""
    wave = sa.cast(Response.segment[WAVE].as_string(), sa.String)
    team = sa.cast(Response.segment[TEAM].as_string(), sa.String)
    department = sa.cast(Response.segment[DEPARTMENT].as_string(), sa.String)
    query = (
        sa.select(Response.created_at, wave, team, department, Response.score, sa.func.count())
        .where(
            Response.survey_id == survey.id,
            Response.score.is_not(None),
            # Today's answers wait (services.anonymity); the released blocks end yesterday.
            Response.created_at < _start_of_today(),
        )
        .group_by(Response.created_at, wave, team, department, Response.score)
    )
    tz = time_zone(rollups.configured_time_zone())
    rows: list[_Row] = []
    for created_at, wave_value, team_value, department_value, score, count in db.session().execute(
        query
    ):
        team_name = str(team_value) if team_value is not None else ""
        # The org chart says which department a team is in; the answer's own copy is the fallback.
        department_name = departments_of.get(team_name) or (
            str(department_value) if department_value is not None else ""
        )
        rows.append(
            (
                local_day(created_at, tz),
                str(wave_value) if wave_value is not None else "",
                team_name,
                department_name,
                int(score),
                int(count),
            )
        )
    return rows


def _start_of_today() -> dt.datetime:
    return day_bounds(reporting.today(), time_zone(rollups.configured_time_zone()))[0]


def _days(rows: Iterable[_Row], value_of: Callable[[_Row], str]) -> list[rollups.DayCounts]:
    """The rows as (value, day, n, histogram) per value and day."""
    merged: dict[tuple[str, dt.date], tuple[int, dict[int, int]]] = {}
    for row in rows:
        value = value_of(row)
        n, histogram = merged.get((value, row[0]), (0, {}))
        histogram[row[4]] = histogram.get(row[4], 0) + row[5]
        merged[(value, row[0])] = (n + row[5], histogram)
    return [(value, day, n, histogram) for (value, day), (n, histogram) in merged.items()]


def _total(days: Iterable[rollups.DayCounts]) -> tuple[int, dict[int, int]]:
    n = 0
    histogram: dict[int, int] = {}
    for _value, _day, count, scores in days:
        n += count
        for score, times in scores.items():
            histogram[score] = histogram.get(score, 0) + times
    return n, histogram


def _by_value(days: Iterable[rollups.DayCounts]) -> dict[str, tuple[int, dict[int, int]]]:
    grouped: dict[str, list[rollups.DayCounts]] = {}
    for row in days:
        grouped.setdefault(row[0], []).append(row)
    return {value: _total(rows) for value, rows in grouped.items()}


def _waves(survey: Survey, rows: Sequence[_Row], by_wave: bool, company_n: int) -> list[WaveRow]:
    """Each wave's eNPS with its margin of error and the change since the wave before.

    Before the survey recurs (no wave), calendar months stand in for waves.
    """
    main = survey.main_question
    if by_wave:
        days = anonymity.released(survey, _days((r for r in rows if r[1]), lambda row: row[1]))
    else:
        days = anonymity.released(survey, _days(rows, lambda row: row[0].strftime("%Y-%m")))
    totals = _by_value(days)
    counts = {value: n for value, (n, _h) in totals.items()}
    # The company line is shown: what it holds beyond the waves shown must stay >= k.
    rest = {_REST: max(company_n - sum(counts.values()), 0)}
    hidden = anonymity.withheld(survey, counts, total=company_n, rest=rest)
    opened = _wave_openings(survey.id) if by_wave else {}
    ordered = sorted(totals, key=lambda value: (len(value), value)) if by_wave else sorted(totals)
    result: list[WaveRow] = []
    previous: reporting.GroupScore | None = None
    for value in ordered:
        n, histogram = totals[value]
        score = reporting.group_score(main, n, histogram, value in hidden)
        change = None
        if previous is not None:
            change = change_significance(previous.as_change_input(), score.as_change_input())
        result.append(WaveRow(label=value, opened_on=opened.get(value), score=score, change=change))
        previous = score
    return result


def _wave_openings(survey_id: int) -> dict[str, dt.date]:
    tz = time_zone(rollups.configured_time_zone())
    return {
        str(number): local_day(opens_at, tz)
        for number, opens_at in db.session().execute(
            sa.select(PulseWave.number, PulseWave.opens_at).where(PulseWave.survey_id == survey_id)
        )
    }


def _breakdown(
    survey: Survey,
    rows: Sequence[_Row],
    column: int,
    parents: Mapping[str, int],
    parent_of: Callable[[str], str],
    *,
    departments_of: Mapping[str, str] | None = None,
) -> list[GroupRow]:
    """Departments (column 3) or teams (column 2), released per group and thresholded.

    ``parents`` are the shown totals the groups add up to ("" the company, else a
    department), ``parent_of`` a group's parent: each parent's shown total minus its
    shown groups (withheld groups, answers still waiting) is never below k.
    """
    main = survey.main_question
    days = anonymity.released(
        survey, _days((row for row in rows if row[column]), lambda row: row[column])
    )
    totals = _by_value(days)
    counts = {value: n for value, (n, _h) in totals.items()}
    members: dict[str, list[str]] = {"": list(counts)}
    for value in counts:
        parent = parent_of(value)
        if parent and parent in parents:
            members.setdefault(parent, []).append(value)
    rest = {
        (_REST, parent): max(parents[parent] - sum(counts[value] for value in group), 0)
        for parent, group in members.items()
        if parent in parents
    }
    sets = [[*group, (_REST, parent)] for parent, group in members.items() if parent in parents]
    hidden = anonymity.withheld(survey, counts, totals=sets, rest=rest)
    result = [
        GroupRow(
            name=value,
            score=reporting.group_score(main, n, histogram, value in hidden),
            department=(departments_of or {}).get(value, ""),
        )
        for value, (n, histogram) in totals.items()
    ]
    return sorted(result, key=lambda row: (row.score.suppressed, row.department, row.name))


def _participation(
    survey: Survey, scope: frozenset[str] | None, departments_of: Mapping[str, str]
) -> list[ParticipationRow]:
    """Per team: invitations delivered and answered, withheld under k (either count).

    An anonymous invitation still records that it was answered (so reminders
    stop); a small team's count would say who did not answer, so it is
    withheld like any other group, with its complement.
    """
    team = sa.cast(Contact.attributes[TEAM].as_string(), sa.String)
    query = (
        sa.select(team, sa.func.count(Invitation.id), sa.func.count(Invitation.answered_at))
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(
            Invitation.survey_id == survey.id,
            Invitation.status.in_(DELIVERED),
            team.is_not(None),
        )
        .group_by(team)
    )
    invited: dict[str, int] = {}
    answered: dict[str, int] = {}
    for name, sent, done in db.session().execute(query):
        if scope is not None and str(name) not in scope:
            continue
        invited[str(name)] = int(sent)
        answered[str(name)] = int(done)
    nested = reporting.nested_totals(TEAM, invited)
    hidden = anonymity.withheld(
        survey, invited, total=sum(invited.values()), totals=nested
    ) | anonymity.withheld(survey, answered, total=sum(answered.values()), totals=nested)
    rows = [
        ParticipationRow(
            team=name,
            invited=None if name in hidden else invited[name],
            answered=None if name in hidden else answered[name],
            suppressed=name in hidden,
        )
        for name in invited
    ]
    return sorted(
        rows, key=lambda row: (row.suppressed, departments_of.get(row.team, ""), row.team)
    )
