"""Shared fixtures: small models of the shipped scenarios, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.model import UrbanizationModel
from sim.scenario import load_scenario

PROJECT = Path(__file__).resolve().parent.parent
SCENARIOS = PROJECT / "scenarios"
SMALL_AGENTS = 20_000


@pytest.fixture(scope="session")
def status_quo():
    return load_scenario(SCENARIOS / "status_quo.toml")


@pytest.fixture(scope="session")
def plan():
    return load_scenario(SCENARIOS / "plan.toml")


@pytest.fixture(scope="session")
def small_run(status_quo):
    """A status-quo model at 20,000 agents run to 2025, and its time series."""
    model = UrbanizationModel(status_quo, agents=SMALL_AGENTS, seed=7)
    return model, model.run()


@pytest.fixture
def fresh_model(status_quo):
    return UrbanizationModel(status_quo, agents=SMALL_AGENTS, seed=11)
