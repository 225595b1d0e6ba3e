"""The agent engine: the model's rules written as a plain Mesa model, one agent at a time.

``UrbanizationModel`` (the "vector engine") takes every decision for all agents
at once with array operations. ``AgentEngineModel`` takes the same decisions
the way a Mesa model usually does: each adult is a ``MigrantAgent`` whose
methods decide, in plain Python scalars, whether it works, returns, leaves,
which city it goes to, whether it looks for work elsewhere, whether its
left-behind children join it and whether it applies to convert its hukou. It
is the readable specification of the rules and the oracle the vector engine is
tested against (``tests/test_engines.py``).

What is shared with the vector engine, unchanged (inherited):

- initialization (the identical 2020 state for the same seed), the city system,
  the urban-hukou stock, ``stocks()``, ``_collect()``, ``timeseries()``, ``run()``;
- the processes that are not individual decisions: the policies acting on the
  levers, demography (deaths, ageing, births, coming of age), jobs and wages per
  city, the reclassification of villages, the yearly destination-utility table;
- the decision rules themselves: the probabilities come from the pure functions
  of ``sim.decisions`` and ``sim.settlement``, called on one agent's scalars.

What differs: the decisions are drawn agent by agent from the model's own
generator ``model.rng`` (``random()`` once per decision), not from the per-decision
streams of ``sim.streams``; the two engines therefore agree in distribution,
not draw for draw.

Scheduling. The vector engine runs its stages one after the other for the whole
population, so that, for instance, the destination table is built after this
year's returns. The agent engine keeps that order with staged activation (the
Mesa 3 idiom for ``StagedActivation``): each stage is an agent method that the
model calls on every agent in random order (``self.agents.shuffle_do(stage)``)
before the next stage, with the model-level processes in between:

====  ==========================  =============================================
 1    policies                    model: ``_apply_policies``
 2    demography                  model: ``_demography``; agents for the new adults
 3    labour market               model: jobs and wages per city;
                                  agents: ``work`` (years in town, employment,
                                  wage, insurance year)
 4    reclassify                  model: ``_reclassify``
 5    return                      agents: ``consider_return``
 6    leave and choose            model: destination table;
                                  agents: ``consider_moving`` (college, leave and
                                  choose, search when unemployed, children
                                  follow, left-behind children join)
 7    settle                      agents: ``consider_settling`` (eligibility,
                                  application); model: points quotas, admission
 8    collect                     model: ``_collect``
====  ==========================  =============================================

Within a stage no agent's decision depends on another's (children belong to one
parent; the quotas are applied after all applications), so the random order
does not change the outcome's distribution.

Children under 16 are not agents, as in the vector engine: they are rows linked
to a parent (``model.children_of``), and they move when their parent moves them.
"""

from __future__ import annotations

import math
from bisect import bisect_right

import numpy as np

from sim.decisions import (EDUCATION_WAGE, leave_probability, return_probability, settle_probability,
                           stochastic_round)
from sim.agents import MigrantWorker
from sim.model import (ADULT_AGE, COLLEGE_AGE, SCHOOL_AGES, WORKING_AGES,
                       UrbanizationModel)
from sim.population import insured_share
from sim.settlement import POINTS, eligible, points_score
from sim.state import ORIGIN, RURAL, URBAN

N_EDUCATION = len(EDUCATION_WAGE)


class MigrantAgent(MigrantWorker):
    """A rural-hukou adult (16 and over) who takes its own decisions.

    The agent's state stays in its row of the model's arrays (``self.row``), as
    for ``MigrantWorker``; the methods below read and write that row. Adults who
    hold an urban hukou (settled, college, reclassified with hukou) remain
    agents: they still work and may bring their left-behind children to town,
    but take no other decision.
    """

    STAGES = ("work", "consider_return", "consider_moving", "consider_settling")

    def __init__(self, model, row: int):
        super().__init__(model, row)
        # persistent draw of the residence-registration trial: the same agents
        # count as registered where they live year after year
        self.registration_draw = model.rng.random()

    def step(self) -> None:
        """This agent's year: its stages in order.

        The model does not call this: it runs each stage for all agents before
        the next (``AgentEngineModel.step``), because model-level processes
        (reclassification, the destination table, the quotas) come between
        stages and see all agents' results of the previous one.
        """
        for stage in self.STAGES:
            getattr(self, stage)()

    # ------------------------------------------------------------ helpers
    @property
    def children(self) -> list[int]:
        """Rows of this agent's living children under 16."""
        return self.model.children_of.get(self.row, [])

    def _group(self, has_school_children: bool) -> int:
        """Row of the destination table: origin region x education x school-age children."""
        p = self.model.people
        return (int(p.origin[self.row]) * N_EDUCATION + int(p.education[self.row])) * 2 + int(has_school_children)

    def _has_school_children(self, *, at: int | None = None) -> bool:
        """Any school-age child (living with the agent in ``at`` when given)."""
        p = self.model.people
        for child in self.children:
            if SCHOOL_AGES[0] <= p.age[child] <= SCHOOL_AGES[1] and (at is None or p.location[child] == at):
                return True
        return False

    def _choose_destination(self, group: int) -> int:
        """One draw and one binary search on the group's cumulative choice probabilities."""
        row = self.model.choice_cdf[group]
        return min(bisect_right(row, self.model.rng.random()), len(row) - 1)

    def _take_children(self, old_location: int, follow: bool | None) -> int:
        """Move the rural-hukou children who go with this agent; return how many.

        ``follow`` None: the children who lived with the agent come along (the
        family moves together). ``follow`` True/False (leaving the village): the
        children who lived with the agent or at origin come if True, and all
        stay where they are if False.
        """
        m = self.model
        p = m.people
        here = int(p.location[self.row])
        moved = 0
        for child in self.children:
            if p.hukou[child] != RURAL:  # a child with urban hukou (reclassified village) stays in town
                continue
            was_with = p.location[child] == old_location
            go = was_with if follow is None else (was_with or p.location[child] == ORIGIN) and follow
            if go:
                p.location[child] = here
                p.years_in_city[child] = 0
                p.moved_year[child] = m.year
                p.in_situ[child] = p.in_situ[self.row]
                moved += 1
        return moved

    def _move_to(self, destination: int) -> None:
        """Leave or relocate to ``destination``: clock reset, insurance years as portable."""
        m = self.model
        p, lev, r = m.people, m.levers, self.row
        old = int(p.location[r])
        old_region = m.cities.region[old] if old != ORIGIN else p.origin[r]
        if m.cities.region[destination] == old_region:
            portable = max(lev.insurance_portable, lev.insurance_portable_region)
        else:
            portable = lev.insurance_portable
        p.insurance_years[r] = math.floor(int(p.insurance_years[r]) * portable)
        p.location[r] = destination
        p.years_in_city[r] = 0
        p.moved_year[r] = m.year
        p.in_situ[r] = False

    # ------------------------------------------------------------ stage 3: labour market
    def work(self) -> None:
        """A year in town counts; a migrant worker in town finds a job or not."""
        m = self.model
        p, r = m.people, self.row
        loc = int(p.location[r])
        p.employed[r] = False
        p.wage[r] = 0.0
        if loc == ORIGIN:
            # a farming villager of working age may take up non-farm work near home
            age = int(p.age[r])
            if (not p.works[r] and WORKING_AGES[0] <= age <= WORKING_AGES[1]
                    and m.rng.random() < m.params["offfarm_entry_rate"]):
                p.works[r] = True
            return
        p.years_in_city[r] += 1
        age = int(p.age[r])
        if not (p.works[r] and WORKING_AGES[0] <= age <= WORKING_AGES[1]):
            return
        if m.rng.random() < m.employment_rate[loc]:
            edu = int(p.education[r])
            p.employed[r] = True
            p.wage[r] = m.wage[loc] * EDUCATION_WAGE[edu] * math.exp(p.skill[r])
            share = insured_share(m.params["insured_share_base"] + m.levers.insured_share_extra, edu)
            if p.insurance_draw[r] < share:
                p.insurance_years[r] += 1

    # ------------------------------------------------------------ stage 5: return
    def consider_return(self) -> None:
        """A rural-hukou urban resident who did not move this year may go home."""
        m = self.model
        p, r, year = m.people, self.row, m.year
        loc = int(p.location[r])
        if (p.hukou[r] != RURAL or loc == ORIGIN or p.moved_year[r] == year or p.in_situ[r]):
            return
        left_behind = any(p.location[child] != loc for child in self.children)
        prob = return_probability(age=int(p.age[r]), unemployed=bool(p.works[r] and not p.employed[r]),
                                  left_behind_children=left_behind, land=bool(p.land[r]), params=m.params)
        if m.rng.random() >= prob:
            return
        own_county = int(m._county_of_region[p.origin[r]])
        to_county = m.rng.random() < m.levers.return_to_county_share and loc != own_county
        p.location[r] = own_county if to_county else ORIGIN
        p.years_in_city[r] = 0
        p.moved_year[r] = year
        p.employed[r] = False
        children = self._take_children(loc, None)
        if not to_county:  # returns: persons back in the village (see the vector engine)
            m._flows["returns_in_year"] += (1 + children) * m.persons_per_agent

    # ------------------------------------------------------------ stage 6: leave and choose
    def consider_moving(self) -> None:
        """College, leaving the village, searching when unemployed, bringing the children."""
        m = self.model
        p, r = m.people, self.row
        rural = p.hukou[r] == RURAL
        moved_before = p.moved_year[r] == m.year  # reclassified or returned this year
        mover = False  # left or relocated in this stage
        if rural and p.age[r] == COLLEGE_AGE and m.rng.random() < m.params["college_transfer_rate"]:
            self._enter_college()
        elif rural and not moved_before:
            if p.location[r] == ORIGIN or p.in_situ[r]:
                mover = self._consider_leaving()
            if not mover and p.location[r] != ORIGIN and p.works[r] and not p.employed[r]:
                mover = self._consider_searching()
        if p.location[r] != ORIGIN and not mover:
            self._consider_reunion()

    def _enter_college(self) -> None:
        """An 18-year-old enters college and moves its hukou to the college's city."""
        m = self.model
        p, r = m.people, self.row
        p.education[r] = 3
        old = int(p.location[r])
        p.location[r] = self._choose_destination(self._group(self._has_school_children()))
        p.hukou[r] = URBAN
        p.year_settled[r] = m.year
        p.moved_year[r] = m.year
        p.years_in_city[r] = 0
        self._take_children(old, None)
        m._flows["other_hukou_conversions_in_year"] += m.persons_per_agent

    def _consider_leaving(self) -> bool:
        """A villager (or in-situ town resident) weighs the best city set against home."""
        m = self.model
        p, r = m.people, self.row
        group = self._group(self._has_school_children())
        age = int(p.age[r])
        prob = leave_probability(logsum=m.choice_logsum[group], rural_income=m.rural_income[p.origin[r]],
                                 age=age, education=int(p.education[r]), params=m.params)
        if m.rng.random() >= prob:
            return False
        destination = self._choose_destination(group)
        old = int(p.location[r])
        if destination == old:  # an in-situ resident choosing the home county town stays
            return False
        self._move_to(destination)
        p.works[r] = age <= WORKING_AGES[1]
        follow = m.rng.random() < m.params["children_follow_max"] * m.levers.school_access[destination]
        children = self._take_children(old, follow)
        from_village = 1 if old == ORIGIN else 0  # in-situ residents moving on were urban already
        m._flows["departures_in_year"] += (from_village + children) * m.persons_per_agent
        return True

    def _consider_searching(self) -> bool:
        """An unemployed migrant may look for work in another city, family along."""
        m = self.model
        if m.rng.random() >= m.params["relocate_if_unemployed"]:
            return False
        p, r = m.people, self.row
        destination = self._choose_destination(self._group(self._has_school_children()))
        old = int(p.location[r])
        if destination == old:
            return False
        self._move_to(destination)
        self._take_children(old, None)
        return True

    def _consider_reunion(self) -> None:
        """Children left at origin may join this agent in town (one draw per family)."""
        m = self.model
        p, r = m.people, self.row
        loc = int(p.location[r])
        behind = [child for child in self.children if p.location[child] == ORIGIN]
        if not behind:
            return
        if m.rng.random() < m.params["family_reunion_rate"] * m.levers.school_access[loc]:
            for child in behind:
                p.location[child] = loc
                p.moved_year[child] = m.year
            m._flows["departures_in_year"] += len(behind) * m.persons_per_agent

    # ------------------------------------------------------------ stage 7: settle
    def consider_settling(self) -> None:
        """An eligible rural-hukou urban resident may apply to convert its hukou."""
        m = self.model
        p, r, lev = m.people, self.row, m.levers
        city = int(p.location[r])
        if p.hukou[r] != RURAL or city == ORIGIN or p.moved_year[r] == m.year:
            return
        years = float(p.years_in_city[r])
        insurance = float(p.insurance_years[r])
        edu = int(p.education[r])
        age = int(p.age[r])
        ok = bool(eligible(lev.rules, city, years, insurance, edu, age)) or (
            years >= lev.registration_years and self.registration_draw < lev.registration_share[city])
        if not ok:
            return
        prob = settle_probability(land=bool(p.land[r]), land_penalty_factor=lev.land_penalty_factor,
                                  service_access=lev.service_access[city],
                                  has_school_children=self._has_school_children(at=city),
                                  years_in_city=years, age=age, params=m.params)
        if m.rng.random() < prob:
            # points cities rank their applicants; under other rules every applicant is admitted
            score = float(points_score(lev.rules, city, years, insurance, edu)) if lev.rules.kind[city] == POINTS else 0.0
            m.applications.append((self, city, score))

    def settle(self) -> int:
        """Convert this agent's hukou and that of the rural-hukou children living with it."""
        m = self.model
        p, r = m.people, self.row
        city = int(p.location[r])
        family = [r] + [child for child in self.children
                        if p.location[child] == city and p.hukou[child] == RURAL]
        for row in family:
            p.hukou[row] = URBAN
            p.year_settled[row] = m.year
        return len(family)


class AgentEngineModel(UrbanizationModel):
    """The same model with every individual decision taken by a Mesa agent (see module doc)."""

    lazy_views = False  # agents exist from the start and are kept in step explicitly

    def __init__(self, scenario, *, seed: int | None = None, agents: int | None = None):
        self.children_of: dict[int, list[int]] = {}
        self.applications: list[tuple[MigrantAgent, int, float]] = []
        self.choice_cdf: list[list[float]] = []
        self.choice_logsum: list[float] = []
        super().__init__(scenario, seed=seed, agents=agents)
        self._sync_views()

    def step(self) -> None:
        """Advance one year: the vector engine's stages, decisions taken agent by agent."""
        self.year += 1
        for key in self._flows:
            self._flows[key] = 0.0
        self._apply_policies()  # 1
        self._demography()  # 2
        self._sync_views()  # the dead leave the agent set, 16-year-olds join it
        self._index_children()
        self._update_jobs_and_wages()  # 3 (shared with the vector engine)
        self._children_years_in_town()
        self.agents.shuffle_do("work")
        self._reclassify()  # 4
        self.agents.shuffle_do("consider_return")  # 5
        self._prepare_destination_choice()  # 6
        self.agents.shuffle_do("consider_moving")
        self.applications = []  # 7
        self.agents.shuffle_do("consider_settling")
        self._admit_applicants()
        self._collect()  # 8

    # ------------------------------------------------------------ model-level processes
    def _sync_views(self) -> None:
        """One ``MigrantAgent`` per living adult row."""
        p = self.people
        for row in [row for row in self._views if not p.alive[row]]:
            self._views.pop(row).remove()
        for row in np.flatnonzero(p.view("alive") & (p.view("age") >= ADULT_AGE)).tolist():
            if row not in self._views:
                self._views[row] = MigrantAgent(self, row)

    def _index_children(self) -> None:
        """Parent row -> rows of its living children under 16 (fixed for the year after demography)."""
        p = self.people
        kids = np.flatnonzero(p.view("alive") & (p.view("parent") >= 0) & (p.view("age") < ADULT_AGE))
        self.children_of = {}
        for child, parent in zip(kids.tolist(), p.parent[kids].tolist()):
            self.children_of.setdefault(parent, []).append(child)

    def _children_years_in_town(self) -> None:
        """Children are not agents: their years in town accrue here (adults' in ``work``)."""
        p = self.people
        kids = p.view("alive") & (p.view("age") < ADULT_AGE) & (p.view("location") != ORIGIN)
        p.view("years_in_city")[kids] += 1

    def _prepare_destination_choice(self) -> None:
        """This year's choice probabilities and log-sums per group, after the returns."""
        cdf, logsum = self._destination_table()
        self.choice_cdf = cdf.tolist()
        self.choice_logsum = logsum.tolist()

    def _admit_applicants(self) -> None:
        """Points cities admit the best-scored applicants up to their quota; other rules admit all."""
        rules, w = self.levers.rules, self.persons_per_agent
        quota = stochastic_round(rules.annual_quota_share * self.cities.population / w,
                                 self.rng.random(self.cities.n))
        admitted: list[MigrantAgent] = []
        queues: dict[int, list[tuple[float, float, MigrantAgent]]] = {}
        for agent, city, score in self.applications:
            if rules.kind[city] == POINTS:
                queues.setdefault(city, []).append((-score, self.rng.random(), agent))
            else:
                admitted.append(agent)
        for city, queue in queues.items():
            queue.sort(key=lambda entry: entry[:2])
            admitted.extend(agent for _, _, agent in queue[: quota[city]])
        settled = np.zeros(self.cities.n)
        for agent in admitted:
            city = agent.location
            persons = agent.settle() * w
            settled[city] += persons
            self._flows["settlements_in_year"] += persons
        self.settled_by_year[self.year] = settled
