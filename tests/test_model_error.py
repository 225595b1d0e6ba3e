"""The model-error bands: the replications' band widened by the backtest's hindcast error by horizon."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim import model_error


@pytest.fixture
def errors(monkeypatch):
    table = {"resident_urbanization_pct": {1: 0.2, 2: 0.3}, "hukou_urbanization_pct": {1: 0.1, 2: 0.4}}
    monkeypatch.setattr(model_error, "_table", lambda: table)
    return table


def test_rmse_by_horizon_is_the_table_then_grows_as_a_random_walk(errors):
    assert model_error.rmse("resident_urbanization_pct", 0) == 0.0  # the start is observed
    assert model_error.rmse("resident_urbanization_pct", 2) == 0.3
    # beyond the longest horizon measured: scaled by sqrt(h / h_max)
    assert model_error.rmse("resident_urbanization_pct", 8) == pytest.approx(0.3 * 2)
    # the gap combines the two rates' errors as independent
    assert model_error.rmse("gap_pp", 1) == pytest.approx(math.hypot(0.2, 0.1))


def test_rmse_never_shrinks_with_the_horizon(monkeypatch):
    """A longer horizon measured on one origin with a small miss (the hukou rate's 0.07 and 0.03 at 4 and 5
    years, after 0.29 at 3) does not make the 5-year band narrower than the 3-year one: the running maximum,
    then sqrt growth from it."""
    monkeypatch.setattr(model_error, "_table", lambda: {"hukou_urbanization_pct": {1: 0.08, 2: 0.26, 3: 0.29,
                                                                                    4: 0.07, 5: 0.03}})
    got = [model_error.rmse("hukou_urbanization_pct", h) for h in range(1, 6)]
    assert got == [0.08, 0.26, 0.29, 0.29, 0.29]
    assert model_error.rmse("hukou_urbanization_pct", 10) == pytest.approx(0.29 * math.sqrt(2))


def test_model_band_contains_the_replication_band_and_equals_it_at_the_start(errors):
    years = np.arange(2020, 2026)
    table = pd.DataFrame({"year": years})
    for col in ("resident_urbanization_pct", "hukou_urbanization_pct", "gap_pp"):
        table[col] = 50.0
        table[f"{col}_p10"] = 49.9
        table[f"{col}_p90"] = 50.1
    out = model_error.add_bands(table)
    for col in ("resident_urbanization_pct", "hukou_urbanization_pct", "gap_pp"):
        lo, hi = out[f"{col}_model_p10"].to_numpy(), out[f"{col}_model_p90"].to_numpy()
        assert lo[0] == pytest.approx(49.9) and hi[0] == pytest.approx(50.1)
        assert (lo <= 49.9 + 1e-12).all() and (hi >= 50.1 - 1e-12).all()
        assert (np.diff(hi - lo) > 0).all()  # wider each year ahead (errors grow with the horizon)
        np.testing.assert_allclose(hi - 50.0, 50.0 - lo)  # symmetric about the median


def test_installed_errors_cover_both_rates_from_horizon_one():
    table = pd.read_csv(model_error.ERRORS_FILE)
    assert set(table["series"]) == set(model_error.RATES)
    for _, g in table.groupby("series"):
        assert g["horizon"].min() == 1 and (g["rmse"] >= 0).all() and g["source"].str.contains("backtest").all()


def test_a_banded_run_writes_the_model_error_band(tmp_path):
    from sim.cli import main

    out = tmp_path / "r"
    assert main(["run", "scenarios/status_quo.toml", "--agents", "3000", "--replications", "2", "--workers", "1",
                 "--out", str(out)]) == 0
    ts = pd.read_csv(out / "timeseries.csv")
    assert (ts["resident_urbanization_pct_model_p90"] >= ts["resident_urbanization_pct_p90"] - 1e-9).all()
    assert ts["gap_pp_model_p90"].iloc[-1] > ts["gap_pp_p90"].iloc[-1]


def test_target_probability_with_model_error_is_the_normal_chance_of_the_margin(errors):
    """Replications all exactly at the threshold: meeting it is a coin toss once an error is added; a margin of
    one error's size above it: Phi(1) = 0.841 (the standard normal), whatever the replications say."""
    from sim.scenario_targets import Target, probability_with_model_error

    target = Target("resident_urbanization_pct", ">=", 65.0, 2022)  # horizon 2 from a 2020 start: rmse 0.3
    assert probability_with_model_error(target, np.array([65.0, 65.0]), 2020) == pytest.approx(0.5)
    assert probability_with_model_error(target, np.array([65.3, 65.3]), 2020) == pytest.approx(0.8413, abs=1e-4)
    below = Target("gap_pp", "<=", 18.0, 2021)  # the gap's error: hypot(0.2, 0.1) at horizon 1
    assert probability_with_model_error(below, np.array([18.0 + math.hypot(0.2, 0.1)]), 2020) == pytest.approx(
        1 - 0.8413, abs=1e-4)
    # at the start year there is no model error: the replications decide
    assert probability_with_model_error(Target("gap_pp", "<=", 18.0, 2020), np.array([17.0, 19.0]), 2020) == 0.5
