"""A run's breakdown over its replications: ``breakdown.csv`` and what the gap's figures read from it.

``summarize`` stacks the replications' tidy rows (``sim.breakdown``) into one
table with the columns ``year, scenario, replication, city_class, region,
city, quantity, value, unit``; ``replication`` is the replication's number
(1 .. R, its position in ``summary.json``'s ``replication_seeds``) or a
statistic over replications: ``median``, ``p10``, ``p90`` (each row its own,
as in ``timeseries.csv``) and ``mean`` (means add up: the causes and flows of
the mean rows add up to the mean totals, which medians do not).

``write`` puts ``breakdown.csv`` (and ``breakdown.parquet`` where ``pyarrow``
is installed) and the two figures of ``sim.plots_gap`` into a results folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim import plots_gap
from sim.breakdown import ALL, CAUSES, GAP_FLOWS
from sim.ensemble import BAND
from sim.output import timeseries_bytes

COLUMNS = ("year", "scenario", "replication", "city_class", "region", "city", "quantity", "value", "unit")
STATISTICS = ("median", f"p{BAND[0]}", f"p{BAND[1]}", "mean")


def summarize(results, scenario: str) -> pd.DataFrame | None:
    """The table of a run's replications (``RunResult``s, failed ones left out); None if none has a breakdown."""
    kept = [(str(i), r.breakdown) for i, r in enumerate(results, 1)
            if r.error is None and getattr(r, "breakdown", None) is not None]
    if not kept:
        return None
    keys = kept[0][1].drop(columns="value")
    for _, frame in kept[1:]:
        if not frame.drop(columns="value").equals(keys):
            raise ValueError("the replications' breakdowns have different rows")
    stack = np.stack([frame["value"].to_numpy(float) for _, frame in kept])
    low, high = np.percentile(stack, BAND, axis=0)
    parts = [(name, values) for name, values in zip(STATISTICS, (np.median(stack, axis=0), low, high,
                                                                stack.mean(axis=0)))]
    parts += [(label, frame["value"].to_numpy(float)) for label, frame in kept]
    table = pd.concat([keys.assign(scenario=scenario, replication=label, value=values) for label, values in parts],
                      ignore_index=True)
    return table[list(COLUMNS)]


def write(folder: Path, table: pd.DataFrame | None, title: str) -> None:
    """``breakdown.csv`` (and ``.parquet`` with pyarrow), ``gap_by_cause.png`` and ``gap_waterfall.png``."""
    if table is None:
        return
    (folder / "breakdown.csv").write_bytes(timeseries_bytes(table))
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        pass
    else:
        table.to_parquet(folder / "breakdown.parquet", index=False)
    replications = table["replication"].nunique() - len(STATISTICS)
    plots_gap.plot_gap_by_cause(gap_by_cause(table), replications, folder / "gap_by_cause.png", title)
    start, flows, end = flows_since_start(table)
    plots_gap.plot_waterfall(start, flows, end, sorted(table["year"].unique()), replications,
                             folder / "gap_waterfall.png", title)


def national(table: pd.DataFrame, replication: str = "mean") -> pd.DataFrame:
    """The country's rows of one replication or statistic: years x quantities."""
    rows = table[(table["replication"] == replication) & (table["city_class"] == ALL) & (table["region"] == ALL)
                 & (table["city"] == ALL)]
    return rows.pivot(index="year", columns="quantity", values="value")


def gap_by_cause(table: pd.DataFrame, replication: str = "mean") -> pd.DataFrame:
    """The country's rural-hukou town residents by cause (persons), simulated years x causes (converted apart)."""
    wide = national(table, replication)
    return wide[[f"cause_{c.name}" for c in CAUSES]].dropna().rename(columns=lambda q: q[len("cause_"):])


def flows_since_start(table: pd.DataFrame, replication: str = "mean") -> tuple[float, dict[str, float], float]:
    """The gap in persons at the start, its change by flow summed over the simulated years, and at the end.

    With ``replication`` a replication's number or ``mean``, start plus the
    flows is the end, exactly (up to rounding).
    """
    wide = national(table, replication)
    flows = {f.name: float(wide[f"gap_flow_{f.name}"].sum()) for f in GAP_FLOWS}
    gap = wide["rural_hukou_residents"]
    return float(gap.iloc[0]), flows, float(gap.iloc[-1])
