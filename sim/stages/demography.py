"""Stage 2, demography: deaths, ageing, coming of age, births.

Deaths follow the published crude death rate, spread over ages by a Gompertz
schedule whose level is solved each year; births are the published totals,
split between urban-hukou and rural-hukou parents by their fertile numbers
(``sim.demography``). These are population processes, not decisions: both
engines run this stage as it is.
"""

from __future__ import annotations

import numpy as np

from sim import datasets
from sim.decisions import ndtri_clipped, stochastic_round
from sim.demography import FERTILE_AGES, age_urban_stock, calibrate_mortality, split_births
from sim.households import ADULT_AGE, Families
from sim.population import LAND_SHARE, education_draw
from sim.state import NO_PARENT, ORIGIN, RURAL, URBAN


def run(m) -> None:
    _deaths_and_ageing(m)
    _births(m)
    m.families = Families.index(m.people)  # parent links are fixed for the rest of the year


def _deaths_and_ageing(m) -> None:
    p, w, year = m.people, m.persons_per_agent, m.year
    alive = p.view("alive")
    age = p.view("age")
    by_age = m.urban_hukou + np.bincount(age[alive], minlength=len(m.urban_hukou)) * w
    q = calibrate_mortality(by_age, datasets.crude_death_rate(year) * by_age.sum())

    u = m.streams.uniform("death", year, p.n)
    dies = alive & (u < q[np.minimum(age, len(q) - 1)])
    in_town_deaths = np.count_nonzero(dies & (p.view("location") != ORIGIN))
    urban_hukou_deaths = np.count_nonzero(dies & (p.view("hukou") == URBAN))
    alive[dies] = False
    orphans = alive & (p.view("parent") >= 0)
    orphans[orphans] = dies[p.view("parent")[orphans]]
    p.view("parent")[orphans] = NO_PARENT
    m.urban_hukou, urban_deaths = age_urban_stock(m.urban_hukou, q)
    m.tally.add("deaths", dies, persons=urban_deaths)
    m.tally.add("urban_natural_increase_in_year", -in_town_deaths, persons=-urban_deaths)
    m.tally.add("hukou_natural_increase_in_year", -urban_hukou_deaths, persons=-urban_deaths)

    age[alive] += 1
    age.clip(max=len(q) - 1, out=age)
    _come_of_age(m, alive & (age == ADULT_AGE))


def _come_of_age(m, mask: np.ndarray) -> None:
    """Children turning 16: own education, land, labour-force status."""
    p = m.people
    rows = np.flatnonzero(mask)
    if rows.size == 0:
        return
    draw = m.streams.uniform_at
    p.parent[rows] = NO_PARENT
    p.education[rows] = education_draw(p.age[rows].astype(np.int64), draw("come_of_age_education", m.year, rows))
    p.land[rows] = draw("come_of_age_land", m.year, rows) < LAND_SHARE
    local = (p.location[rows] == ORIGIN) | p.in_situ[rows]  # villages, and villages become urban
    share = np.where(local, m.origin_offfarm_share, m.town_worker_share)
    p.works[rows] = draw("come_of_age_work", m.year, rows) < share


def _births(m) -> None:
    p, w, year = m.people, m.persons_per_agent, m.year
    alive = p.view("alive")
    age = p.view("age")
    hukou = p.view("hukou")
    fertile = alive & (age >= FERTILE_AGES[0]) & (age <= FERTILE_AGES[1])
    urban_fertile = (m.urban_hukou[FERTILE_AGES[0]:FERTILE_AGES[1] + 1].sum()
                     + np.count_nonzero(fertile & (hukou == URBAN)) * w)
    rural_parents = np.flatnonzero(fertile & (hukou == RURAL))
    population = m.urban_hukou.sum() + np.count_nonzero(alive) * w
    births = datasets.births(year, population)
    urban_births, rural_births = split_births(births, urban_fertile, len(rural_parents) * w,
                                              m.params["fertility_rural_relative"])
    draw = m.streams.uniform_at
    n_new = int(stochastic_round(np.array([rural_births / w]), draw("birth", year, 0))[0]) if len(rural_parents) else 0
    n_new = min(n_new, len(rural_parents))
    to_stock = urban_births + (rural_births - n_new * w)  # rounding remainder kept in the total
    m.urban_hukou[0] += to_stock
    m.tally.add("births", persons=births)
    m.tally.add("urban_natural_increase_in_year", persons=to_stock)
    m.tally.add("hukou_natural_increase_in_year", persons=to_stock)
    if not n_new:
        return
    # parents: the rural-hukou fertile rows with the smallest draws of this
    # year's birth stream, so that scenarios share parents (common random numbers)
    u_parent = draw("birth_parent", year, rural_parents)
    parents = np.sort(rural_parents[np.argpartition(u_parent, n_new - 1)[:n_new]])
    rows = p.append(n_new)
    loc = p.location[parents]
    in_town = loc != ORIGIN
    follow = m.params["children_follow_max"] * m.levers.school_access[np.maximum(loc, 0)]
    with_parent = in_town & (draw("birth_follow", year, parents) < follow)
    m.tally.add("urban_natural_increase_in_year", with_parent)
    p.alive[rows] = True
    p.age[rows] = 0
    p.parent[rows] = parents
    p.origin[rows] = p.origin[parents]
    p.location[rows] = np.where(with_parent, loc, ORIGIN)
    p.in_situ[rows] = with_parent & p.in_situ[parents]
    p.skill[rows] = m.params["wage_dispersion"] * ndtri_clipped(draw("birth_skill", year, parents))
    p.insurance_draw[rows] = draw("birth_insurance", year, parents)
