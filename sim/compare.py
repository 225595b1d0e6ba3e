"""Compare scenarios and attribute the plan's effect to its measures.

Every scenario in a comparison runs with the same replication seeds, and each
decision draws from its own seeded stream (``sim.streams``), so differences are
paired: a scenario compared with itself differs by exactly zero, and the noise
in a difference is far smaller than the noise in either scenario.

Attribution (``attribute``) splits the plan's effect on a year's gap (against
the status quo) among the plan's measures two ways:

- leave-one-out: the plan with all measures minus the plan without measure i;
- Shapley values: the average marginal contribution of measure i over orders
  in which measures are added to the status quo. Exact (every coalition) for
  at most ``MAX_EXACT_MEASURES`` measures; otherwise sampled, one random order
  per replication (the sum of a sample's contributions telescopes to the total
  effect, so the estimates add up to the estimated total exactly).

Intervals are 90 % t-intervals of the mean over replications.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calibration import Calibration, with_drawn_parameters
from sim.ensemble import BAND, RATE_COLUMNS, replication_seeds, replication_specs
from sim.executor import map_jobs
from sim.policies import REGISTRY
from sim.runs import RunSpec, execute
from sim.scenario import Scenario

MAX_EXACT_MEASURES = 6
CONFIDENCE = 0.90


def _rates(spec: RunSpec) -> np.ndarray:
    """The rates of a run, every year (all a comparison keeps of it)."""
    return execute(spec).timeseries[list(RATE_COLUMNS)].to_numpy(float)


def run_grid(scenarios: list[Scenario], seeds: list[int], agents: int | None, workers: int | None,
             scheduler: str | None = None, calibration: Calibration | None = None) -> np.ndarray:
    """Rates of every (scenario, seed): array (scenario, seed, year, rate column).

    ``calibration`` given, each seed's runs draw their calibrated parameters from its accepted set.
    """
    jobs = [spec for s in scenarios for spec in replication_specs(s, seeds, agents, calibration=calibration)]
    results = _run_jobs(jobs, workers, scheduler)
    return np.stack(results).reshape(len(scenarios), len(seeds), *results[0].shape)


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

    def report_year(self) -> int:
        return 2025 if 2025 in self.years else int(self.years[-1])

    def summary_markdown(self) -> str:
        year = self.report_year()
        t = int(np.flatnonzero(self.years == year)[0])
        lines = [f"# Scenario comparison, {year}", "",
                 f"{len(self.seeds)} replication(s) per scenario with common random numbers "
                 f"(seeds {self.seeds[0]}{'...' if len(self.seeds) > 1 else ''}). Rates: median "
                 f"[p10, p90] over replications. Differences from the first scenario "
                 f"('{self.names[0]}'): mean of the paired differences with a 90 % t-interval.", "",
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


def compare(scenarios: list[Scenario], seed: int, replications: int, agents: int | None = None,
            workers: int | None = None, scheduler: str | None = None,
            calibration: Calibration | None = None) -> Comparison:
    """Run scenarios with shared seeds; they must cover the same years.

    ``calibration`` given and several replications, each replication draws its
    calibrated parameters from the accepted set (the same for every scenario);
    otherwise the scenarios run with the parameters they have.
    """
    years = {(s.start_year, s.end_year) for s in scenarios}
    if len(years) > 1:
        raise ValueError("scenarios in a comparison must share start and end years; got "
                         + ", ".join(f"{s.name}: {s.start_year}-{s.end_year}" for s in scenarios))
    seeds = replication_seeds(seed, replications)
    rates = run_grid(scenarios, seeds, agents, workers, scheduler, calibration if len(seeds) > 1 else None)
    start, end = years.pop()
    return Comparison(unique_names(scenarios), np.arange(start, end + 1), rates, seeds)


# ----------------------------------------------------------------------------- attribution
@dataclass
class Attribution:
    measures: list[str]
    articles: list[str]
    year: int
    method: str  # "exact" or "sampled"
    total: np.ndarray  # per replication: plan minus base, gap in the year
    leave_one_out: np.ndarray  # (replication, measure)
    shapley: np.ndarray  # (replication, measure)
    seeds: list[int]
    # leave-one-out effect with the measure's own sizes at the low / high ends of their ranges
    loo_low: np.ndarray | None = None  # (replication, measure)
    loo_high: np.ndarray | None = None

    def table(self) -> pd.DataFrame:
        rows = []
        for i, name in enumerate(self.measures):
            loo = mean_interval(self.leave_one_out[:, i])
            sh = mean_interval(self.shapley[:, i])
            row = {"measure": name, "article": self.articles[i],
                   "leave_one_out": loo[0], "leave_one_out_lo90": loo[1], "leave_one_out_hi90": loo[2],
                   "shapley": sh[0], "shapley_lo90": sh[1], "shapley_hi90": sh[2]}
            if self.loo_low is not None:
                row["leave_one_out_size_low"] = float(np.mean(self.loo_low[:, i]))
                row["leave_one_out_size_high"] = float(np.mean(self.loo_high[:, i]))
            rows.append(row)
        return pd.DataFrame(rows).sort_values("shapley").reset_index(drop=True)

    def summary_markdown(self) -> str:
        total = mean_interval(self.total)
        table = self.table()
        lines = [f"# Attribution of the plan's effect on the {self.year} gap", "",
                 f"Total effect (plan minus status quo) on the gap: {total[0]:+.3f} pp "
                 f"(90 % interval {total[1]:+.3f} to {total[2]:+.3f}); {len(self.seeds)} replications "
                 f"with common random numbers. Shapley values: {self.method} "
                 + ("(every coalition of measures, each replication)." if self.method == "exact" else
                    "(one random order of the measures per replication; the values of each "
                    "replication add up to its total effect)."),
                 f"Sum of Shapley values: {self.shapley.sum(axis=1).mean():+.3f} pp. Negative values "
                 "narrow the gap.", "",
                 "The last column is the leave-one-out effect with the measure's own sizes (its parameters) at "
                 "the low and at the high end of their ranges (`run_sim.py policies`): a conclusion that "
                 "changes sign across it hangs on an assumed size.", "",
                 "| measure | article | leave-one-out, pp [90 %] | Shapley, pp [90 %] | leave-one-out at low / high sizes |",
                 "|---|---|---|---|---|"]
        for row in table.itertuples():
            sizes = (f"{row.leave_one_out_size_low:+.3f} / {row.leave_one_out_size_high:+.3f}"
                     if self.loo_low is not None else "")
            lines.append(f"| {row.measure} | {row.article} | {row.leave_one_out:+.3f} "
                         f"[{row.leave_one_out_lo90:+.3f}, {row.leave_one_out_hi90:+.3f}] | {row.shapley:+.3f} "
                         f"[{row.shapley_lo90:+.3f}, {row.shapley_hi90:+.3f}] | {sizes} |")
        return "\n".join(lines) + "\n"


def with_policies(scenario: Scenario, settings: dict[str, dict], label: str) -> Scenario:
    return dataclasses.replace(scenario, name=label, policy_settings=dict(settings))


def attribute(plan: Scenario, base: Scenario, seed: int, replications: int, agents: int | None = None,
              workers: int | None = None, year: int = 2025, scheduler: str | None = None,
              calibration: Calibration | None = None) -> Attribution:
    """Leave-one-out effects and Shapley values of the plan's measures on the gap in ``year``.

    ``calibration``: as in ``compare``, replications draw their calibrated parameters from it.
    """
    measures = list(plan.policy_settings)
    if not measures:
        raise ValueError(f"{plan.name}: no policy is enabled, nothing to attribute")
    if not plan.start_year < year <= plan.end_year:
        raise ValueError(f"{plan.name}: the run must include {year}")
    if base.start_year != plan.start_year:
        raise ValueError(f"{base.name} and {plan.name} must start in the same year")
    plan = dataclasses.replace(plan, end_year=year)
    base = dataclasses.replace(base, end_year=year)
    n = len(measures)
    seeds = replication_seeds(seed, replications)
    calibration = calibration if len(seeds) > 1 else None  # a single run keeps the scenario's parameters, as in run
    t = year - plan.start_year
    gap = RATE_COLUMNS.index("gap_pp")

    def variant(subset) -> Scenario:
        return with_policies(base, {m: plan.policy_settings[m] for m in measures if m in subset},
                             f"{plan.name}[{','.join(sorted(subset))}]")

    exact = n <= MAX_EXACT_MEASURES
    if exact:
        coalitions = [frozenset(c) for k in range(n + 1) for c in itertools.combinations(measures, k)]
    else:
        rng = np.random.default_rng(seed)
        orders = [list(rng.permutation(measures)) for _ in seeds]
        coalitions = sorted({frozenset(order[:k]) for order in orders for k in range(n + 1)},
                            key=lambda c: (len(c), sorted(c)))
    full = frozenset(measures)
    coalitions = list(dict.fromkeys(coalitions + [full - {m} for m in measures]))
    index = {c: i for i, c in enumerate(coalitions)}
    if exact:
        values = run_grid([variant(c) for c in coalitions], seeds, agents, workers, scheduler,
                          calibration)[:, :, t, gap]
    else:
        # each sampled order is evaluated with its own seed only (plus the leave-one-out set)
        values = np.full((len(coalitions), len(seeds)), np.nan)
        jobs = {(index[frozenset(order[:k])], r) for r, order in enumerate(orders) for k in range(n + 1)}
        jobs |= {(index[full - {m}], r) for m in measures for r in range(len(seeds))}
        jobs = sorted(jobs)
        resolve = (lambda sc, seed: with_drawn_parameters(sc, seed, calibration)) if calibration \
            else (lambda sc, seed: sc)
        out = _run_jobs([RunSpec(resolve(variant(coalitions[c]), seeds[r]), seeds[r], agents) for c, r in jobs],
                        workers, scheduler)
        for (c, r), rates in zip(jobs, out):
            values[c, r] = rates[t, gap]

    total = values[index[full]] - values[index[frozenset()]]
    without = np.stack([values[index[full - {m}]] for m in measures], axis=1)  # (replication, measure)
    loo = values[index[full]][:, None] - without
    sized = {end: sized_plan_gaps(plan, measures, end, seeds, agents, workers, scheduler, calibration, t, gap)
             for end in ("low", "high")}
    shapley = np.zeros((len(seeds), n))
    if exact:
        for i, m in enumerate(measures):
            for c in coalitions:
                if m in c or len(c) == n:
                    continue
                weight = math.factorial(len(c)) * math.factorial(n - len(c) - 1) / math.factorial(n)
                shapley[:, i] += weight * (values[index[c | {m}]] - values[index[c]])
    else:
        for r, order in enumerate(orders):
            for k, m in enumerate(order):
                before, after = frozenset(order[:k]), frozenset(order[:k + 1])
                shapley[r, measures.index(m)] = values[index[after], r] - values[index[before], r]
    return Attribution(measures, [REGISTRY[m].article for m in measures], year, "exact" if exact else "sampled",
                       total, loo, shapley, seeds, sized["low"] - without, sized["high"] - without)


def sized_plan_gaps(plan: Scenario, measures: list[str], end: str, seeds: list[int], agents, workers, scheduler,
                    calibration, t: int, gap: int) -> np.ndarray:
    """The gap (replication, measure) of the plan with one measure's own parameters at the ``end`` of their ranges."""
    variants = []
    for m in measures:
        settings = dict(plan.policy_settings)
        sizes = {key: getattr(spec, end) for key, spec in REGISTRY[m].params.items()}
        settings[m] = {**settings[m], **sizes}
        variants.append(with_policies(plan, settings, f"{plan.name}[{m}={end}]"))
    resolve = (lambda sc, seed: with_drawn_parameters(sc, seed, calibration)) if calibration else (lambda sc, seed: sc)
    out = _run_jobs([RunSpec(resolve(v, seed), seed, agents) for v in variants for seed in seeds], workers, scheduler)
    return np.array([rates[t, gap] for rates in out]).reshape(len(measures), len(seeds)).T


def _run_jobs(specs: list[RunSpec], workers: int | None, scheduler: str | None = None) -> list[np.ndarray]:
    """Rates of each run, in order (a process pool or Dask for several)."""
    return map_jobs(_rates, specs, workers, scheduler=scheduler, progress="runs")
