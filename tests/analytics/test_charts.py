"""Chart figures are valid plotly figures carrying the numbers they are given."""

from __future__ import annotations

import json

import plotly.graph_objects as go

from surveyapp.analytics import charts


def valid(figure: dict) -> go.Figure:
    """plotly's own validation raises on any unknown property or bad value."""
    json.dumps(figure)
    return go.Figure(figure)


def test_trend_keeps_low_n_periods_out_of_the_line_and_band() -> None:
    rows = [
        {
            "period": "2026-01-05",
            "value": 20.0,
            "low": 10.0,
            "high": 30.0,
            "n": 40,
            "too_few": False,
        },
        {
            "period": "2026-01-12",
            "value": -50.0,
            "low": -100.0,
            "high": 0.0,
            "n": 2,
            "too_few": True,
        },
        {"period": "2026-01-19", "value": None, "low": None, "high": None, "n": 0, "too_few": True},
    ]
    figure = valid(
        charts.trend_figure(
            rows,
            title="NPS",
            score_label="NPS",
            band_label="95%",
            few_label="few",
            volume_label="Responses",
            y_range=(-100, 100),
        )
    )
    upper, lower, line, few, volume = figure.data
    assert list(upper.y) == [30.0, None, None] and list(lower.y) == [10.0, None, None]
    assert lower.fill == "tonexty"
    assert list(line.y) == [20.0, None, None]
    assert list(few.y) == [None, -50.0, None]
    assert list(volume.y) == [40, 2, 0] and volume.yaxis == "y2"


def test_other_figures_validate() -> None:
    valid(
        charts.buckets_figure(
            [{"period": "2026-01-01", "promoters": 60.0, "passives": 20.0, "detractors": 20.0}],
            title="t",
            labels={"promoters": "P", "passives": "A", "detractors": "D"},
            y_title="%",
        )
    )
    valid(charts.distribution_figure([{"label": 0, "count": 1}], title="t", y_title="n"))
    figure = valid(
        charts.segments_figure(
            [
                {"label": "pro", "value": 10.0, "moe": 5.5},
                {"label": "free", "value": -4.0, "moe": None},
            ],
            title="t",
            score_label="NPS",
        )
    )
    assert list(figure.data[0].error_y.array) == [5.5, 0]
    figure = valid(
        charts.choices_figure(
            [{"label": "Price", "share": 60.0}, {"label": "Other", "share": 40.0}],
            title="t",
            x_title="%",
        )
    )
    # Most chosen first in the rows, drawn at the top of horizontal bars.
    assert list(figure.data[0].y) == ["Other", "Price"]


def test_series_figures_leave_gaps_for_unknown_values() -> None:
    lines = valid(
        charts.series_figure(
            ["2026-01-05", "2026-01-12"],
            [
                {"label": "Price", "values": [25.0, None]},
                {"label": "Support", "values": [10.0, 40.0]},
            ],
            title="Reasons by period",
            y_title="%",
        )
    )
    assert [trace.name for trace in lines.data] == ["Price", "Support"]
    assert list(lines.data[0].y) == [25.0, None] and lines.data[0].connectgaps is False
    assert lines.data[0].line.color != lines.data[1].line.color
    bars = valid(
        charts.series_figure(
            ["pro", "basic"],
            [{"label": "Price", "values": [50.0, 0.0]}],
            title="By plan",
            y_title="%",
            kind="bars",
        )
    )
    assert bars.layout.barmode == "group" and bars.data[0].type == "bar"
    assert list(bars.data[0].x) == ["pro", "basic"]
