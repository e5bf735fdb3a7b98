"""The results page's "Why customers leave" section and its verbatims, through the test client."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from tests import factories, factories_enps
from tests.factories_reasons import gen_tagged_response


def page(client: FlaskClient, survey_id: int, query: str = "") -> str:
    response = client.get(f"/surveys/{survey_id}/results{query}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def reason_cells(html: str, tag: str) -> list[str]:
    row = re.search(rf'<tr data-reason="{tag}">(.*?)</tr>', html, re.S)
    assert row is not None, f"no {tag} row"
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(1), re.S)
    ]


def test_reasons_are_ranked_with_shares_intervals_and_links(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    gen_tagged_response(survey, "Way too expensive", score=1)
    gen_tagged_response(survey, "Far too expensive for a small team", score=3)
    gen_tagged_response(survey, "Support never answered my tickets", score=5)
    gen_tagged_response(survey, "Nothing to add", score=6)

    html = page(client, survey.id)

    assert "Why customers leave" in html
    assert reason_cells(html, "price")[:3] == ["Price", "2", "50%"]
    # Wilson interval of 2 / 4: 15% to 85%.
    assert reason_cells(html, "price")[3] == "15% – 85%"
    assert html.index('data-reason="price"') < html.index('data-reason="support"')
    assert f"/surveys/{survey.id}/results?reason=price" in html
    assert 'id="figure-reasons-data"' in html
    assert "reason-verbatims" not in html.split('id="reasons"')[1].split("</table>")[1]


def test_the_verbatims_of_a_reason_highlight_its_words_escaped(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    gen_tagged_response(survey, "<script>alert(1)</script> Way too EXPENSIVE <b>now</b>", score=2)
    gen_tagged_response(survey, "Support never answered my tickets", score=4)

    html = page(client, survey.id, "?reason=price")

    verbatims = html.split('id="reason-verbatims"')[1].split("</section>")[0]
    assert "<mark>EXPENSIVE</mark>" in verbatims
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in verbatims
    assert "&lt;b&gt;now&lt;/b&gt;" in verbatims
    assert "<script>alert" not in html and "<b>now" not in html
    assert "Support never answered" not in verbatims


def test_an_unknown_reason_shows_no_verbatims_and_no_tags_no_section(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    gen_tagged_response(survey, "Too expensive", score=3)
    assert 'id="reason-verbatims"' not in page(client, survey.id, "?reason=<x>")

    happy = factories.gen_survey("nps")
    gen_tagged_response(happy, "Too expensive but I love it", score=10)
    assert "Why customers leave" not in page(client, happy.id)


def test_anonymous_verbatims_of_a_rare_reason_are_withheld(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    factories_enps.hr(login("viewer"))
    survey = factories.gen_survey("enps", anonymous=True)
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    gen_tagged_response(survey, "The tools crash every single day", score=2, created_at=yesterday)
    for _ in range(4):
        gen_tagged_response(survey, "Nothing to add", score=5, created_at=yesterday)

    html = page(client, survey.id)
    tags = re.findall(r'data-reason="(\w+)"', html)
    assert tags
    verbatims = page(client, survey.id, f"?reason={tags[0]}")
    assert "Withheld: fewer than 5 responses" in verbatims
    withheld = verbatims.split('id="reason-verbatims"')[1].split("</section>")[0]
    assert "crash every single day" not in withheld
