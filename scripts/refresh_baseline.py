#!/usr/bin/env python3
"""Refresh the seeded regression baseline (tests/baseline/) on purpose.

Run after a deliberate change to the model's numbers (``make baseline``), look
at the diff of the CSV files, and commit them with a message that says why the
numbers moved. ``tests/test_regression.py`` compares fresh runs against them.
"""

from __future__ import annotations

import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from sim.calibration import apply_calibration, load_calibration  # noqa: E402
from sim.output import write_timeseries  # noqa: E402
from sim.runs import RunSpec, execute  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

BASELINE_DIR = PROJECT / "tests" / "baseline"
CASES = {"status_quo": 20_000, "plan": 20_000}
SEED = 2020


def baseline_run(name: str):
    """The time series of a baseline case: the scenario with the committed calibration's best fit."""
    scenario = apply_calibration(load_scenario(PROJECT / "scenarios" / f"{name}.toml"), load_calibration())
    return execute(RunSpec(scenario, seed=SEED, agents=CASES[name])).timeseries


def main() -> None:
    BASELINE_DIR.mkdir(parents=True, exist_ok=True)
    for name in CASES:
        path = BASELINE_DIR / f"{name}_{CASES[name]}_seed{SEED}.csv"
        write_timeseries(path, baseline_run(name))
        print(f"wrote {path.relative_to(PROJECT)}")


if __name__ == "__main__":
    main()
