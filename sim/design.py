"""The ``design`` command: the smallest set of a plan's measures that meets targets with a chosen probability.

The search starts from the plan without any measure (its settlement rules,
services and parameters kept) and runs every set it evaluates with the same
replication seeds (common random numbers), so sets differ by their measures
only. A set's *probability* is the share of replications meeting every target
at once; its *score* is the mean over replications of the smallest margin
over the targets (how far the worst target lies on the good side, in points).

1. Screen (an attribution by the first step of a Shapley order): each measure
   alone on the start, in each setting within its declared bounds: as the plan
   sets it, and with its own sizes at the low and at the high end of their
   ranges (``run_sim.py policies``). A measure's effect is its best setting's
   score minus the start's; measures with no positive effect are pruned.
2. Greedy forward: add the kept measures in order of effect (ties: registry
   order), running each accumulated set, until one reaches the probability.
3. Verify, backward: drop each measure of that set, the smallest effect
   first, whenever the set without it still reaches the probability (each
   such set is run, so the reported probability is measured, not predicted).
4. Strength: for the measure of the set with the smallest effect, the least
   strength (within its declared bounds, 0 to the plan's) at which the set
   still reaches the probability: a root of probability minus the wanted one
   found by ``scipy.optimize.brentq`` (to 0.05), kept only as a strength that
   was run and met it.

Sizes are searched at the ends of each measure's declared ranges. The plan itself is run too, for
reference. The number of runs is reported; the same seed gives the same
search. Results are written whole or not at all (``design.csv``,
``summary.md``, ``summary.json``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim import output
from sim.compare import run_grid
from sim.ensemble import RATE_COLUMNS, replication_seeds
from sim.experiments import InputError, Outcome, _draws, _load, _manifest_keys, _start, calibrated
from sim.policies import REGISTRY
from sim.scenario import Scenario
from sim.scenario_targets import UNITS, Target, parse_target_text

SETTINGS = ("plan", "low", "high")  # a measure as the plan sets it, or with its sizes at the ends of their ranges


def measure_setting(plan: Scenario, measure: str, setting: str) -> dict:
    """The measure's settings: as in the plan, or with every size of it at the ``setting`` end of its range.

    A setting may end in ``@x``: the measure at strength x (0..1) instead of the plan's.
    """
    setting, _, strength = setting.partition("@")
    base = dict(plan.policy_settings[measure])
    if strength:
        base["strength"] = float(strength)
    if setting == "plan":
        return base
    return {**base, **{key: getattr(spec, setting) for key, spec in REGISTRY[measure].params.items()}}


@dataclass
class Evaluated:
    step: str
    chosen: tuple[tuple[str, str], ...]  # (measure, setting), registry order
    probability: float
    per_target: list[float]
    score: float


@dataclass
class Design:
    targets: list[Target]
    wanted: float
    seeds: list[int]
    runs: int = 0
    evaluated: list[Evaluated] = field(default_factory=list)
    effects: dict[str, tuple[str, float]] = field(default_factory=dict)  # measure -> best setting, effect
    found: Evaluated | None = None
    plan: Evaluated | None = None  # the plan with all its measures, for reference

    def best(self) -> Evaluated:
        return max(self.evaluated, key=lambda e: (e.probability, e.score, -len(e.chosen)))

    def table(self) -> pd.DataFrame:
        rows = [{"step": e.step, "size": len(e.chosen), "measures": ";".join(f"{m}={s}" for m, s in e.chosen),
                 "probability_all": e.probability, "score": e.score,
                 **{f"probability[{t}]": p for t, p in zip(self.targets, e.per_target)}} for e in self.evaluated]
        return pd.DataFrame(rows)


class Search:
    """Runs sets of measures on the plan's start, with shared seeds; remembers what it ran."""

    def __init__(self, plan: Scenario, targets: list[Target], wanted: float, seeds: list[int], agents: int,
                 workers, scheduler, calibration):
        self.plan, self.targets = plan, targets
        self.start = dataclasses.replace(plan, policy_settings={})
        self.design = Design(targets, wanted, seeds)
        self.agents, self.workers, self.scheduler, self.calibration = agents, workers, scheduler, calibration
        self.cache: dict[tuple, Evaluated] = {}

    def scenario(self, chosen) -> Scenario:
        settings = {m: measure_setting(self.plan, m, s) for m, s in chosen}
        label = ",".join(f"{m}={s}" for m, s in chosen) or "none"
        return dataclasses.replace(self.start, name=f"{self.plan.name}[{label}]",
                                   policy_settings={m: settings[m] for m in REGISTRY if m in settings})

    def run(self, sets: list, step: str) -> list[Evaluated]:
        """Evaluate sets of (measure, setting); each new set costs one run per seed."""
        keys = [tuple(sorted(c, key=lambda ms: list(REGISTRY).index(ms[0]))) for c in sets]
        new = list(dict.fromkeys(k for k in keys if k not in self.cache))
        if new:
            rates = run_grid([self.scenario(k) for k in new], self.design.seeds, self.agents, self.workers,
                             self.scheduler, self.calibration)
            self.design.runs += len(new) * len(self.design.seeds)
            for k, r in zip(new, rates):
                self.cache[k] = self._judge(k, r, step)
                self.design.evaluated.append(self.cache[k])
        return [self.cache[k] for k in keys]

    def _judge(self, chosen, rates: np.ndarray, step: str) -> Evaluated:
        met, margins = [], []
        for t in self.targets:
            values = rates[:, t.year - self.plan.start_year, RATE_COLUMNS.index(t.quantity)]
            met.append(t.met(values))
            margins.append(t.margin(values))
        return Evaluated(step, chosen, float(np.logical_and.reduce(met).mean()), [float(m.mean()) for m in met],
                         float(np.min(margins, axis=0).mean()))


def search(plan: Scenario, targets: list[Target], wanted: float, seed: int, replications: int, agents: int,
           workers=None, scheduler=None, calibration=None) -> Design:
    """Screen, greedy forward, verify backward (see the module's docstring)."""
    seeds = replication_seeds(seed, replications)
    plan = dataclasses.replace(plan, end_year=max(t.year for t in targets))
    s = Search(plan, targets, wanted, seeds, agents, workers, scheduler, calibration if len(seeds) > 1 else None)
    measures = list(plan.policy_settings)
    variants = [(m, v) for m in measures for v in SETTINGS if v == "plan" or REGISTRY[m].params]
    start, *alone = s.run([()] + [((mv),) for mv in variants], "screen")
    (s.design.plan,) = s.run([tuple((m, "plan") for m in measures)], "plan")
    for (m, v), e in zip(variants, alone):
        if m not in s.design.effects or e.score - start.score > s.design.effects[m][1]:
            s.design.effects[m] = (v, e.score - start.score)
    order = sorted((m for m in measures if s.design.effects[m][1] > 1e-9),
                   key=lambda m: (-s.design.effects[m][1], measures.index(m)))
    if start.probability >= wanted:
        s.design.found = start
        return s.design
    chosen: list[tuple[str, str]] = []
    found = None
    for m in order:
        chosen.append((m, s.design.effects[m][0]))
        (e,) = s.run([tuple(chosen)], "forward")
        if e.probability >= wanted:
            found = e
            break
    if found is not None:
        for m in sorted((m for m, _ in chosen), key=lambda m: (s.design.effects[m][1], measures.index(m))):
            trial = tuple(c for c in found.chosen if c[0] != m)
            (e,) = s.run([trial], "backward")
            if e.probability >= wanted:
                found = e
    if found is not None and found.chosen:
        found = _least_strength(s, found, min((m for m, _ in found.chosen),
                                              key=lambda m: (s.design.effects[m][1], measures.index(m))))
    s.design.found = found
    return s.design


def _least_strength(s: Search, found: Evaluated, measure: str) -> Evaluated:
    """The found set with ``measure`` at the least strength that still meets the probability (step 4)."""
    from scipy.optimize import brentq  # here: only a search that found a set needs it

    setting = dict(found.chosen)[measure]
    top = float(measure_setting(s.plan, measure, setting).get("strength", 1.0))
    others = [c for c in found.chosen if c[0] != measure]
    met = {top: found}

    def gap(strength: float) -> float:
        (e,) = s.run([tuple(others + [(measure, f"{setting}@{strength:.4f}")])], "strength")
        if e.probability >= s.design.wanted:
            met[strength] = e
        return e.probability - s.design.wanted + 1e-9  # >= 0: meets

    if gap(0.0) >= 0:  # cannot happen after step 3, which dropped a measure the set can do without
        return met[0.0]
    brentq(gap, 0.0, top, xtol=0.05)
    return met[min(met)]


def _describe(e: Evaluated) -> str:
    def one(m: str, v: str) -> str:
        sizes, _, strength = v.partition("@")
        notes = ([] if sizes == "plan" else [f"sizes at the {sizes} end"]) + \
            ([f"strength {float(strength):.2f}"] if strength else [])
        return m + (f" ({', '.join(notes)})" if notes else "")
    return ", ".join(one(m, v) for m, v in e.chosen) or "no measure"


def summary_markdown(plan: str, d: Design, agents: int) -> str:
    goals = "; ".join(str(t) for t in d.targets)
    lines = [f"# Design: the smallest set of the measures of '{plan}' that meets the targets", "",
             f"Targets: {goals}; wanted: every target at once in at least {d.wanted:.0%} of {len(d.seeds)} "
             f"replications ({agents:,} agents each, common random numbers). {d.runs} runs.", ""]
    if d.found is not None:
        lines += [f"**Found**: {_describe(d.found)} ({len(d.found.chosen)} measure(s)); probability "
                  f"{d.found.probability:.2f}."]
    else:
        best = d.best()
        lines += [f"**No set of the plan's measures meets the targets** with probability {d.wanted:.2f}. Best "
                  f"probability achieved: {best.probability:.2f}, by {_describe(best)} (score {best.score:+.3f} "
                  "points: the worst target's mean margin, negative when short of it)."]
    lines += ["", "Screen: each measure alone against the plan without measures, in its best setting "
              "(effect on the score, points; measures with no positive effect are pruned):", "",
              "| measure | best setting | effect on score |", "|---|---|---|"]
    lines += [f"| {m} | {v} | {eff:+.3f} |" for m, (v, eff) in sorted(d.effects.items(), key=lambda x: -x[1][1])]
    plan_row = d.plan
    lines += ["", f"The plan with all its measures: probability {plan_row.probability:.2f}, score "
              f"{plan_row.score:+.3f}. Every evaluated set is in design.csv.", ""]
    return "\n".join(lines)


def design_command(plan: Path, *, target: list[str] | None = None, probability: float = 0.8, agents: int = 20_000,
                   replications: int = 8, seed: int | None = None, out: Path | None = None, force: bool = False,
                   fixed_parameters: bool = False, workers: int | None = None, scheduler: str | None = None,
                   calibration: Path | None = None, uncalibrated: bool = False, overrides: dict | None = None,
                   command_line=()) -> Outcome:
    """Search the smallest set of the plan's measures meeting the targets; write design.csv and summaries."""
    loaded = _load(plan, {"agents": agents}, overrides)
    try:
        targets = [parse_target_text(t) for t in target] if target else list(loaded.targets)
    except ValueError as err:
        raise InputError(str(err)) from None
    if not targets:
        raise InputError(f"{plan}: no targets; give --target (e.g. gap_pp<=17.5@2025) or declare [[targets]]")
    for t in targets:
        if not loaded.start_year < t.year <= loaded.end_year:
            raise InputError(f"--target {t}: {loaded.name} runs {loaded.start_year}-{loaded.end_year}; expected a "
                             f"year from {loaded.start_year + 1} to {loaded.end_year}")
    if not loaded.policy_settings:
        raise InputError(f"{plan}: no measure is enabled ([policies.*]); nothing to choose from")
    provenance, cal = _start(command_line, calibration, uncalibrated, overrides)
    seed = loaded.seed if seed is None else seed
    folder_target = out or Path("results") / f"design-{loaded.name}"
    with output.claim(folder_target, force, "design") as claim:
        loaded = calibrated(loaded, cal)
        provenance.add_scenario(loaded, plan)
        result = search(loaded, targets, probability, seed, replications, agents, workers, scheduler,
                        _draws(cal, fixed_parameters))
        provenance.seeds = result.seeds
        text = summary_markdown(loaded.name, result, agents)
        best = result.found or result.best()
        summary = {
            "plan": loaded.name, "plan_file": str(plan), "plan_sha256": loaded.sha256,
            "targets": [t.to_dict() for t in targets], "probability_wanted": probability, "found": result.found
            is not None, "set": [{"measure": m, "setting": v} for m, v in best.chosen],
            "probability": best.probability, "probability_per_target": best.per_target, "runs": result.runs,
            "seed": seed, "replication_seeds": result.seeds, "agents": agents,
            "calibration_file_sha256": cal.sha256 if cal else None, **_manifest_keys(provenance.manifest()),
        }
        with claim.writing() as folder:
            output.write_timeseries(folder / "design.csv", result.table())
            (folder / "summary.md").write_text(text, encoding="utf-8")
            output.write_json(folder / "summary.json", summary)
    head = (f"found: {_describe(result.found)}, probability {result.found.probability:.2f}"
            if result.found else f"no set meets the targets with probability {probability:.2f}; best "
                                 f"{best.probability:.2f} ({_describe(best)})")
    per = "; ".join(f"{t} {UNITS[t.quantity]}: {p:.2f}" for t, p in zip(targets, best.per_target))
    return Outcome(f"{head}\nper target: {per}\n{result.runs} runs -> {folder_target}")
