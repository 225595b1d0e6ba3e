"""The model: rural-hukou people choosing to leave, where to live, to settle, to return.

One call of ``step()`` is one year, ending on 31 December of ``model.year``.
The stages, in this order (``docs/ODD.md``, "Process overview and scheduling"):

1. policies      the levers are rebuilt from the scenario's baseline and every
                 policy acts at its strength for the year;
2. demography    deaths (published crude death rate), ageing, births
                 (published births), for the urban-hukou stock and the agents;
3. labour market jobs for migrants grow with GDP, wages answer the ratio of jobs
                 to workers, every migrant worker's employment is drawn;
4. reclassify    villages become urban (in-situ urbanization), some with hukou;
5. return        rural-hukou urban residents go home (village or county town);
6. leave         rural residents leave, given the value of the best city set;
   choose city   movers (and unemployed migrants who search) pick a city by
                 multinomial logit; children follow or stay behind; college
                 entrants move their hukou to a city;
7. settle        eligible migrants who want to convert their hukou apply;
                 points cities admit the best-scored within their quota;
8. collect       stocks, rates and the year's flows are recorded.

State lives in arrays (``sim.state.PersonArrays``); ``MigrantWorker`` agents
(``sim.agents``) are Mesa views onto the rows of adults, so the model is a Mesa
model whose agents can be selected, grouped and reported on in the usual way.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd

from sim import datasets
from sim.agents import MigrantWorker
from sim.cities import COUNTY, SIZE_CLASSES, build_city_system
from sim.datasets import REGIONS
from sim.decisions import (EDUCATION_WAGE, ndtri_clipped, choice_cdf, choose, destination_utilities, housing_share,
                           leave_probability, return_probability, settle_probability,
                           stochastic_round)
from sim.demography import FERTILE_AGES, age_urban_stock, calibrate_mortality, split_births
from sim.levers import Levers, baseline_levers
from sim.population import LAND_SHARE, build_initial_state, education_draw, insured_share
from sim.scenario import Scenario
from sim.settlement import POINTS, CONDITIONS, RuleArrays, apply_quotas, eligible, points_score
from sim.state import NO_PARENT, ORIGIN, RURAL, URBAN
from sim.start_state import start_state
from sim.streams import Streams

ADULT_AGE = 16
SCHOOL_AGES = (6, 15)
WORKING_AGES = (16, 64)
COLLEGE_AGE = 18
PROSPECT_HORIZON_YEARS = 10  # assumed horizon over which a migrant weighs settling
WAGE_RATIO_BOUNDS = (0.5, 2.0)  # jobs/worker ratio within which wages respond

TIMESERIES_COLUMNS = (
    "year", "resident_urbanization_pct", "hukou_urbanization_pct", "gap_pp",
    "total_population", "urban_residents", "urban_hukou_population", "rural_hukou_in_cities",
    "settlements_in_year", "migrants_in_cities", "other_hukou_conversions_in_year",
    "departures_in_year", "returns_in_year", "reclassified_in_year", "births", "deaths",
    "migrant_workers_total", "migrant_workers_outside_township", "mean_migrant_wage",
    "mean_age_migrant_workers", "share_migrant_workers_over_50",
    "left_behind_children", "children_in_cities", "rural_hukou_migrants_in_towns",
)


class UrbanizationModel(mesa.Model):
    """China's urbanization driven by rural-hukou migrants' decisions (see module doc)."""

    def __init__(self, scenario: Scenario, *, seed: int | None = None, agents: int | None = None):
        seed = scenario.seed if seed is None else int(seed)
        super().__init__(rng=seed)
        self.scenario = scenario
        self.params = scenario.parameters
        self.seed = seed
        self.streams = Streams(seed)
        self.year = scenario.start_year

        start = start_state(self.year)
        self.cities = build_city_system(start.total_population * start.resident_rate)
        self.wage_index = start.income_index  # reported wages: migrant income of the year against 2020
        init = build_initial_state(agents or scenario.agents, self.cities, self.params,
                                   self.streams.generator("init", self.year), self.year)
        self.people = init.people
        self.persons_per_agent = init.persons_per_agent
        self.urban_hukou = init.urban_hukou_by_age
        self._town_worker_share = init.town_worker_share
        self._origin_offfarm_share = init.origin_offfarm_share
        self._origin_outside_share = init.origin_outside_township_share
        self._destination_targets = init.destination_targets

        regions = datasets.regions()
        self._county_of_region = np.array([np.flatnonzero((self.cities.size_class == COUNTY)
                                                          & (self.cities.region == r))[0]
                                           for r in range(len(REGIONS))])
        self.rural_income = (regions["rural_income_yuan_year"].to_numpy()
                             * self.params["rural_income_per_worker_factor"] / 12.0)
        # Jobs, wage weights and the fiscal reference use the expected 2020 numbers
        # of each destination, not the sampled agents: with few agents a city may
        # draw no migrant at all, and it must not become a city without jobs.
        self._expected_workers = init.destination_workers
        self.base_wage = self._base_wages(regions)
        self.labour = self._labour_by_city()
        self.jobs = self._expected_workers.copy()
        self.employment_rate = np.full(self.cities.n, self.params["max_employment_rate"])
        self.wage = self.base_wage.copy()
        self.initial_gap = np.maximum(self._destination_targets, self.persons_per_agent)
        self.settled_by_year: dict[int, np.ndarray] = {}  # persons settled per destination

        self.policies = scenario.build_policies()
        rules = RuleArrays.from_class_rules([scenario.rules[c] for c in SIZE_CLASSES], self.cities.size_class)
        self.baseline = baseline_levers(rules, scenario.class_values, self.cities.size_class, SIZE_CLASSES,
                                        len(REGIONS), self.params["return_to_county_share"])
        self.levers: Levers = self.baseline.copy()

        self._draw_employment()
        self.destination_constant = np.zeros(self.cities.n)
        self._calibrate_destination_constants()
        self._views: dict[int, MigrantWorker] = {}
        self._views_synced_at: tuple[int, int] | None = None
        self.records: list[dict] = []
        self._flows = dict.fromkeys(("settlements_in_year", "other_hukou_conversions_in_year",
                                     "departures_in_year", "returns_in_year", "reclassified_in_year",
                                     "births", "deaths"), 0.0)
        self._collect()

    # ------------------------------------------------------------------ set-up
    def _base_wages(self, regions: pd.DataFrame) -> np.ndarray:
        """Monthly migrant wage by destination in 2020 yuan.

        Cities: the 2020 wage of migrants working outside their township (4,549,
        NBS), scaled by their region's relative wage and by city size
        (``city_size_wage_elasticity``), normalized so that the migrant-weighted
        mean over cities is 4,549. County towns: the local migrants' 3,606,
        scaled by region.
        """
        c = self.cities
        national = datasets.official("migrant_worker_monthly_income", 2020)
        regional = regions["migrant_wage_yuan_month"].to_numpy() / national
        size = (c.population / 1e6) ** self.params["city_size_wage_elasticity"]
        wage = regional[c.region] * size
        city = c.size_class != COUNTY
        weights = self._expected_workers[city]
        wage[city] *= 4549.0 / np.average(wage[city], weights=np.maximum(weights, 1e-9))
        wage[~city] = 3606.0 * regional[c.region[~city]]
        return wage

    # ------------------------------------------------------------------ helpers
    def _in_town_rural(self) -> np.ndarray:
        p = self.people
        return p.view("alive") & (p.view("hukou") == RURAL) & (p.view("location") != ORIGIN)

    def _workers_in_towns(self) -> np.ndarray:
        p = self.people
        age = p.view("age")
        return (p.view("alive") & (p.view("location") != ORIGIN) & p.view("works")
                & (age >= WORKING_AGES[0]) & (age <= WORKING_AGES[1]))

    def _labour_by_city(self) -> np.ndarray:
        mask = self._workers_in_towns()
        return np.bincount(self.people.view("location")[mask], minlength=self.cities.n) * self.persons_per_agent

    def _rural_hukou_by_city(self) -> np.ndarray:
        mask = self._in_town_rural()
        return np.bincount(self.people.view("location")[mask], minlength=self.cities.n) * self.persons_per_agent

    def _children_of(self, parents_mask: np.ndarray, *, with_parent: bool | None = None,
                     school_age: bool = False) -> np.ndarray:
        """Mask of living children under 16 whose parent is in ``parents_mask``.

        ``with_parent``: True, only children living where the parent lives;
        False, only children living elsewhere; None, all.
        """
        p = self.people
        parent = p.view("parent")
        age = p.view("age")
        has_parent = p.view("alive") & (parent != NO_PARENT) & (age < ADULT_AGE)
        safe_parent = np.where(has_parent, parent, 0)
        mask = has_parent & parents_mask[safe_parent]
        if school_age:
            mask &= (age >= SCHOOL_AGES[0]) & (age <= SCHOOL_AGES[1])
        if with_parent is not None:
            same = p.view("location") == p.view("location")[safe_parent]
            mask &= same if with_parent else ~same
        return mask

    def _count_children(self, child_mask: np.ndarray) -> np.ndarray:
        """Per row: number of children in ``child_mask`` that belong to it."""
        return np.bincount(self.people.view("parent")[child_mask], minlength=self.people.n)

    # ------------------------------------------------------------------ stages
    def step(self) -> None:
        """Advance one year (see the module docstring for the stage order)."""
        self.year += 1
        for key in self._flows:
            self._flows[key] = 0.0
        self._apply_policies()
        self._demography()
        self._labour_market()
        self._reclassify()
        self._return()
        self._leave_and_choose()
        self._settle()
        self._collect()

    def _apply_policies(self) -> None:
        from sim.policies import PolicyContext

        levers = self.baseline.copy()
        for change in self.scenario.rule_changes:  # settlement rules changed by documents (history)
            if change.start < self.year + 1.0:
                change.apply(levers.rules, self.cities.size_class)
        context = PolicyContext(size_class=self.cities.size_class, region=self.cities.region,
                                n_regions=len(REGIONS), year=self.year,
                                settled_by_year=self.settled_by_year, initial_gap=self.initial_gap)
        for policy in self.policies:
            intensity = policy.intensity(self.year + 1.0)  # strength reached by 31 December
            if intensity > 0:
                policy.apply(context, levers, intensity)
        self.levers = levers

    def _demography(self) -> None:
        p, w, year = self.people, self.persons_per_agent, self.year
        alive = p.view("alive")
        age = p.view("age")
        agent_ages = np.bincount(age[alive], minlength=len(self.urban_hukou)) * w
        by_age = self.urban_hukou + agent_ages
        total = by_age.sum()
        q = calibrate_mortality(by_age, datasets.crude_death_rate(year) * total)

        u = self.streams.uniform("death", year, p.n)
        dies = alive & (u < q[np.minimum(age, len(q) - 1)])
        alive[dies] = False
        orphans = alive & (p.view("parent") >= 0)
        orphans[orphans] = dies[p.view("parent")[orphans]]
        p.view("parent")[orphans] = NO_PARENT
        self.urban_hukou, urban_deaths = age_urban_stock(self.urban_hukou, q)
        self._flows["deaths"] = urban_deaths + dies.sum() * w

        age[alive] += 1
        age.clip(max=len(q) - 1, out=age)
        self._come_of_age(alive & (age == ADULT_AGE))

        # births
        hukou = p.view("hukou")
        fertile = alive & (age >= FERTILE_AGES[0]) & (age <= FERTILE_AGES[1])
        urban_fertile = self.urban_hukou[FERTILE_AGES[0]:FERTILE_AGES[1] + 1].sum() \
            + (fertile & (hukou == URBAN)).sum() * w
        rural_parents = np.flatnonzero(fertile & (hukou == RURAL))
        population = self.urban_hukou.sum() + alive.sum() * w
        births = datasets.births(year, population)
        urban_births, rural_births = split_births(births, urban_fertile, len(rural_parents) * w,
                                                  self.params["fertility_rural_relative"])
        draws = self.streams.generator("birth", year).random((4, p.n))
        n_new = int(stochastic_round(np.array([rural_births / w]), draws[0, :1])[0]) if len(rural_parents) else 0
        n_new = min(n_new, len(rural_parents))
        self.urban_hukou[0] += urban_births + (rural_births - n_new * w)  # rounding remainder kept in the total
        self._flows["births"] = births
        if n_new:
            # parents: the rural-hukou fertile rows with the smallest draws of this
            # year's birth stream, so that scenarios share parents (common random numbers)
            u_parent = self.streams.uniform("birth_parent", year, p.n)[rural_parents]
            parents = np.sort(rural_parents[np.argpartition(u_parent, n_new - 1)[:n_new]])
            rows = p.append(n_new)
            loc = p.location[parents]
            in_town = loc != ORIGIN
            follow = self.params["children_follow_max"] * self.levers.school_access[np.maximum(loc, 0)]
            with_parent = in_town & (draws[1, parents] < follow)
            p.alive[rows] = True
            p.age[rows] = 0
            p.parent[rows] = parents
            p.origin[rows] = p.origin[parents]
            p.location[rows] = np.where(with_parent, loc, ORIGIN)
            p.in_situ[rows] = with_parent & p.in_situ[parents]
            p.skill[rows] = self.params["wage_dispersion"] * ndtri_clipped(draws[2, parents])
            p.insurance_draw[rows] = draws[3, parents]

    def _come_of_age(self, mask: np.ndarray) -> None:
        """Children turning 16: own education, land, labour-force status."""
        p = self.people
        rows = np.flatnonzero(mask)
        if rows.size == 0:
            return
        u = self.streams.generator("come_of_age", self.year).random((3, p.n))[:, rows]
        p.parent[rows] = NO_PARENT
        p.education[rows] = education_draw(p.age[rows].astype(np.int64), u[0])
        p.land[rows] = u[1] < LAND_SHARE
        share = np.where(p.location[rows] == ORIGIN, self._origin_offfarm_share, self._town_worker_share)
        p.works[rows] = u[2] < share

    def _labour_market(self) -> None:
        p, lev, prm = self.people, self.levers, self.params
        self._update_jobs_and_wages()

        in_town = p.view("alive") & (p.view("location") != ORIGIN)
        p.view("years_in_city")[in_town] += 1
        # rural people of working age at home move from farming into non-farm work
        age = p.view("age")
        farming = (p.view("alive") & (p.view("location") == ORIGIN) & ~p.view("works")
                   & (age >= WORKING_AGES[0]) & (age <= WORKING_AGES[1]))
        u = self.streams.uniform("offfarm", self.year, p.n)
        p.view("works")[farming & (u < prm["offfarm_entry_rate"])] = True
        employed = self._draw_employment()
        edu = p.view("education")
        insured = employed & (p.view("insurance_draw")
                              < insured_share(prm["insured_share_base"] + lev.insured_share_extra, edu))
        p.view("insurance_years")[insured] += 1

    def _update_jobs_and_wages(self) -> None:
        """Jobs grow with GDP; each city's employment rate and wage answer its jobs per worker."""
        lev, prm = self.levers, self.params
        growth = datasets.gdp_growth(self.year, prm["gdp_growth_after_data"])
        self.jobs *= np.maximum(1.0 + prm["job_gdp_elasticity"] * growth + lev.job_growth_extra, 0.0)
        self.wage_index *= 1.0 + prm["wage_gdp_elasticity"] * growth
        self.labour = self._labour_by_city()
        ratio = np.clip(self.jobs / np.maximum(self.labour, 1.0), *WAGE_RATIO_BOUNDS)
        ceiling = min(1.0, prm["max_employment_rate"] + lev.employment_extra)
        self.employment_rate = np.minimum(1.0, ratio) * ceiling
        self.wage = self.base_wage * lev.wage_factor * ratio ** prm["wage_tightness_elasticity"]

    def _draw_employment(self) -> np.ndarray:
        """Employment and wage of every migrant worker in a town this year."""
        p = self.people
        workers = self._workers_in_towns()
        loc = p.view("location")
        u = self.streams.uniform("employment", self.year, p.n)
        employed = workers & (u < self.employment_rate[np.maximum(loc, 0)])
        p.view("employed")[:] = employed
        wage = self.wage[np.maximum(loc, 0)] * EDUCATION_WAGE[p.view("education")] * np.exp(p.view("skill"))
        p.view("wage")[:] = np.where(employed, wage, 0.0)
        return employed

    def _reclassify(self) -> None:
        """In-situ urbanization: villages become urban; families move together."""
        p, prm = self.people, self.params
        alive = p.view("alive")
        at_origin = alive & (p.view("location") == ORIGIN) & (p.view("hukou") == RURAL)
        parent = p.view("parent")
        # a child at home with its parent shares the parent's draws; a child left
        # behind (parent away) is reclassified with its own village, and its
        # hukou, registered with the absent parent's, is not converted
        with_parent = (parent >= 0) & at_origin & at_origin[np.maximum(parent, 0)]
        source = np.where(with_parent, parent, np.arange(p.n))
        u = self.streams.uniform("reclassify", self.year, p.n)[source]
        chosen = at_origin & (u < prm["reclassification_rate"])
        if not chosen.any():
            return
        p.view("location")[chosen] = self._county_of_region[p.view("origin")[chosen]]
        p.view("years_in_city")[chosen] = 0
        p.view("moved_year")[chosen] = self.year
        p.view("in_situ")[chosen] = True
        u2 = self.streams.uniform("reclassify_hukou", self.year, p.n)[source]
        left_behind = (parent >= 0) & ~with_parent
        converted = chosen & ~left_behind & (u2 < prm["reclassified_hukou_share"])
        self._convert(converted)
        w = self.persons_per_agent
        self._flows["reclassified_in_year"] = chosen.sum() * w
        self._flows["other_hukou_conversions_in_year"] += converted.sum() * w

    def _convert(self, mask: np.ndarray) -> None:
        p = self.people
        p.view("hukou")[mask] = URBAN
        p.view("year_settled")[mask] = self.year

    def _move_children(self, movers: np.ndarray, old_location: np.ndarray, follow: np.ndarray | None) -> int:
        """Rural-hukou children who lived with a mover go along.

        With ``follow`` (per parent row), children at origin join the mover too
        where ``follow`` is true, and children who lived with the mover stay only
        where it is false.
        """
        p = self.people
        # a child who already holds urban hukou (a reclassified village) stays in town
        kids = self._children_of(movers) & (p.view("hukou") == RURAL)
        kid_rows = np.flatnonzero(kids)
        if kid_rows.size == 0:
            return 0
        parents = p.parent[kid_rows]
        was_with = p.location[kid_rows] == old_location[parents]
        go = was_with if follow is None else (was_with | (p.location[kid_rows] == ORIGIN)) & follow[parents]
        rows = kid_rows[go]
        p.location[rows] = p.location[parents[go]]
        p.years_in_city[rows] = 0
        p.moved_year[rows] = self.year
        p.in_situ[rows] = p.in_situ[parents[go]]
        return int(rows.size)

    def _return(self) -> None:
        p, prm, lev = self.people, self.params, self.levers
        age = p.view("age")
        candidates = (self._in_town_rural() & (age >= ADULT_AGE) & (p.view("moved_year") != self.year)
                      & ~p.view("in_situ"))
        left_behind = self._count_children(self._children_of(candidates, with_parent=False)) > 0
        unemployed = p.view("works") & ~p.view("employed")
        prob = return_probability(age=age, unemployed=unemployed, left_behind_children=left_behind[: p.n],
                                  land=p.view("land"), params=prm)
        u = self.streams.uniform("return", self.year, p.n)
        returners = candidates & (u < prob)
        if not returners.any():
            return
        old = p.location.copy()
        loc = p.view("location")
        own_county = self._county_of_region[p.view("origin")]
        u_place = self.streams.uniform("return_place", self.year, p.n)
        to_county = (u_place < lev.return_to_county_share) & (loc != own_county)
        loc[returners] = np.where(to_county[returners], own_county[returners], ORIGIN)
        p.view("years_in_city")[returners] = 0
        p.view("moved_year")[returners] = self.year
        p.view("employed")[returners] = False
        to_village = returners & (loc == ORIGIN)
        kids_to_village = self._move_children(to_village, old, None)
        self._move_children(returners & ~to_village, old, None)
        # returns: persons back in the village (those who settle in the county town stay urban)
        self._flows["returns_in_year"] = (to_village.sum() + kids_to_village) * self.persons_per_agent

    def _destination_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Cumulative choice probabilities and log-sums per group (origin, education, children)."""
        return choice_cdf(self._destination_utilities())

    def _calibrate_destination_constants(self, iterations: int = 100) -> np.ndarray:
        """Destination constants that make the choice shares match the 2020 distribution.

        The target is each destination's share of the 2020 rural-hukou urban
        residents (``population.gap_targets``: deterministic, so the set of
        reachable places does not depend on the agent count); the choice shares
        are those of the adults at origin who could leave, by group. The constants absorb what the utility omits (the coarse
        geography of four regions, local amenities) and are then held fixed.
        """
        p = self.people
        adults = p.view("alive") & (p.view("age") >= ADULT_AGE) & (p.view("hukou") == RURAL)
        target = self._destination_targets / self._destination_targets.sum()
        at_origin = adults & (p.view("location") == ORIGIN)
        school_kids = self._count_children(self._children_of(p.view("alive"), school_age=True))[: p.n] > 0
        weights = np.bincount(self._group(at_origin, school_kids), minlength=len(REGIONS) * len(EDUCATION_WAGE) * 2)
        self.destination_constant = np.zeros(self.cities.n)
        for _ in range(iterations):
            cdf, _ = choice_cdf(self._destination_utilities())
            prob = np.diff(np.c_[np.zeros(len(cdf)), cdf], axis=1)
            predicted = weights @ prob
            predicted /= predicted.sum()
            step = np.log(np.maximum(target, 1e-12) / np.maximum(predicted, 1e-300))
            self.destination_constant += np.where(target > 0, step, -30.0)
            if np.max(np.abs(step[target > 0])) < 1e-6:
                break
        # shares fix the constants up to a common level; centre them on the 2020 distribution
        self.destination_constant -= float(target @ self.destination_constant)
        return self.destination_constant

    def _destination_utilities(self) -> np.ndarray:
        p, c, lev, prm = self.people, self.cities, self.levers, self.params
        mask = self._in_town_rural() & (p.view("age") >= ADULT_AGE)
        n_regions = len(REGIONS)
        counts = np.zeros((n_regions, c.n))
        np.add.at(counts, (p.view("origin")[mask], p.view("location")[mask]), 1.0)
        network = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
        same = (c.region[None, :] == np.arange(n_regions)[:, None]).astype(float)
        housing = housing_share(c.population, lev.housing_factor, prm["housing_cost_share_mega"],
                                prm["housing_cost_size_elasticity"])
        v = destination_utilities(
            wage=self.wage, employment_rate=self.employment_rate, housing=housing, jobs=self.jobs,
            population=c.population, service_access=lev.service_access, school_access=lev.school_access,
            prospects=self._settle_prospects(), distance_km=c.distance_km * lev.distance_factor,
            same_region=same, network=network, constant=self.destination_constant, params=prm)
        return v

    def _settle_prospects(self) -> np.ndarray:
        """Chance of being able to settle within the horizon, per city (0..1)."""
        rules = self.levers.rules
        c = self.cities
        years = np.maximum(rules.min_residence_years, rules.min_insurance_years)
        conditions = np.clip(1.0 - years / PROSPECT_HORIZON_YEARS, 0.0, 1.0)
        gap = np.maximum(self._rural_hukou_by_city(), self.persons_per_agent)
        points = np.clip(rules.annual_quota_share * c.population * PROSPECT_HORIZON_YEARS / gap, 0.0, 1.0)
        return np.where(rules.kind == POINTS, points, np.where(rules.kind == CONDITIONS, conditions, 1.0))

    def _group(self, rows_mask: np.ndarray, has_school_children: np.ndarray) -> np.ndarray:
        p = self.people
        n_edu = len(EDUCATION_WAGE)
        return ((p.view("origin")[rows_mask].astype(np.int64) * n_edu + p.view("education")[rows_mask]) * 2
                + has_school_children[rows_mask])

    def _leave_and_choose(self) -> None:
        p, prm, lev, year = self.people, self.params, self.levers, self.year
        w = self.persons_per_agent
        cdf, logsum = self._destination_table()
        alive = p.view("alive")
        age = p.view("age")
        rural = p.view("hukou") == RURAL
        not_moved = p.view("moved_year") != year
        loc = p.view("location")
        school_kids = self._count_children(self._children_of(alive, school_age=True))[: p.n] > 0

        # college entrants move their hukou to a city
        u_college = self.streams.uniform("college", year, p.n)
        college = alive & rural & (age == COLLEGE_AGE) & (u_college < prm["college_transfer_rate"])
        u_dest = self.streams.uniform("destination", year, p.n)
        if college.any():
            p.view("education")[college] = 3
            group = self._group(college, school_kids)
            old = p.location.copy()
            loc[college] = choose(cdf, group, u_dest[college])
            self._convert(college)
            p.view("moved_year")[college] = year
            p.view("years_in_city")[college] = 0
            self._move_children(college, old, None)
            self._flows["other_hukou_conversions_in_year"] += college.sum() * w

        # leave the village
        at_home = (loc == ORIGIN) | p.view("in_situ")  # the village, or the village become town
        candidates = alive & rural & not_moved & at_home & (age >= ADULT_AGE) & ~college
        cand_rows = np.flatnonzero(candidates)
        group = self._group(candidates, school_kids)
        prob = leave_probability(logsum=logsum[group], rural_income=self.rural_income[p.origin[cand_rows]],
                                 age=age[cand_rows], education=p.education[cand_rows], params=prm)
        u_leave = self.streams.uniform("leave", year, p.n)
        go = u_leave[cand_rows] < prob
        leavers = cand_rows[go]
        leaver_dest = choose(cdf, group[go], u_dest[leavers])
        elsewhere = leaver_dest != loc[leavers]  # an in-situ resident choosing the home town stays
        leavers, leaver_dest = leavers[elsewhere], leaver_dest[elsewhere]

        # unemployed migrants search in another city
        searching = (alive & (p.view("hukou") == RURAL) & (p.view("moved_year") != year) & (loc != ORIGIN)
                     & p.view("works") & ~p.view("employed") & (age >= ADULT_AGE))
        searching[leavers] = False
        u_reloc = self.streams.uniform("relocate", year, p.n)
        searching &= u_reloc < prm["relocate_if_unemployed"]
        search_rows = np.flatnonzero(searching)
        search_dest = choose(cdf, self._group(searching, school_kids), u_dest[search_rows])
        moved = search_dest != loc[search_rows]
        search_rows, search_dest = search_rows[moved], search_dest[moved]

        old = p.location.copy()
        rows = np.r_[leavers, search_rows]
        dest = np.r_[leaver_dest, search_dest]
        loc[rows] = dest
        p.years_in_city[rows] = 0
        same_region = self.cities.region[dest] == np.where(old[rows] >= 0, self.cities.region[np.maximum(old[rows], 0)],
                                                            p.origin[rows])
        portable = np.where(same_region, max(lev.insurance_portable, lev.insurance_portable_region),
                            lev.insurance_portable)
        p.insurance_years[rows] = np.floor(p.insurance_years[rows] * portable).astype(np.int16)
        p.moved_year[rows] = year
        p.works[leavers] = age[leavers] <= WORKING_AGES[1]
        p.in_situ[rows] = False
        mover_mask = np.zeros(p.n, bool)
        mover_mask[rows] = True
        leaver_mask = np.zeros(p.n, bool)
        leaver_mask[leavers] = True
        u_children = self.streams.uniform("children", year, p.n)
        follow = u_children < prm["children_follow_max"] * lev.school_access[np.maximum(loc, 0)]
        children_along = self._move_children(leaver_mask, old, follow)
        searcher_mask = mover_mask & ~leaver_mask
        self._move_children(searcher_mask, old, None)  # a family living together moves together

        # left-behind children join a parent already in town
        parents_in_town = alive & (loc != ORIGIN) & ~mover_mask
        kids = self._children_of(parents_in_town, with_parent=False) & (loc == ORIGIN)
        kid_rows = np.flatnonzero(kids)
        parents = p.parent[kid_rows]
        u_reunion = self.streams.uniform("reunion", year, p.n)
        join = u_reunion[parents] < prm["family_reunion_rate"] * lev.school_access[loc[parents]]
        loc[kid_rows[join]] = loc[parents[join]]
        p.moved_year[kid_rows[join]] = year
        # departures: persons leaving a village for a town (in-situ residents moving on were urban already)
        from_village = int((old[leavers] == ORIGIN).sum())
        self._flows["departures_in_year"] = (from_village + children_along + join.sum()) * w

    def _settle(self) -> None:
        p, prm, lev, year = self.people, self.params, self.levers, self.year
        w = self.persons_per_agent
        age = p.view("age")
        loc = p.view("location")
        candidates = self._in_town_rural() & (age >= ADULT_AGE) & (p.view("moved_year") != year)
        rows = np.flatnonzero(candidates)
        if rows.size == 0:
            return
        city = loc[rows]
        years = p.years_in_city[rows].astype(float)
        insurance = p.insurance_years[rows].astype(float)
        edu = p.education[rows]
        ok = eligible(lev.rules, city, years, insurance, edu, age[rows])
        u_reg = self.streams.uniform("registration", 0, p.n)[rows]  # persistent: same draw every year
        ok |= (years >= lev.registration_years) & (u_reg < lev.registration_share[city])
        kids = self._count_children(self._children_of(candidates, with_parent=True, school_age=True))[: p.n]
        prob = settle_probability(land=p.land[rows], land_penalty_factor=lev.land_penalty_factor,
                                  service_access=lev.service_access[city], has_school_children=kids[rows] > 0,
                                  years_in_city=years, age=age[rows], params=prm)
        u = self.streams.uniform("settle", year, p.n)[rows]
        applicants = ok & (u < prob)
        u_quota = self.streams.uniform("quota", year, self.cities.n)
        quota = stochastic_round(lev.rules.annual_quota_share * self.cities.population / w, u_quota)
        score = points_score(lev.rules, city, years, insurance, edu)
        tiebreak = self.streams.uniform("tiebreak", year, p.n)[rows]
        admitted = apply_quotas(lev.rules, applicants, city, score, quota, tiebreak)
        settlers = np.zeros(p.n, bool)
        settlers[rows[admitted]] = True
        family = settlers | (self._children_of(settlers, with_parent=True) & (p.view("hukou") == RURAL))
        self._convert(family)
        self.settled_by_year[year] = np.bincount(loc[family], minlength=self.cities.n) * w
        self._flows["settlements_in_year"] = family.sum() * w

    # ------------------------------------------------------------------ views and records
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

    def _sync_views(self) -> None:
        """Keep one ``MigrantWorker`` per living adult row."""
        p = self.people
        adults = np.flatnonzero(p.view("alive") & (p.view("age") >= ADULT_AGE))
        gone = [row for row in self._views if not p.alive[row]]
        for row in gone:
            self._views.pop(row).remove()
        for row in adults[~np.isin(adults, np.fromiter(self._views, dtype=np.int64, count=len(self._views)))]:
            self._views[int(row)] = MigrantWorker(self, int(row))

    def stocks(self) -> dict:
        """Current stocks and rates (persons, percent)."""
        p, w = self.people, self.persons_per_agent
        alive = p.view("alive")
        loc = p.view("location")
        hukou = p.view("hukou")
        age = p.view("age")
        urban_stock = self.urban_hukou.sum()
        total = urban_stock + alive.sum() * w
        urban_residents = urban_stock + (alive & (loc != ORIGIN)).sum() * w
        urban_hukou = urban_stock + (alive & (hukou == URBAN)).sum() * w
        rural_in_town = alive & (hukou == RURAL) & (loc != ORIGIN)
        working = alive & (hukou == RURAL) & p.view("works") & (age >= WORKING_AGES[0]) & (age <= WORKING_AGES[1])
        town_workers = working & (loc != ORIGIN)
        origin_workers = working & (loc == ORIGIN)
        in_cities_proper = town_workers & (self.cities.size_class[np.maximum(loc, 0)] != COUNTY)
        employed = town_workers & p.view("employed")
        kids = alive & (hukou == RURAL) & (age < ADULT_AGE) & (p.view("parent") >= 0)
        parent_loc = loc[np.maximum(p.view("parent"), 0)]
        resident = 100.0 * urban_residents / total
        hukou_rate = 100.0 * urban_hukou / total
        return {
            "year": self.year,
            "resident_urbanization_pct": resident,
            "hukou_urbanization_pct": hukou_rate,
            "gap_pp": resident - hukou_rate,
            "total_population": total,
            "urban_residents": urban_residents,
            "urban_hukou_population": urban_hukou,
            "rural_hukou_in_cities": rural_in_town.sum() * w,
            "rural_hukou_migrants_in_towns": (rural_in_town & ~p.view("in_situ")).sum() * w,
            "migrants_in_cities": town_workers.sum() * w,
            "migrant_workers_total": working.sum() * w,
            "migrant_workers_outside_township": (in_cities_proper.sum()
                                                 + self._origin_outside_share * origin_workers.sum()) * w,
            "mean_migrant_wage": (float(p.view("wage")[employed].mean()) * self.wage_index
                                  if employed.any() else 0.0),
            "mean_age_migrant_workers": float(age[working].mean()) if working.any() else 0.0,
            "share_migrant_workers_over_50": float((age[working] > 50).mean()) if working.any() else 0.0,
            "left_behind_children": (kids & (loc == ORIGIN) & (parent_loc != ORIGIN)).sum() * w,
            "children_in_cities": (kids & (loc != ORIGIN)).sum() * w,
        }

    def _collect(self) -> None:
        row = self.stocks()
        row.update(self._flows)
        self.records.append({key: row[key] for key in TIMESERIES_COLUMNS})

    def run(self) -> pd.DataFrame:
        """Run to the scenario's end year; return the time series."""
        while self.year < self.scenario.end_year:
            self.step()
        return self.timeseries()

    def timeseries(self) -> pd.DataFrame:
        return pd.DataFrame.from_records(self.records, columns=list(TIMESERIES_COLUMNS))
