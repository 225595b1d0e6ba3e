"""The naive forecasts a model must beat: random walk with drift, linear, logistic and damped trends.

Each is fitted on the same observed values the model is calibrated on (the
window's base year and fitted years, where the series has them) and
extrapolated to the forecast years (Hyndman & Athanasopoulos, *Forecasting:
Principles and Practice*, 3rd ed., ch. 5 and 8):

- ``drift``: the last value plus the mean yearly change of the fit years
  times the horizon;
- ``linear``: a least-squares straight line in the year;
- ``logistic``: a straight line in the logit of the share (a rate in percent,
  saturating at 100 %), the trend the UN's urban-rural growth-difference
  method assumes; for counts, a straight line in the logarithm (exponential
  growth) since a count has no natural ceiling;
- ``damped``: the last value plus the mean yearly change damped by
  ``DAMPING`` each further year (Gardner & McKenzie's damped trend; with a
  handful of points the damping is not estimable, so it is fixed at 0.8, the
  low end of the usual 0.8-0.98).

All are pure functions of arrays.
"""

from __future__ import annotations

import numpy as np

METHODS = ("drift", "linear", "logistic", "damped")
DAMPING = 0.8


def forecast(method: str, years: np.ndarray, values: np.ndarray, ahead: np.ndarray, *, share: bool) -> np.ndarray:
    """Forecast of ``method`` at the years ``ahead`` from the points (``years``, ``values``).

    ``share``: the values are percentages (for the logistic trend). Needs at
    least two points; returns NaN otherwise.
    """
    years = np.asarray(years, float)
    values = np.asarray(values, float)
    ahead = np.asarray(ahead, float)
    if years.size < 2:
        return np.full(ahead.shape, np.nan)
    last_year, last = years[-1], values[-1]
    h = ahead - last_year
    slope = (values[-1] - values[0]) / (years[-1] - years[0])  # mean yearly change
    if method == "drift":
        return last + slope * h
    if method == "linear":
        b, a = np.polyfit(years, values, 1)
        return a + b * ahead
    if method == "logistic":
        if share:
            p = np.clip(values / 100.0, 1e-9, 1 - 1e-9)
            b, a = np.polyfit(years, np.log(p / (1 - p)), 1)
            return 100.0 / (1.0 + np.exp(-(a + b * ahead)))
        b, a = np.polyfit(years, np.log(values), 1)
        return np.exp(a + b * ahead)
    if method == "damped":
        steps = np.array([sum(DAMPING ** i for i in range(1, int(k) + 1)) for k in h])
        return last + slope * steps
    raise ValueError(f"unknown naive method {method!r}; known: {', '.join(METHODS)}")
