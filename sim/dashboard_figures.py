"""The dashboard's figures: finishing touches for Mesa's Altair plot components, and the breakdown's bars.

Mesa's ``make_plot_component(..., backend="altair")`` turns the
``DashboardModel``'s collected curves into a Vega-Lite chart (columns
``Step``, 0 = the start year, ``Measure`` and ``Value``) and hands it to a
``post_process`` function: the ones ``rates_post_process`` builds draw the
status quo dashed, add the official points (to 2020 only) and label the steps
as years. The browser draws the charts (Vega), so the server only writes
their specifications. ``bars_html`` draws the breakdown by city class and by
cause as an HTML table of bars, also drawn by the browser. No Solara here:
the figures are built and tested without a server.
"""

from __future__ import annotations

import html
from typing import Callable

import altair as alt
import pandas as pd

from sim.dashboard_model import CHOSEN, STATUS_QUO, series_name
from sim.plots import GAP_COLOR, HUKOU_COLOR, RESIDENT_COLOR, official_points

COLORS = {"resident": RESIDENT_COLOR, "hukou": HUKOU_COLOR, "gap": GAP_COLOR}
SHAPES = {"resident": "circle", "hukou": "square", "gap": "diamond"}
DASHES = {CHOSEN: [1, 0], STATUS_QUO: [6, 4]}
WIDTH, HEIGHT = 430, 240
STATUS_QUO_BAR = "#bbbbbb"


def measure_colors(*rates: str) -> dict[str, str]:
    """``make_plot_component``'s measure argument: each rate's chosen and status-quo curves, with colours."""
    return {series_name(rate, run): COLORS[rate] for rate in rates for run in (CHOSEN, STATUS_QUO)}


def as_mesa_draws(collected: pd.DataFrame, measures: dict[str, str]) -> alt.Chart:
    """The chart Mesa's Altair plot component makes of a DataCollector's ``collected`` model variables
    (before ``post_process``): for the tests and the benchmark, which draw without a server."""
    frame = collected.reset_index().rename(columns={"index": "Step"})
    long = frame.melt(id_vars=["Step"], value_vars=list(measures), var_name="Measure", value_name="Value")
    return (alt.Chart(long).mark_line().encode(x="Step:Q", y="Value:Q", tooltip=["Step", "Measure", "Value"])
            .properties(width=450, height=350).interactive()
            .encode(color=alt.Color("Measure:N", scale=alt.Scale(domain=list(measures), range=list(measures.values())))))


def official_layer(rate: str, start_year: int) -> alt.Chart:
    """The official points of ``rate`` (hollow markers), at their steps from ``start_year``."""
    official = official_points()
    points = pd.DataFrame({"Step": official["year"] - start_year, "Value": official[rate],
                           "Measure": f"{rate}, official"})
    return alt.Chart(points).mark_point(shape=SHAPES[rate], size=36, strokeWidth=1.5).encode(
        x="Step:Q", y="Value:Q", color=alt.value(COLORS[rate]), tooltip=["Measure", "Value"])


def _finish(chart: alt.Chart, rates: tuple[str, ...], start_year: int, ylabel: str, title: str,
            legend: str) -> alt.LayerChart:
    measures = list(measure_colors(*rates))
    x = alt.X("Step:Q", title=None, axis=alt.Axis(tickMinStep=1, labelExpr=f"datum.value + {start_year}"))
    y = alt.Y("Value:Q", title=ylabel, scale=alt.Scale(zero=False))
    where = alt.Legend(orient=legend, title=None, fillColor="white")  # inside the plot, clear of the curves
    colour = alt.Color("Measure:N", legend=where, scale=alt.Scale(domain=measures, range=[COLORS[m.split(", ")[0]]
                                                                                          for m in measures]))
    dash = alt.StrokeDash("Measure:N", legend=where,  # the same field as the colour: one legend for both
                          scale=alt.Scale(domain=measures, range=[DASHES[m.split(", ")[1]] for m in measures]))
    lines = chart.encode(x=x, y=y, color=colour, strokeDash=dash).mark_line(strokeWidth=2)
    return alt.layer(lines, *(official_layer(rate, start_year) for rate in rates)).properties(
        width=WIDTH, height=HEIGHT, title=alt.TitleParams(title, fontSize=12),
        usermeta={"embedOptions": {"renderer": "svg", "actions": False}})  # SVG: the page's marks can be read


def rates_post_process(start_year: int, gap: bool = False) -> Callable[[alt.Chart], alt.LayerChart]:
    """The ``post_process`` of the rates chart (or, with ``gap``, of the gap chart)."""
    if gap:
        return lambda chart: _finish(chart, ("gap",), start_year, "percentage points",
                                     "Gap: resident minus hukou urbanization (markers: official)", "bottom-right")
    return lambda chart: _finish(chart, ("resident", "hukou"), start_year, "% of the population",
                                 "Resident and hukou urbanization (dashed: status quo; markers: official)", "bottom-right")


def bars_html(table: pd.DataFrame, css_class: str, unit: float = 1e6) -> str:
    """An HTML table of bars: a row per index of ``table`` (names with "_" read as spaces), the chosen
    measures' bar over the status quo's, both to one scale, and the values divided by ``unit``."""
    top = max(float(table.to_numpy().max()), 1e-9)
    rows = []
    for key, row in table.iterrows():
        bars = "".join(f'<div style="background:{color};width:{100 * max(row[run], 0) / top:.1f}%;height:6px;'
                       f'margin:1px 0"></div>' for run, color in ((CHOSEN, GAP_COLOR), (STATUS_QUO, STATUS_QUO_BAR)))
        rows.append(f"<tr><td style='white-space:nowrap'>{html.escape(str(key).replace('_', ' '))}</td><td style='width:50%'>{bars}</td>"
                    f"<td>{row[CHOSEN] / unit:.1f}</td><td>{row[STATUS_QUO] / unit:.1f}</td></tr>")
    head = f"<tr><th></th><th></th><th>{CHOSEN}</th><th>{STATUS_QUO}</th></tr>"
    return f"<table class='{css_class}' style='width:100%;font-size:12px;line-height:1.1'>{head}{''.join(rows)}</table>"
