"""Compare scenarios in any year, with paired differences (attribution: ``sim.attribution``).

Every scenario in a comparison runs with the same replication seeds, and each
decision draws from its own seeded stream (``sim.streams``), so differences are
paired: a scenario compared with itself differs by exactly zero, and the noise
in a difference is far smaller than the noise in either scenario. Scenarios
run to their common end year (a year changes nothing in the years before it);
the reported year (``--year``, default that end year) must be one every
scenario reaches. Intervals are 90 % t-intervals of the mean over replications.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.breakdown import GAP_FLOWS, gap_flow_columns
from sim.calibration import Calibration
from sim.ensemble import BAND, RATE_COLUMNS, replication_seeds, replication_specs
from sim.executor import map_jobs
from sim.runs import RunSpec, execute
from sim.scenario import Scenario

CONFIDENCE = 0.90


def _rates(spec: RunSpec) -> np.ndarray:
    """The rates of a run, every year, then its gap flows and gap in persons (all a comparison keeps of it)."""
    timeseries = execute(dataclasses.replace(spec, breakdown=False)).timeseries
    return np.column_stack([timeseries[list(RATE_COLUMNS)].to_numpy(float), gap_flow_columns(timeseries)])


def run_grid(scenarios: list[Scenario], seeds: list[int], agents: int | None, workers: int | None,
             scheduler: str | None = None, calibration: Calibration | None = None,
             with_gap_flows: bool = False) -> np.ndarray:
    """Rates of every (scenario, seed): array (scenario, seed, year, rate column).

    ``calibration`` given, each seed's runs draw their calibrated parameters from its accepted set.
    ``with_gap_flows``: the rate columns are followed by the gap flows and the gap in persons
    (``sim.breakdown.gap_flow_columns``).
    """
    jobs = [spec for s in scenarios for spec in replication_specs(s, seeds, agents, calibration=calibration)]
    results = _run_jobs(jobs, workers, scheduler)
    grid = np.stack(results).reshape(len(scenarios), len(seeds), *results[0].shape)
    return grid if with_gap_flows else grid[..., :len(RATE_COLUMNS)]


def mean_interval(samples: np.ndarray) -> tuple[float, float, float]:
    """Mean and 90 % t-interval over the first axis (NaN bounds for one sample)."""
    samples = np.asarray(samples, float)
    mean = float(samples.mean())
    if samples.size < 2:
        return mean, math.nan, math.nan
    from scipy import stats  # here: a run that does not compare need not import it

    half = stats.t.ppf(0.5 + CONFIDENCE / 2, samples.size - 1) * samples.std(ddof=1) / math.sqrt(samples.size)
    return mean, mean - half, mean + half


@dataclass
class Comparison:
    names: list[str]
    years: np.ndarray
    rates: np.ndarray  # (scenario, seed, year, rate)
    seeds: list[int]
    year: int | None = None  # the reported year (default: the last)
    gap: np.ndarray | None = None  # (scenario, seed, year, gap flows then the gap in persons)

    def table(self) -> pd.DataFrame:
        """Median and p10/p90 per scenario and year (comparison.csv)."""
        rows = []
        for i, name in enumerate(self.names):
            median = np.median(self.rates[i], axis=0)
            lo, hi = np.percentile(self.rates[i], BAND, axis=0)
            for t, year in enumerate(self.years):
                row = {"scenario": name, "year": int(year)}
                for j, col in enumerate(RATE_COLUMNS):
                    row[col] = median[t, j]
                    row[f"{col}_p10"] = lo[t, j]
                    row[f"{col}_p90"] = hi[t, j]
                rows.append(row)
        return pd.DataFrame(rows)

    def replications_table(self) -> pd.DataFrame:
        """Tidy (replications.csv): each scenario, replication, year and rate, and its paired difference from the base."""
        rows = []
        for i, name in enumerate(self.names):
            for r, seed in enumerate(self.seeds):
                for t, year in enumerate(self.years):
                    for j, col in enumerate(RATE_COLUMNS):
                        value = self.rates[i, r, t, j]
                        rows.append({"scenario": name, "replication": r, "seed": seed, "year": int(year),
                                     "quantity": col, "value": value, "base": self.names[0],
                                     "difference_from_base": value - self.rates[0, r, t, j]})
        return pd.DataFrame(rows)

    def differences(self) -> pd.DataFrame:
        """Mean paired difference from the base and its 90 % interval, per scenario, year and rate."""
        rows = []
        for i, name in enumerate(self.names[1:], start=1):
            for t, year in enumerate(self.years):
                for j, col in enumerate(RATE_COLUMNS):
                    mean, lo, hi = mean_interval(self.rates[i, :, t, j] - self.rates[0, :, t, j])
                    rows.append({"scenario": name, "year": int(year), "quantity": col,
                                 "mean": mean, "lo90": lo, "hi90": hi})
        return pd.DataFrame(rows, columns=["scenario", "year", "quantity", "mean", "lo90", "hi90"])

    def report_year(self) -> int:
        return int(self.years[-1]) if self.year is None else self.year

    def waterfalls(self) -> list[tuple[str, float, dict[str, float], float]]:
        """Per scenario, means over replications: the gap in persons at the start, its change by flow from
        then to the reported year, and the gap then (start plus the flows is the end)."""
        t = int(np.flatnonzero(self.years == self.report_year())[0])
        mean = self.gap.mean(axis=1)  # (scenario, year, column): means add up
        return [(name, float(mean[i, 0, -1]),
                 {f.name: float(mean[i, 1:t + 1, k].sum()) for k, f in enumerate(GAP_FLOWS)},
                 float(mean[i, t, -1])) for i, name in enumerate(self.names)]

    def summary_markdown(self) -> str:
        year = self.report_year()
        t = int(np.flatnonzero(self.years == year)[0])
        lines = [f"# Scenario comparison, {year}", "",
                 f"{len(self.seeds)} replication(s) per scenario with common random numbers "
                 f"(seeds {self.seeds[0]}{'...' if len(self.seeds) > 1 else ''}). Rates: median "
                 f"[p10, p90] over replications, each column its own median (so the median gap need not "
                 f"equal the median resident rate minus the median hukou rate). Differences from the first "
                 f"scenario ('{self.names[0]}'): mean of the paired differences with a 90 % t-interval; "
                 "every replication's values and differences are in replications.csv.", "",
                 "| scenario | resident % | hukou % | gap pp | resident diff | hukou diff | gap diff |",
                 "|---|---|---|---|---|---|---|"]
        for i, name in enumerate(self.names):
            cells = []
            for j in range(len(RATE_COLUMNS)):
                values = self.rates[i, :, t, j]
                lo, hi = np.percentile(values, BAND)
                cells.append(f"{np.median(values):.2f} [{lo:.2f}, {hi:.2f}]")
            for j in range(len(RATE_COLUMNS)):
                mean, lo, hi = mean_interval(self.rates[i, :, t, j] - self.rates[0, :, t, j])
                cells.append(f"{mean:+.3f}" + ("" if math.isnan(lo) else f" [{lo:+.3f}, {hi:+.3f}]"))
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"


def unique_names(scenarios: list[Scenario]) -> list[str]:
    names, seen = [], {}
    for s in scenarios:
        seen[s.name] = seen.get(s.name, 0) + 1
        names.append(s.name if seen[s.name] == 1 else f"{s.name} ({seen[s.name]})")
    return names


def common_years(scenarios: list[Scenario], year: int | None = None) -> tuple[int, int, int]:
    """Start, common end year and the reported year of scenarios compared; ValueError (one line) if impossible."""
    starts = {s.start_year for s in scenarios}
    if len(starts) > 1:
        raise ValueError("scenarios in a comparison must share the start year; got "
                         + ", ".join(f"{s.name}: {s.start_year}" for s in scenarios))
    start, end = starts.pop(), min(s.end_year for s in scenarios)
    if year is None:
        return start, end, end
    if not start < year <= end:
        short = min(scenarios, key=lambda s: s.end_year)
        if year > end:
            raise ValueError(f"--year {year}: scenario '{short.name}' ({short.path}) ends in {short.end_year}; "
                             f"expected a year every scenario reaches, {start + 1} to {end}")
        raise ValueError(f"--year {year}: expected a year after the start year {start}, up to {end}")
    return start, end, year


def compare(scenarios: list[Scenario], seed: int, replications: int, agents: int | None = None,
            workers: int | None = None, scheduler: str | None = None,
            calibration: Calibration | None = None, year: int | None = None) -> Comparison:
    """Run scenarios with shared seeds to their common end year; report ``year`` (default: that end year).

    ``calibration`` given and several replications, each replication draws its
    calibrated parameters from the accepted set (the same for every scenario);
    otherwise the scenarios run with the parameters they have.
    """
    start, end, year = common_years(scenarios, year)
    scenarios = [dataclasses.replace(s, end_year=end) for s in scenarios]
    seeds = replication_seeds(seed, replications)
    grid = run_grid(scenarios, seeds, agents, workers, scheduler, calibration if len(seeds) > 1 else None,
                    with_gap_flows=True)
    rates, gap = grid[..., :len(RATE_COLUMNS)], grid[..., len(RATE_COLUMNS):]
    return Comparison(unique_names(scenarios), np.arange(start, end + 1), rates, seeds, year, gap)


def _run_jobs(specs: list[RunSpec], workers: int | None, scheduler: str | None = None) -> list[np.ndarray]:
    """Rates of each run, in order (a process pool or Dask for several)."""
    return map_jobs(_rates, specs, workers, scheduler=scheduler, progress="runs")
