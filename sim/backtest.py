"""Hindcasts from origins before 2020, scored against the naive forecasts (``python run_sim.py backtest``).

For each origin the model is calibrated on the origin's window only
(``sim.targets.Window``: the history scenario's state and the years fitted),
then run to 2020 with replications drawing their parameters from that
window's accepted set; the years after the window are forecasts, compared
with what was observed. The naive forecasts of ``sim/naive.py`` are fitted on
the same observed values and scored on the same years. Nothing after 2020 is
used anywhere.

Origins: the 2010 census state fitted to 2011-2015 (forecasting 2016-2020),
and the 2015 state fitted to 2016-2017 and to 2016-2018 (forecasting the rest
to 2020), a rolling origin.

Bands: the replications' p10-p90 reflect chance and the parameter sets the
data accept, not whether the model's mechanisms are right. To carry that
structural uncertainty, each forecast's band adds a discrepancy term: a
normal error whose standard deviation at horizon ``h`` is the root mean
square of the model's own forecast errors at that horizon in the other
origins (leave one origin out, so the coverage reported is out of sample).
The coverage of the p10-p90 bands over every held-out point is reported.

Anchoring: each replication's forecast is put on the observed value at the
last fitted year (``anchored``), as a projection starts from the observed
2020 state; the same runs without it are kept (``median_unanchored``,
``error_unanchored``, the MAE table's ``unanchored``) for comparison.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim import ensemble, naive
from sim.backtest_scores import LAST_YEAR, SHARES, comparable, mae_table, mae_text, no_worse, score, verdict
from sim.calibration import Calibration, accepted_trials, calibrate, fitted_for, loss_noise
from sim.scenario import load_scenario
from sim.targets import SCENARIOS, Window, fit_table, observed

SERIES = ("resident_urbanization_pct", "hukou_urbanization_pct", "migrant_workers_total",
          "migrant_workers_outside_township")


@dataclass(frozen=True)
class Origin:
    name: str
    window: Window

    @property
    def forecast_years(self) -> range:
        return range(self.window.fit_years[-1] + 1, LAST_YEAR + 1)


ORIGINS = (
    Origin("2010 state, fit 2011-2015", Window(SCENARIOS / "history_2010.toml", tuple(range(2011, 2016)))),
    Origin("2015 state, fit 2016-2017", Window(SCENARIOS / "history_2015.toml", (2016, 2017))),
    Origin("2015 state, fit 2016-2018", Window(SCENARIOS / "history_2015.toml", (2016, 2017, 2018))),
)


def anchored(value: float, at_origin: float, observed_at_origin: float, series: str) -> float:
    """A replication's forecast moved onto the observed value at the forecast origin (an intercept correction).

    The production forecast starts from the observed 2020 state, so it has no error at its origin. A hindcast
    starts years before its forecast origin (the window's state) and carries to it the level error its run
    accumulated over the window, chance included, which a forecast from an observed state does not have.
    Each replication is therefore put on the observed value at the last fitted year, keeping its own path from
    there: rates shifted by the difference, stocks scaled by the ratio (Clements and Hendry 1998, Forecasting
    Economic Time Series, ch. 8, "intercept corrections"). What the hindcast then scores is the model's pace.
    """
    if series in SHARES:
        return float(value + observed_at_origin - at_origin)
    return float(value * observed_at_origin / at_origin)


def calibration_seeds(seed: int, searches: int) -> list[int]:
    """The seeds of an origin's independent calibration searches (the first is ``seed`` itself)."""
    return [seed, *(int(s) % 2**31 for s in np.random.SeedSequence(seed).generate_state(searches - 1))]


def search(window: Window, budget: int, seed: int, agents: int, workers: int | None = None,
           scheduler: str | None = None):
    """One calibration search of a window in two stages of half the budget each: a global TPE search over the
    whole ranges, then a local CMA-ES refinement from its best (as ``calibrate --start-from`` refines).

    A global search of 40-80 trials in 14 dimensions stops far from the optimum, by a different distance
    in each search (best losses of 51 and 127 in two searches of the same window), and each search's
    accepted set is measured from its own best: a poorly converged search then pools poor fits into the
    forecast. The refinement brings each search near a local optimum. The accepted set is every trial of
    either stage within the chi-square bound of the better best (both stages run the same seeds).
    """
    first = calibrate(max(1, budget // 2), seed, agents, seeds_per_trial=1, workers=workers,
                      scheduler=scheduler, window=window)
    if budget < 2:
        return first
    second = calibrate(budget - budget // 2, seed, agents, seeds_per_trial=1, workers=workers,
                       scheduler=scheduler, window=window, start=first.best)
    better = second if second.best_loss <= first.best_loss else first
    trials = first.trials + second.trials
    accepted = accepted_trials(trials, better.best_loss, len(fitted_for(window)))
    return dataclasses.replace(better, accepted=accepted, trials=trials, budget=budget,
                               method=f"{first.method}, then {second.method}")


def parameter_table(origin: Origin, fits: list, seeds: list[int]) -> pd.DataFrame:
    """What each search of an origin's window fitted, and what the pooled accepted set spans.

    One row per parameter and search (``search`` = its seed; ``best`` its best vector's value, ``loss`` its
    best loss, ``accepted`` how many vectors it accepted) and one per parameter with ``search`` = "pooled"
    (the p10, median and p90 of the union of the accepted sets, which the replications draw from). This is
    where a forecast's disagreement between seeds can be traced to the mechanism mix each search chose.
    """
    rows = []
    for fit, s in zip(fits, seeds):
        rows += [{"origin": origin.name, "search": str(s), "parameter": name, "best": float(value),
                  "loss": float(fit.best_loss), "accepted": len(fit.accepted)} for name, value in fit.best.items()]
    names = list(fits[0].best)  # every search of a window fits the same parameters
    pooled = np.array([[v[name] for name in names] for fit in fits for v, _ in fit.accepted], dtype=float)
    for name, lo, med, hi in zip(names, *np.percentile(pooled, [10, 50, 90], axis=0)):
        rows.append({"origin": origin.name, "search": "pooled", "parameter": name, "p10": lo, "median": med,
                     "p90": hi, "accepted": len(pooled)})
    return pd.DataFrame(rows, columns=["origin", "search", "parameter", "best", "loss", "accepted", "p10", "median",
                                       "p90"])


def hindcast(origin: Origin, *, budget: int, agents: int, replications: int, seed: int, searches: int = 1,
             workers: int | None = None, scheduler: str | None = None
             ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    """The model's forecasts from one origin (``forecast_rows``: anchored median, p10, p90 a series and year), its
    calibration's fit over the window (simulated against observed, every target), the fitted parameters
    of every search (``parameter_table``) and the best fit's loss over other run seeds
    (``sim.calibration.loss_noise``, with the best search's best loss and the origin's name).

    The window is calibrated by ``searches`` independent searches of ``budget`` trials each (seeds from
    ``calibration_seeds``). A window of two to five years cannot tell apart mechanism mixes that fit it
    equally well, and one search settles on one of them by chance; the replications therefore draw from
    the union of every search's accepted set, so that the forecast averages over the mixes the data
    accept and the bands carry their disagreement. The fit reported is the best search's.
    """
    search_seeds = calibration_seeds(seed, searches)
    fits = [search(origin.window, budget, s, agents, workers=workers, scheduler=scheduler) for s in search_seeds]
    fit = min(fits, key=lambda f: f.best_loss)
    pooled = tuple(v for f in fits for v, _ in f.accepted)
    calibration = Calibration(best=fit.best, accepted=pooled, sha256="", path="")
    scenario = load_scenario(origin.window.history, {"agents": agents, "end_year": LAST_YEAR, "seed": seed})
    seeds = ensemble.replication_seeds(seed, replications)
    results = ensemble.run_replications(ensemble.replication_specs(scenario, seeds, agents, calibration=calibration),
                                        workers, scheduler=scheduler)
    rows = forecast_rows(origin, [r.timeseries.set_index("year") for r in results], fit.best_loss)
    noise = {"origin": origin.name, "best_loss": float(fit.best_loss),
             **loss_noise(fit.best, origin.window, agents, seed, workers=workers, scheduler=scheduler)}
    return (rows, fit_table(fit.best_series, origin.window).assign(origin=origin.name),
            parameter_table(origin, fits, search_seeds), noise)


def forecast_rows(origin: Origin, runs: list[pd.DataFrame], fit_loss: float) -> pd.DataFrame:
    """The forecasts of ``runs`` (replications' time series indexed by year) for the years after the origin's
    window: per series and year the anchored median, p10 and p90 (``anchored``, at the last fitted year) and the
    median without anchoring (``median_unanchored``)."""
    last = origin.window.fit_years[-1]
    obs = observed(last, last).set_index("target")["observed"]
    rows = []
    for series in SERIES:
        for year in origin.forecast_years:
            raw = np.array([run.loc[year, series] for run in runs])
            values = np.array([anchored(run.loc[year, series], run.loc[last, series], obs[series], series)
                               for run in runs])
            lo, med, hi = np.percentile(values, [10, 50, 90])
            rows.append({"origin": origin.name, "series": series, "year": year, "horizon": year - last,
                         "median": med, "p10": lo, "p90": hi, "median_unanchored": float(np.median(raw)),
                         "fit_loss": fit_loss})
    return pd.DataFrame(rows)


def naive_forecasts(origin: Origin) -> pd.DataFrame:
    """Every naive method's forecasts from one origin, fitted on the origin's window of observed values."""
    obs = observed(2010, LAST_YEAR)
    rows = []
    for series in SERIES:
        o = obs[obs["target"] == series].set_index("year")["observed"]
        known = o[(o.index >= origin.window.base_year) & (o.index <= origin.window.fit_years[-1])]
        ahead = np.array(list(origin.forecast_years))
        for method in naive.METHODS:
            values = naive.forecast(method, known.index.to_numpy(), known.to_numpy(), ahead, share=series in SHARES)
            rows += [{"origin": origin.name, "series": series, "year": int(y), "method": method, "forecast": float(v)}
                     for y, v in zip(ahead, values)]
    return pd.DataFrame(rows)


def run_backtest(*, budget: int = 80, agents: int = 20_000, replications: int = 12, seed: int = 2010,
                 searches: int = 6, workers: int | None = None, scheduler: str | None = None,
                 origins: tuple[Origin, ...] = ORIGINS) -> dict:
    """Every origin's hindcast and naive forecasts, scored; a dict of tables (see ``score``)."""
    runs = [hindcast(o, budget=budget, agents=agents, replications=replications, seed=seed, searches=searches,
                     workers=workers, scheduler=scheduler) for o in origins]
    forecasts, fit_tables, parameter_tables, fit_noise = zip(*runs)
    model = pd.concat(forecasts, ignore_index=True)
    fits = pd.concat(fit_tables, ignore_index=True)
    parameters = pd.concat(parameter_tables, ignore_index=True)
    benchmarks = pd.concat([naive_forecasts(o) for o in origins], ignore_index=True)
    errors, bands = score(model, benchmarks)
    fair = comparable(errors)
    return {"model": model, "fits": fits, "parameters": parameters, "benchmarks": benchmarks, "errors": errors,
            "bands": bands, "mae": mae_table(fair), "coverage": float(bands["covered"].mean()),
            "coverage_without_discrepancy": float(bands["covered_without_discrepancy"].mean()),
            "fit_noise": list(fit_noise)}


def summary_markdown(result: dict, *, budget: int, agents: int, replications: int, searches: int = 3) -> str:
    """The MAE table (model and naive forecasts side by side) and the bands' coverage."""
    mae = result["mae"]
    lines = [f"# Backtest: hindcasts from origins before 2020 ({searches} calibration searches of {budget} "
             f"trials per origin, "
             f"{agents:,} agents, {replications} replications)", "",
             "Mean absolute error of the forecasts of each series by horizon (years after the fitted window), "
             "over the points where every method forecasts; rates in points, stocks in persons. Naive "
             "forecasts are fitted on the same observed years as the model (sim/naive.py).", "",
             "The model's forecasts are put on the observed value at the last fitted year, as a forecast from an "
             "observed state is (sim.backtest.anchored); 'not anchored' is the same runs without that correction.",
             "",
             "| series | horizon | model | not anchored | " + " | ".join(naive.METHODS) + " |",
             "|---|---|" + "---|" * (2 + len(naive.METHODS))]
    for (series, horizon), row in mae.iterrows():
        digits = 3 if series in SHARES else 0
        cells = [f"{row[m]:,.{digits}f}" if pd.notna(row[m]) else "n/a"
                 for m in ("model", "unanchored", *naive.METHODS)]
        if no_worse(row):
            cells[0] = f"**{cells[0]}**"
        lines.append(f"| {series} | {horizon} | " + " | ".join(cells) + " |")
    lines += ["", f"Coverage of the p10-p90 bands over the {len(result['bands'])} held-out points: "
                  f"{100 * result['coverage']:.0f} % with the discrepancy term (leave one origin out), "
                  f"{100 * result['coverage_without_discrepancy']:.0f} % from the replications alone "
                  "(chance and accepted parameters). Nominal: 80 %.", ""]
    if result.get("fit_noise"):
        lines += ["How much of each window's best fit is its run seed's luck: the best search's best loss, and the "
                  "same vector scored with other run seeds (the accepted sets keep trials within the margin of "
                  "the best; a spread near or above it makes them a few trials near a lucky best):", ""]
        lines += [f"- {n['origin']}: best {n['best_loss']:.1f}; over {n['runs']} other run seeds "
                  f"{n['loss_mean']:.1f} (sd {n['loss_sd']:.1f}, {n['loss_min']:.1f}-{n['loss_max']:.1f}); "
                  f"margin {n['accept_margin']:.1f}" for n in result["fit_noise"]]
        lines.append("")
    for series, v in verdict(mae).items():
        lines.append(f"{series}, all horizons: model {v['model']:.3f} against the best naive forecast "
                     f"({v['best_naive']}) {v['best_naive_mae']:.3f}: "
                     f"{'no worse' if v['no_worse'] else 'WORSE'} (not anchored: {mae_text(v['model_unanchored'])}).")
    return "\n".join(lines)


def command(*, budget: int = 80, agents: int = 20_000, replications: int = 12, seed: int = 2010,
            searches: int = 3, workers: int | None = None, scheduler: str | None = None, out=None, force: bool = False,
            install: bool = False, command_line=()) -> str:
    """``run_sim.py backtest``: write forecasts.csv, errors.csv, mae.csv, fits.csv (each origin's calibration
    fit), parameters.csv (what each search fitted, ``parameter_table``), forecast_errors.csv (the model's
    hindcast error by horizon, ``sim.model_error``), summary.md, summary.json and backtest.png; with
    ``install``, also install forecast_errors.csv as the one the runs' bands use."""
    from pathlib import Path

    from sim import model_error, output, plots
    from sim.provenance import Provenance, shown_path

    target = Path(out) if out else Path("results") / "backtest"
    output.check_target(target, force)
    if install:
        output.check_file_target(model_error.ERRORS_FILE, True)
    provenance = Provenance(list(command_line))
    for origin in ORIGINS:
        provenance.add_scenario(load_scenario(origin.window.history), shown_path(origin.window.history))
    provenance.seeds = [seed]
    result = run_backtest(budget=budget, agents=agents, replications=replications, seed=seed, searches=searches,
                          workers=workers, scheduler=scheduler)
    text = summary_markdown(result, budget=budget, agents=agents, replications=replications, searches=searches)
    errors = model_error.errors_table(result["bands"], f"run_sim.py backtest --budget {budget} --searches {searches} "
                                      f"--agents {agents} --replications {replications} --seed {seed}")
    summary = {"origins": [{"name": o.name, "history": shown_path(o.window.history),
                            "fit_years": list(o.window.fit_years)} for o in ORIGINS],
               "budget": budget, "searches": searches, "agents": agents, "replications": replications, "seed": seed,
               "coverage": result["coverage"], "coverage_without_discrepancy": result["coverage_without_discrepancy"],
               "verdict": verdict(result["mae"]), "fit_noise": result["fit_noise"],
               "provenance": provenance.manifest()}
    with output.atomic_folder(target, force) as folder:
        output.write_timeseries(folder / "forecasts.csv", result["bands"])
        output.write_timeseries(folder / "errors.csv", result["errors"])
        output.write_timeseries(folder / "mae.csv", result["mae"].reset_index())
        output.write_timeseries(folder / "fits.csv", result["fits"])
        output.write_timeseries(folder / "parameters.csv", result["parameters"])
        (folder / "summary.md").write_text(text + "\n", encoding="utf-8")
        output.write_json(folder / "summary.json", summary)
        plots.plot_backtest(result["bands"], result["benchmarks"], folder / "backtest.png")
        output.write_timeseries(folder / "forecast_errors.csv", errors)
    if install:
        with output.atomic_file(model_error.ERRORS_FILE) as tmp:
            output.write_timeseries(tmp, errors)
        text += f"\ninstalled the hindcast errors by horizon as {shown_path(model_error.ERRORS_FILE)}"
    return f"{text}\n-> {target}"
