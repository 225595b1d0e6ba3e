"""Attribution: the plan's effect on a year's gap, split among everything in which plan and base differ.

``attribute`` splits the effect (plan minus base, the gap in a year, common
random numbers) among *terms*, one for each difference between the two
scenarios, so that nothing is left out silently:

- each measure (``[policies.<name>]``) enabled in one and not the other, or
  set differently (start, ramp, strength, sizes): named by the measure;
- each size class whose settlement rule differs: ``settlement.<class>``;
- each size class whose service or school access differs: ``city_classes.<class>``;
- the dated rule changes, if they differ: ``rule_changes``;
- each behavioural parameter the files set differently: ``parameters.<name>``.

The last four are pseudo-measures ("scenario" in the article column). Both
scenarios run to the attributed year only, so a different end year changes
nothing; agents and seed come from the command. A difference in start year,
or one that the terms above do not reproduce (the full set of terms applied
to the base must give the plan), is refused with one line naming it.

Two splits: leave-one-out (the plan minus the plan without term i) and
Shapley values (the average marginal contribution of term i over orders in
which terms are added to the base): exact over every coalition for at most
``MAX_EXACT_MEASURES`` terms; otherwise sampled, one random order per
replication (the contributions of a sample telescope to its total effect).
Intervals are 90 % t-intervals of the mean over replications.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calibration import Calibration, with_drawn_parameters
from sim.cities import SIZE_CLASSES
from sim.compare import _run_jobs, mean_interval, run_grid
from sim.ensemble import RATE_COLUMNS, replication_seeds
from sim.policies import REGISTRY
from sim.runs import RunSpec
from sim.scenario import Scenario

MAX_EXACT_MEASURES = 6
PSEUDO_ARTICLE = "scenario"  # the article column of a term that is not a measure of the plan
# Scenario fields a term can carry from plan to base; the others are checked below
TERM_FIELDS = ("policy_settings", "rules", "class_values", "rule_changes", "parameter_overrides", "parameters")
# Fields that cannot change the attributed year's numbers: labels, the source, what the command sets, goals
IGNORED_FIELDS = ("name", "description", "path", "sha256", "resolved", "end_year", "agents", "seed", "targets")


def differences(plan: Scenario, base: Scenario) -> list[str]:
    """The terms in which ``plan`` differs from ``base``: measures first (registry order), then pseudo-measures."""
    terms = [p for p in REGISTRY if plan.policy_settings.get(p) != base.policy_settings.get(p)]
    terms += [f"settlement.{c}" for c in SIZE_CLASSES if plan.rules[c] != base.rules[c]]
    terms += [f"city_classes.{c}" for c in SIZE_CLASSES if plan.class_values[c] != base.class_values[c]]
    if plan.rule_changes != base.rule_changes:
        terms.append("rule_changes")
    keys = sorted(set(plan.parameter_overrides) | set(base.parameter_overrides))
    terms += [f"parameters.{k}" for k in keys if plan.parameter_overrides.get(k) != base.parameter_overrides.get(k)]
    return terms


def with_terms(base: Scenario, plan: Scenario, terms, label: str) -> Scenario:
    """The base with the plan's value of each term in ``terms``."""
    settings, rules = dict(base.policy_settings), dict(base.rules)
    classes, changes = copy.deepcopy(base.class_values), base.rule_changes
    overrides, params = dict(base.parameter_overrides), base.parameters
    for term in terms:
        kind, _, key = term.partition(".")
        if term in REGISTRY:
            settings.pop(term, None)
            if term in plan.policy_settings:
                settings[term] = plan.policy_settings[term]
        elif kind == "settlement":
            rules[key] = plan.rules[key]
        elif kind == "city_classes":
            classes[key] = copy.deepcopy(plan.class_values[key])
        elif kind == "rule_changes":
            changes = plan.rule_changes
        elif kind == "parameters":
            params = params.with_overrides({key: plan.parameters[key]})
            overrides.pop(key, None)
            if key in plan.parameter_overrides:
                overrides[key] = plan.parameter_overrides[key]
        else:  # pragma: no cover - differences() makes no other term
            raise ValueError(f"unknown term {term!r}")
    settings = {p: settings[p] for p in REGISTRY if p in settings}  # policies act in registry order
    return dataclasses.replace(base, name=label, policy_settings=settings, rules=rules, class_values=classes,
                               rule_changes=changes, parameter_overrides=overrides, parameters=params)


def check_terms(plan: Scenario, base: Scenario, terms: list[str]) -> None:
    """Refuse (ValueError, one line) a difference the terms do not carry: the base with every term must be the plan."""
    if base.start_year != plan.start_year:
        raise ValueError(f"{base.name} starts in {base.start_year} and {plan.name} in {plan.start_year}: run.start_year "
                         "must be the same to attribute the difference")
    full = with_terms(base, plan, terms, plan.name)
    for f in dataclasses.fields(Scenario):
        if f.name in IGNORED_FIELDS or f.name == "start_year":
            continue
        if getattr(full, f.name) != getattr(plan, f.name):
            raise ValueError(f"{plan.name} and {base.name} differ in {f.name}, which attribution cannot split into "
                             "terms; make them equal to attribute the rest")


def _article(term: str) -> str:
    return REGISTRY[term].article if term in REGISTRY else PSEUDO_ARTICLE


@dataclass
class Attribution:
    measures: list[str]  # the terms: measures and pseudo-measures
    articles: list[str]
    year: int
    method: str  # "exact" or "sampled"
    total: np.ndarray  # per replication: plan minus base, gap in the year
    leave_one_out: np.ndarray  # (replication, measure)
    shapley: np.ndarray  # (replication, measure)
    seeds: list[int]
    # leave-one-out effect with the measure's own sizes at the low / high ends of their ranges (NaN: no sizes)
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
        pseudo = [m for m, a in zip(self.measures, self.articles) if a == PSEUDO_ARTICLE]
        lines = [f"# Attribution of the plan's effect on the {self.year} gap", "",
                 f"Total effect (plan minus base) on the gap: {total[0]:+.3f} pp "
                 f"(90 % interval {total[1]:+.3f} to {total[2]:+.3f}); {len(self.seeds)} replications "
                 f"with common random numbers. Shapley values: {self.method} "
                 + ("(every coalition of terms, each replication)." if self.method == "exact" else
                    "(one random order of the terms per replication; the values of each "
                    "replication add up to its total effect)."),
                 f"Sum of Shapley values: {self.shapley.sum(axis=1).mean():+.3f} pp. Negative values "
                 "narrow the gap.", "",
                 "Every difference between plan and base is a term: "
                 + (f"besides the measures, {', '.join(pseudo)} (article 'scenario': a pseudo-measure)."
                    if pseudo else "here the measures only."), "",
                 "The last column is the leave-one-out effect with the measure's own sizes (its parameters) at "
                 "the low and at the high end of their ranges (`run_sim.py policies`): a conclusion that "
                 "changes sign across it hangs on an assumed size.", "",
                 "| measure | article | leave-one-out, pp [90 %] | Shapley, pp [90 %] | leave-one-out at low / high sizes |",
                 "|---|---|---|---|---|"]
        for row in table.itertuples():
            sizes = (f"{row.leave_one_out_size_low:+.3f} / {row.leave_one_out_size_high:+.3f}"
                     if self.loo_low is not None and not math.isnan(row.leave_one_out_size_low) else "")
            lines.append(f"| {row.measure} | {row.article} | {row.leave_one_out:+.3f} "
                         f"[{row.leave_one_out_lo90:+.3f}, {row.leave_one_out_hi90:+.3f}] | {row.shapley:+.3f} "
                         f"[{row.shapley_lo90:+.3f}, {row.shapley_hi90:+.3f}] | {sizes} |")
        return "\n".join(lines) + "\n"


def check_year(year: int, *scenarios: Scenario) -> None:
    """Refuse (ValueError, one line) a year some scenario does not reach."""
    for s in scenarios:
        if not s.start_year < year <= s.end_year:
            raise ValueError(f"--year {year}: scenario '{s.name}' ({s.path}) runs {s.start_year}-{s.end_year}; "
                             f"expected a year from {s.start_year + 1} to {s.end_year}")


def attribute(plan: Scenario, base: Scenario, seed: int, replications: int, agents: int | None = None,
              workers: int | None = None, year: int | None = None, scheduler: str | None = None,
              calibration: Calibration | None = None) -> Attribution:
    """Leave-one-out effects and Shapley values of every term on the gap in ``year`` (default: common end year).

    ``calibration``: as in ``compare``, replications draw their calibrated parameters from it.
    """
    year = min(plan.end_year, base.end_year) if year is None else year
    check_year(year, plan, base)
    measures = differences(plan, base)
    if not measures:
        raise ValueError(f"{plan.name} and {base.name} do not differ: nothing to attribute")
    check_terms(plan, base, measures)
    plan = dataclasses.replace(plan, end_year=year)
    base = dataclasses.replace(base, end_year=year)
    n = len(measures)
    seeds = replication_seeds(seed, replications)
    calibration = calibration if len(seeds) > 1 else None  # a single run keeps the scenario's parameters, as in run
    t = year - plan.start_year
    gap = RATE_COLUMNS.index("gap_pp")

    def variant(subset) -> Scenario:
        return with_terms(base, plan, [m for m in measures if m in subset], f"{plan.name}[{','.join(sorted(subset))}]")

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
        out = _run_jobs([RunSpec(_resolve(variant(coalitions[c]), seeds[r], calibration), seeds[r], agents)
                         for c, r in jobs], workers, scheduler)
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
    return Attribution(measures, [_article(m) for m in measures], year, "exact" if exact else "sampled",
                       total, loo, shapley, seeds, sized["low"] - without, sized["high"] - without)


def _resolve(scenario: Scenario, seed: int, calibration: Calibration | None) -> Scenario:
    return with_drawn_parameters(scenario, seed, calibration) if calibration else scenario


def sized_plan_gaps(plan: Scenario, measures: list[str], end: str, seeds: list[int], agents, workers, scheduler,
                    calibration, t: int, gap: int) -> np.ndarray:
    """The gap (replication, measure) of the plan with one measure's own parameters at the ``end`` of their ranges.

    NaN for a term without sizes (a pseudo-measure, or a measure the plan does not enable).
    """
    sizeable = [m for m in measures if m in plan.policy_settings and REGISTRY[m].params]
    variants = []
    for m in sizeable:
        settings = dict(plan.policy_settings)
        sizes = {key: getattr(spec, end) for key, spec in REGISTRY[m].params.items()}
        settings[m] = {**settings[m], **sizes}
        variants.append(dataclasses.replace(plan, name=f"{plan.name}[{m}={end}]", policy_settings=settings))
    out = _run_jobs([RunSpec(_resolve(v, seed, calibration), seed, agents) for v in variants for seed in seeds],
                    workers, scheduler) if variants else []
    gaps = np.full((len(seeds), len(measures)), np.nan)
    for k, m in enumerate(sizeable):
        gaps[:, measures.index(m)] = [rates[t, gap] for rates in out[k * len(seeds):(k + 1) * len(seeds)]]
    return gaps
