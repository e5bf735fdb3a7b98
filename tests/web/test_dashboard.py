"""The results page, read through the test client on a real database."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import flask_babel
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories, factories_enps
from tests.factories_results import gen_choice_response, gen_scores


def results_url(survey_id: int) -> str:
    return f"/surveys/{survey_id}/results"


def page(client: FlaskClient, survey_id: int) -> str:
    response = client.get(results_url(survey_id))
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def bucket_row(html: str, bucket: str) -> list[str]:
    """The cells of one promoters/passives/detractors row, tags stripped."""
    row = re.search(rf'<tr data-bucket="{bucket}">(.*?)</tr>', html, re.S)
    assert row is not None, f"no {bucket} row"
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(1), re.S)
    ]


def test_nps_page_shows_hand_computed_numbers(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps", title="Customer NPS")
    # 3 promoters, 1 passive, 1 detractor: NPS = 100 × (3 − 1) / 5 = 40.
    # p = 0.6, d = 0.2, var = 0.8 − 0.16 = 0.64, moe = 196 × sqrt(0.64 / 5) = 70.12.
    gen_scores(survey, [10, 9, 9, 7, 3])

    html = page(client, survey.id)

    assert 'data-metric="nps">+40<' in html
    assert "± 70.1" in html
    assert bucket_row(html, "promoters")[1:] == ["3", "60%"]
    assert bucket_row(html, "passives")[1:] == ["1", "20%"]
    assert bucket_row(html, "detractors")[1:] == ["1", "20%"]
    assert "Too few responses" in html
    assert "Customer NPS" in html


def test_negative_nps_and_no_trend_note_from_thirty_responses(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    factories_enps.hr(login("viewer"))
    survey = factories.gen_survey("enps", anonymous=False)
    # 10 promoters, 5 passives, 15 detractors: 100 × (10 − 15) / 30 = −16.7, shown −17.
    gen_scores(survey, [10] * 10 + [8] * 5 + [6] * 15)

    html = page(client, survey.id)

    assert 'data-metric="nps">-17<' in html
    assert "eNPS" in html
    assert "Too few responses" not in html


def test_csat_page_shows_percentage_and_binomial_margin(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("csat")
    # 3 of 5 answers are 4 or 5: CSAT 60 %; moe = 196 × sqrt(0.6 × 0.4 / 5) = 42.94.
    gen_scores(survey, [5, 5, 4, 3, 1])

    html = page(client, survey.id)

    assert 'data-metric="csat">60%<' in html
    assert "± 42.9" in html
    assert 'data-metric="nps"' not in html


def test_rating_survey_shows_mean_and_distribution(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("pulse")
    gen_scores(survey, [5, 4, 4, 1])

    html = page(client, survey.id)

    assert 'data-metric="mean">3.5<' in html
    assert "Distribution of answers" in html


def test_cancellation_page_counts_reasons_most_chosen_first(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("cancellation")
    gen_choice_response(survey, ["competitor"])
    gen_choice_response(survey, ["price"], "Too expensive for a small team")
    gen_choice_response(survey, ["price"])

    html = page(client, survey.id)

    rows = re.findall(r'<tr data-choice="([a-z_]+)">', html)
    assert rows[:2] == ["price", "competitor"]
    assert "It is too expensive" in html
    assert "Too expensive for a small team" in html


def test_comments_are_escaped(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    factories.gen_response(survey, 2, "<script>alert('x')</script> & more")

    html = page(client, survey.id)

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in html


def test_only_the_twenty_latest_comments_are_shown(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    for number in range(21):
        factories.gen_response(survey, 9, f"comment number {number:02d}")

    html = page(client, survey.id)

    assert "comment number 20" in html
    assert "comment number 01" in html
    assert "comment number 00" not in html


def test_anonymous_survey_under_k_withholds_numbers_and_comments(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    factories_enps.hr(login("admin"))
    survey = factories.gen_survey("enps")
    assert survey.anonymous
    for score in (10, 9, 3, 0):
        factories.gen_response(survey, score, f"secret remark {score}")

    html = page(client, survey.id)

    assert "Not enough responses yet" in html
    assert "secret remark" not in html
    assert 'data-metric="nps"' not in html
    assert "data-bucket" not in html


def test_anonymous_survey_at_k_shows_comments_without_dates(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    factories_enps.hr(login("viewer"))
    survey = factories.gen_survey("enps")
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    for score in (10, 9, 8, 7, 3):
        factories.gen_response(survey, score, f"remark {score}", created_at=yesterday)

    html = page(client, survey.id)

    assert "Not enough responses yet" not in html
    assert "remark 3" in html
    assert "<time" not in html
    assert 'data-metric="nps">+20<' in html


def test_empty_state_gives_the_public_link(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")

    html = page(client, survey.id)

    assert "No responses yet" in html
    assert f'href="http://surveys.test/p/{survey.public_slug}"' in html
    assert "<table" not in html


@pytest.mark.parametrize("role", ["viewer", "editor", "admin"])
def test_every_role_can_read_results(
    app: Flask, client: FlaskClient, login: Callable[..., object], role: str
) -> None:
    login(role)
    survey = factories.gen_survey("nps")
    gen_scores(survey, [9])

    assert client.get(results_url(survey.id)).status_code == 200


def test_logged_out_visitor_is_sent_to_login(app: Flask, client: FlaskClient) -> None:
    factories.gen_user("viewer")
    survey = factories.gen_survey("nps")

    response = client.get(results_url(survey.id))

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_unknown_survey_is_404(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")

    assert client.get(results_url(999_999)).status_code == 404


def test_results_page_in_french(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    gen_scores(survey, [10, 9, 9, 7, 3])

    # The fixture's app context spans the whole test, so Flask-Babel's cached locale from the
    # login request would otherwise be reused.
    flask_babel.refresh()
    response = client.get(results_url(survey.id), headers={"Accept-Language": "fr"})

    html = response.get_data(as_text=True)
    # French number formatting: a decimal comma and a space before the percent sign.
    assert "± 70,1" in html
    assert "60\xa0%" in html or "60\u202f%" in html
