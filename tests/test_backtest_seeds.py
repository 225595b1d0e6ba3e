"""The backtest over several seeds: pass counts, pooled errors by horizon, and the script end to end."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import backtest, backtest_scores, backtest_seeds, naive

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "backtest_seeds.py"


def _mae(resident: float, hukou: float, unanchored: tuple[float, float]) -> pd.DataFrame:
    """An MAE table as ``sim.backtest_scores.mae_table`` makes it, with the drift best at 0.27 / 0.28 for both rates."""
    index = pd.MultiIndex.from_tuples([(s, "all") for s in backtest_scores.SHARES], names=["series", "horizon"])
    table = pd.DataFrame({"model": [resident, hukou], "unanchored": list(unanchored)}, index=index)
    for method in naive.METHODS:
        table[method] = [0.27, 0.28] if method == "drift" else [0.5, 0.5]
    return table


def _result(mae: pd.DataFrame, errors: list[tuple[int, float]], coverage: float) -> dict:
    """A backtest result whose held-out resident points miss by ``error`` at ``horizon`` (anchored; twice
    that not anchored)."""
    bands = pd.DataFrame([{"series": "resident_urbanization_pct", "horizon": h, "observed": 60.0,
                           "median": 60.0 + e, "median_unanchored": 60.0 + 2 * e} for h, e in errors])
    return {"mae": mae, "bands": bands, "coverage": coverage, "coverage_without_discrepancy": coverage / 2}


def test_pass_counts_and_pooled_errors_over_seeds():
    """Seed 1 beats the drift on both rates; seed 2 misses the resident rate (0.30 > 0.27). At horizon 1 the
    seeds miss by +0.3 and -0.4, so the pooled RMSE is sqrt((0.09 + 0.16) / 2); not anchored, twice that."""
    results = {1: _result(_mae(0.20, 0.10, (0.25, 0.30)), [(1, 0.3), (2, 0.1)], 0.8),
               2: _result(_mae(0.30, 0.20, (0.35, 0.10)), [(1, -0.4)], 0.7)}
    table = backtest_seeds.seed_table(results)
    resident = table[table["series"] == "resident_urbanization_pct"].set_index("seed")
    assert resident.loc[1, "no_worse"] and not resident.loc[2, "no_worse"]
    assert table[table["series"] == "hukou_urbanization_pct"]["no_worse"].all()
    rmse = backtest_seeds.rmse_by_horizon(results).set_index("horizon")
    assert rmse.loc[1, "rmse"] == pytest.approx(math.sqrt(0.125))
    assert rmse.loc[1, "rmse_unanchored"] == pytest.approx(2 * math.sqrt(0.125))
    assert rmse.loc[1, "points"] == 2 and rmse.loc[2, "rmse"] == pytest.approx(0.1)
    text = backtest_seeds.summary_markdown(table, backtest_seeds.rmse_by_horizon(results), {"budget": 2})
    assert "resident_urbanization_pct: no worse than the best naive forecast in 1 of 2 seeds" in text
    assert "hukou_urbanization_pct: no worse than the best naive forecast in 2 of 2 seeds" in text
    # not anchored: resident 0.25 and 0.35 against 0.27 (1 of 2, mean 0.300); hukou 0.30 and 0.10 against 0.28
    assert "(not anchored: 1 of 2, mean 0.300)" in text and "(not anchored: 1 of 2, mean 0.200)" in text
    assert "70-80 % with the discrepancy term (mean 75 %)" in text


def _script():
    spec = importlib.util.spec_from_file_location("backtest_seeds_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("argv, message", [
    (["--seeds", "1,x"], "--seeds: expected integers"), (["--seeds", "1,1"], "--seeds: expected distinct"),
    (["--budget", "0"], "--budget: expected a positive integer"),
    (["--workers", "-1"], "--workers: expected a positive integer")])
def test_bad_arguments_are_refused_before_any_work(tmp_path, capsys, argv, message):
    out = tmp_path / "bs"
    with pytest.raises(SystemExit) as exc:
        _script().main([*argv, "--out", str(out)])
    assert exc.value.code == 2 and not out.exists()
    assert message in capsys.readouterr().err


def test_an_existing_folder_is_kept_without_force(tmp_path, capsys):
    out = tmp_path / "bs"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    assert _script().main(["--seeds", "1", "--out", str(out)]) == 2
    assert [p.name for p in out.iterdir()] == ["mine.txt"] and "exists" in capsys.readouterr().err


def test_script_writes_every_file_for_two_seeds(tmp_path, monkeypatch):
    """Two tiny backtests; --install writes the pooled errors where the bands read them (here a temporary
    file): the same rows as the results folder's forecast_errors.csv, the horizon-1 points of both seeds."""
    from sim import model_error

    installed = tmp_path / "forecast_errors.csv"
    monkeypatch.setattr(model_error, "ERRORS_FILE", installed)
    out = tmp_path / "bs"
    assert _script().main(["--seeds", "1,2", "--budget", "2", "--searches", "1", "--agents", "2000",
                           "--replications", "2", "--workers", "1", "--out", str(out), "--install"]) == 0
    assert {p.name for p in out.iterdir()} >= {"seeds.csv", "errors.csv", "rmse_by_horizon.csv",
                                                "forecast_errors.csv", "summary.md", "summary.json"}
    held_out = pd.read_csv(out / "errors.csv")  # each seed forecasts every origin's held-out years of each series
    points = sum(len(o.forecast_years) for o in backtest.ORIGINS) * len(backtest.SERIES)
    assert held_out.groupby("seed").size().to_dict() == {1: points, 2: points}
    np.testing.assert_allclose(held_out["error"], held_out["median"] - held_out["observed"])
    assert installed.read_bytes() == (out / "forecast_errors.csv").read_bytes()
    errors = pd.read_csv(installed)
    assert set(errors["series"]) == set(model_error.RATES) and errors["source"].str.contains("--seeds 1,2").all()
    one = errors[errors["horizon"] == 1]
    assert (one["points"] == 2 * len(backtest.ORIGINS)).all()  # every origin reaches one year ahead, two seeds
    table = pd.read_csv(out / "seeds.csv")
    assert sorted(set(table["seed"])) == [1, 2] and set(table["series"]) == set(backtest_scores.SHARES)
    rmse = pd.read_csv(out / "rmse_by_horizon.csv")
    assert set(rmse["horizon"]) == {1, 2, 3, 4, 5} and np.isfinite(rmse["rmse"]).all()
