"""One run of the model: what to run (``RunSpec``) and the one function that runs it (``execute``).

Every command runs the model through ``execute``: ``run`` and ``reproduce``
(replications), ``compare`` and ``attribute`` (grids of scenarios and seeds),
``calibrate`` (the history scenario with trial parameters), ``sensitivity``,
``bench`` and ``scripts/refresh_baseline.py``; the dashboard, which steps its
models year by year, builds them with ``build``. The parameters live in the
scenario: a caller that wants calibrated parameters applies them to the
scenario first (``sim.calibration.apply_calibration``).
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from sim.model import UrbanizationModel
from sim.scenario import Scenario

ENGINES = ("vector", "agent")


@dataclass(frozen=True)
class RunSpec:
    """A run: the scenario (with its parameters), the seed, the agents and the engine.

    ``agents`` None means the scenario's own number. ``breakdown``: collect the
    outputs by place, cause and flow (``sim.breakdown``; about a tenth of the
    time of a year at 100,000 agents), for runs that report them.
    """

    scenario: Scenario
    seed: int
    agents: int | None = None
    engine: str = "vector"
    breakdown: bool = True

    def __post_init__(self):
        if self.engine not in ENGINES:
            raise ValueError(f"engine: expected one of {', '.join(ENGINES)}, got {self.engine!r}")


@dataclass
class RunResult:
    """The time series of a run (None if it failed), its breakdown and the persons each agent stands for."""

    seed: int
    timeseries: pd.DataFrame | None
    persons_per_agent: float
    error: str | None = None
    setup_seconds: float = 0.0
    run_seconds: float = 0.0
    probe: dict = field(default_factory=dict)
    breakdown: pd.DataFrame | None = None  # by place, cause and flow (``sim.breakdown``), every year


def model_class(engine: str):
    """The model class of an engine: the vector engine or the per-agent one."""
    if engine == "agent":
        from sim.agent_engine import AgentEngineModel

        return AgentEngineModel
    return UrbanizationModel


def build(spec: RunSpec):
    """The model of ``spec`` at its start year, not yet run."""
    return model_class(spec.engine)(spec.scenario, seed=spec.seed, agents=spec.agents, by_place=spec.breakdown)


def execute(spec: RunSpec, probe: Callable[[object], dict] | None = None) -> RunResult:
    """Build the model of ``spec``, run it to the scenario's end year and return its result.

    ``probe(model)``, if given, is called on the finished model; what it
    returns is kept in ``RunResult.probe`` (the benchmark's memory figures).
    """
    started = time.perf_counter()
    model = build(spec)
    built = time.perf_counter()
    timeseries = model.run()
    finished = time.perf_counter()
    return RunResult(seed=spec.seed, timeseries=timeseries, persons_per_agent=model.persons_per_agent,
                     setup_seconds=built - started, run_seconds=finished - built,
                     probe=probe(model) if probe else {}, breakdown=model.breakdown())


def execute_reporting_errors(spec: RunSpec) -> RunResult:
    """``execute``, with an exception returned as ``RunResult.error`` (the caller names the seed)."""
    try:
        return execute(spec)
    except Exception as err:  # noqa: BLE001 - reported with the seed by the caller
        detail = "".join(traceback.format_exception_only(type(err), err)).strip()
        return RunResult(seed=spec.seed, timeseries=None, persons_per_agent=float("nan"), error=detail)
