"""``sim.runs``: the one function that runs the model."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from sim.agent_engine import AgentEngineModel
from sim.model import TIMESERIES_COLUMNS, UrbanizationModel
from sim.runs import RunSpec, execute, execute_reporting_errors
from tests.conftest import PROJECT


def test_execute_gives_the_models_own_run(status_quo):
    result = execute(RunSpec(status_quo, seed=3, agents=2_000))
    model = UrbanizationModel(status_quo, seed=3, agents=2_000)
    expected = model.run()
    assert result.timeseries.equals(expected)
    assert list(result.timeseries.columns) == list(TIMESERIES_COLUMNS)
    assert result.persons_per_agent == model.persons_per_agent and result.seed == 3 and result.error is None
    assert result.setup_seconds > 0 and result.run_seconds > 0


def test_agent_engine_and_probe(status_quo):
    result = execute(RunSpec(status_quo, seed=3, agents=1_000, engine="agent"),
                     probe=lambda model: {"engine_class": type(model).__name__})
    assert result.probe == {"engine_class": AgentEngineModel.__name__}
    assert result.timeseries["year"].tolist() == list(status_quo.years)


def test_unknown_engine_is_refused(status_quo):
    with pytest.raises(ValueError, match="engine"):
        RunSpec(status_quo, seed=1, engine="gpu")


def test_errors_come_back_with_the_seed(status_quo):
    import dataclasses

    broken = dataclasses.replace(status_quo, rules={})  # the model needs every class's rule
    result = execute_reporting_errors(RunSpec(broken, seed=42, agents=1_000))
    assert result.seed == 42 and result.timeseries is None and result.error and np.isnan(result.persons_per_agent)


def test_only_sim_runs_builds_models():
    """Every command runs the model through sim.runs.execute (the engines' own modules aside)."""
    builders = {"UrbanizationModel", "AgentEngineModel"}
    offenders = []
    for path in sorted([*(PROJECT / "sim").glob("*.py"), *(PROJECT / "scripts").glob("*.py")]):
        if path.name in ("model.py", "agent_engine.py", "runs.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in builders:
                offenders.append(f"{path.relative_to(PROJECT)}:{node.lineno}")
    assert not offenders, "models built outside sim.runs: " + ", ".join(offenders)
