"""Replications: several seeds of one scenario, run in parallel and summarized.

A single run uses the scenario's seed itself. Replication ``r`` of a run with
``R > 1`` replications and seed ``s`` uses the ``r``-th seed drawn from
``numpy.random.SeedSequence(s)``, whatever the scenario: two scenarios run with
the same seed and replications share their random numbers (common random
numbers), so their differences are paired.
"""

from __future__ import annotations

import dataclasses
import traceback
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calibration import load_calibration
from sim.model import TIMESERIES_COLUMNS, UrbanizationModel
from sim.executor import map_jobs
from sim.scenario import Scenario

RATE_COLUMNS = ("resident_urbanization_pct", "hukou_urbanization_pct", "gap_pp")
BAND = (10, 90)


class ReplicationError(RuntimeError):
    """A replication raised; the message names its seed."""


def replication_seeds(seed: int, replications: int) -> list[int]:
    """The seeds of the replications of a run with ``seed``."""
    if replications == 1:
        return [int(seed)]
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(replications)]


@dataclass
class RunResult:
    seed: int
    timeseries: pd.DataFrame | None
    persons_per_agent: float
    error: str | None = None


def with_drawn_parameters(scenario: Scenario, seed: int, calibration=None) -> Scenario:
    """The scenario with the calibrated parameters of the accepted vector drawn for ``seed``.

    Parameters the scenario file sets itself are kept. The draw depends only on
    the seed, so scenarios compared with the same seeds share their parameters.
    """
    calibration = calibration or load_calibration()
    if calibration is None:
        return scenario
    drawn = {k: v for k, v in calibration.draw(seed).items() if k not in scenario.parameter_overrides}
    return dataclasses.replace(scenario, parameters=scenario.parameters.with_overrides(drawn))


def replication_scenarios(scenario: Scenario, seeds: list[int], draw_parameters: bool) -> list[Scenario]:
    """The scenario each replication runs: with drawn parameters, or as it is.

    Drawn here, in the parent process, from one reading of the calibration file,
    so that every replication of a run uses the same file.
    """
    if not draw_parameters:
        return [scenario] * len(seeds)
    calibration = load_calibration()
    return [with_drawn_parameters(scenario, seed, calibration) for seed in seeds]


def run_one(scenario: Scenario, seed: int, agents: int | None = None, engine: str = "vector") -> RunResult:
    """Run one replication to the scenario's end year with the vector or the agent engine."""
    if engine == "agent":
        from sim.agent_engine import AgentEngineModel as model_class
    else:
        model_class = UrbanizationModel
    model = model_class(scenario, seed=seed, agents=agents)
    return RunResult(seed=seed, timeseries=model.run(), persons_per_agent=model.persons_per_agent)


def _run_one_args(args) -> RunResult:
    scenario, seed, agents, engine = args
    try:
        return run_one(scenario, seed, agents, engine)
    except Exception as err:  # noqa: BLE001 - reported with the seed by the caller
        detail = "".join(traceback.format_exception_only(type(err), err)).strip()
        return RunResult(seed=seed, timeseries=None, persons_per_agent=float("nan"), error=detail)


def run_replications(scenario: Scenario, seeds: list[int], agents: int | None = None,
                     workers: int | None = None, keep_going: bool = False, engine: str = "vector",
                     scheduler: str | None = None, draw_parameters: bool = False,
                     scenarios: list[Scenario] | None = None) -> list[RunResult]:
    """Run every seed; in a process pool when there is more than one.

    A replication that raises stops the run with ``ReplicationError`` naming
    its seed, unless ``keep_going``: then the failed ones come back with
    ``error`` set and no time series. ``scenarios`` (one per seed) overrides
    the per-replication scenarios, e.g. to rerun recorded parameters.
    """
    failed: list[RunResult] = []

    def check(_, result: RunResult) -> None:
        if result.error is not None:
            failed.append(result)
            if not keep_going:
                raise ReplicationError(f"replication with seed {result.seed} failed: {result.error}")

    scenarios = scenarios or replication_scenarios(scenario, seeds, draw_parameters)
    jobs = [(sc, s, agents, engine) for sc, s in zip(scenarios, seeds)]
    return map_jobs(_run_one_args, jobs, workers, on_result=check,
                    scheduler=scheduler, progress=f"{scenario.name}: replications")


def summarize(results: list[RunResult]) -> pd.DataFrame:
    """One row per year: the single run, or medians with p10/p90 of the rates."""
    banded = len(results) > 1
    results = [r for r in results if r.timeseries is not None]
    if not results:
        raise ReplicationError("every replication failed")
    if not banded:
        return results[0].timeseries.copy()
    stacked = np.stack([r.timeseries[list(TIMESERIES_COLUMNS)].to_numpy(float) for r in results])
    median = np.median(stacked, axis=0)
    out = pd.DataFrame(median, columns=list(TIMESERIES_COLUMNS))
    out["year"] = results[0].timeseries["year"].to_numpy()
    for col in RATE_COLUMNS:
        j = TIMESERIES_COLUMNS.index(col)
        lo, hi = np.percentile(stacked[:, :, j], BAND, axis=0)
        out[f"{col}_p10"] = lo
        out[f"{col}_p90"] = hi
    return out
