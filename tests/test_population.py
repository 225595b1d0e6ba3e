import numpy as np
import pytest

from sim import datasets
from sim.population import apportion, education_draw, gap_by_age, ipf, rural_age_tilt
from sim.state import ORIGIN, RURAL


def test_apportion_exact_total_and_close_to_expected():
    expected = np.array([0.3, 10.2, 5.5, 0.0, 84.0])
    counts = apportion(expected, 1000)
    assert counts.sum() == 1000
    assert np.all(np.abs(counts - expected / expected.sum() * 1000) <= 1)


def test_ipf_matches_margins():
    rng = np.random.default_rng(0)
    seed = rng.random((4, 9)) + 0.01
    rows = np.array([10.0, 20.0, 30.0, 40.0])
    cols = rng.random(9)
    cols *= rows.sum() / cols.sum()
    table = ipf(seed, rows, cols)
    assert np.allclose(table.sum(axis=1), rows, rtol=1e-6)
    assert np.allclose(table.sum(axis=0), cols, rtol=1e-6)


def test_rural_tilt_hits_published_shares():
    by_age = datasets.census_age_2020()
    rural = rural_age_tilt(by_age, 509.9e6, 0.2381, 0.1772)
    assert rural.sum() == pytest.approx(509.9e6)
    assert rural[60:].sum() / rural.sum() == pytest.approx(0.2381)
    assert rural[65:].sum() / rural.sum() == pytest.approx(0.1772)
    assert np.all(rural <= by_age)


def test_gap_profile_concentrates_in_working_ages():
    urban = np.full(101, 1e6)
    gap = gap_by_age(urban, 30e6)
    assert gap.sum() == pytest.approx(30e6)
    assert gap[30] > gap[10] > gap[70]


def test_education_younger_cohorts_more_schooled():
    u = np.random.default_rng(1).random(200_000)
    young = education_draw(np.full(200_000, 20), u)
    old = education_draw(np.full(200_000, 60), u)
    assert young.mean() > old.mean() + 0.5
    assert set(np.unique(young)) <= {0, 1, 2, 3}


def test_initial_state_reproduces_2020(fresh_model):
    row = fresh_model.records[0]
    assert row["year"] == 2020
    assert abs(row["resident_urbanization_pct"] - 63.89) < 0.1
    assert abs(row["hukou_urbanization_pct"] - 45.4) < 0.1
    assert row["total_population"] == pytest.approx(1412.12e6, rel=1e-6)
    # migrant-worker stocks (NBS 2020), within sampling of 20,000 agents
    assert row["migrants_in_cities"] == pytest.approx(131.01e6, rel=0.03)
    assert row["migrant_workers_total"] == pytest.approx(285.60e6, rel=0.03)
    assert row["migrant_workers_outside_township"] == pytest.approx(169.59e6, rel=0.03)


def test_initial_agents_consistent(fresh_model):
    p = fresh_model.people
    alive = p.view("alive")
    assert alive.all()
    assert (p.view("hukou") == RURAL).all()
    kids = p.view("age") < 16
    assert (p.view("parent")[kids] >= 0).all()
    # a child in town lives with its parent
    in_town_kids = kids & (p.view("location") != ORIGIN)
    parents = p.view("parent")[in_town_kids]
    assert np.all(p.view("location")[parents] == p.view("location")[in_town_kids])
    assert np.all(p.view("age")[p.view("parent")[kids]] >= 22)
    # older rural population than urban: agents at origin are older on average
    at_origin = p.view("location") == ORIGIN
    assert p.view("age")[at_origin].mean() > p.view("age")[~at_origin].mean()
