"""The agent engine: every individual decision taken by a Mesa agent, in plain Python.

``UrbanizationModel`` (the vector engine) and ``AgentEngineModel`` run the same
year (``sim.stages.YEAR``): the same stages select the same candidates, and
apply the same outcomes. They differ only in the two calls in between:

- ``decide(stream, rows, probability)``: the vector engine compares an array
  of probabilities with the rows' uniforms; here each agent states its own
  probability (``MigrantAgent.chance``), in plain Python arithmetic on its own
  values, and it is compared with the same uniform, the element of the same
  named stream at the agent's row;
- ``choose_destinations(rows)``: here each agent searches its group's row of
  cumulative choice probabilities with its uniform (``bisect``).

Both engines therefore give identical results for the same seed
(``tests/test_engines.py`` checks it exactly), and ``MigrantAgent.chance``
is the readable specification of the behavioural rules: one agent's year,
decision by decision, in one method.

Within a stage no agent's decision depends on another's decision of that
stage (children belong to one parent; the quotas are applied after all
applications), so the order in which agents decide does not matter; they
decide in row order. Children under 16 are not agents, as in the vector
engine: they are rows linked to a parent, and they move when it moves them.
Population processes (deaths, births, reclassification of villages, jobs and
wages, quotas) are not individual decisions and run as in the vector engine.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np

from sim import datasets
from sim.agents import MigrantWorker
from sim.decisions import leave_probability, return_probability, settle_probability
from sim.model import UrbanizationModel


class MigrantAgent(MigrantWorker):
    """A rural-hukou person aged 16 and over, who takes its own decisions.

    The agent's state stays in its row of the model's arrays (``self.row``),
    read through ``MigrantWorker``'s attributes. Adults who hold an urban
    hukou (settled, college, reclassified with hukou) remain agents: they
    still work and may bring their left-behind children to town.
    """

    def chance(self, decision: str) -> float:
        """This agent's probability of saying yes to ``decision`` this year.

        The decisions of one agent's year, in the order of the stages
        (``sim.stages``); the stage has already checked that the agent is a
        candidate.
        """
        m = self.model
        prm, lev = m.params, m.levers
        # 3 labour market
        if decision == "nonfarm_exit":  # a migrant worker aged 60+ stops non-farm work
            return prm["nonfarm_exit_rate_old"]
        if decision == "offfarm":  # a farming villager of working age takes up non-farm work
            return prm["offfarm_entry_rate"]
        if decision == "employment":  # a migrant worker in town finds a job
            return float(m.employment_rate[self.location])
        # 5 return
        if decision == "return":  # a rural-hukou town resident goes home
            return return_probability(age=self.age, unemployed=self.works and not self.employed,
                                      left_behind_children=bool(m.inputs["left_behind"][self.row]),
                                      land=self.land_rights, params=prm) * datasets.shock("return", m.year, prm)
        if decision == "return_place":  # ... to the county town rather than the village
            return lev.return_to_county_share
        # 6 leave and choose
        if decision == "college":  # an 18-year-old enters college (hukou moves to a city)
            return prm["college_transfer_rate"]
        if decision == "leave":  # a villager weighs the best city set against home
            origin = self._get("origin")
            return leave_probability(logsum=self._logsum(), rural_income=float(m.rural_income[origin]),
                                     age=self.age, education=int(self._get("education")),
                                     params=prm) * datasets.shock("leave", m.year, prm)
        if decision == "relocate":  # an unemployed migrant looks for work in another city
            return prm["relocate_if_unemployed"]
        if decision == "children":  # a leaver's children come along (school places)
            return prm["children_follow_max"] * float(lev.school_access[self.location])
        if decision == "reunion":  # children left at origin join this agent in town
            return prm["family_reunion_rate"] * float(lev.school_access[self.location])
        # 7 settle
        if decision == "land_exit":  # a land holder in town sells or exits its rural land rights
            return lev.land_exit_rate
        if decision == "settle":  # an eligible migrant applies to convert its hukou
            city = self.location
            return settle_probability(land=self.land_rights, land_penalty_factor=lev.land_penalty_factor,
                                      service_access=float(lev.service_access[city]),
                                      has_school_children=bool(m.inputs["school_children_here"][self.row]),
                                      years_in_city=float(self.years_in_city), age=self.age,
                                      params=prm) * datasets.shock("settle", m.year, prm)
        raise ValueError(f"no agent decision {decision!r}")

    def choose_city(self, u: float) -> int:
        """The destination whose cumulative choice probability first exceeds ``u`` in the agent's group."""
        row = self.model.choice_rows[self._group()]
        return min(bisect_right(row, u), len(row) - 1)

    def _group(self) -> int:
        return int(self.model.inputs["group"][self.row])

    def _logsum(self) -> float:
        return self.model.choice_logsums[self._group()]


class AgentEngineModel(UrbanizationModel):
    """The same model with every individual decision taken by a Mesa agent (see module doc)."""

    lazy_views = False  # agents exist from the start and are kept in step with the rows
    view_class = MigrantAgent

    def __init__(self, scenario, *, seed: int | None = None, agents: int | None = None, by_place: bool = True):
        self._synced_year: int | None = None
        self._table_for = None
        self.choice_rows: list[list[float]] = []
        self.choice_logsums: list[float] = []
        super().__init__(scenario, seed=seed, agents=agents, by_place=by_place)

    def _agent_views(self) -> dict[int, MigrantAgent]:
        """One ``MigrantAgent`` per living adult, synchronized once a year after demography.

        Also keeps this year's destination table as plain lists for the agents.
        """
        if self._synced_year != self.year:
            self._sync_views()
            self._synced_year = self.year
        if self.choice_cdf is not None and self._table_for is not self.choice_cdf:
            self.choice_rows = self.choice_cdf.tolist()
            self.choice_logsums = self.choice_logsum.tolist()
            self._table_for = self.choice_cdf
        return self._views

    def decide(self, stream, rows, probability):
        if rows.size == 0:
            return rows
        views = self._agent_views()
        u = self.streams.uniform_at(stream, self.year, rows).tolist()
        yes = [row for row, draw in zip(rows.tolist(), u) if draw < views[row].chance(stream)]
        return np.array(yes, dtype=np.int64)

    def choose_destinations(self, rows):
        if rows.size == 0:
            return rows
        views = self._agent_views()
        u = self.streams.uniform_at("destination", self.year, rows).tolist()
        return np.array([views[row].choose_city(draw) for row, draw in zip(rows.tolist(), u)], dtype=np.int64)
