"""The org chart import: teams, departments, sub-teams, managers; bad rows reported one by one."""

from __future__ import annotations

import pytest
from flask import Flask

from surveyapp.services import org_chart
from surveyapp.services.contact_csv import CsvError
from tests import factories_enps

CHART = """team;department;parent;managers
Engineering;Product;;ada@example.com
Backend;Product;Engineering;bob@example.com | carol@example.com
Platform;Product;Backend;
Sales;Go to market;;dan@example.com
"""


def test_import_creates_teams_with_departments_parents_and_managers(app: Flask) -> None:
    report = factories_enps.gen_org_chart(CHART)
    assert (report.created, report.updated, report.errors) == (4, 0, [])
    teams = {team.name: team for team in org_chart.list_teams()}
    assert teams["Backend"].parent == "Engineering"
    assert teams["Backend"].managers == ["bob@example.com", "carol@example.com"]
    assert teams["Platform"].department == "Product"
    assert org_chart.team_departments()["Sales"] == "Go to market"
    # A manager sees their teams and every team under them, never a sibling.
    assert org_chart.managed_teams("ADA@example.com") == {"Engineering", "Backend", "Platform"}
    assert org_chart.managed_teams("carol@example.com") == {"Backend", "Platform"}
    assert org_chart.managed_teams("nobody@example.com") == frozenset()

    again = factories_enps.gen_org_chart("team,department\nSales,Revenue\n")
    assert (again.created, again.updated) == (0, 1)
    assert org_chart.team_departments()["Sales"] == "Revenue"


def test_bad_rows_are_reported_and_the_others_imported(app: Flask) -> None:
    report = factories_enps.gen_org_chart(
        "équipe,département,parent,responsable\n"
        "Ops,Operations,,ops-lead@example.com\n"
        ",Operations,,\n"
        "Ghost,Operations,Nowhere,\n"
        "Loop A,Operations,Loop B,\n"
        "Loop B,Operations,Loop A,\n"
        "Self,Operations,Self,\n"
        "Mail,Operations,,not-an-email\n"
        "ops,Operations,,\n"
    )
    assert report.created == 1
    assert [(error.row, error.email) for error in report.errors] == [
        (3, ""),
        (4, "Ghost"),
        (5, "Loop A"),
        (6, "Loop B"),
        (7, "Self"),
        (8, "Mail"),
        (9, "ops"),
    ]
    messages = " ".join(error.message for error in report.errors)
    assert "Unknown parent team Nowhere" in messages
    assert "loop" in messages and "not a valid manager email" in messages
    assert [team.name for team in org_chart.list_teams()] == ["Ops"]


def test_a_file_without_a_team_column_imports_nothing(app: Flask) -> None:
    with pytest.raises(CsvError, match="No team column"):
        factories_enps.gen_org_chart("name,department\nAda,Product\n")
    assert org_chart.list_teams() == []
