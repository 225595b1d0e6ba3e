"""The dashboard's figures, as matplotlib: finishing touches for Mesa's plot components, and the bars.

Mesa's ``make_plot_component`` draws the ``DashboardModel``'s collected
curves against the step (0 = the start year) and hands the axes to a
``post_process`` function: ``finish_rates`` and ``finish_gap`` (built by
``rates_post_process``) draw the status quo dashed, add the official points
(to 2020 only), and label the steps as years. ``draw_city_classes`` draws
the breakdown by city class. Plain matplotlib: no Solara here, so the
figures are built and timed without the ``viz`` extra.
"""

from __future__ import annotations

from typing import Callable

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.dashboard_model import CHOSEN, STATUS_QUO, series_name
from sim.plots import GAP_COLOR, HUKOU_COLOR, RESIDENT_COLOR, official_points

COLORS = {"resident": RESIDENT_COLOR, "hukou": HUKOU_COLOR, "gap": GAP_COLOR}
MARKERS = {"resident": "o", "hukou": "s", "gap": "D"}
FIGURE_SIZE = (6.4, 3.6)


def measure_colors(*rates: str) -> dict[str, str]:
    """``make_plot_component``'s measure argument: each rate's chosen and status-quo curves, with colours."""
    return {series_name(rate, run): COLORS[rate] for rate in rates for run in (CHOSEN, STATUS_QUO)}


def _finish(ax: Axes, rates: tuple[str, ...], start_year: int, ylabel: str, title: str, legend: str) -> None:
    for line in ax.get_lines():
        if line.get_label().endswith(STATUS_QUO):
            line.set_linestyle("--")
        line.set_linewidth(2.0)
    official = official_points()
    for rate in rates:
        ax.plot(official["year"] - start_year, official[rate], MARKERS[rate], color=COLORS[rate], mfc="white",
                label=f"{rate}, official")
    ax.legend(loc=legend, fontsize=8)  # a fixed place, clear of the curves: "best" searches, and the page waits
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{start_year + int(round(x))}"))
    ax.xaxis.label.set_visible(False)  # Mesa labels the axis "Step"; the ticks are years
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)


def rates_post_process(start_year: int, gap: bool = False) -> Callable[[Axes], None]:
    """The ``post_process`` of the rates figure (or, with ``gap``, of the gap figure)."""
    if gap:
        return lambda ax: _finish(ax, ("gap",), start_year, "percentage points",
                                  "Gap: resident minus hukou urbanization", "upper left")
    return lambda ax: _finish(ax, ("resident", "hukou"), start_year, "% of the population",
                              "Resident and hukou urbanization (dashed: status quo; markers: official)",
                              "center right")


def draw_city_classes(table: pd.DataFrame, year: int) -> Figure:
    """Bars of rural-hukou town residents (millions) by city class: chosen measures beside the status quo."""
    fig = Figure(figsize=FIGURE_SIZE)
    ax = fig.subplots()
    millions = table / 1e6
    positions = range(len(millions))
    width = 0.4
    ax.bar([p - width / 2 for p in positions], millions[CHOSEN], width, color=GAP_COLOR, label=CHOSEN)
    ax.bar([p + width / 2 for p in positions], millions[STATUS_QUO], width, color="#bbbbbb",
           label=STATUS_QUO)
    ax.set_xticks(list(positions), [c.replace("_", " ") for c in millions.index], fontsize=8)
    ax.set_ylabel("millions")
    ax.set_title(f"Rural-hukou town residents (the gap in persons) by city class, {year}", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return fig
