#!/usr/bin/env python3
"""Fit (or check) the four calibrated intercepts against six 2015-2020 averages.

    python scripts/fit_intercepts.py --check   # residuals at the current defaults
    python scripts/fit_intercepts.py           # refit (about 2 minutes), print the values

The targets are first-year changes of the status quo, each the average of
2015-2020 official figures (sim/data); nothing after 2020 is used. The fitted
values are pasted into sim/parameters.py by hand, then ``make baseline``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from sim import datasets  # noqa: E402
from sim.model import UrbanizationModel  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

NAMES = ("leave_intercept", "settle_intercept", "return_intercept", "reclassification_rate")
AGENTS, SEED = 100_000, 20200


def _avg_change(quantity: str, first: int, last: int) -> float:
    series = datasets.official_series(quantity)
    return (series[last] - series[first]) / (last - first)


# (label, target, scale): residuals are (simulated - target) / scale
TARGETS = (
    ("resident urbanization change, pp", _avg_change("resident_urbanization_rate_revised", 2015, 2020), 0.05),
    ("hukou urbanization change, pp", _avg_change("hukou_urbanization_rate", 2015, 2020), 0.05),
    ("returns / rural-hukou urban residents", 0.015, 0.002),
    ("hukou conversions, million", 100.0 / 7, 1.0),
    ("change of migrant workers in towns, million",
     _avg_change("migrant_workers_living_in_cities", 2016, 2020) / 100, 1.0),
    ("in-situ share of the net flow into towns", 0.40, 0.10),
)


def simulate(values) -> list[float]:
    scenario = load_scenario(PROJECT / "scenarios" / "status_quo.toml", {"agents": AGENTS, "end_year": 2021})
    scenario.parameters = scenario.parameters.with_overrides(dict(zip(NAMES, values)))
    ts = UrbanizationModel(scenario, seed=SEED).run()
    a, b = ts.iloc[0], ts.iloc[1]
    inflow = b.reclassified_in_year + b.departures_in_year - b.returns_in_year
    return [b.resident_urbanization_pct - a.resident_urbanization_pct,
            b.hukou_urbanization_pct - a.hukou_urbanization_pct,
            b.returns_in_year / a.rural_hukou_in_cities,
            (b.settlements_in_year + b.other_hukou_conversions_in_year) / 1e6,
            (b.migrants_in_cities - a.migrants_in_cities) / 1e6,
            b.reclassified_in_year / inflow]


def residuals(values) -> np.ndarray:
    sim = simulate(values)
    return np.array([(s - t) / scale for s, (_, t, scale) in zip(sim, TARGETS)])


def report(values) -> None:
    sim = simulate(values)
    print(f"{'target':45s} {'official':>10s} {'simulated':>10s}")
    for (label, target, _), s in zip(TARGETS, sim):
        print(f"{label:45s} {target:10.3f} {s:10.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report residuals at the defaults")
    args = parser.parse_args()
    defaults = load_scenario(PROJECT / "scenarios" / "status_quo.toml").parameters
    x0 = [defaults[n] for n in NAMES]
    if not args.check:
        fit = least_squares(residuals, x0, diff_step=[0.03] * 4, bounds=([-10, -10, -10, 0], [5, 5, 2, 0.1]),
                            max_nfev=30)
        x0 = list(fit.x)
        print("fitted:", dict(zip(NAMES, np.round(x0, 4))))
    report(x0)


if __name__ == "__main__":
    main()
