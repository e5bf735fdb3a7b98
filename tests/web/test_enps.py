"""Trying to break eNPS anonymity (PRODUCT.md § Anonymity), on SQLite and PostgreSQL.

A company of 50 employees answers an anonymous eNPS; its QA team has 4 people, all in
Lyon. Every way of looking at the answers (the eNPS dashboard, breakdowns by team and by
location, a date filter narrowed to one day, CSV and XLSX exports, the API, an admin
account, a manager's account, the numbers before and after one more answer) must never
show a group under k = 5 or let one be derived by subtraction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
from collections import Counter
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from surveyapp.models import Survey, User
from surveyapp.services import enps, reporting, survey_access
from surveyapp.services.api_keys import create_api_key
from tests import factories, factories_enps

Login = Callable[..., object]
K = 5
WITHHELD = "Not enough responses to protect anonymity"
ORG_CHART = """team,department,parent,managers
Backend,Product,,lead.backend@example.com
Platform,Product,Backend,
Frontend,Product,,
QA,Product,,
Sales,Go to market,,
Marketing,Go to market,,
"""
# team -> [(days ago, location, scores)]: 50 answers over four days; QA's four on one day.
ANSWERS: dict[str, list[tuple[int, str, list[int]]]] = {
    "Backend": [
        (6, "Paris", [9, 10, 8, 9, 7]),
        (5, "Paris", [9, 6, 10, 9, 8]),
        (4, "Paris", [10, 9]),
    ],
    "Platform": [(5, "Paris", [7, 8, 9]), (4, "Paris", [6, 10])],
    "Frontend": [(6, "Paris", [8, 8, 9, 7]), (5, "Paris", [6, 7, 9, 10]), (4, "Lyon", [5, 9, 10])],
    "QA": [(3, "Lyon", [0, 1, 2, 3])],
    "Sales": [(6, "Paris", [5, 6, 9, 10]), (5, "Lyon", [4, 6, 8, 9, 10, 10])],
    "Marketing": [(5, "Paris", [9, 9, 8, 10, 7]), (3, "Paris", [6, 9, 8])],
}
QA_COMMENT = "QA is run like a prison"


def _ago(days: int) -> dt.date:
    return reporting.today() - dt.timedelta(days=days)


def _company() -> Survey:
    factories_enps.gen_reportable("team", "location")
    factories_enps.gen_org_chart(ORG_CHART)
    survey = factories.gen_survey("enps", title="Pulse 2026")
    assert survey.anonymous
    for team, batches in ANSWERS.items():
        for days, location, scores in batches:
            factories_enps.gen_anonymous_answers(
                survey,
                scores,
                segment={"team": team, "location": location},
                comment=QA_COMMENT if team == "QA" else None,
                day=_ago(days),
            )
    assert sum(len(s) for batches in ANSWERS.values() for _d, _l, s in batches) == 50
    return survey


def _hr_login(login: Login, role: str = "viewer") -> User:
    return factories_enps.hr(login(role))


def _text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def _hidden_mass_is_safe(shown: dict[str, int], total: int) -> bool:
    """What the total holds beyond the shown groups is 0 or at least k."""
    rest = total - sum(shown.values())
    return rest == 0 or rest >= K


def test_the_team_of_four_is_never_shown_on_the_enps_dashboard(
    app: Flask, client: FlaskClient, login: Login
) -> None:
    survey = _company()
    _hr_login(login)
    html = _text(client.get(f"/surveys/{survey.id}/enps"))

    assert 'data-metric="enps"' in html
    assert WITHHELD in html
    assert 'data-team="QA"' not in html and ">QA<" not in html
    data = enps.enps_dashboard(survey.id, survey_access.SurveyAccess(full=True))
    teams = {row.name: row.score for row in data.teams}
    assert teams["QA"].suppressed if "QA" in teams else True
    departments = {row.name: row.score for row in data.departments}
    # Product's total minus its shown teams must not give QA's four answers away.
    product_teams = {
        name: score.responses
        for name, score in teams.items()
        if not score.suppressed and name in ("Backend", "Platform", "Frontend", "QA")
    }
    assert not departments["Product"].suppressed
    assert _hidden_mass_is_safe(product_teams, departments["Product"].responses)
    shown_teams = {name: s.responses for name, s in teams.items() if not s.suppressed}
    assert _hidden_mass_is_safe(shown_teams, data.company.responses)
    shown_departments = {n: s.responses for n, s in departments.items() if not s.suppressed}
    assert _hidden_mass_is_safe(shown_departments, data.company.responses)
    assert data.reasons is not None
    # The page's participation and reasons never name QA either.
    assert QA_COMMENT not in html


def test_breakdowns_by_team_and_by_location_cannot_be_intersected(
    app: Flask, client: FlaskClient, login: Login
) -> None:
    survey = _company()
    _hr_login(login)
    start, end = _ago(10).isoformat(), _ago(1).isoformat()
    base = f"/surveys/{survey.id}/results?interval=week&start={start}&end={end}"

    by_team = _text(client.get(base + "&segment=team"))
    by_location = _text(client.get(base + "&segment=location"))
    only_qa = _text(client.get(base + "&segment=team&value=QA"))
    lyon = _text(client.get(base + "&segment=location&value=Lyon"))

    assert 'data-segment="QA"' not in by_team and WITHHELD in by_team
    assert "Not enough responses yet" in only_qa and QA_COMMENT not in only_qa
    assert 'data-metric="nps"' not in only_qa
    # Lyon (QA's 4 + 9 others) is a big enough group, but its comments never carry a team,
    # and no page crosses team with location, so QA ∩ Lyon is nowhere to be read.
    assert 'data-segment="Lyon"' in by_location
    assert "segment=team&value=QA" not in lyon
    for segment in ("team", "location"):
        query = reporting.parse_metrics_query("week", start, end, segment, end_inclusive=True)
        data = reporting.dashboard(survey.id, query)
        counts = {
            row.value: row.score.responses for row in data.segments if not row.score.suppressed
        }
        assert "QA" not in counts
        assert _hidden_mass_is_safe(counts, data.results.n), (segment, counts, data.results.n)


def test_a_date_filter_narrowed_to_one_day_reveals_no_small_group(
    app: Flask, client: FlaskClient, login: Login
) -> None:
    survey = _company()
    _hr_login(login)
    # QA answered alone on that day, with 3 from Marketing.
    day = _ago(3).isoformat()
    html = _text(
        client.get(f"/surveys/{survey.id}/results?interval=day&start={day}&end={day}&segment=team")
    )
    assert 'data-segment="QA"' not in html and QA_COMMENT not in html

    # Every range of whole days, compared with every range inside it: the responses they
    # count differ by nothing or by at least k, so no difference is one person or a small team.
    days = [_ago(offset) for offset in range(8, 0, -1)]
    counts = {}
    for first, last in itertools.combinations_with_replacement(days, 2):
        query = reporting.parse_metrics_query("day", first, last, end_inclusive=True)
        counts[(first, last)] = reporting.dashboard(survey.id, query).results.n
    for (range_a, n_a), (range_b, n_b) in itertools.permutations(counts.items(), 2):
        if range_b[0] <= range_a[0] and range_a[1] <= range_b[1]:
            assert n_b - n_a == 0 or n_b - n_a >= K, (range_a, n_a, range_b, n_b)


def _exported_rows(client: FlaskClient, survey_id: int, file_format: str) -> list[dict[str, str]]:
    response = client.get(f"/surveys/{survey_id}/export.{file_format}")
    assert response.status_code == 200
    if file_format == "csv":
        text = _text(response).lstrip("\ufeff")
        return list(csv.DictReader(io.StringIO(text)))
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    rows = [
        ["" if cell is None else str(cell) for cell in row]
        for row in sheet.iter_rows(values_only=True)
    ]
    # A write-only sheet drops trailing empty cells.
    return [dict(itertools.zip_longest(rows[0], row, fillvalue="")) for row in rows[1:]]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_exports_print_no_combination_of_fewer_than_k_rows(
    app: Flask, client: FlaskClient, login: Login, file_format: str
) -> None:
    survey = _company()
    # Today's answer waits for its block: it is in no export yet.
    factories_enps.gen_anonymous_answers(
        survey, [0], segment={"team": "QA", "location": "Lyon"}, day=reporting.today()
    )
    _hr_login(login)
    rows = _exported_rows(client, survey.id, file_format)

    assert len(rows) == 50
    assert "response_id" not in rows[0]
    assert all(row["team"] != "QA" for row in rows)
    groups = Counter(
        (row["created_at"], row["language"], row["channel"], row["team"], row["location"])
        for row in rows
    )
    assert all(n >= K for n in groups.values()), groups
    released = {row["created_at"] for row in rows}
    assert reporting.today().isoformat() not in released
    # Whatever is blanked on a date is itself at least k rows (no elimination).
    blanked = Counter(row["created_at"] for row in rows if not row["team"])
    assert all(n >= K for n in blanked.values())


def test_the_api_withholds_small_groups_and_never_sees_enps(
    app: Flask, client: FlaskClient
) -> None:
    survey = _company()
    # The same answers on an anonymous NPS survey, which API keys may read.
    nps = factories.gen_survey("nps", anonymous=True)
    for team, batches in ANSWERS.items():
        for days, location, scores in batches:
            factories_enps.gen_anonymous_answers(
                nps, scores, segment={"team": team, "location": location}, day=_ago(days)
            )
    _key, secret = create_api_key("reporting", "read")
    assert survey.kind == "enps"
    headers = {"Authorization": f"Bearer {secret}"}

    assert client.get(f"/api/v1/surveys/{survey.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/surveys/{survey.id}/metrics", headers=headers).status_code == 404
    listed = client.get("/api/v1/surveys", headers=headers).json["items"]
    assert survey.id not in [item["id"] for item in listed]

    start, end = _ago(10).isoformat(), reporting.today().isoformat()
    for interval in ("day", "week"):
        rows = client.get(
            f"/api/v1/surveys/{nps.id}/metrics?interval={interval}&segment=team"
            f"&start={start}&end={end}",
            headers=headers,
        ).json["rows"]
        assert all(row["segment"] != "QA" or row["suppressed"] for row in rows)
        overall = client.get(
            f"/api/v1/surveys/{nps.id}/metrics?interval={interval}&start={start}&end={end}",
            headers=headers,
        ).json["rows"]
        totals = {row["period_start"]: row.get("n", 0) for row in overall}
        for period, total in totals.items():
            shown = {
                row["segment"]: row["n"]
                for row in rows
                if row["period_start"] == period and not row["suppressed"]
            }
            assert _hidden_mass_is_safe(shown, total), (period, shown, total)
    assert client.get(f"/api/v1/surveys/{nps.id}/responses", headers=headers).status_code == 409


def test_an_admin_without_hr_sees_nothing_and_with_hr_the_same_suppressed_numbers(
    app: Flask, client: FlaskClient, login: Login
) -> None:
    survey = _company()
    admin = login("admin")
    for path in (
        f"/surveys/{survey.id}",
        f"/surveys/{survey.id}/results",
        f"/surveys/{survey.id}/enps",
        f"/surveys/{survey.id}/export.csv",
        f"/surveys/{survey.id}/export.xlsx",
        f"/surveys/{survey.id}/metrics.csv",
        f"/surveys/{survey.id}/invitations",
        f"/surveys/{survey.id}/preview",
    ):
        assert client.get(path).status_code == 404, path
    assert "Pulse 2026" not in _text(client.get("/surveys"))
    assert "Pulse 2026" not in _text(client.get("/overview"))

    factories_enps.hr(admin)
    as_admin = _text(client.get(f"/surveys/{survey.id}/enps"))
    client.post("/logout")
    _hr_login(login, "viewer")
    as_viewer = _text(client.get(f"/surveys/{survey.id}/enps"))

    def tables(html: str) -> list[str]:
        return re.findall(r"<table.*?</table>", html, flags=re.S)

    assert tables(as_admin) == tables(as_viewer)
    assert 'data-team="QA"' not in as_admin


def test_the_numbers_before_and_after_one_answer_do_not_reveal_it(
    app: Flask, client: FlaskClient, login: Login
) -> None:
    survey = _company()
    _hr_login(login)

    def shown() -> tuple[int, float | None]:
        data = enps.enps_dashboard(survey.id, survey_access.SurveyAccess(full=True))
        return data.company.responses, data.company.value

    before = shown()
    # One person answers today through their invitation: nothing moves today.
    survey.status = "active"
    employee = factories_enps.gen_employee("late@example.com", team="Sales", location="Paris")
    invitation = factories.gen_invitation(survey, employee)
    main = survey.main_question
    assert main is not None
    posted = client.post(f"/s/{invitation.token}", data={f"q{main.id}": "0"})
    assert posted.status_code == 302
    assert shown() == before
    page = _text(client.get(f"/surveys/{survey.id}/enps"))
    assert f">{before[0]} responses<" in page

    # Days go by with one answer each (a quiet pulse): what is shown moves by whole
    # blocks of at least k answers, never by one person.
    quiet = factories.gen_survey("enps", title="Quiet pulse")
    seen: list[tuple[int, float | None]] = []
    for days in range(40, 28, -1):
        factories_enps.gen_anonymous_answers(
            quiet, [days % 11], segment={"team": "Sales"}, day=_ago(days)
        )
        data = enps.enps_dashboard(quiet.id, survey_access.SurveyAccess(full=True))
        seen.append((data.company.responses, data.company.value))
    counts = [n for n, _value in seen]
    steps = [b - a for a, b in itertools.pairwise([0, *counts]) if b != a]
    assert steps and all(step >= K for step in steps), counts
    # The score only ever changes together with such a step.
    for (n_a, value_a), (n_b, value_b) in itertools.pairwise(seen):
        assert n_a != n_b or value_a == value_b


def test_a_manager_sees_only_their_teams_under_the_same_threshold(
    app: Flask, client: FlaskClient, login: Login
) -> None:
    survey = _company()
    manager = login("viewer", email="lead.backend@example.com")
    assert isinstance(manager, User) and not manager.hr

    listed = _text(client.get("/surveys"))
    assert (
        f'href="/surveys/{survey.id}/enps"' in listed
        and f'href="/surveys/{survey.id}"' not in listed
    )
    html = _text(client.get(f"/surveys/{survey.id}/enps"))
    assert "You see your teams only: Backend, Platform." in html
    assert 'data-team="Backend"' in html
    for other in ("Frontend", "QA", "Sales", "Marketing"):
        assert f'data-team="{other}"' not in html
    assert "Top reasons in comments" not in html
    # Everything else about the survey stays closed to a manager.
    assert client.get(f"/surveys/{survey.id}/results").status_code == 404
    assert client.get(f"/surveys/{survey.id}/export.csv").status_code == 404
    data = enps.enps_dashboard(survey.id, survey_access.survey_access(manager, survey))
    # Backend and Platform answered 8 + 8 + 4: the last day's 4 wait for one more.
    assert data.company.responses == 13

    # A manager of a team of four only gets the withheld line.
    factories_enps.gen_org_chart("team,department,managers\nQA,Product,qa.lead@example.com\n")
    client.post("/logout")
    login("viewer", email="qa.lead@example.com")
    qa = _text(client.get(f"/surveys/{survey.id}/enps"))
    assert "data-company-withheld" in qa and 'data-metric="enps"' not in qa
    assert QA_COMMENT not in qa
