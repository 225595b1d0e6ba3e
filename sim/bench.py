"""Benchmarks, measured side by side in one run (``python run_sim.py bench``).

1. engines: the vector and the agent engine on the plan at 100,000 agents:
   seconds per simulated year (steps only; set-up reported apart) and ratio;
2. scaling: the vector engine at 10,000, 100,000 and 1,000,000 agents: seconds
   per simulated year, peak resident memory of a process doing only that run,
   state bytes per agent;
3. floor: one uniform draw plus one binary search per agent on a 500-column
   cumulative table, at the same sizes; the model's time per agent-year as a
   multiple of it;
4. ensemble: replications per minute with one worker and with all cores.

Nothing here asserts a speed: the numbers are printed (and written as JSON)
for people to read and compare across commits on the same machine.
"""

from __future__ import annotations

import os
import platform
import resource
import time
from pathlib import Path

import numpy as np

from sim.executor import _context
from sim.runs import RunSpec, execute
from sim.scenario import Scenario

PLAN = Path(__file__).resolve().parent.parent / "scenarios" / "plan.toml"


def _state_bytes(model) -> dict:
    return {"state_bytes_per_agent": model.people.nbytes() / model.people.n}


def _timed_run(spec: RunSpec) -> dict:
    result = execute(spec, probe=_state_bytes)
    years = spec.scenario.end_year - spec.scenario.start_year
    return {"engine": spec.engine, "agents": spec.agents, "setup_s": result.setup_seconds, "years": years,
            "s_per_year": result.run_seconds / years, **result.probe,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _isolated(spec: RunSpec) -> dict:
    """Run in a fresh process so that its peak memory is its own."""
    with _context().Pool(1) as pool:
        return pool.apply(_timed_run, (spec,))


def floor_seconds(agents: int, repeats: int = 5) -> float:
    """Best time of one uniform draw and one binary search per agent on a 500-column table."""
    rng = np.random.default_rng(0)
    cdf = np.cumsum(rng.random(500))
    cdf /= cdf[-1]
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.searchsorted(cdf, rng.random(agents), side="right")
        best = min(best, time.perf_counter() - t0)
    return best


def _replication(spec: RunSpec) -> None:
    execute(spec)


def _warm_up(scenario: Scenario) -> None:
    """A worker's first run pays the imports and the first-call costs: done before the clock starts."""
    execute(RunSpec(scenario, 0, 1_000))


def _pid(_) -> int:
    time.sleep(0.05)  # long enough that every idle worker takes one
    return os.getpid()


def ensemble_rate(scenario: Scenario, workers: int, replications: int) -> float:
    """Replications per minute of ``scenario`` at 50,000 agents on ``workers`` warm worker processes.

    Both legs (one worker, all cores) run on a process pool whose workers have
    already imported the model and run it once, so the ratio between them is
    the parallel speed-up, not the cost of starting Python.
    """
    specs = [RunSpec(scenario, seed, 50_000) for seed in range(replications)]
    with _context().Pool(workers, initializer=_warm_up, initargs=(scenario,)) as pool:
        for _ in range(50):  # wait until every worker has finished its warm-up
            if len(set(pool.map(_pid, range(4 * workers), chunksize=1))) == workers:
                break
        t0 = time.perf_counter()
        pool.map(_replication, specs, chunksize=1)
        return replications / (time.perf_counter() - t0) * 60


def run_bench(scenario: Scenario, sizes=(10_000, 100_000, 1_000_000), engine_agents: int = 100_000,
              seed: int = 1) -> dict:
    """Every figure, measured on ``scenario`` (the plan, with the calibration the caller applied)."""
    results = {"machine": {"python": platform.python_version(), "processor": platform.processor() or platform.machine(),
                           "cores": os.cpu_count(), "system": platform.system()},
               "scenario": Path(scenario.path).name}
    vector = _isolated(RunSpec(scenario, seed, engine_agents, "vector"))
    agent = _isolated(RunSpec(scenario, seed, engine_agents, "agent"))
    results["engines"] = {"agents": engine_agents, "vector": vector, "agent": agent,
                          "agent_over_vector": agent["s_per_year"] / vector["s_per_year"]}
    scaling = []
    for n in sizes:
        run = _isolated(RunSpec(scenario, seed, n, "vector"))
        floor = floor_seconds(n)
        run["floor_s"] = floor
        run["per_agent_year_ns"] = run["s_per_year"] / n * 1e9
        run["multiple_of_floor"] = run["s_per_year"] / floor
        scaling.append(run)
    results["scaling"] = scaling
    cores = os.cpu_count() or 1
    reps = 2 * cores
    results["ensemble"] = {"replications": reps, "agents": 50_000,
                           "per_minute_1_worker": ensemble_rate(scenario, 1, reps),
                           f"per_minute_{cores}_workers": ensemble_rate(scenario, cores, reps)}
    return results


def report(results: dict) -> str:
    e = results["engines"]
    lines = [f"machine: {results['machine']}",
             f"engines on {results['scenario']} at {e['agents']:,} agents (seconds per simulated year, steps only):",
             f"  vector {e['vector']['s_per_year']:.4f}   agent {e['agent']['s_per_year']:.4f}   "
             f"agent/vector {e['agent_over_vector']:.1f}x   (set-up: vector {e['vector']['setup_s']:.2f} s, "
             f"agent {e['agent']['setup_s']:.2f} s)",
             "vector engine scaling:",
             "  agents      s/year   ns/agent-year  floor s   x floor   peak RSS MB  state B/agent"]
    for r in results["scaling"]:
        lines.append(f"  {r['agents']:>9,}  {r['s_per_year']:8.4f}  {r['per_agent_year_ns']:12.0f}  "
                     f"{r['floor_s']:8.5f}  {r['multiple_of_floor']:7.1f}  {r['peak_rss_mb']:11.0f}  "
                     f"{r['state_bytes_per_agent']:13.0f}")
    ens = results["ensemble"]
    rates = ", ".join(f"{k.replace('per_minute_', '').replace('_', ' ')}: {v:.1f}/min"
                      for k, v in ens.items() if k.startswith("per_minute"))
    lines.append(f"ensemble ({ens['replications']} replications of the plan at {ens['agents']:,} agents): {rates}")
    return "\n".join(lines)
