"""Figures of the gap: by cause over time, and its change by flow as a waterfall.

``waterfall(ax, flows, ...)`` draws on any axes, so that a comparison can
draw one per scenario (flows as ``sim.breakdown_table.flows_since_start``
gives them). The data come from ``sim.breakdown_table``, which calls the
figure functions here. Persons are drawn in millions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.plots import save_figure  # noqa: E402

MILLION = 1e6
WIDENS, NARROWS, LEVEL = "#c0504d", "#4f81bd", "#7f7f7f"
FLOW_LABELS = {
    "arrivals": "arrivals from\nvillages", "returns": "returns to\nvillages", "settlements": "settlements\n(hukou)",
    "reclassification": "villages\nreclassified", "reclassification_with_hukou": "reclassified\nwith hukou",
    "college": "college\n(net)", "natural_change": "natural\nchange",
}
# causes by family: not eligible (reds), held back by proofs, unwilling (blues), refused, not yet candidates (greys)
CAUSE_STYLE = {
    "not_eligible_residence_years": ("not eligible: residence years", "#67000d"),
    "not_eligible_insurance_years": ("not eligible: insurance years", "#a50f15"),
    "not_eligible_age_limit": ("not eligible: age limit", "#ef3b2c"),
    "not_eligible_points": ("not eligible: points", "#fc9272"),
    "not_eligible_practical_barrier": ("rule met, practical proofs lacking", "#fdae6b"),
    "unwilling_land_rights": ("unwilling: land rights", "#08306b"),
    "unwilling_small_service_gain": ("unwilling: small gain in services", "#2171b5"),
    "unwilling_no_school_children": ("unwilling: no school-age children", "#6baed6"),
    "unwilling_few_years_in_city": ("unwilling: few years in the city", "#9ecae1"),
    "unwilling_no_deterrent": ("unwilling: no deterrent (chance)", "#c6dbef"),
    "refused_by_quota": ("applied, refused by quota", "#6a3d9a"),
    "arrived_this_year": ("arrived this year (may apply next)", "#bdbdbd"),
    "child_not_with_rural_parent": ("children not with a rural-hukou parent", "#e0e0e0"),
}


def waterfall(ax, flows: Mapping[str, float], start: float | None = None, end: float | None = None,
              start_label: str = "start", end_label: str = "end") -> None:
    """The change of the gap (persons) by flow as floating bars, between a start and an end level if given.

    Bars that widen the gap are red, those that narrow it blue; each is
    labelled with its size in millions. ``flows`` maps names (those of
    ``sim.breakdown.GAP_FLOWS`` get readable labels) to persons.
    """
    names = list(flows)
    labels, bottoms, heights, colors = [], [], [], []
    level = 0.0
    if start is not None:
        labels.append(start_label), bottoms.append(0.0), heights.append(start / MILLION), colors.append(LEVEL)
        level = start / MILLION
    for name in names:
        value = flows[name] / MILLION
        labels.append(FLOW_LABELS.get(name, name))
        bottoms.append(level if value >= 0 else level + value)
        heights.append(abs(value))
        colors.append(WIDENS if value >= 0 else NARROWS)
        level += value
    if end is not None:
        labels.append(end_label), bottoms.append(0.0), heights.append(end / MILLION), colors.append(LEVEL)
    x = np.arange(len(labels))
    ax.bar(x, heights, bottom=bottoms, color=colors, width=0.7)
    signed = ([start / MILLION] if start is not None else []) + [flows[n] / MILLION for n in names] + (
        [end / MILLION] if end is not None else [])
    for xi, b, h, v in zip(x, bottoms, heights, signed):
        ax.annotate(f"{v:+.1f}" if colors[xi] != LEVEL else f"{v:.1f}", (xi, b + h), xytext=(0, 2),
                    textcoords="offset points", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel("rural-hukou town residents (million persons)")
    ax.grid(axis="y", alpha=0.3)
    if start is not None or end is not None:  # levels dwarf the flows: zoom on where the flows are
        lows = [b for b, c in zip(bottoms, colors) if c != LEVEL] or [0.0]
        highs = [b + h for b, h, c in zip(bottoms, heights, colors) if c != LEVEL] or [0.0]
        levels = [h for h, c in zip(heights, colors) if c == LEVEL]
        lo, hi = min(lows + levels), max(highs + levels)
        pad = 0.15 * (hi - lo) + 1.0
        ax.set_ylim(max(lo - pad, 0.0), hi + pad)


def plot_waterfall(start: float, flows: Mapping[str, float], end: float, years: list[int], replications: int,
                   path: Path, title: str) -> None:
    """``gap_waterfall.png``: the gap's change from the start to the end year by flow (mean of the replications)."""
    fig, ax = plt.subplots(figsize=(9, 5))
    waterfall(ax, flows, start, end, f"gap\n{years[0]}", f"gap\n{years[-1]}")
    ax.set_title(f"{title}: the gap's change {years[0]}-{years[-1]} by flow")
    fig.text(0.01, 0.01, f"Mean of {replications} replication(s); flows summed over {years[1]}-{years[-1]}; "
             "red widens the gap, blue narrows it; the axis does not start at 0.\nThe gap: rural-hukou people "
             "living in towns (urban residents minus urban-hukou holders).", fontsize=7, color="#444444")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    save_figure(fig, path)


def plot_gap_by_cause(causes: pd.DataFrame, replications: int, path: Path, title: str) -> None:
    """``gap_by_cause.png``: the rural-hukou town residents by why they have not converted, stacked, each year.

    ``causes``: persons, years x causes (``sim.breakdown_table.gap_by_cause``).
    """
    causes = causes.copy()
    converted = causes.pop("converted_this_year")
    shown = [c for c in CAUSE_STYLE if c in causes and causes[c].abs().sum() > 0]
    fig, ax = plt.subplots(figsize=(10, 5.5))
    years = causes.index.to_numpy()
    ax.stackplot(years, *(causes[c].to_numpy() / MILLION for c in shown),
                 labels=[CAUSE_STYLE[c][0] for c in shown], colors=[CAUSE_STYLE[c][1] for c in shown],
                 edgecolor="white", linewidth=0.3)
    total = causes.sum(axis=1) / MILLION
    ax.plot(years, total, color="black", lw=1.5, label="the gap (all rural-hukou town residents)")
    ax.plot(years, total + converted / MILLION, color="black", lw=1, ls="--",
            label="the gap + converted this year")
    ax.set_xlim(years[0], years[-1])
    ax.set_ylim(0, float((total + converted / MILLION).max()) * 1.05)
    ax.set_xticks(years if len(years) <= 16 else years[::5])
    ax.set_xlabel("year (31 December)")
    ax.set_ylabel("million persons")
    ax.set_title(f"{title}: why rural-hukou town residents have not converted")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    fig.text(0.01, 0.01, f"Mean of {replications} replication(s). Not eligible: the first unmet condition of the "
             "city's rule; unwilling: eligible, did not apply, by the largest shortfall of the settle utility "
             "(docs/ODD.md 6.14).", fontsize=7, color="#444444")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    save_figure(fig, path)


def plot_waterfalls(panels: list[tuple[str, float, Mapping[str, float], float]], start_year: int, year: int,
                    replications: int, path: Path) -> None:
    """``gap_waterfalls.png`` of a comparison: one waterfall per scenario (name, start, flows, end), on one scale."""
    cols = min(len(panels), 2)
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(8.5 * cols, 4.6 * rows), squeeze=False)
    for ax, (name, start, flows, end) in zip(axes.flat, panels):
        waterfall(ax, flows, start, end, f"gap\n{start_year}", f"gap\n{year}")
        ax.set_title(f"'{name}': the gap's change {start_year}-{year} by flow", fontsize=10)
    used = axes.flat[:len(panels)]
    low, high = min(ax.get_ylim()[0] for ax in used), max(ax.get_ylim()[1] for ax in used)
    for ax in used:
        ax.set_ylim(low, high)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    fig.text(0.01, 0.005, f"Mean of {replications} replication(s) per scenario, common random numbers; flows summed "
             f"over {start_year + 1}-{year}; red widens the gap, blue narrows it; one scale for all panels, "
             "not starting at 0.", fontsize=7, color="#444444")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    save_figure(fig, path, dpi=110)
