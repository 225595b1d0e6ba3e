"""The agent engine (decisions agent by agent, Mesa style) against the vector engine.

``AgentEngineModel`` draws its decisions from ``model.rng``, the vector engine
from its per-decision streams, so the two agree in distribution, not draw for
draw: each scenario is run with both engines over the same seeds, and the 2025
means must agree within three standard errors of their difference.
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest

from sim.agent_engine import AgentEngineModel, MigrantAgent
from sim.model import TIMESERIES_COLUMNS, UrbanizationModel
from sim.scenario import load_scenario
from tests.conftest import calibrated_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
AGENTS = 5_000
SEEDS = range(24)
COMPARED = ("resident_urbanization_pct", "hukou_urbanization_pct", "gap_pp", "rural_hukou_in_cities",
            "migrants_in_cities", "settlements_in_year", "migrant_workers_total",
            "migrant_workers_outside_township", "mean_migrant_wage")


@pytest.fixture(scope="module", params=["status_quo", "plan"])
def runs(request):
    """Time series of both engines, one per seed: {engine: [DataFrame, ...]}."""
    scenario = calibrated_scenario(SCENARIOS / f"{request.param}.toml")
    return request.param, {
        engine: [engine(scenario, agents=AGENTS, seed=seed).run() for seed in SEEDS]
        for engine in (UrbanizationModel, AgentEngineModel)
    }


def test_engines_agree_in_2025(runs):
    name, series = runs
    final = {engine: pd.DataFrame([ts.iloc[-1] for ts in runs_]) for engine, runs_ in series.items()}
    vector, agent = final[UrbanizationModel], final[AgentEngineModel]
    assert (vector["year"] == 2025).all() and (agent["year"] == 2025).all()
    failures = []
    for column in COMPARED:
        a, v = agent[column].to_numpy(), vector[column].to_numpy()
        diff = a.mean() - v.mean()
        se = np.sqrt(a.var(ddof=1) / a.size + v.var(ddof=1) / v.size)
        if abs(diff) > 3 * se:
            failures.append(f"{column}: agent {a.mean():.6g}, vector {v.mean():.6g}, "
                            f"difference {diff:.4g} = {diff / se:.2f} SE")
    assert not failures, f"{name}: " + "; ".join(failures)


def test_same_columns_and_identical_2020_row(runs):
    _, series = runs
    vector, agent = series[UrbanizationModel][0], series[AgentEngineModel][0]
    assert list(agent.columns) == list(vector.columns) == list(TIMESERIES_COLUMNS)
    assert list(agent["year"]) == list(vector["year"])
    assert agent.notna().all().all()
    pd.testing.assert_frame_equal(agent.iloc[:1], vector.iloc[:1], check_exact=True)


def test_agents_are_mesa_agents_taking_their_own_steps():
    scenario = load_scenario(SCENARIOS / "status_quo.toml")
    model = AgentEngineModel(scenario, agents=2_000, seed=1)

    def check_agent_set():
        p = model.people
        adults = np.flatnonzero(p.view("alive") & (p.view("age") >= 16))
        assert len(model.agents) == adults.size
        assert sorted(agent.row for agent in model.agents) == adults.tolist()
        for agent in model.agents:
            assert isinstance(agent, MigrantAgent) and isinstance(agent, mesa.Agent)
            assert callable(agent.step)

    check_agent_set()
    before = model.people.location[: model.people.n].copy()
    model.step()
    check_agent_set()  # the dead have left the agent set, the new adults joined it
    assert (model.people.location[: before.size] != before).any()
    # reproducible from the seed (model.rng drives the agents' decisions)
    again = AgentEngineModel(scenario, agents=2_000, seed=1)
    again.step()
    pd.testing.assert_frame_equal(model.timeseries(), again.timeseries())
