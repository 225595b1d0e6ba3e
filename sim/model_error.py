"""Model error in the projection bands: the hindcast errors of the backtest, by horizon.

The replications' p10-p90 band carries chance and the calibrated parameters
the data accept; it does not carry the error of the model's mechanisms. The
backtest (``sim/backtest.py``) measures that error out of sample: the root
mean square of the model's forecast errors at each horizon, over the origins
before 2020. ``sim/data/forecast_errors.csv`` holds it (written by
``scripts/backtest_seeds.py --install``, the errors of nine backtest seeds
pooled, or ``run_sim.py backtest --install``, one seed's), and a banded run
adds, for each rate, the band

    median +/- 1.28 x sqrt(sd_replications^2 + rmse(h)^2)

where ``h`` is the number of years since the run's start and
``sd_replications`` is the replications' p10-p90 half-width over 1.28.
``rmse(h)`` is the largest error measured at horizons up to ``h`` (a forecast
does not get surer as it reaches further); beyond the longest horizon
measured it grows as the square root of the horizon (a random walk's). The
gap's error is the root sum of squares of the two rates' (their hindcast
errors are taken as independent, which overstates it when both rates are off
in the same direction).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd

from sim.datasets import DATA_DIR

ERRORS_FILE = DATA_DIR / "forecast_errors.csv"
Z90 = 1.2815515655446004  # the 90th percentile of the standard normal
RATES = ("resident_urbanization_pct", "hukou_urbanization_pct")
GAP = "gap_pp"


@lru_cache(maxsize=None)
def _table() -> dict[str, dict[int, float]]:
    table = pd.read_csv(ERRORS_FILE)
    return {s: dict(zip(g["horizon"].astype(int), g["rmse"].astype(float))) for s, g in table.groupby("series")}


def rmse(series: str, horizon: int) -> float:
    """The hindcast root mean square error of ``series`` ``horizon`` years ahead (0 at the start).

    Never smaller than at a shorter horizon: a forecast does not get surer as it reaches further, and the
    longest horizons rest on the fewest points (only the 2010 origin reaches four and five years, nine points
    over nine seeds), so a small miss there says little about the error to expect. The measured errors are
    therefore read through their running maximum over the horizons up to ``horizon`` (a safeguard: the
    installed errors already rise with the horizon).
    """
    if horizon <= 0:
        return 0.0
    if series == GAP:
        return math.hypot(*(rmse(r, horizon) for r in RATES))
    by_h = _table()[series]
    longest = max(by_h)
    envelope = max(v for h, v in by_h.items() if h <= min(horizon, longest))
    return envelope if horizon <= longest else envelope * math.sqrt(horizon / longest)


def add_bands(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` (one row a year, medians and p10/p90 of the rates) with ``<rate>_model_p10``/``_model_p90``:
    the replications' band widened by the hindcast error of its horizon."""
    out = table.copy()
    horizon = (out["year"] - out["year"].iloc[0]).to_numpy(int)
    for col in (*RATES, GAP):
        sd_rep = (out[f"{col}_p90"] - out[f"{col}_p10"]).to_numpy(float) / (2 * Z90)
        sd_model = np.array([rmse(col, int(h)) for h in horizon])
        half = Z90 * np.sqrt(sd_rep ** 2 + sd_model ** 2)
        out[f"{col}_model_p10"] = out[col] - half
        out[f"{col}_model_p90"] = out[col] + half
    return out


def errors_table(bands: pd.DataFrame, note: str) -> pd.DataFrame:
    """The rows of ``forecast_errors.csv`` from a backtest's scored forecasts (``sim.backtest_scores.score``'s bands)."""
    rows = []
    for (series, horizon), g in bands[bands["series"].isin(RATES)].groupby(["series", "horizon"]):
        err = (g["median"] - g["observed"]).to_numpy(float)
        rows.append({"series": series, "horizon": int(horizon), "rmse": float(np.sqrt(np.mean(err ** 2))),
                     "points": len(err), "source": note})
    return pd.DataFrame(rows)
