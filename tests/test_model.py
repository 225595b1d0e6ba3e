import mesa
import numpy as np
import pandas as pd
import pytest

from sim.agents import MigrantWorker
from sim.model import TIMESERIES_COLUMNS, UrbanizationModel
from sim.state import ORIGIN, RURAL


def test_timeseries_contract(small_run):
    _, ts = small_run
    assert list(ts["year"]) == list(range(2020, 2026))
    assert list(ts.columns) == list(TIMESERIES_COLUMNS)
    assert ts.notna().all().all()


def test_stocks_add_up_every_year(small_run):
    _, ts = small_run
    assert np.allclose(ts["urban_residents"], ts["urban_hukou_population"] + ts["rural_hukou_in_cities"], rtol=1e-9)
    assert np.allclose(ts["gap_pp"], ts["resident_urbanization_pct"] - ts["hukou_urbanization_pct"])
    assert np.allclose(ts["resident_urbanization_pct"], 100 * ts["urban_residents"] / ts["total_population"])
    # closed population: the change is births minus deaths
    change = ts["total_population"].diff().iloc[1:]
    natural = (ts["births"] - ts["deaths"]).iloc[1:]
    assert np.allclose(change, natural, rtol=0, atol=1.0)


def test_deaths_follow_the_published_rate(small_run):
    _, ts = small_run
    # 2021: 7.18 per mille of the population at the start of the year, in expectation. Agent
    # deaths are Bernoulli draws of persons_per_agent persons each: their variance is at most
    # (expected deaths / w) * w**2, so 4 standard errors are at most 4 * sqrt(expected * w).
    model, _ = small_run
    expected = 0.00718 * ts["total_population"].iloc[0]
    assert abs(ts["deaths"].iloc[1] - expected) < 4 * np.sqrt(expected * model.persons_per_agent)
    assert ts["births"].iloc[1] == pytest.approx(10.62e6)


def test_rates_move_as_mechanisms_imply(small_run):
    _, ts = small_run
    assert ts["hukou_urbanization_pct"].is_monotonic_increasing
    assert ts["resident_urbanization_pct"].is_monotonic_increasing
    assert (ts["settlements_in_year"].iloc[1:] > 0).all()
    assert (ts["returns_in_year"].iloc[1:] > 0).all()
    # ageing of the migrant workforce (NBS: mean age rising each year)
    assert ts["mean_age_migrant_workers"].iloc[-1] > ts["mean_age_migrant_workers"].iloc[0]


def test_same_seed_same_numbers(status_quo):
    a = UrbanizationModel(status_quo, agents=5_000, seed=3).run()
    b = UrbanizationModel(status_quo, agents=5_000, seed=3).run()
    c = UrbanizationModel(status_quo, agents=5_000, seed=4).run()
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_common_random_numbers_until_the_plan_starts(status_quo, plan):
    """The plan starts in July 2022: both scenarios agree exactly through 2021, then part."""
    a = UrbanizationModel(status_quo, agents=10_000, seed=5).run()
    b = UrbanizationModel(plan, agents=10_000, seed=5).run()
    pd.testing.assert_frame_equal(a.iloc[:2], b.iloc[:2])
    assert not a.iloc[2].equals(b.iloc[2])
    # paired: the plan's effect is smooth, not swamped by re-drawn noise
    assert abs(b["resident_urbanization_pct"].iloc[2] - a["resident_urbanization_pct"].iloc[2]) < 0.2


def test_mesa_views(small_run):
    model, _ = small_run
    assert isinstance(model, mesa.Model)
    p = model.people
    adults = int((p.view("alive") & (p.view("age") >= 16)).sum())
    assert len(model.agents) == adults
    agent = next(iter(model.agents))
    assert isinstance(agent, MigrantWorker)
    assert p.age[agent.row] == agent.age
    in_city = model.agents.select(lambda a: a.in_city and a.hukou_status == "rural")
    expected = int((p.view("alive") & (p.view("age") >= 16) & (p.view("location") != ORIGIN)
                    & (p.view("hukou") == RURAL)).sum())
    assert len(in_city) == expected
    assert set(model.agents.groupby("region").count()) <= {"East", "Central", "West", "Northeast"}
    assert np.mean(model.agents.get("age")) == pytest.approx(p.view("age")[p.view("alive") & (p.view("age") >= 16)].mean())


def test_children_live_with_parent_or_at_home(small_run):
    """A child lives with its parent, or at home: the village or, once the village
    is reclassified as urban, the county town of its origin region."""
    model, _ = small_run
    p = model.people
    kids = p.view("alive") & (p.view("age") < 16) & (p.view("parent") >= 0)
    kid_loc = p.view("location")[kids]
    parent_loc = p.view("location")[p.view("parent")[kids]]
    home_town = model.county_of_region[p.view("origin")[kids]]
    assert np.all((kid_loc == parent_loc) | (kid_loc == ORIGIN) | (kid_loc == home_town))
    assert (kid_loc == parent_loc).mean() > 0.5


def test_departures_match_leave_probabilities(status_quo):
    """Realized departures equal the summed leave probabilities within 4 standard errors.

    The leave stage is run on a model whose ``decide`` records the candidates
    and their probabilities; departures are the rows whose uniform is below
    their probability, so their number is a sum of Bernoulli draws.
    """
    model = UrbanizationModel(status_quo, agents=40_000, seed=9)
    seen = {}
    decide = model.decide

    def recording(stream, rows, probability):
        chosen = decide(stream, rows, probability)
        if stream == "leave":
            seen["prob"], seen["chosen"] = probability(), chosen
        return chosen

    model.decide = recording
    model.step()
    prob = seen["prob"]
    assert prob.size > 10_000 and 0 < prob.mean() < 0.2
    realized = seen["chosen"].size
    expected, se = prob.sum(), np.sqrt((prob * (1 - prob)).sum())
    assert abs(realized - expected) < 4 * se


def test_datacollector_reports_the_declared_outputs(small_run):
    """Mesa's DataCollector holds the same rows as the time series, one per year, every declared column."""
    model, ts = small_run
    collected = model.datacollector.get_model_vars_dataframe()
    assert list(collected.columns) == list(TIMESERIES_COLUMNS)
    pd.testing.assert_frame_equal(collected.reset_index(drop=True), ts, check_dtype=False)
