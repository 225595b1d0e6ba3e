"""The dashboard's model: the controls as a choice of measures, and the runs they ask for.

The dashboard (``sim.dashboard``, a Mesa ``SolaraViz`` page) shows one
``DashboardModel``: a Mesa model that runs the scenario with the measures as
the controls set them (``Choice``) beside the same scenario with none of them
(the status quo), from the start year to the end year, with the same seed
(common random numbers: the two differ only through the measures). Its
``DataCollector`` collects both curves each year, so Mesa's plot components
draw them; its ``step`` advances one year, so SolaraViz's step and play
buttons replay the years after a reset.

The status quo does not depend on the controls: it is run once per agent count
(``status_quo_run``, cached), so moving a control runs one model, not two.
Both runs collect the breakdown by place and cause (``sim.breakdown``, as every
run does); ``city_classes`` and ``causes`` read the gap in persons by city
class and by cause from it.
Nothing here imports Solara: the logic is tested without the ``viz`` extra.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import mesa
import pandas as pd

from sim.breakdown import ALL
from sim.calibration import apply_calibration, load_calibration
from sim.cities import SIZE_CLASSES
from sim.runs import RunSpec, build
from sim.policies import PLAN_ISSUED, REGISTRY
from sim.scenario import Scenario, load_scenario, scenario_from_data

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIO = PROJECT / "scenarios" / "plan.toml"
DEFAULT_AGENTS = 50_000  # runs as fast as 20,000 on 2 cores; drawing the page dominates (scripts/bench_dashboard.py)
AGENT_CHOICES = (10_000, 20_000, 50_000, 100_000, 200_000)
RATES = (("resident", "resident_urbanization_pct"), ("hukou", "hukou_urbanization_pct"), ("gap", "gap_pp"))
CHOSEN, STATUS_QUO = "chosen measures", "status quo"
GAP_PERSONS = "rural_hukou_residents"  # sim.breakdown's quantity: the gap in persons


def series_name(rate: str, run: str) -> str:
    """The DataCollector's name of one curve, e.g. ``"resident, status quo"``."""
    return f"{rate}, {run}"


@dataclass(frozen=True)
class MeasureSetting:
    """One measure as the controls set it: on or off, strength 0-1, start as a decimal year."""

    enabled: bool
    strength: float
    start: float


@dataclass(frozen=True)
class Choice:
    """Every registered measure's setting (registry order) and the agent count."""

    measures: tuple[tuple[str, MeasureSetting], ...]
    agents: int

    def setting(self, name: str) -> MeasureSetting:
        return dict(self.measures)[name]

    def with_measure(self, name: str, **changes) -> "Choice":
        """This choice with one measure's ``enabled``, ``strength`` or ``start`` changed."""
        if name not in REGISTRY:
            raise KeyError(name)
        return dataclasses.replace(self, measures=tuple(
            (n, dataclasses.replace(s, **changes) if n == name else s) for n, s in self.measures))

    def with_agents(self, agents: int) -> "Choice":
        return dataclasses.replace(self, agents=int(agents))

    def none(self) -> "Choice":
        """The same settings with every measure off: the status quo."""
        return dataclasses.replace(self, measures=tuple(
            (n, dataclasses.replace(s, enabled=False)) for n, s in self.measures))

    @property
    def enabled(self) -> tuple[str, ...]:
        return tuple(n for n, s in self.measures if s.enabled)


@lru_cache(maxsize=8)
def base_scenario(path: str | Path = DEFAULT_SCENARIO) -> Scenario:
    """The scenario file the dashboard starts from (validated as ``run`` validates it)."""
    return load_scenario(path)


@lru_cache(maxsize=1)
def _calibration():
    return load_calibration()


def choice_from_scenario(base: Scenario, agents: int = DEFAULT_AGENTS) -> Choice:
    """The controls' starting positions: the scenario's own measures, strengths and starts.

    A measure the scenario does not enable starts off, at full strength, from
    the plan's issue date (or the scenario's first year, if later).
    """
    default_start = min(max(PLAN_ISSUED, float(base.start_year)), float(base.end_year))
    measures = []
    for name in REGISTRY:
        settings = base.policy_settings.get(name, {})
        measures.append((name, MeasureSetting(enabled=name in base.policy_settings,
                                              strength=float(settings.get("strength", 1.0)),
                                              start=float(settings.get("start", default_start)))))
    return Choice(tuple(measures), int(agents))


def scenario_for(base: Scenario, choice: Choice) -> Scenario:
    """``base`` with its measures set as ``choice`` says, validated like a file, calibrated.

    A measure's own parameters (sizes) keep the values ``base`` gives them.
    """
    data = copy.deepcopy(base.resolved)
    policies = data.setdefault("policies", {})
    for name, setting in choice.measures:
        policies[name] = {**policies.get(name, {}), "enabled": setting.enabled,
                          "strength": setting.strength, "start": setting.start}
    name = f"{base.name} (dashboard)"
    data["name"] = name.replace("/", "-")
    scenario = scenario_from_data(data, base.path, base.sha256)
    return apply_calibration(scenario, _calibration())


@dataclass(frozen=True)
class StatusQuoRun:
    """The status quo's rates by year (index) and its breakdown (``sim.breakdown``, every year)."""

    rates: pd.DataFrame
    breakdown: pd.DataFrame


@lru_cache(maxsize=8)
def _status_quo_cached(path: str, agents: int, seed: int) -> StatusQuoRun:
    base = base_scenario(path)
    model = build(RunSpec(scenario_for(base, choice_from_scenario(base, agents).none()), seed=seed, agents=agents))
    while model.year < model.scenario.end_year:
        model.step()
    return StatusQuoRun(model.timeseries().set_index("year"), model.breakdown())


def status_quo_run(path: str | Path, agents: int, seed: int) -> StatusQuoRun:
    """The scenario of ``path`` with no measure, run once per agent count and seed (cached)."""
    return _status_quo_cached(str(path), int(agents), int(seed))


def _country(table: pd.DataFrame, year: int) -> pd.DataFrame:
    return table[(table["year"] == year) & (table["region"] == ALL) & (table["city"] == ALL)]


def gap_by_class(table: pd.DataFrame, year: int) -> pd.Series:
    """Rural-hukou town residents (the gap in persons) by city size class in ``year`` of a breakdown
    (``sim.breakdown``'s tidy rows), in ``SIZE_CLASSES`` order."""
    rows = _country(table, year)
    rows = rows[(rows["city_class"] != ALL) & (rows["quantity"] == GAP_PERSONS)]
    return rows.set_index("city_class")["value"].reindex(list(SIZE_CLASSES))


def gap_by_cause(table: pd.DataFrame, year: int) -> pd.Series:
    """The country's rural-hukou town residents by cause in ``year`` of a breakdown (persons, by the names of
    ``sim.breakdown.CAUSES``); empty for the start year, which has no causes."""
    rows = _country(table, year)
    rows = rows[(rows["city_class"] == ALL) & rows["quantity"].str.startswith("cause_")]
    return rows.set_index("quantity")["value"].rename(lambda q: q.removeprefix("cause_"))


class DashboardModel(mesa.Model):
    """The chosen measures and the status quo, side by side, year by year (see module doc).

    Args:
        scenario_file: the scenario the controls start from (default ``scenarios/plan.toml``).
        agents: agents of both runs, when ``choice`` is not given.
        choice: the measures as set; default: the scenario's own.
    """

    def __init__(self, scenario_file: str = str(DEFAULT_SCENARIO), agents: int = DEFAULT_AGENTS,
                 choice: Choice | None = None):
        base = base_scenario(scenario_file)
        super().__init__(rng=base.seed)
        self.scenario_file = str(scenario_file)
        self.base = base
        self.choice = choice if choice is not None else choice_from_scenario(base, agents)
        self.start_year, self.end_year = base.start_year, base.end_year
        self.run_model = build(RunSpec(scenario_for(base, self.choice), seed=base.seed, agents=self.choice.agents))
        self.status_quo = status_quo_run(self.scenario_file, self.choice.agents, base.seed)
        self.year = self.run_model.year
        reporters = {}
        for label, column in RATES:
            reporters[series_name(label, CHOSEN)] = lambda m, c=column: m.run_model.records[-1][c]
            reporters[series_name(label, STATUS_QUO)] = lambda m, c=column: m.status_quo.rates.loc[m.year, c]
        self.datacollector = mesa.DataCollector(model_reporters=reporters)
        self.datacollector.collect(self)

    def step(self) -> None:
        """One year of the chosen measures (the status quo's year is read from its cached run)."""
        if self.year >= self.end_year:
            self.running = False
            return
        self.run_model.step()
        self.year = self.run_model.year
        self.datacollector.collect(self)
        self.running = self.year < self.end_year

    def run_to_end(self) -> "DashboardModel":
        """Run the remaining years to the scenario's end year; return the model."""
        while self.year < self.end_year:
            self.step()
        self.running = False
        return self

    def curves(self) -> pd.DataFrame:
        """The collected curves by year: one column per ``series_name``."""
        frame = self.datacollector.get_model_vars_dataframe()
        frame.index = range(self.start_year, self.start_year + len(frame))
        return frame

    def _side_by_side(self, read) -> pd.DataFrame:
        return pd.DataFrame({CHOSEN: read(self.run_model.breakdown(), self.year),
                             STATUS_QUO: read(self.status_quo.breakdown, self.year)})

    def city_classes(self) -> pd.DataFrame:
        """Rural-hukou town residents by city class at the current year: chosen and status quo, persons."""
        return self._side_by_side(gap_by_class)

    def causes(self) -> pd.DataFrame:
        """The country's rural-hukou town residents by cause at the current year (none at the start year)."""
        return self._side_by_side(gap_by_cause)
