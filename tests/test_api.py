"""The Python interface (``sim/api.py``) gives what the commands give, and refuses what they refuse."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim import cli
from sim.ensemble import RATE_COLUMNS
from tests.conftest import SCENARIOS

STATUS_QUO = SCENARIOS / "status_quo.toml"


def test_run_medians_are_the_commands(tmp_path, capsys):
    # same seeds, same parameter draws: the medians and bands of sim.run are those of timeseries.csv
    out = tmp_path / "r"
    assert cli.main(["run", str(STATUS_QUO), "--agents", "2000", "--replications", "3", "--workers", "1",
                     "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    written = pd.read_csv(out / "timeseries.csv")
    runs = sim.run(STATUS_QUO, replications=3, agents=2000)
    assert sorted(runs.replication.unique()) == [0, 1, 2] and len(runs) == 3 * len(written)
    summary = sim.bands(runs)
    for column in [*RATE_COLUMNS, *(f"{c}_p10" for c in RATE_COLUMNS), *(f"{c}_p90" for c in RATE_COLUMNS)]:
        assert np.allclose(summary[column], written[column], atol=1e-6), column


def test_a_scenario_compared_with_itself_differs_by_exactly_zero():
    comparison = sim.compare_scenarios([STATUS_QUO, STATUS_QUO], replications=2, agents=2000)
    diff = sim.differences(comparison)
    assert (diff["mean"] == 0).all() and list(diff.scenario.unique()) == ["status_quo (2)"] and len(diff) == 3
    with pytest.raises(ValueError, match="2030"):
        sim.differences(comparison, 2030)


def test_a_dict_is_checked_like_a_file():
    with pytest.raises(sim.ScenarioError, match=r"^scenario dict: settlement\.\w+: expected a settlement rule"):
        sim.scenario_from_dict({"name": "bare", "run": {"agents": 2000}})  # no extends: every rule is needed
    with pytest.raises(sim.ScenarioError, match=r"^scenario dict: run\.end_year: expected"):
        sim.scenario_from_dict({"extends": str(STATUS_QUO), "run": {"end_year": "2030"}})
    built = sim.scenario_from_dict({"extends": str(STATUS_QUO), "run": {"end_year": 2030}})
    assert (built.name, built.end_year, built.rules) == ("custom", 2030, sim.load_scenario(STATUS_QUO).rules)


def test_run_values_are_checked_and_the_model_is_calibrated():
    with pytest.raises(sim.ScenarioError, match=r"^build_model\(\): run\.agents: "):
        sim.build_model(STATUS_QUO, agents=10)
    from sim.calibration import load_calibration

    model = sim.build_model(STATUS_QUO, agents=2000, seed=4)
    best = load_calibration().best
    assert all(model.params[name] == value for name, value in best.items())
    assert sim.build_model(STATUS_QUO, agents=2000, calibration=None).params["leave_intercept"] != \
        best["leave_intercept"]
