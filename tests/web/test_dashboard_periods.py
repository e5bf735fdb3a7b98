"""The results page's controls, charts, exports and the overview, through the test client."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from tests import factories, factories_enps
from tests.factories_results import gen_scores


def test_trend_table_and_figures_carry_the_same_numbers(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    gen_scores(survey, [10, 10, 0], created_at=dt.datetime(2026, 1, 6, 12, tzinfo=dt.UTC))
    html = client.get(
        f"/surveys/{survey.id}/results?interval=week&start=2026-01-05&end=2026-01-18"
    ).get_data(as_text=True)
    assert 'data-period="2026-01-05" data-too-few="true"' in html
    assert re.search(r'data-metric="period-score">\+33 <span class="too-few">', html)
    data = re.search(
        r'<script type="application/json" id="figure-trend-data">(.*?)</script>', html, re.S
    )
    assert data is not None
    figure = json.loads(data.group(1))
    assert figure["data"][3]["y"][0] == pytest.approx(100 / 3)  # low-n point, off the line
    assert figure["data"][2]["y"][0] is None
    assert "/static/vendor/plotly.min.js?v=" in html and "js/charts.js" in html
    assert "<script>" not in html  # nothing inline: the CSP forbids it
    # Every figure sent has the element it is drawn into.
    for figure_id in re.findall(
        r'<script type="application/json" id="(figure-[\w-]+)-data">', html
    ):
        assert f'id="{figure_id}"' in html, figure_id
    assert 'id="figure-buckets"' in html and 'id="figure-distribution"' in html


@pytest.mark.parametrize(
    "query",
    [
        "interval=fortnight",
        "start=2026-13-01",
        "start=2026-03-01&end=2026-02-01",
        "segment=shoe_size",
        "value=pro",
        "interval=day&start=1990-01-01&end=2026-01-01",
    ],
)
def test_bad_controls_are_form_errors_not_500(
    app: Flask, client: FlaskClient, login: Callable[..., object], query: str
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    response = client.get(f"/surveys/{survey.id}/results?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and 'aria-invalid="true"' in html
    assert client.get(f"/surveys/{survey.id}/metrics.csv?{query}").status_code in (200, 400)


def test_segment_breakdown_with_error_bars(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    gen_scores(survey, [10, 9, 0])
    html = client.get(f"/surveys/{survey.id}/results?segment=language").get_data(as_text=True)
    assert '<tr data-segment="en">' in html
    assert 'id="figure-segments-data"' in html


def test_responses_csv_neutralises_formulas(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    for text in ('=HYPERLINK("http://evil")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "fine"):
        factories.gen_response(survey, 9, text)
    response = client.get(f"/surveys/{survey.id}/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('.csv"')
    body = response.get_data(as_text=True)
    for bad in ("=HYPERLINK", "+1", "-2", "@SUM", "\tx", "\rx"):
        assert f"'{bad}" in body
        assert not re.search(rf"(^|,){re.escape(bad)}", body, re.M)
    assert ",fine," in body or ",fine\r" in body


def test_responses_xlsx_round_trip(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    factories.gen_response(survey, 3, "=1+1 is too expensive")
    factories.gen_response(survey, 10)
    response = client.get(f"/surveys/{survey.id}/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:6] == ("response_id", "created_at", "language", "channel", "completed", "score")
    assert len(rows) == 3
    scores = sorted(row[5] for row in rows[1:])
    assert scores == [3, 10]  # numbers stay numbers
    comment = header.index(next(h for h in header if h.startswith("Q2")))
    assert "'=1+1 is too expensive" in [row[comment] for row in rows[1:]]
    assert header[-1] == "tags"


def test_anonymous_export_under_k_is_refused(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    factories_enps.hr(login("viewer"))
    survey = factories.gen_survey("enps")
    gen_scores(survey, [9, 9])
    assert client.get(f"/surveys/{survey.id}/export.csv").status_code == 409
    gen_scores(survey, [9, 9, 9])
    body = client.get(f"/surveys/{survey.id}/export.csv").get_data(as_text=True)
    assert "response_id" not in body


def test_metrics_csv(app: Flask, client: FlaskClient, login: Callable[..., object]) -> None:
    login("viewer")
    survey = factories.gen_survey("nps")
    gen_scores(survey, [10, 0], created_at=dt.datetime(2026, 1, 6, tzinfo=dt.UTC))
    response = client.get(
        f"/surveys/{survey.id}/metrics.csv?interval=month&start=2026-01-01&end=2026-01-31"
    )
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("period_start,segment,n,promoters")
    assert lines[1].startswith("2026-01-01,,2,1,0,1,0.0,")

    factories.gen_response(
        survey, 9, created_at=dt.datetime(2026, 1, 7, tzinfo=dt.UTC), language="fr"
    )
    query = "interval=month&start=2026-01-01&end=2026-01-31&segment=language"
    every_value = client.get(f"/surveys/{survey.id}/metrics.csv?{query}").get_data(as_text=True)
    assert [line.split(",")[1] for line in every_value.splitlines()[1:]] == ["en", "fr"]
    one_value = client.get(f"/surveys/{survey.id}/metrics.csv?{query}&value=fr")
    [french] = one_value.get_data(as_text=True).splitlines()[1:]
    assert french.startswith("2026-01-01,fr,1,1,0,0,100.0,")


def test_overview_page(app: Flask, client: FlaskClient, login: Callable[..., object]) -> None:
    login("viewer")
    survey = factories.gen_survey("nps", title="Customer NPS")
    gen_scores(survey, [10, 10, 0])
    html = client.get("/overview?days=7").get_data(as_text=True)
    assert f'<tr data-survey="{survey.id}">' in html
    assert "NPS +33" in html and "too few responses" in html


def test_plotly_is_served_from_the_package(app: Flask, client: FlaskClient) -> None:
    response = client.get("/static/vendor/plotly.min.js?v=1")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.cache_control.max_age == 365 * 24 * 3600
    assert b"plotly" in response.data[:2000].lower()
    response.close()


def test_every_question_type_gets_its_mean_or_choices(
    app: Flask, client: FlaskClient, login: Callable[..., object]
) -> None:
    from surveyapp.services.responses import AnswerValue, submit_response
    from tests.factories_public import gen_survey_with_every_type

    login("viewer")
    survey = gen_survey_with_every_type()
    ces, rating, single, multiple, yes_no, _text = survey.questions
    for number, stars, chosen in ((2, 5, ("web", "app")), (4, None, ("app",))):
        submit_response(
            survey,
            {
                ces.id: AnswerValue(number=number),
                rating.id: AnswerValue(number=stars),
                single.id: AnswerValue(choices=("web",)),
                multiple.id: AnswerValue(choices=chosen),
                yes_no.id: AnswerValue(choices=("yes",)),
            },
            language="en",
        )
    html = client.get(f"/surveys/{survey.id}/results").get_data(as_text=True)
    # The main question is the CES: mean 3.0. The rating was skipped once: mean of 1 answer.
    assert 'data-metric="mean">3.0<' in html
    assert f'data-question-mean="{rating.id}">Average 5.0 from 1 answers' in html
    app_row = re.search(rf'<tr data-question-choice="{multiple.id}-app">(.*?)</tr>', html, re.S)
    assert app_row is not None and ">2<" in app_row.group(1) and "100%" in app_row.group(1)
    assert f'data-question-choice="{yes_no.id}-yes"' in html
