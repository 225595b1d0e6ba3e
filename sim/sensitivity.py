"""Global sensitivity analysis of the 2025 rates to the behavioural parameters (SALib, Morris).

Morris elementary effects: ``samples`` trajectories, each moving one
parameter at a time through a 4-level grid of its range, (k + 1) runs per
trajectory. Every run uses the same seed (common random numbers), so the
elementary effects measure the parameters, not chance. The index mu* (mean
absolute elementary effect, in points of the output per full range of the
parameter) ranks the parameters; sigma measures interactions and
non-linearity. Morris rather than Sobol: Sobol needs (2k + 2) N runs with N in
the hundreds, Morris ranks k = 18 parameters with a few hundred runs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.ensemble import RATE_COLUMNS
from sim.executor import map_jobs
from sim.runs import RunSpec, execute
from sim.scenario import Scenario

# parameter -> (low, high, why this range); documented in docs/ODD.md
RANGES = {
    "wage_coef": (1.4, 2.2, "around the 1.82 of Gu et al. 2022, about its uncertainty across specifications"),
    "income_distance_elasticity": (1.2, 1.8, "1.5 of Zhang & Zhao 2013 +-20 %"),
    "network_coef": (2.7, 3.7, "the range of Liu, Zhuo & Wang 2020"),
    "same_region_coef": (0.2, 0.5, "0.34-0.38 for same province (Liu et al. 2020), widened for regions"),
    "nest_coef": (0.51, 0.62, "the range of Liu, Zhuo & Wang 2020"),
    "services_coef": (0.5, 1.5, "assumed 1.0 +-50 %"),
    "schooling_coef": (0.5, 1.5, "assumed 1.0 +-50 %"),
    "settle_prospect_coef": (0.25, 0.75, "assumed 0.5 +-50 %"),
    "settle_land_coef": (-1.5, -0.5, "assumed -1.0 +-50 %, within the survey evidence"),
    "settle_service_gain_coef": (0.75, 2.25, "assumed 1.5 +-50 %"),
    "settle_children_coef": (0.35, 1.05, "assumed 0.7 +-50 %"),
    "return_age_coef": (0.25, 0.65, "assumed 0.45 +-45 %"),
    "return_unemployed_coef": (0.75, 2.25, "assumed 1.5 +-50 %"),
    "children_follow_max": (0.7, 1.0, "assumed 0.9, up to always"),
    "wage_tightness_elasticity": (0.15, 0.45, "assumed 0.3 +-50 %"),
    "housing_cost_size_elasticity": (0.2, 0.5, "assumed 0.35 +-43 %"),
    "city_size_amenity_coef": (0.0, 0.3, "assumed 0.15 +-100 %"),
}
OUTPUTS = RATE_COLUMNS
YEAR = 2025


def problem() -> dict:
    names = list(RANGES)
    return {"num_vars": len(names), "names": names, "bounds": [[lo, hi] for lo, hi, _ in RANGES.values()]}


def design_specs(scenario: Scenario, design: np.ndarray, seed: int, agents: int) -> list[RunSpec]:
    """One run per row of the Morris design: the scenario with that row's parameter values, one seed."""
    names = list(RANGES)
    return [RunSpec(dataclasses.replace(scenario, parameters=scenario.parameters.with_overrides(
        dict(zip(names, map(float, row))))), seed, agents, breakdown=False) for row in design]


def _outputs(spec: RunSpec) -> np.ndarray:
    ts = execute(spec).timeseries
    row = ts[ts["year"] == YEAR].iloc[0]
    return np.array([row[c] for c in OUTPUTS])


@dataclass
class SensitivityResult:
    indices: pd.DataFrame  # output, parameter, mu_star, mu_star_conf, sigma
    samples: np.ndarray
    outputs: np.ndarray


def morris(scenario: Scenario, samples: int = 10, seed: int = 1, agents: int = 30_000, workers: int | None = None,
           scheduler: str | None = None) -> SensitivityResult:
    """Morris screening of ``RANGES`` on ``scenario``'s rates in 2025 (its other parameters as they are)."""
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sample

    if not scenario.start_year < YEAR <= scenario.end_year:
        raise ValueError(f"{scenario.name}: the run must include {YEAR}")
    spec = problem()
    x = sample.sample(spec, N=samples, num_levels=4, seed=seed)
    y = np.array(map_jobs(_outputs, design_specs(scenario, x, seed, agents), workers, scheduler=scheduler,
                          progress="sensitivity"))
    rows = []
    for j, output in enumerate(OUTPUTS):
        res = analyze.analyze(spec, x, y[:, j], num_levels=4, seed=seed, print_to_console=False)
        for i, name in enumerate(spec["names"]):
            rows.append({"output": output, "parameter": name, "mu_star": float(res["mu_star"][i]),
                         "mu_star_conf": float(res["mu_star_conf"][i]), "sigma": float(res["sigma"][i]),
                         "mu": float(res["mu"][i])})
    return SensitivityResult(pd.DataFrame(rows), x, y)


def summary_markdown(result: SensitivityResult, scenario_name: str, samples: int, agents: int,
                     calibrated: bool = True) -> str:
    """summary.md; ``calibrated``: whether the scenario had the calibration's best fit applied."""
    lines = [f"# Sensitivity of the {YEAR} rates ({scenario_name}), Morris method", "",
             f"{samples} trajectories x {len(RANGES) + 1} runs at {agents:,} agents, one seed (common random "
             f"numbers); calibrated intercepts fixed at "
             f"{'the calibration best fit' if calibrated else 'their defaults'}. mu*: mean absolute "
             "elementary effect, points of the output per full range of the parameter.", ""]
    for output in OUTPUTS:
        table = result.indices[result.indices["output"] == output].sort_values("mu_star", ascending=False)
        lines += [f"## {output}", "", "| parameter | mu* | 95 % conf. | sigma |", "|---|---|---|---|"]
        for row in table.itertuples():
            lines.append(f"| {row.parameter} | {row.mu_star:.3f} | {row.mu_star_conf:.3f} | {row.sigma:.3f} |")
        lines.append("")
    return "\n".join(lines)
