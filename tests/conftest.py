"""Shared fixtures: small models of the shipped scenarios, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.calibration import apply_calibration, load_calibration
from sim.model import UrbanizationModel
from sim.scenario import load_scenario

PROJECT = Path(__file__).resolve().parent.parent
SCENARIOS = PROJECT / "scenarios"
SMALL_AGENTS = 20_000


def calibrated_scenario(path):
    """A scenario file with the committed calibration's best fit applied, as the command line runs it."""
    return apply_calibration(load_scenario(path), load_calibration())


@pytest.fixture(scope="session")
def status_quo():
    return calibrated_scenario(SCENARIOS / "status_quo.toml")


@pytest.fixture(scope="session")
def plan():
    return calibrated_scenario(SCENARIOS / "plan.toml")


@pytest.fixture(scope="session")
def small_run(status_quo):
    """A status-quo model at 20,000 agents run to 2025, and its time series."""
    model = UrbanizationModel(status_quo, agents=SMALL_AGENTS, seed=7)
    return model, model.run()


@pytest.fixture
def fresh_model(status_quo):
    return UrbanizationModel(status_quo, agents=SMALL_AGENTS, seed=11)
