"""urbanization-sim: China's urbanization and hukou reform, agent by agent (Mesa).

The Python interface (``docs/python_api.md``)::

    import sim
    plan = sim.load_scenario("scenarios/plan.toml")
    plan = sim.with_overrides(plan, {"parameters.settle_land_coef": -0.5})
    runs = sim.run(plan, replications=4, agents=20_000)   # one row per replication and year
    sim.bands(runs)                                       # median, p10, p90 per year

Names are imported on first use, so ``import sim`` costs nothing until one is used.
"""

from __future__ import annotations

import importlib

# name -> module that defines it
_EXPORTS = {
    "load_scenario": "sim.scenario", "Scenario": "sim.scenario", "ScenarioError": "sim.scenario",
    "scenario_from_dict": "sim.api", "with_overrides": "sim.api", "run": "sim.api", "bands": "sim.api",
    "gap_breakdown": "sim.api",
    "compare_scenarios": "sim.api", "differences": "sim.api", "attribute": "sim.api", "build_model": "sim.api",
    "UrbanizationModel": "sim.model", "MigrantWorker": "sim.agents",
    "load_calibration": "sim.calibration", "CalibrationError": "sim.calibration",
    "log_to_stderr": "sim.progress",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
