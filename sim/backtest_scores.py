"""How the backtest's hindcasts are scored: errors, bands with a discrepancy term, MAE tables, verdicts.

``score`` turns the model's forecasts (``sim.backtest.forecast_rows``) and the
naive forecasts into absolute errors against what was observed and widens the
model's p10-p90 bands by the discrepancy term (leave one origin out);
``mae_table`` averages the errors per series, horizon and method over the
points every method forecasts (``comparable``); ``verdict`` says whether the
model's error over all horizons is no worse than the best naive forecast's.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim import naive
from sim.targets import observed

LAST_YEAR = 2020
SHARES = ("resident_urbanization_pct", "hukou_urbanization_pct")  # percentages (for the logistic trend)
Z90 = 1.2815515655446004  # the 90th percentile of the standard normal


def score(model: pd.DataFrame, benchmarks: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Absolute errors of every forecast (long table) and the model's bands with the discrepancy term.

    Returns (errors, bands): ``errors`` has origin, series, year, horizon,
    method ("model" or a naive method) and error (forecast minus observed);
    ``bands`` adds to the model rows the observed value, the discrepancy's
    standard deviation (leave one origin out) and the widened p10/p90. The
    model's rows also carry ``error_unanchored`` (from ``median_unanchored``;
    NaN when the forecasts have none).
    """
    obs = observed(2010, LAST_YEAR).rename(columns={"target": "series"})
    m = model.merge(obs, on=["series", "year"], how="inner")
    m["error"] = m["median"] - m["observed"]
    if "median_unanchored" not in m:  # forecasts made without the intercept correction's record
        m["median_unanchored"] = np.nan
    m["error_unanchored"] = m["median_unanchored"] - m["observed"]
    errors = [m.assign(method="model", forecast=m["median"])[["origin", "series", "year", "horizon", "method",
                                                              "forecast", "observed", "error", "error_unanchored"]]]
    b = benchmarks.merge(obs, on=["series", "year"], how="inner").merge(
        m[["origin", "series", "year", "horizon"]], on=["origin", "series", "year"], how="inner")
    b["error"] = b["forecast"] - b["observed"]
    if len(b):
        errors.append(b[["origin", "series", "year", "horizon", "method", "forecast", "observed", "error"]])
    errors = pd.concat(errors, ignore_index=True).astype({"forecast": float, "error": float,
                                                          "error_unanchored": float})
    errors = errors.dropna(subset=["error"])

    bands = m.copy()
    sd_discrepancy = []
    for row in bands.itertuples():
        others = m[(m["origin"] != row.origin) & (m["series"] == row.series)]
        same_h = others[others["horizon"] == row.horizon]["error"]
        if len(same_h) == 0 and len(others):  # no other origin reaches this horizon: scale the longest
            longest = others[others["horizon"] == others["horizon"].max()]
            same_h = longest["error"] * math.sqrt(row.horizon / longest["horizon"].iloc[0])
        sd_discrepancy.append(float(np.sqrt(np.mean(np.square(same_h)))) if len(same_h) else 0.0)
    bands["sd_discrepancy"] = sd_discrepancy
    sd_model = (bands["p90"] - bands["p10"]) / (2 * Z90)
    half = Z90 * np.sqrt(sd_model ** 2 + bands["sd_discrepancy"] ** 2)
    bands["band_p10"] = bands["median"] - half
    bands["band_p90"] = bands["median"] + half
    bands["covered"] = (bands["observed"] >= bands["band_p10"]) & (bands["observed"] <= bands["band_p90"])
    bands["covered_without_discrepancy"] = (bands["observed"] >= bands["p10"]) & (bands["observed"] <= bands["p90"])
    return errors, bands


def mae_table(errors: pd.DataFrame) -> pd.DataFrame:
    """Mean absolute error per series, horizon and method; rows "all" average over the horizons.

    The column ``unanchored`` is the model's forecasts without the intercept correction (``anchored``), for
    comparison; the verdict is on ``model``."""
    e = errors.assign(abs_error=errors["error"].abs())
    model = e[e["method"] == "model"]
    unanchored = model["error_unanchored"].abs() if "error_unanchored" in model else np.nan
    e = pd.concat([e, model.assign(method="unanchored", abs_error=unanchored)])
    by_h = e.groupby(["series", "horizon", "method"])["abs_error"].mean().unstack("method")
    overall = e.groupby(["series", "method"])["abs_error"].mean().unstack("method")
    overall.index = pd.MultiIndex.from_tuples([(s, "all") for s in overall.index], names=["series", "horizon"])
    by_h.index = pd.MultiIndex.from_tuples([(s, str(h)) for s, h in by_h.index], names=["series", "horizon"])
    table = pd.concat([by_h, overall]).sort_index()
    out = table[["model", *naive.METHODS]].copy()
    out.insert(1, "unanchored", table["unanchored"] if "unanchored" in table else np.nan)
    return out


def comparable(errors: pd.DataFrame) -> pd.DataFrame:
    """The errors of the points where the model and every naive method forecast (fair comparison)."""
    counts = errors.groupby(["origin", "series", "year"])["method"].nunique()
    full = counts[counts == 1 + len(naive.METHODS)].index
    return errors.set_index(["origin", "series", "year"]).loc[full].reset_index()


def _best_naive(row: pd.Series) -> str:
    """The naive method with the smallest error in ``row`` (a row of ``mae_table``; missing ones never win)."""
    return min(naive.METHODS, key=lambda m: row[m] if pd.notna(row[m]) else math.inf)


def no_worse(row: pd.Series) -> bool:
    """Whether the model's error in ``row`` is at most the best naive method's (a missing model error is not)."""
    return bool(pd.notna(row["model"]) and row["model"] <= row[_best_naive(row)])


def verdict(mae: pd.DataFrame) -> dict[str, dict]:
    """For each rate, the model's MAE over all horizons against the best naive forecast's (same points)."""
    out = {}
    for series in SHARES:
        if (series, "all") not in mae.index:
            continue
        row = mae.loc[(series, "all")]
        best = _best_naive(row)
        out[series] = {"model": float(row["model"]), "best_naive": best, "best_naive_mae": float(row[best]),
                       "no_worse": no_worse(row),
                       "model_unanchored": float(row["unanchored"]) if pd.notna(row["unanchored"]) else None}
    return out


def mae_text(x) -> str:
    """An MAE as the summaries print it: three decimals, or n/a when missing (None or NaN)."""
    return "n/a" if pd.isna(x) else f"{x:.3f}"
