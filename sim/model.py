"""The model: rural-hukou people choosing to leave, where to live, to settle, to return.

``UrbanizationModel`` is the vector engine: every decision is taken for all
candidates at once with array operations. The year's stages and their order
are written once, in ``sim.stages`` (``YEAR``); this module sets the model up
from the start year's official state, runs the stages, and records the
declared outputs (``sim.outputs``) each year, also through a Mesa
``DataCollector`` (``model.datacollector``), and the outputs by place, cause
and flow (``sim.breakdown``; ``model.breakdown()``).

State lives in arrays (``sim.state.PersonArrays``); ``MigrantWorker`` agents
(``sim.agents``) are Mesa views onto the rows of adults, so the model is a Mesa
model whose agents can be selected, grouped and reported on in the usual way.
The agent engine (``sim.agent_engine``) runs the same stages with each
decision taken by a Mesa agent.
"""

from __future__ import annotations

from typing import Callable

import mesa
import numpy as np
import pandas as pd

from sim import breakdown, datasets, destinations, outputs
from sim.agents import MigrantWorker
from sim.cities import COUNTY, SIZE_CLASSES, build_city_system
from sim.datasets import REGIONS
from sim.decisions import choose
from sim.households import ADULT_AGE, Families, has_school_children
from sim.levers import Levers, baseline_levers
from sim.population import build_initial_state
from sim.scenario import Scenario
from sim.settlement import RuleArrays
from sim.stages import YEAR, labour
from sim.start_state import start_state
from sim.streams import Streams

# Re-exported: the output columns are declared in ``sim.outputs``.
TIMESERIES_COLUMNS = outputs.TIMESERIES_COLUMNS


class UrbanizationModel(mesa.Model):
    """China's urbanization driven by rural-hukou migrants' decisions (see module doc)."""

    def __init__(self, scenario: Scenario, *, seed: int | None = None, agents: int | None = None,
                 by_place: bool = True):
        """``by_place``: also collect the outputs by place, cause and flow each year (``sim.breakdown``)."""
        seed = scenario.seed if seed is None else int(seed)
        super().__init__(rng=seed)
        self.scenario = scenario
        self.params = scenario.parameters
        self.seed = seed
        self.streams = Streams(seed)
        self.year = scenario.start_year
        self.tally = outputs.Tally()
        self.inputs: dict[str, np.ndarray] = {}  # per-row values a stage prepares for the decisions
        self._views: dict[int, MigrantWorker] = {}  # Mesa agents by row (see ``agents``)
        self._views_synced_at: tuple[int, int] | None = None
        self.choice_cdf = self.choice_logsum = None  # the destination table, rebuilt each year (stage moves)

        start = start_state(self.year)
        self.cities = build_city_system(start.total_population * start.resident_rate)
        self.wage_index = start.income_index  # reported wages: migrant income of the year against 2020
        init = build_initial_state(agents or scenario.agents, self.cities, self.params,
                                   self.streams.generator("init", self.year), self.year)
        self.people = init.people
        self.persons_per_agent = init.persons_per_agent
        self.urban_hukou = init.urban_hukou_by_age
        self.town_worker_share = init.town_worker_share
        self.origin_offfarm_share = init.origin_offfarm_share
        self.origin_outside_share = init.origin_outside_township_share
        self.destination_targets = init.destination_targets

        regions = datasets.regions()
        self.county_of_region = np.array([np.flatnonzero((self.cities.size_class == COUNTY)
                                                         & (self.cities.region == r))[0]
                                          for r in range(len(REGIONS))])
        self.rural_income = (regions["rural_income_yuan_year"].to_numpy()
                             * self.params["rural_income_per_worker_factor"] / 12.0)
        # Jobs, wage weights and the fiscal reference use the expected 2020 numbers
        # of each destination, not the sampled agents: with few agents a city may
        # draw no migrant at all, and it must not become a city without jobs.
        self.expected_workers = init.destination_workers
        self.base_wage = labour.base_wages(self, regions)
        self.labour = labour.labour_by_city(self)
        # Jobs start equal to the workers present, in persons, wherever there are
        # any: the start's employment rates then do not depend on how many
        # agents represent a destination. Destinations without sampled workers
        # keep their expected 2020 numbers, so that no city is without jobs.
        self.jobs = np.where(self.labour > 0, self.labour, self.expected_workers)
        self.employment_rate = np.full(self.cities.n, self.params["max_employment_rate"])
        self.wage = self.base_wage.copy()
        self.initial_gap = np.maximum(self.destination_targets, self.persons_per_agent)
        self.settled_by_year: dict[int, np.ndarray] = {}  # persons settled per destination

        self.policies = scenario.build_policies()
        rules = RuleArrays.from_class_rules([scenario.rules[c] for c in SIZE_CLASSES], self.cities.size_class)
        self.baseline = baseline_levers(rules, scenario.class_values, self.cities.size_class, SIZE_CLASSES,
                                        len(REGIONS), self.params["return_to_county_share"])
        self.levers: Levers = self.baseline.copy()

        labour.draw_employment(self)
        self.families = Families.index(self.people)
        self.destination_constant = destinations.fit_destination_constants(
            self, has_school_children(self.people, self.families))
        self.records: list[dict] = []
        self.places = breakdown.Places(self)
        self.place_values: list[np.ndarray] | None = [] if by_place else None  # each year's ``breakdown.values``
        self.datacollector = mesa.DataCollector(model_reporters=outputs.model_reporters())
        self._collect()

    # ------------------------------------------------------------------ the year
    def step(self) -> None:
        """Advance one year: the stages of ``sim.stages.YEAR`` in order, then collect."""
        self.year += 1
        self.tally = outputs.Tally()
        for stage in YEAR:
            self.inputs = {}
            stage.run(self)
        self._collect()

    def decide(self, stream: str, rows: np.ndarray, probability: Callable[[], np.ndarray]) -> np.ndarray:
        """The rows that say yes: each row's uniform of ``stream`` this year is below its probability.

        ``probability()`` gives the candidates' probabilities as an array (the
        agent engine asks each agent instead).
        """
        if rows.size == 0:
            return rows
        u = self.streams.uniform_at(stream, self.year, rows)
        return rows[u < probability()]

    def choose_destinations(self, rows: np.ndarray) -> np.ndarray:
        """Each row's city: its uniform of stream ``destination`` against its group's cumulative shares."""
        if rows.size == 0:
            return rows
        u = self.streams.uniform_at("destination", self.year, rows)
        return choose(self.choice_cdf, self.inputs["group"][rows], u)

    # ------------------------------------------------------------------ records
    def _collect(self) -> None:
        snap = outputs.Snapshot(self)
        self.records.append(outputs.collect(self, snap))
        if self.place_values is not None:
            self.place_values.append(breakdown.values(self, snap))
        self.datacollector.collect(self)

    def stocks(self) -> dict:
        """The outputs of the current state (the last collected row)."""
        return dict(self.records[-1])

    def run(self) -> pd.DataFrame:
        """Run to the scenario's end year; return the time series."""
        while self.year < self.scenario.end_year:
            self.step()
        return self.timeseries()

    def timeseries(self) -> pd.DataFrame:
        return pd.DataFrame.from_records(self.records, columns=list(TIMESERIES_COLUMNS))

    def breakdown(self) -> pd.DataFrame | None:
        """Every year so far by place, cause and flow: tidy rows (``sim.breakdown``); None if not collected."""
        if self.place_values is None:
            return None
        return breakdown.frame(self.places, [int(r["year"]) for r in self.records], self.place_values)

    # ------------------------------------------------------------------ Mesa views
    lazy_views: bool = True

    @property
    def agents(self):
        """Mesa's agent set: one ``MigrantWorker`` per living adult.

        The vector engine never needs the Python objects to simulate, so they
        are created (and retired) only when someone asks for ``model.agents``,
        and then only for the rows that changed since the last request. A run
        that nobody inspects pays nothing for them; at a million agents they
        would cost more than the simulation itself.
        """
        if self.lazy_views and getattr(self, "people", None) is not None:
            stamp = (self.year, self.people.n)
            if stamp != self._views_synced_at:
                self._sync_views()
                self._views_synced_at = stamp
        return super().agents

    @property
    def agents_by_type(self):
        self.agents  # noqa: B018 - synchronizes the views
        return super().agents_by_type

    view_class = MigrantWorker

    def _sync_views(self) -> None:
        """Keep one ``view_class`` agent per living adult row."""
        p = self.people
        for row in [row for row in self._views if not p.alive[row]]:
            self._views.pop(row).remove()
        adults = np.flatnonzero(p.view("alive") & (p.view("age") >= ADULT_AGE))
        for row in adults[~np.isin(adults, np.fromiter(self._views, dtype=np.int64, count=len(self._views)))]:
            self._views[int(row)] = self.view_class(self, int(row))
