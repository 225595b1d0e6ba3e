"""The agent engine (decisions agent by agent, Mesa style) against the vector engine.

Both engines run the same stages; only the decision between selecting the
candidates and applying the outcomes differs: an array of probabilities
against the rows' uniforms, or each Mesa agent's own probability against the
same uniform at its row. For the same seed they must therefore agree exactly,
year by year and column by column.
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest

from sim.agent_engine import AgentEngineModel, MigrantAgent
from sim.model import TIMESERIES_COLUMNS, UrbanizationModel
from tests.conftest import calibrated_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@pytest.mark.parametrize("name", ["status_quo", "plan_accelerated", "history_2015"])
def test_engines_agree_draw_for_draw(name):
    scenario = calibrated_scenario(SCENARIOS / f"{name}.toml")
    for seed in (1, 2):
        vector_model = UrbanizationModel(scenario, agents=3_000, seed=seed)
        agent_model = AgentEngineModel(scenario, agents=3_000, seed=seed)
        vector, agent = vector_model.run(), agent_model.run()
        assert list(agent.columns) == list(vector.columns) == list(TIMESERIES_COLUMNS)
        pd.testing.assert_frame_equal(agent, vector, check_exact=True)
        # and by place, cause and flow (sim/breakdown.py)
        pd.testing.assert_frame_equal(agent_model.breakdown(), vector_model.breakdown(), check_exact=True)
        assert vector["settlements_in_year"].iloc[1:].gt(0).all()  # the decisions did happen


def test_every_agent_decision_has_a_probability():
    """Each stream the stages decide on is answered by the agent (a typo would raise)."""
    scenario = calibrated_scenario(SCENARIOS / "plan_accelerated.toml")
    model = AgentEngineModel(scenario, agents=2_000, seed=4)
    asked = set()
    chance = MigrantAgent.chance

    def spy(self, decision):
        asked.add(decision)
        return chance(self, decision)

    MigrantAgent.chance = spy
    try:
        model.step()
    finally:
        MigrantAgent.chance = chance
    assert asked == {"nonfarm_exit", "offfarm", "employment", "return", "return_place", "college", "leave",
                     "relocate", "children", "reunion", "land_exit", "settle"}


def test_agents_are_mesa_agents_one_per_living_adult():
    scenario = calibrated_scenario(SCENARIOS / "status_quo.toml")
    model = AgentEngineModel(scenario, agents=2_000, seed=1)

    def check_agent_set():
        p = model.people
        adults = np.flatnonzero(p.view("alive") & (p.view("age") >= 16))
        assert len(model.agents) == adults.size
        assert sorted(agent.row for agent in model.agents) == adults.tolist()
        assert all(isinstance(agent, MigrantAgent) and isinstance(agent, mesa.Agent) for agent in model.agents)

    check_agent_set()
    before = model.people.location[: model.people.n].copy()
    model.step()
    check_agent_set()  # the dead have left the agent set, the new adults joined it
    assert (model.people.location[: before.size] != before).any()
