"""Scoring of hindcasts: errors against what was observed, the discrepancy term, the comparison with naive forecasts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import backtest, backtest_scores
from sim.targets import observed

OBS = observed(2010, 2020)


def _model(origin: str, years, offset: float, fit_end: int) -> pd.DataFrame:
    """Forecasts of the resident rate that miss the official value by ``offset`` points, zero spread."""
    o = OBS[OBS["target"] == "resident_urbanization_pct"].set_index("year")["observed"]
    return pd.DataFrame({"origin": origin, "series": "resident_urbanization_pct", "year": list(years),
                         "horizon": [y - fit_end for y in years], "median": [o[y] + offset for y in years],
                         "p10": [o[y] + offset for y in years], "p90": [o[y] + offset for y in years]})


def test_discrepancy_is_the_other_origins_error_at_the_same_horizon():
    """Origin A misses by +0.3 at every horizon, B by -0.6: A's band gets sd 0.6 from B, B's gets 0.3 from A.
    A's band (half-width 1.28 x 0.6) covers its 0.3 miss; B's (1.28 x 0.3 = 0.38) does not cover 0.6."""
    model = pd.concat([_model("A", range(2018, 2021), 0.3, 2017), _model("B", range(2018, 2021), -0.6, 2017)])
    benchmarks = pd.DataFrame(columns=["origin", "series", "year", "method", "forecast"])
    errors, bands = backtest_scores.score(model, benchmarks)
    a, b = bands[bands["origin"] == "A"], bands[bands["origin"] == "B"]
    np.testing.assert_allclose(a["sd_discrepancy"], 0.6)
    np.testing.assert_allclose(b["sd_discrepancy"], 0.3)
    assert a["covered"].all() and not b["covered"].any()
    assert not bands["covered_without_discrepancy"].any()  # zero spread: the replications alone cover nothing
    np.testing.assert_allclose(errors.loc[errors["origin"] == "A", "error"], 0.3)


def test_a_horizon_no_other_origin_reaches_is_scaled_from_the_longest():
    """B reaches only horizon 1 (error 0.2); A's horizon-4 discrepancy is 0.2 x sqrt(4)."""
    model = pd.concat([_model("A", [2020], 0.0, 2016), _model("B", [2020], 0.2, 2019)])
    _, bands = backtest_scores.score(model, pd.DataFrame(columns=["origin", "series", "year", "method", "forecast"]))
    assert bands.loc[bands["origin"] == "A", "sd_discrepancy"].iloc[0] == pytest.approx(0.4)


def test_naive_forecasts_are_fitted_on_the_window_only():
    """From the 2015 state fitted to 2016-2017, drift forecasts 2018 as 2017 plus the 2015-2017 mean change."""
    origin = backtest.ORIGINS[1]
    b = backtest.naive_forecasts(origin)
    o = OBS[OBS["target"] == "resident_urbanization_pct"].set_index("year")["observed"]
    drift_2018 = b[(b["series"] == "resident_urbanization_pct") & (b["method"] == "drift") & (b["year"] == 2018)]
    assert drift_2018["forecast"].iloc[0] == pytest.approx(o[2017] + (o[2017] - o[2015]) / 2)
    assert set(b["year"]) == {2018, 2019, 2020}


def test_backtest_command_writes_every_table_and_forecasts_only_after_each_window(tmp_path):
    """A tiny backtest end to end: every origin forecasts exactly the years after its window, errors are
    forecast minus observed, and the files the README lists are written."""
    from sim.cli import main

    out = tmp_path / "bt"
    assert main(["backtest", "--budget", "4", "--searches", "1", "--agents", "3000", "--replications", "2",
                 "--workers", "1", "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} >= {"forecasts.csv", "errors.csv", "mae.csv", "fits.csv", "summary.md",
                                                "summary.json", "backtest.png", "parameters.csv"}
    forecasts = pd.read_csv(out / "forecasts.csv")
    for origin in backtest.ORIGINS:
        years = set(forecasts.loc[forecasts["origin"] == origin.name, "year"])
        assert years == set(origin.forecast_years)
    errors = pd.read_csv(out / "errors.csv")
    np.testing.assert_allclose(errors["error"], errors["forecast"] - errors["observed"])
    assert errors["year"].max() == 2020
    mae = pd.read_csv(out / "mae.csv")
    assert list(mae.columns[2:4]) == ["model", "unanchored"]
    rates = mae[mae["series"].isin(backtest_scores.SHARES)]
    assert np.isfinite(rates["unanchored"]).all() and not np.allclose(rates["unanchored"], rates["model"])
    parameters = pd.read_csv(out / "parameters.csv")  # one search per origin: its best and the pooled span
    from sim.calibration import FITTED
    for origin in backtest.ORIGINS:
        rows = parameters[parameters["origin"] == origin.name]
        assert set(rows["search"].astype(str)) == {"2010", "pooled"}
        assert set(rows["parameter"]) <= set(FITTED) and "settle_intercept" in set(rows["parameter"])


def test_anchoring_puts_a_forecast_on_the_observed_value_at_its_origin():
    """A run 0.3 point above the observed rate at the origin is moved down 0.3 point in every later year (its
    own pace kept); a stock 5 % high at the origin is scaled by 1/1.05; a run on the observed value is unchanged."""
    assert backtest.anchored(60.5, 58.3, 58.0, "resident_urbanization_pct") == pytest.approx(60.2)
    assert backtest.anchored(44.0, 42.0, 42.0, "hukou_urbanization_pct") == pytest.approx(44.0)
    assert backtest.anchored(110.0, 105.0, 100.0, "migrant_workers_total") == pytest.approx(110.0 / 1.05)


def test_forecasts_start_from_the_observed_value_at_the_last_fitted_year():
    """Fake replications from the 2015 state fitted to 2016-2018. Run A is 0.5 point above every observed
    resident value and 10 % above every migrant stock: anchored at 2018 it forecasts exactly what was observed.
    Run B is 0.3 above the observed rate in 2018 and gains 1.0 point a year after: anchored, it forecasts the
    observed 2018 value plus 1.0 a year (its own pace); not anchored, that plus 0.3."""
    origin = backtest.ORIGINS[2]
    obs = OBS.pivot(index="year", columns="target", values="observed")

    def run(resident, stocks):
        frame = pd.DataFrame({"year": list(range(2015, 2021))}).set_index("year")
        for series in backtest.SERIES:
            frame[series] = [stocks(y, series) if series not in backtest_scores.SHARES else resident(y, series)
                             for y in frame.index]
        return frame

    a = run(lambda y, s: obs.loc[y, s] + 0.5, lambda y, s: obs.loc[y, s] * 1.1)
    b = run(lambda y, s: obs.loc[2018, s] + 0.3 + 1.0 * (y - 2018), lambda y, s: obs.loc[2018, s] * 1.1)
    rows_a = backtest.forecast_rows(origin, [a], 1.0).set_index(["series", "year"])
    for series in backtest.SERIES:
        for year in (2019, 2020):
            assert rows_a.loc[(series, year), "median"] == pytest.approx(obs.loc[year, series])
    rows_b = backtest.forecast_rows(origin, [b], 1.0).set_index(["series", "year"])
    resident = "resident_urbanization_pct"
    for year in (2019, 2020):
        assert rows_b.loc[(resident, year), "median"] == pytest.approx(obs.loc[2018, resident] + year - 2018)
        assert rows_b.loc[(resident, year), "median_unanchored"] == pytest.approx(
            obs.loc[2018, resident] + 0.3 + year - 2018)
    assert set(rows_b["horizon"]) == {1, 2}


def test_calibration_searches_have_distinct_reproducible_seeds():
    # pooled searches must be independent (distinct seeds) and the backtest reproducible for its seed
    seeds = backtest.calibration_seeds(2010, 3)
    assert seeds[0] == 2010 and len(set(seeds)) == 3
    assert seeds == backtest.calibration_seeds(2010, 3) and backtest.calibration_seeds(2010, 1) == [2010]


def test_a_hindcast_draws_from_every_search_accepted_set(monkeypatch):
    """Two searches that accept different vectors: the replications' calibration is their union."""
    from types import SimpleNamespace

    calls = []

    def fake_search(window, budget, seed, agents, **kwargs):
        calls.append(seed)
        return SimpleNamespace(best={"x": seed}, best_loss=float(seed % 7), accepted=[({"x": seed}, 0.0)],
                               best_series=None)

    seen = {}

    def fake_specs(scenario, seeds, agents, calibration=None):
        seen["accepted"] = calibration.accepted
        raise StopIteration  # stop before running the model: only the pooling is under test

    monkeypatch.setattr(backtest, "search", fake_search)
    monkeypatch.setattr(backtest.ensemble, "replication_specs", fake_specs)
    with pytest.raises(StopIteration):
        backtest.hindcast(backtest.ORIGINS[1], budget=2, agents=1000, replications=2, seed=5, searches=2)
    assert calls == backtest.calibration_seeds(5, 2)
    assert seen["accepted"] == tuple({"x": s} for s in calls)


def test_hindcasts_at_the_defaults_are_no_worse_than_the_best_naive_forecast():
    """The issue's bar, measured as ``python run_sim.py backtest`` measures it (its defaults, one run): over
    every held-out point of 2016-2020, the model's mean absolute error on the resident rate and on the hukou
    rate is at most that of the best of the four naive forecasts fitted on the same years. The reasoning
    that makes it expected: the naive forecasts carry the fit window's pace on, while the model's pace
    comes from mechanisms that respond to what changed after the window (the ageing and emptying of
    villages, the slower growth of new built-up area, the 2016 and 2019 settlement rules, the 2020
    pandemic); a model that cannot do at least as well as carrying the pace on cannot advise."""
    result = backtest.run_backtest()
    verdict = backtest_scores.verdict(result["mae"])
    assert set(verdict) == set(backtest_scores.SHARES)
    for series, v in verdict.items():
        assert v["no_worse"], f"{series}: model {v['model']:.3f} > {v['best_naive']} {v['best_naive_mae']:.3f}"


def test_parameter_table_gives_each_search_best_and_the_pooled_span():
    """Two searches of a window: search 5 accepted x = 1, 2, 3 (best 2), search 9 accepted x = 4 (best 4).
    Each search gets a row with its best; the pooled row spans the four accepted values, so its median is
    2.5 and its p10 and p90 are numpy's linear percentiles of 1, 2, 3, 4: 1.3 and 3.7."""
    from types import SimpleNamespace

    a = SimpleNamespace(best={"x": 2.0}, best_loss=1.0, accepted=[({"x": v}, 0.0) for v in (1.0, 2.0, 3.0)])
    b = SimpleNamespace(best={"x": 4.0}, best_loss=3.0, accepted=[({"x": 4.0}, 0.0)])
    table = backtest.parameter_table(backtest.ORIGINS[0], [a, b], [5, 9]).set_index("search")
    assert table.loc["5", "best"] == 2.0 and table.loc["9", "best"] == 4.0
    assert table.loc["9", "loss"] == 3.0 and table.loc["5", "accepted"] == 3
    pooled = table.loc["pooled"]
    assert (pooled["p10"], pooled["median"], pooled["p90"]) == pytest.approx((1.3, 2.5, 3.7))
    assert pooled["accepted"] == 4


def test_a_search_refines_its_global_stage_locally_and_accepts_from_both(monkeypatch):
    """search() spends half the budget on a global TPE search and half on a CMA-ES refinement started from the
    first stage's best, with the same seed. Stage one's trials have losses 10, 12 and 40 (best 10), stage two's
    5, 7 and 30 (best 5): the result is stage two's best, and the accepted set is every trial of either stage
    within the chi-square bound of 5 (chi2 0.90 quantile with as many degrees of freedom as fitted parameters,
    13 or more: at least 19.8, so 5, 7, 10 and 12 are in, 30 and 40 are out)."""
    from scipy import stats

    from sim.calibration import ACCEPT_QUANTILE, CalibrationResult, fitted_for

    window = backtest.ORIGINS[1].window
    calls = []

    def fake_calibrate(budget, seed, agents, start=None, **kwargs):
        calls.append((budget, seed, start))
        losses = (10.0, 12.0, 40.0) if start is None else (5.0, 7.0, 30.0)
        trials = [({"x": loss}, loss) for loss in losses]
        return CalibrationResult({"x": losses[0]}, losses[0], {}, trials[:1], trials, seed, budget, agents, [1],
                                 None, window, "TPE" if start is None else "CMA-ES")

    monkeypatch.setattr(backtest, "calibrate", fake_calibrate)
    result = backtest.search(window, 80, 7, 1000)
    assert calls == [(40, 7, None), (40, 7, {"x": 10.0})]
    assert result.best == {"x": 5.0} and result.best_loss == 5.0 and result.budget == 80
    assert 5.0 + stats.chi2.ppf(ACCEPT_QUANTILE, len(fitted_for(window))) > 12.0
    assert [loss for _, loss in result.accepted] == [5.0, 7.0, 10.0, 12.0]
