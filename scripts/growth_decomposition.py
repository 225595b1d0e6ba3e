#!/usr/bin/env python3
"""Where the growth of 2016-2020 comes from in the calibrated model (the tables of docs/ODD.md, section 8.1).

The history from the 2015 state (``scenarios/history_2015.toml``) with the committed calibration's best
fit, 50,000 agents, the mean of four seeds; the flows of section 6.13 summed over 2016-2020. Prints two
Markdown tables (urban residents, urban-hukou holders) to paste into the ODD.

    python scripts/growth_decomposition.py
"""

from __future__ import annotations

import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from sim.calibration import apply_calibration, load_calibration  # noqa: E402
from sim.runs import RunSpec, execute  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

SEEDS = (1, 2, 3, 4)
AGENTS = 50_000
YEARS = range(2016, 2021)


def mean_flows() -> dict[str, float]:
    scenario = apply_calibration(load_scenario(PROJECT / "scenarios" / "history_2015.toml",
                                               {"end_year": YEARS[-1]}), load_calibration())
    totals: dict[str, float] = {}
    for seed in SEEDS:
        ts = execute(RunSpec(scenario, seed=seed, agents=AGENTS, breakdown=False)).timeseries.set_index("year")
        window = ts.loc[list(YEARS)]
        for column in window.columns:
            if column.endswith("_in_year"):
                totals[column] = totals.get(column, 0.0) + float(window[column].sum()) / len(SEEDS)
        totals["urban_residents_change"] = totals.get("urban_residents_change", 0.0) + float(
            ts.loc[YEARS[-1], "urban_residents"] - ts.loc[YEARS[0] - 1, "urban_residents"]) / len(SEEDS)
    return totals


def main() -> None:
    f = mean_flows()
    m = lambda v: f"{v / 1e6:.1f} M"  # noqa: E731
    resident = {"natural increase": f["urban_natural_increase_in_year"],
                "net migration": f["urban_net_migration_in_year"],
                "reclassification": f["reclassified_in_year"],
                "college entrants from villages": f["college_from_villages_in_year"]}
    total = sum(resident.values())
    print("| source of the growth of urban residents, 2016-2020 | model | share |")
    print("|---|---|---|")
    for name, value in resident.items():
        label = (f"net migration ({m(f['departures_in_year'])} departures less {m(f['returns_in_year'])} returns)"
                 if name == "net migration" else name)
        print(f"| {label} | {m(value)} | {100 * value / total:.0f} % |")
    print(f"| total | {m(total)} (change of urban residents: {m(f['urban_residents_change'])}) | |")
    print()
    print("| source of the growth of urban-hukou holders, 2016-2020 | model |")
    print("|---|---|")
    conversions = (f["reclassified_with_hukou_in_year"] + f["college_transfers_in_year"]
                   + f["settlements_in_year"])
    for label, value in (("natural increase", f["hukou_natural_increase_in_year"]),
                         ("villages reclassified with hukou", f["reclassified_with_hukou_in_year"]),
                         ("college transfers", f["college_transfers_in_year"]),
                         ("migrants and their children settling", f["settlements_in_year"])):
        print(f"| {label} | {m(value)} |")
    print(f"| conversions a year (the last three) | {m(conversions / len(YEARS))} (NDRC: 14.3 M, 2014-2020) |")


if __name__ == "__main__":
    main()
