"""Calibration targets and windows: what is fitted, measured as the model measures it."""

from __future__ import annotations

import pytest

from sim import targets
from sim.targets import DEFAULT_WINDOW, Window, moments_for, observed, series_losses


def test_no_target_after_2020_and_hukou_only_on_its_current_basis():
    obs = observed(2010, 2020)
    assert obs["year"].max() == 2020
    hukou = obs[obs["target"] == "hukou_urbanization_pct"]
    assert hukou["year"].min() == targets.HUKOU_MEASURED_FROM  # 2012-2014 figures are on the earlier basis


def test_the_settlement_record_enters_only_windows_it_covers():
    early = Window(DEFAULT_WINDOW.history, (2011, 2012, 2013, 2014, 2015))
    assert {m[0] for m in moments_for(early)} == {"return_rate", "reclassification_share"}
    assert {m[0] for m in moments_for(DEFAULT_WINDOW)} == {m[0] for m in targets.MOMENTS}


def test_a_window_scores_only_its_own_years():
    """One scale unit of error in a year outside the window costs nothing; inside, one unit each."""
    obs = observed(2015, 2020)
    table = obs.pivot(index="year", columns="target", values="observed").reset_index()
    window = Window(DEFAULT_WINDOW.history, (2016, 2017))
    assert series_losses(table, window)["resident_urbanization_pct"] == pytest.approx(0.0)
    shifted = table.copy()
    shifted.loc[shifted["year"] >= 2018, "resident_urbanization_pct"] += 1.0
    assert series_losses(shifted, window)["resident_urbanization_pct"] == pytest.approx(0.0)
    shifted.loc[shifted["year"] == 2017, "resident_urbanization_pct"] += 0.1
    assert series_losses(shifted, window)["resident_urbanization_pct"] == pytest.approx(1.0)
    assert window.base_year == 2015
