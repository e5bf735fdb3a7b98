"""The reasons dashboard page and its CSV, through the test client, and the results page's
reasons under a segment filter."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.factories_enps import hr
from tests.factories_reason_dashboards import DAY, gen_comment, gen_customer

RANGE = "start=2026-01-01&end=2026-03-31"


def page(client: FlaskClient, survey_id: int, query: str = "") -> str:
    response = client.get(f"/surveys/{survey_id}/reasons?{RANGE}{query}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start : html.index("</section>", start)]


def cells(html: str, attribute: str, value: str) -> list[str]:
    row = re.search(rf'<tr {attribute}="{re.escape(value)}">(.*?)</tr>', html, re.S)
    assert row is not None, f"no {value} row"
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(1), re.S)
    ]


def test_the_page_ranks_reasons_and_draws_trend_and_segments(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    gen_comment(survey, "Too dear", tags=["price"])
    gen_comment(survey, "Dear, slow", tags=["price", "performance"], language="fr")
    gen_comment(survey, "Nothing", tags=[])
    gen_comment(survey, "Slow", tags=["performance"], language="fr")

    html = page(client, survey.id, "&segment=language")

    assert cells(html, "data-reason", "price")[:4] == ["Price", "2", "50%", "15% – 85%"]
    assert cells(html, "data-period", "2026-03-02")[1:] == ["4", "50%", "50%"]
    # Columns: comments, then performance and price (2 each, by name).
    assert cells(html, "data-segment", "fr")[1:] == ["2", "100%", "50%"]
    assert cells(html, "data-segment", "en")[1:] == ["2", "0%", "50%"]
    for figure in ("figure-reasons", "figure-reason-trend", "figure-reason-segments"):
        block = re.search(rf'id="{figure}-data">(.*?)</script>', html, re.S)
        assert block is not None and json.loads(block.group(1))["data"]
    assert "By MRR at stake" not in html
    assert "appears once the customers behind these comments have an MRR" in html
    results = client.get(f"/surveys/{survey.id}/results?{RANGE}").get_data(as_text=True)
    assert f"/surveys/{survey.id}/reasons?" in results


def test_verbatims_search_highlight_and_escape(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    gen_comment(
        survey,
        "<script>alert(1)</script> Prix ÉLEVÉ <b>now</b>",
        tags={"price": (0.9, ["élevé"], "rule")},
        language="fr",
    )
    gen_comment(survey, "Trop cher", tags={"price": (0.6, ["cher"], "manual")}, language="fr")

    html = page(client, survey.id, "&reason=price&q=prix+eleve")

    verbatims = section(html, "verbatims")
    assert "1 comment contains “prix eleve”." in verbatims
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; Prix <mark>ÉLEVÉ</mark> &lt;b&gt;now&lt;/b&gt;"
        in (verbatims)
    )
    assert "<script>alert" not in html and "<b>now" not in html
    assert "Trop cher" not in verbatims
    assert "confidence 90%" in verbatims and "keywords" in verbatims
    everything = section(page(client, survey.id, "&reason=price"), "verbatims")
    assert "set by a manager" in everything and "2 comments." in everything
    hostile = page(client, survey.id, "&reason=price&q=%3Cscript%3E")
    assert "&lt;script&gt;" in section(hostile, "verbatims")


def test_verbatims_are_paginated(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    for number in range(25):
        gen_comment(survey, f"Comment number {number:02d}", tags=["support"])

    first = section(page(client, survey.id), "verbatims")
    second = section(page(client, survey.id, "&reason=support&page=2"), "verbatims")

    assert first.count("<blockquote") == 20 and "Page 1 of 2" in first
    assert second.count("<blockquote") == 5 and 'rel="prev"' in second
    assert 'rel="next"' in first and "page=2" in first


def test_mrr_weighting_toggle(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    gen_comment(survey, "c", tags=["price"], contact=gen_customer(150000))
    gen_comment(survey, "c", tags=["support"], contact=gen_customer(50000))
    gen_comment(survey, "c", tags=["support"])

    counted = page(client, survey.id)
    weighted = page(client, survey.id, "&weight=mrr")

    assert cells(counted, "data-reason", "support")[:3] == ["Support", "2", "67%"]
    assert cells(counted, "data-reason", "price")[4] == "1,500.00"
    assert "By MRR at stake" in counted
    assert cells(weighted, "data-reason", "price")[:4] == ["Price", "1", "1,500.00", "75%"]
    assert weighted.index('data-reason="price"') < weighted.index('data-reason="support"')
    assert "2 customers with a known MRR left these comments, 2,000.00 of MRR in all." in weighted


def test_anonymous_surveys_withhold_and_explain(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    hr(login("viewer"))  # eNPS surveys are for HR
    survey = factories.gen_survey("enps", anonymous=True)
    for _ in range(4):
        gen_comment(survey, "The pay is low", tags=["price"])
    assert "fewer than 5 of its comments were tagged" in page(client, survey.id)

    gen_comment(survey, "The pay is low", tags=["price"])
    html = page(client, survey.id, "&weight=mrr")
    assert "an anonymous survey keeps no link to its respondents" in html
    assert cells(html, "data-reason", "price")[:2] == ["Price", "5"]


def test_empty_and_bad_controls(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    assert "No comments to read in this period" in page(client, survey.id)
    gen_comment(survey, "Happy", score=10)
    assert "No comments to read in this period" in page(client, survey.id)

    bad = client.get(f"/surveys/{survey.id}/reasons?start=2026-02-30")
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.get_data(as_text=True)
    assert client.get("/surveys/999999/reasons").status_code == 404


def test_the_csv_export_follows_the_controls(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    gen_comment(survey, "c", tags=["+cmd"], segment={"plan": "pro"})
    gen_comment(survey, "c", tags=["price"], language="fr")

    response = client.get(f"/surveys/{survey.id}/reasons.csv?{RANGE}&segment=language&value=en")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="survey-' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row[:4] for row in rows[1:]] == [["'+cmd", "'+cmd", "1", "1"]]
    assert client.get(f"/surveys/{survey.id}/reasons.csv?interval=year").status_code == 400
    assert client.get("/surveys/999999/reasons.csv").status_code == 404


def test_the_results_page_reasons_follow_the_segment_value(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    gen_comment(survey, "Trop cher", tags=["price"], language="fr")
    gen_comment(survey, "Support never answered", tags=["support"], language="en")
    gen_comment(survey, "Support again", tags=["support"], language="en")

    html = client.get(f"/surveys/{survey.id}/results?{RANGE}&segment=language&value=fr").get_data(
        as_text=True
    )

    why = section(html, "reasons")
    assert cells(why, "data-reason", "price")[:3] == ["Price", "1", "100%"]
    assert 'data-reason="support"' not in why
    assert "value=fr" in why and "reason=price" in why


def test_emerging_terms_table_and_window(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    for text in ["Sync fails <b>daily</b>", "The calendar sync fails", "Sync fails again"]:
        gen_comment(survey, text)
    gen_comment(survey, "Too dear", tags=["price"], created_at=DAY - dt.timedelta(days=50))

    html = page(client, survey.id, "&recent=12")

    emerging = section(html, "emerging")
    assert 'aria-current="true">Last 30 days' in emerging
    # 3 of the 3 recent comments; 0 of the 1 before: (3/3) / ((0 + 1) / (1 + 1)) = 2.
    assert cells(emerging, "data-term", "sync fails") == ["sync fails", "3", "100%", "0%", "2.0×"]
    assert "<b>daily" not in html
    quiet = section(page(client, survey.id, "&recent=7"), "emerging")
    assert "No new phrase comes up often enough" in quiet
