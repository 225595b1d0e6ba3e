"""The naive forecasts: each recovers the trend it assumes, exactly."""

from __future__ import annotations

import numpy as np
import pytest

from sim import naive

YEARS = np.array([2015, 2016, 2017])
AHEAD = np.array([2018, 2019, 2020])


def test_drift_and_linear_continue_a_straight_line():
    values = 50.0 + 1.2 * (YEARS - 2015)
    expected = 50.0 + 1.2 * (AHEAD - 2015)
    for method in ("drift", "linear"):
        np.testing.assert_allclose(naive.forecast(method, YEARS, values, AHEAD, share=True), expected)


def test_logistic_continues_a_logistic_share_and_an_exponential_count():
    logit = -0.2 + 0.05 * (YEARS - 2015)
    share = 100 / (1 + np.exp(-logit))
    expected = 100 / (1 + np.exp(-(-0.2 + 0.05 * (AHEAD - 2015))))
    np.testing.assert_allclose(naive.forecast("logistic", YEARS, share, AHEAD, share=True), expected)
    counts = 2e8 * 1.02 ** (YEARS - 2015)
    np.testing.assert_allclose(naive.forecast("logistic", YEARS, counts, AHEAD, share=False),
                               2e8 * 1.02 ** (AHEAD - 2015))


def test_damped_trend_adds_a_shrinking_share_of_the_slope():
    """Slope 1 a year, damping 0.8: +0.8, +0.8+0.64, +0.8+0.64+0.512 after the last value."""
    values = np.array([10.0, 11.0, 12.0])
    got = naive.forecast("damped", YEARS, values, AHEAD, share=False)
    np.testing.assert_allclose(got, [12.8, 13.44, 13.952])


def test_one_point_is_not_a_trend_and_unknown_methods_are_refused():
    assert np.isnan(naive.forecast("linear", YEARS[:1], np.array([1.0]), AHEAD, share=False)).all()
    with pytest.raises(ValueError, match="unknown naive method"):
        naive.forecast("arima", YEARS, np.ones(3), AHEAD, share=False)
