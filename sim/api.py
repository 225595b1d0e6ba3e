"""The Python interface: build a scenario, override it, run it, compare and attribute, reach the model.

Exported by ``sim`` (``import sim``; ``docs/python_api.md`` shows each with an
example). Scenarios are checked exactly as the command line checks files
(``ScenarioError`` names the key); the calibration is applied when a run
starts, as the commands apply it (``calibration=True``: the committed
``sim/data/calibration.toml``; a path: that file; ``None``: the parameters'
defaults). Nothing is written to disk: results come back as pandas tables and
result objects. Messages go through ``logging`` under ``sim`` (see
``sim.progress``); ``log_to_stderr()`` shows progress as the commands do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from sim import attribution as attributions
from sim import compare as comparisons
from sim import ensemble, overrides
from sim.calibration import Calibration, CalibrationError, apply_calibration, load_calibration
from sim.ensemble import BAND, RATE_COLUMNS
from sim.scenario import Scenario, ScenarioError, extend, load_scenario, scenario_from_data

DICT_SOURCE = "scenario dict"
DEFAULT_NAME = "custom"
STATUS_QUO = Path(__file__).resolve().parent.parent / "scenarios" / "status_quo.toml"


def scenario_from_dict(data: Mapping, *, source: str = DICT_SOURCE) -> Scenario:
    """A scenario from a dict shaped like a scenario file, checked like one.

    ``extends`` names a scenario file (relative to the current folder) whose
    content the dict overrides table by table; without it the dict must be a
    whole scenario (a settlement rule for every size class). ``name`` defaults
    to "custom". Errors name the key: ``scenario dict: parameters.nope: expected one of: ...``.
    """
    if not isinstance(data, Mapping):
        raise ScenarioError(source, "", "a dict shaped like a scenario file", type(data).__name__)
    data = dict(data)
    if "extends" in data:
        parent_name = data.pop("extends")
        if not isinstance(parent_name, (str, Path)) or not str(parent_name):
            raise ScenarioError(source, "extends", "a scenario file name", parent_name)
        parent = dict(load_scenario(parent_name).resolved)  # errors name that file
        parent.pop("name", None)
        parent.pop("description", None)
        data = extend(parent, data)
    data.setdefault("name", DEFAULT_NAME)
    try:
        digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    except (TypeError, ValueError, RecursionError):
        digest = ""
    return scenario_from_data(data, source, digest)


def with_overrides(scenario: Scenario | str | Path | Mapping, values: Mapping[str, object]) -> Scenario:
    """A new scenario with values changed by dotted key, checked like a file.

    ``values``: ``{"parameters.settle_land_coef": -0.5,
    "policies.settlement_open_small.strength": 0.5, "settlement.mega.kind": "open"}``.
    A parameter the calibration fits, or was fitted under, is reported in one
    warning (logger ``sim.overrides``), as ``--set`` does.
    """
    changed = overrides.with_overrides(as_scenario(scenario), values)
    try:
        committed = _calibration(True)
    except CalibrationError:  # no usable committed calibration: nothing was fitted to warn about
        committed = None
    overrides.warn_calibrated(values, committed, option="")
    return changed


def as_scenario(scenario: Scenario | str | Path | Mapping) -> Scenario:
    """A ``Scenario`` as it is, a file path loaded, a dict built (``scenario_from_dict``)."""
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, Mapping):
        return scenario_from_dict(scenario)
    return load_scenario(scenario)


def _calibration(calibration) -> Calibration | None:
    if calibration is True:
        return load_calibration()
    if calibration is None or calibration is False:
        return None
    if isinstance(calibration, Calibration):
        return calibration
    return load_calibration(calibration)


def _prepared(scenario, seed: int | None, agents: int | None, calibration, what: str) -> tuple[Scenario, Calibration]:
    """The scenario with the run values given (checked as ``--seed``, ``--agents`` are) and its calibration."""
    scenario = as_scenario(scenario)
    given = {key: value for key, value in (("run.seed", seed), ("run.agents", agents)) if value is not None}
    scenario = overrides.with_overrides(scenario, given, source=what)
    cal = _calibration(calibration)
    return (scenario if cal is None else apply_calibration(scenario, cal)), cal


def _replications(scenario, replications: int, seed: int | None, agents: int | None, calibration,
                  fixed_parameters: bool, workers: int | None, engine: str, keep_going: bool, what: str):
    """The scenario as run and the results of its replications (the seeds and draws of ``run_sim.py run``)."""
    scenario, cal = _prepared(scenario, seed, agents, calibration, what)
    seeds = ensemble.replication_seeds(scenario.seed, replications)
    draws = None if fixed_parameters or len(seeds) == 1 else cal
    specs = ensemble.replication_specs(scenario, seeds, engine=engine, calibration=draws)
    return scenario, ensemble.run_replications(specs, workers, keep_going=keep_going)


def run(scenario: Scenario | str | Path | Mapping, *, replications: int = 1, seed: int | None = None,
        agents: int | None = None, calibration=True, fixed_parameters: bool = False, workers: int | None = 1,
        engine: str = "vector", keep_going: bool = False) -> pd.DataFrame:
    """Run a scenario's replications; one row per replication and year.

    Columns: ``scenario``, ``replication`` (0, 1, ...), ``seed``, then every
    output of ``timeseries.csv`` (``year`` first). The seeds are those of
    ``run_sim.py run`` with the same seed and replications, and with several
    replications each draws its calibrated parameters from the accepted set
    (``fixed_parameters=True`` keeps the best fit), so the medians equal the
    command's. ``workers``: processes (1: in this process; None: every core).
    """
    scenario, results = _replications(scenario, replications, seed, agents, calibration, fixed_parameters, workers,
                                      engine, keep_going, "run()")
    frames = [r.timeseries.assign(scenario=scenario.name, replication=i, seed=r.seed)
              for i, r in enumerate(results) if r.timeseries is not None]
    if not frames:
        raise ensemble.ReplicationError("every replication failed")
    table = pd.concat(frames, ignore_index=True)
    first = ["scenario", "replication", "seed"]
    return table[first + [c for c in table.columns if c not in first]]


def gap_breakdown(scenario: Scenario | str | Path | Mapping, *, replications: int = 1, seed: int | None = None,
              agents: int | None = None, calibration=True, fixed_parameters: bool = False, workers: int | None = 1,
              engine: str = "vector") -> pd.DataFrame:
    """Where and why, as ``breakdown.csv`` of ``run_sim.py run``: one row per year, place, quantity and replication.

    Columns ``year, scenario, replication, city_class, region, city,
    quantity, value, unit``: the gap by city class, region and named city, the
    rural-hukou town residents by cause and the gap's yearly change by flow
    (``sim.breakdown``); ``replication`` is 1..R or ``median``, ``p10``,
    ``p90``, ``mean`` (means add up). Same seeds and draws as ``run``.
    """
    from sim import breakdown_table

    scenario, results = _replications(scenario, replications, seed, agents, calibration, fixed_parameters, workers,
                                      engine, False, "gap_breakdown()")
    return breakdown_table.summarize(results, scenario.name)


def bands(runs: pd.DataFrame, columns: Sequence[str] = RATE_COLUMNS) -> pd.DataFrame:
    """Median and p10/p90 over replications per scenario and year (as ``timeseries.csv`` reports them)."""
    grouped = runs.groupby(["scenario", "year"], sort=False)[list(columns)]
    out = grouped.median()
    for q, suffix in zip(BAND, ("_p10", "_p90")):
        out = out.join(grouped.quantile(q / 100).add_suffix(suffix))
    return out.reset_index()


def compare_scenarios(scenarios: Sequence, *, replications: int = 10, seed: int | None = None,
                      agents: int | None = None, year: int | None = None, calibration=True,
                      fixed_parameters: bool = False, workers: int | None = 1) -> comparisons.Comparison:
    """Run scenarios with common random numbers, as ``run_sim.py compare`` (the first is the reference).

    They run to their common end year; ``year`` is the one reported (default:
    that end year). Returns the comparison: ``.table()`` (median, p10, p90 per
    scenario and year, ``comparison.csv``), ``.replications_table()`` (every
    replication, ``replications.csv``), ``.differences()`` (paired differences
    from the first scenario with 90 % intervals, every year),
    ``.summary_markdown()`` and ``.rates`` (scenario, replication, year, rate).
    """
    loaded = [as_scenario(s) for s in scenarios]
    if not loaded:
        raise ValueError("compare_scenarios: expected at least one scenario")
    agents = agents or loaded[0].agents
    prepared = [_prepared(s, None, agents, calibration, "compare_scenarios()") for s in loaded]
    cal = prepared[0][1]
    seed = loaded[0].seed if seed is None else seed
    return comparisons.compare([s for s, _ in prepared], seed, replications, agents, workers,
                               calibration=None if fixed_parameters else cal, year=year)


def differences(comparison: comparisons.Comparison, year: int | None = None) -> pd.DataFrame:
    """The paired differences from the first scenario in one year (default: the comparison's reported year).

    One row per other scenario and rate (``quantity``): ``mean`` of the
    per-replication differences and its 90 % interval ``lo90``, ``hi90`` (NaN
    for one replication).
    """
    year = comparison.report_year() if year is None else int(year)
    if year not in comparison.years:
        raise ValueError(f"differences: year {year} is not in the comparison's years "
                         f"{comparison.years[0]}-{comparison.years[-1]}")
    table = comparison.differences()
    return table[table.year == year].reset_index(drop=True)


def attribute(plan: Scenario | str | Path | Mapping, base: Scenario | str | Path | Mapping | None = None, *,
              year: int | None = None, replications: int = 10, seed: int | None = None, agents: int = 50_000,
              calibration=True, fixed_parameters: bool = False, workers: int | None = 1) -> attributions.Attribution:
    """Split the plan's effect on a year's gap among everything in which it differs from the base.

    As ``run_sim.py attribute``: each measure, and each settlement rule, city
    class or parameter set differently, is a term. ``base``: the reference
    (default ``status_quo.toml`` beside the plan's file, or the shipped one);
    ``year``: default the common end year. Returns the attribution:
    ``.table()`` (leave-one-out and Shapley values with 90 % intervals,
    ``attribution.csv``), ``.total`` (the effect per replication), ``.shapley``
    (replication, term), ``.summary_markdown()``.
    """
    plan = as_scenario(plan)
    if base is None:
        beside = Path(plan.path).parent / "status_quo.toml"
        base = beside if beside.is_file() else STATUS_QUO
    plan, cal = _prepared(plan, None, agents, calibration, "attribute()")
    base, _ = _prepared(base, None, agents, calibration, "attribute()")
    seed = plan.seed if seed is None else seed
    return attributions.attribute(plan, base, seed, replications, agents, workers, year,
                                  calibration=None if fixed_parameters else cal)


def build_model(scenario: Scenario | str | Path | Mapping, *, seed: int | None = None, agents: int | None = None,
                calibration=True, engine: str = "vector"):
    """The Mesa model of a scenario, calibrated, at its start year (``model.step()``, ``model.run()``).

    ``model.agents`` is Mesa's ``AgentSet`` of ``MigrantWorker`` agents (one per
    living adult), ``model.datacollector`` a Mesa ``DataCollector`` over the
    declared outputs.
    """
    from sim.runs import model_class

    scenario, _ = _prepared(scenario, seed, agents, calibration, "build_model()")
    return model_class(engine)(scenario, seed=scenario.seed, agents=scenario.agents)
