"""Replications: several seeds of one scenario, run in parallel and summarized.

Replication ``r`` of a run with seed ``s`` uses the ``r``-th seed drawn from
``numpy.random.SeedSequence(s)``, whatever the scenario: two scenarios run with
the same seed and replications share their random numbers (common random
numbers), so their differences are paired.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.model import TIMESERIES_COLUMNS, UrbanizationModel
from sim.parallel import map_jobs
from sim.scenario import Scenario

RATE_COLUMNS = ("resident_urbanization_pct", "hukou_urbanization_pct", "gap_pp")
BAND = (10, 90)


def replication_seeds(seed: int, replications: int) -> list[int]:
    """The seeds of the replications of a run with ``seed``."""
    if replications == 1:
        return [int(seed)]
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(replications)]


@dataclass
class RunResult:
    seed: int
    timeseries: pd.DataFrame
    persons_per_agent: float


def run_one(scenario: Scenario, seed: int, agents: int | None = None) -> RunResult:
    """Run one replication to the scenario's end year."""
    model = UrbanizationModel(scenario, seed=seed, agents=agents)
    return RunResult(seed=seed, timeseries=model.run(), persons_per_agent=model.persons_per_agent)


def _run_one_args(args) -> RunResult:
    return run_one(*args)


def run_replications(scenario: Scenario, seeds: list[int], agents: int | None = None,
                     workers: int | None = None) -> list[RunResult]:
    """Run every seed; in a process pool when there is more than one."""
    return map_jobs(_run_one_args, [(scenario, s, agents) for s in seeds], workers)


def summarize(results: list[RunResult]) -> pd.DataFrame:
    """One row per year: the single run, or medians with p10/p90 of the rates."""
    if len(results) == 1:
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
