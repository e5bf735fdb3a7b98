"""Plotly figures of the results page, built from plain rows as JSON-ready dicts.

Each function returns ``{"data": [...], "layout": {...}}``, a valid plotly
figure (``plotly.graph_objects.Figure(figure)`` accepts it) that
``static/js/charts.js`` hands to ``Plotly.newPlot``. Building the dicts
directly keeps a page's figures under a millisecond; the tests check them
against plotly's own validation. Labels arrive translated: no Flask here.

Every figure shows numbers the page also prints in a table, so the page
reads the same with JavaScript off.

>>> figure = distribution_figure([{"label": "0", "count": 2}], title="Scores", y_title="Responses")
>>> figure["data"][0]["type"], figure["data"][0]["y"]
('bar', [2])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "COLORS",
    "SERIES_COLORS",
    "buckets_figure",
    "choices_figure",
    "distribution_figure",
    "segments_figure",
    "series_figure",
    "trend_figure",
]

# Colours with enough contrast on white; the tables carry the same information as text.
COLORS = {
    "score": "#1f5fbf",
    "band": "rgba(31, 95, 191, 0.18)",
    "few": "#8a8a8a",
    "volume": "rgba(120, 120, 120, 0.35)",
    "promoters": "#1a7f37",
    "passives": "#9a6700",
    "detractors": "#cf222e",
    "bar": "#1f5fbf",
}

# One colour per series (reasons) of a chart, distinct on white and on the dark theme.
SERIES_COLORS = ("#1f5fbf", "#cf222e", "#1a7f37", "#9a6700", "#8250df", "#0a7f8f")

Figure = dict[str, Any]


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": title},
        "margin": {"l": 56, "r": 56, "t": 48, "b": 48},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": -0.2},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
    }
    layout.update(extra)
    return layout


def trend_figure(
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str,
    score_label: str,
    band_label: str,
    few_label: str,
    volume_label: str,
    y_range: tuple[float, float] | None = None,
) -> Figure:
    """The score per period with its shaded 95 % band, and the response volume as bars.

    ``rows`` hold ``period`` (ISO date), ``value``, ``low``, ``high`` (None when
    unknown), ``n`` and ``too_few``. Periods with too few responses are drawn
    as hollow grey points outside the line and the band, never as a trend.

    >>> rows = [
    ...     {"period": "2026-01-05", "value": 20.0, "low": 10.0, "high": 30.0, "n": 40,
    ...      "too_few": False},
    ...     {"period": "2026-01-12", "value": 50.0, "low": 0.0, "high": 100.0, "n": 3,
    ...      "too_few": True},
    ... ]
    >>> figure = trend_figure(rows, title="NPS", score_label="NPS", band_label="95 %",
    ...                       few_label="Too few", volume_label="Responses")
    >>> [trace["name"] for trace in figure["data"]]
    ['95 %', '95 %', 'NPS', 'Too few', 'Responses']
    >>> figure["data"][2]["y"], figure["data"][3]["y"]
    ([20.0, None], [None, 50.0])
    """
    periods = [row["period"] for row in rows]
    confident = [not row["too_few"] and row["value"] is not None for row in rows]
    high = [row["high"] if ok else None for row, ok in zip(rows, confident, strict=True)]
    low = [row["low"] if ok else None for row, ok in zip(rows, confident, strict=True)]
    data = [
        {
            "type": "scatter",
            "x": periods,
            "y": high,
            "name": band_label,
            "mode": "lines",
            "line": {"width": 0},
            "showlegend": False,
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "x": periods,
            "y": low,
            "name": band_label,
            "mode": "lines",
            "line": {"width": 0},
            "fill": "tonexty",
            "fillcolor": COLORS["band"],
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "x": periods,
            "y": [row["value"] if ok else None for row, ok in zip(rows, confident, strict=True)],
            "name": score_label,
            "mode": "lines+markers",
            "line": {"color": COLORS["score"], "width": 2},
        },
        {
            "type": "scatter",
            "x": periods,
            "y": [
                row["value"] if row["too_few"] and row["value"] is not None else None
                for row in rows
            ],
            "name": few_label,
            "mode": "markers",
            "marker": {"color": COLORS["few"], "symbol": "circle-open", "size": 9},
        },
        {
            "type": "bar",
            "x": periods,
            "y": [row["n"] for row in rows],
            "name": volume_label,
            "yaxis": "y2",
            "marker": {"color": COLORS["volume"]},
        },
    ]
    yaxis: dict[str, Any] = {"title": {"text": score_label}, "zeroline": True}
    if y_range is not None:
        yaxis["range"] = list(y_range)
    return {
        "data": data,
        "layout": _layout(
            title,
            yaxis=yaxis,
            yaxis2={
                "title": {"text": volume_label},
                "overlaying": "y",
                "side": "right",
                "showgrid": False,
                "rangemode": "tozero",
            },
            xaxis={"type": "date"},
        ),
    }


def buckets_figure(
    rows: Sequence[Mapping[str, Any]], *, title: str, labels: Mapping[str, str], y_title: str
) -> Figure:
    """Promoters, passives and detractors per period as stacked shares (percent).

    ``rows`` hold ``period`` and the shares ``promoters``, ``passives``,
    ``detractors`` (None for an empty or withheld period).

    >>> figure = buckets_figure(
    ...     [{"period": "2026-01-01", "promoters": 50.0, "passives": 30.0, "detractors": 20.0}],
    ...     title="Groups", labels={"promoters": "P", "passives": "Pa", "detractors": "D"},
    ...     y_title="%")
    >>> figure["layout"]["barmode"], [trace["y"] for trace in figure["data"]]
    ('stack', [[50.0], [30.0], [20.0]])
    """
    periods = [row["period"] for row in rows]
    data = [
        {
            "type": "bar",
            "x": periods,
            "y": [row[bucket] for row in rows],
            "name": labels[bucket],
            "marker": {"color": COLORS[bucket]},
        }
        for bucket in ("promoters", "passives", "detractors")
    ]
    return {
        "data": data,
        "layout": _layout(
            title,
            barmode="stack",
            yaxis={"title": {"text": y_title}, "range": [0, 100]},
            xaxis={"type": "date"},
        ),
    }


def distribution_figure(rows: Sequence[Mapping[str, Any]], *, title: str, y_title: str) -> Figure:
    """How many chose each point of the scale: ``rows`` of ``label`` and ``count``."""
    return {
        "data": [
            {
                "type": "bar",
                "x": [str(row["label"]) for row in rows],
                "y": [row["count"] for row in rows],
                "name": y_title,
                "marker": {"color": COLORS["bar"]},
            }
        ],
        "layout": _layout(
            title, xaxis={"type": "category"}, yaxis={"title": {"text": y_title}}, hovermode="x"
        ),
    }


def segments_figure(rows: Sequence[Mapping[str, Any]], *, title: str, score_label: str) -> Figure:
    """The score of each segment value with its 95 % margin as error bars.

    ``rows`` hold ``label``, ``value`` and ``moe`` (None when unknown).

    >>> figure = segments_figure([{"label": "pro", "value": 30.0, "moe": 12.5}],
    ...                          title="By plan", score_label="NPS")
    >>> figure["data"][0]["error_y"]["array"]
    [12.5]
    """
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers",
                "x": [str(row["label"]) for row in rows],
                "y": [row["value"] for row in rows],
                "name": score_label,
                "marker": {"color": COLORS["score"], "size": 10},
                "error_y": {
                    "type": "data",
                    "array": [row["moe"] or 0 for row in rows],
                    "visible": True,
                    "color": COLORS["score"],
                },
            }
        ],
        "layout": _layout(
            title,
            xaxis={"type": "category"},
            yaxis={"title": {"text": score_label}},
            hovermode="closest",
        ),
    }


def choices_figure(rows: Sequence[Mapping[str, Any]], *, title: str, x_title: str) -> Figure:
    """Horizontal bars of each option's share of the responses that answered (percent).

    ``rows`` hold ``label`` and ``share``, most chosen first (drawn top down).
    """
    ordered = list(reversed(rows))
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [str(row["label"]) for row in ordered],
                "x": [row["share"] for row in ordered],
                "name": x_title,
                "marker": {"color": COLORS["bar"]},
            }
        ],
        "layout": _layout(
            title,
            xaxis={"title": {"text": x_title}, "range": [0, 100]},
            yaxis={"type": "category", "automargin": True},
            hovermode="closest",
        ),
    }


def series_figure(
    x: Sequence[str],
    series: Sequence[Mapping[str, Any]],
    *,
    title: str,
    y_title: str,
    kind: str = "lines",
) -> Figure:
    """Several series of percentages over the same ``x``: lines over periods (``kind``
    "lines", ``x`` ISO dates) or grouped bars over categories ("bars").

    ``series`` hold ``label`` and ``values`` (one per ``x``, None where unknown or
    withheld: a gap, never a zero). Colours cycle through ``SERIES_COLORS``.

    >>> figure = series_figure(["2026-01-05", "2026-01-12"],
    ...                        [{"label": "Price", "values": [25.0, None]}],
    ...                        title="Reasons", y_title="%")
    >>> figure["data"][0]["mode"], figure["data"][0]["y"], figure["layout"]["xaxis"]["type"]
    ('lines+markers', [25.0, None], 'date')
    >>> series_figure(["pro"], [{"label": "Price", "values": [50.0]}], title="By plan",
    ...               y_title="%", kind="bars")["layout"]["barmode"]
    'group'
    """
    data: list[dict[str, Any]] = []
    for index, row in enumerate(series):
        color = SERIES_COLORS[index % len(SERIES_COLORS)]
        trace: dict[str, Any] = {"x": list(x), "y": list(row["values"]), "name": row["label"]}
        if kind == "lines":
            trace.update(
                type="scatter",
                mode="lines+markers",
                line={"color": color, "width": 2},
                connectgaps=False,
            )
        else:
            trace.update(type="bar", marker={"color": color})
        data.append(trace)
    layout = _layout(
        title,
        yaxis={"title": {"text": y_title}, "rangemode": "tozero"},
        xaxis={"type": "date" if kind == "lines" else "category"},
    )
    if kind != "lines":
        layout.update(barmode="group", hovermode="closest")
    return {"data": data, "layout": layout}
