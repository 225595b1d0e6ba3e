"""Replications: several seeds of one scenario, run in parallel and summarized.

A single run uses the scenario's seed itself. Replication ``r`` of a run with
``R > 1`` replications and seed ``s`` uses the ``r``-th seed drawn from
``numpy.random.SeedSequence(s)``, whatever the scenario: two scenarios run with
the same seed and replications share their random numbers (common random
numbers), so their differences are paired.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration import Calibration, with_drawn_parameters
from sim.executor import WorkerLost, map_jobs
from sim.model import TIMESERIES_COLUMNS
from sim.runs import RunResult, RunSpec, execute_reporting_errors
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


def replication_scenarios(scenario: Scenario, seeds: list[int], calibration: Calibration | None) -> list[Scenario]:
    """The scenario each replication runs: with the parameters drawn from ``calibration`` for its seed,
    or (``calibration`` None) the scenario as it is."""
    if calibration is None:
        return [scenario] * len(seeds)
    return [with_drawn_parameters(scenario, seed, calibration) for seed in seeds]


def replication_specs(scenario: Scenario, seeds: list[int], agents: int | None = None, engine: str = "vector",
                      calibration: Calibration | None = None) -> list[RunSpec]:
    """One run per seed; ``calibration`` given, each draws its calibrated parameters from the accepted set."""
    return [RunSpec(sc, seed, agents, engine) for sc, seed in zip(replication_scenarios(scenario, seeds, calibration),
                                                                   seeds)]


def run_replications(specs: list[RunSpec], workers: int | None = None, keep_going: bool = False,
                     scheduler: str | None = None) -> list[RunResult]:
    """Run every spec; in a process pool (or on Dask) when there is more than one.

    A replication that raises stops the run with ``ReplicationError`` naming
    its seed, unless ``keep_going``: then the failed ones come back with
    ``error`` set and no time series. Replications lost with a worker process
    that died are named the same way; with ``keep_going`` they are run once
    more on a new pool, and those lost again come back failed.
    """

    def check(_, result: RunResult) -> None:
        if result.error is not None and not keep_going:
            raise ReplicationError(f"replication with seed {result.seed} failed: {result.error}")

    def lost(i: int, err: BaseException) -> RunResult:  # its worker died on the first try and on the retry
        return RunResult(seed=specs[i].seed, timeseries=None, persons_per_agent=float("nan"),
                         error=f"its worker process died, twice ({type(err).__name__})")

    label = f"{specs[0].scenario.name}: replications" if specs else None
    try:
        return map_jobs(execute_reporting_errors, specs, workers, on_result=check, scheduler=scheduler,
                        progress=label, on_lost=lost if keep_going else None)
    except WorkerLost as err:
        seeds = [str(specs[i].seed) for i in err.indices]
        shown = ", ".join(seeds[:8]) + (f" and {len(seeds) - 8} more" if len(seeds) > 8 else "")
        raise ReplicationError(f"a worker process died (killed, or out of memory?) with the replications of "
                               f"seed(s) {shown} unfinished; --keep-going retries them once") from None


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
    from sim import model_error  # the replications' bands widened by the hindcast error of each horizon

    return model_error.add_bands(out)
