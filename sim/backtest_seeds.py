"""The backtest's verdict over several seeds (``python scripts/backtest_seeds.py``).

One backtest's verdict depends on the seeds of its calibration searches
(docs/ODD.md, section 8.3): a window of two to five years, fitted by short
searches whose loss is noisy, accepts different mechanism mixes in different
searches. Whether the model beats the naive forecasts is therefore measured
over several seeds of the whole backtest (each seed gives its searches their
own seeds, ``sim.backtest.calibration_seeds``), and the errors of every seed
are pooled into a root mean square error by horizon.

``seed_table`` has one row per seed and rate: the model's MAE over all
horizons (anchored at the origin, and not), the best naive forecast's on the
same points, whether the model is no worse, and the bands' coverage.
``rmse_by_horizon`` pools the model's errors of every seed and origin;
``held_out_errors`` lists them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim import backtest, backtest_scores, model_error
from sim.backtest_scores import mae_text

DEFAULT_SEEDS = (2010, 1, 2, 3, 4, 5, 6, 7, 99)


def run(seeds, **settings) -> dict[int, dict]:
    """``sim.backtest.run_backtest`` for each seed (the other settings passed on)."""
    return {int(s): backtest.run_backtest(seed=int(s), **settings) for s in seeds}


def seed_table(results: dict[int, dict]) -> pd.DataFrame:
    """One row per seed and rate: the verdict of ``sim.backtest_scores.verdict`` and the bands' coverage."""
    rows = []
    for seed, result in results.items():
        for series, v in backtest_scores.verdict(result["mae"]).items():
            rows.append({"seed": seed, "series": series, "model": v["model"],
                         "unanchored": np.nan if v["model_unanchored"] is None else v["model_unanchored"],
                         "best_naive": v["best_naive"], "best_naive_mae": v["best_naive_mae"],
                         "no_worse": v["no_worse"],
                         "coverage": result["coverage"],
                         "coverage_without_discrepancy": result["coverage_without_discrepancy"]})
    return pd.DataFrame(rows, columns=["seed", "series", "model", "unanchored", "best_naive", "best_naive_mae",
                                       "no_worse", "coverage", "coverage_without_discrepancy"])


def rmse_by_horizon(results: dict[int, dict]) -> pd.DataFrame:
    """The model's root mean square error of each rate by horizon over every seed and origin (anchored, and
    not), with the number of points: ``sim.model_error.errors_table`` of the held-out points (``bands``) of
    every seed, whose anchored rows are what ``--install`` installs."""
    bands = pd.concat([r["bands"] for r in results.values()], ignore_index=True)
    anchored = model_error.errors_table(bands, "")
    unanchored = model_error.errors_table(bands.assign(median=bands["median_unanchored"]), "")
    return anchored.assign(rmse_unanchored=unanchored["rmse"])[["series", "horizon", "rmse", "rmse_unanchored",
                                                                  "points"]]


def held_out_errors(results: dict[int, dict]) -> pd.DataFrame:
    """Every seed's forecasts of the held-out points, one row per seed, origin, series and year: the median
    forecast (anchored, and not), what was observed, the error and the band (``sim.backtest_scores.score``'s
    bands), so that a seed's miss can be traced to its origin and year."""
    columns = ["origin", "series", "year", "horizon", "median", "median_unanchored", "observed", "error",
               "error_unanchored", "band_p10", "band_p90", "covered"]
    return pd.concat([r["bands"][columns].assign(seed=seed) for seed, r in results.items()],
                     ignore_index=True)[["seed", *columns]]


def _span(values: pd.Series, fmt: str, scale: float = 1.0) -> str:
    lo, hi = scale * values.min(), scale * values.max()
    return f"{lo:{fmt}}" if f"{lo:{fmt}}" == f"{hi:{fmt}}" else f"{lo:{fmt}}-{hi:{fmt}}"


def summary_markdown(table: pd.DataFrame, rmse: pd.DataFrame, settings: dict) -> str:
    """Pass counts, medians and means per rate, the table by seed and the pooled errors by horizon."""
    seeds = list(dict.fromkeys(table["seed"]))
    lines = [f"# The backtest over {len(seeds)} seeds ({', '.join(map(str, seeds))})", "",
             "Settings of each backtest: " + ", ".join(f"{k} {v}" for k, v in settings.items()) + ".", ""]
    for series, g in table.groupby("series", sort=False):
        lines.append(f"- {series}: no worse than the best naive forecast in {int(g['no_worse'].sum())} of {len(g)} "
                     f"seeds; model MAE median {g['model'].median():.3f}, mean {g['model'].mean():.3f} "
                     f"(not anchored: {int((g['unanchored'] <= g['best_naive_mae']).sum())} of {len(g)}, "
                     f"mean {mae_text(g['unanchored'].mean())}); best naive MAE {_span(g['best_naive_mae'], '.3f')}.")
    cover = table.drop_duplicates("seed")
    lines += [f"- Coverage of the p10-p90 bands: {_span(cover['coverage'], '.0f', 100)} % with the discrepancy "
              f"term (mean {100 * cover['coverage'].mean():.0f} %), "
              f"{_span(cover['coverage_without_discrepancy'], '.0f', 100)} % from the replications alone.", "",
              "| seed | series | model | not anchored | best naive | its MAE | no worse |",
              "|---|---|---|---|---|---|---|"]
    lines += [f"| {r.seed} | {r.series} | {r.model:.3f} | {mae_text(r.unanchored)} | {r.best_naive} | "
              f"{r.best_naive_mae:.3f} | {'yes' if r.no_worse else 'NO'} |" for r in table.itertuples()]
    lines += ["", "Root mean square error by horizon over every seed and origin, points:", "",
              "| series | horizon | anchored | not anchored | points |", "|---|---|---|---|---|"]
    lines += [f"| {r.series} | {r.horizon} | {r.rmse:.3f} | {r.rmse_unanchored:.3f} | {r.points} |"
              for r in rmse.itertuples()]
    return "\n".join(lines)
