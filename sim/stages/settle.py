"""Stage 7, settle: eligible migrants who want to convert their hukou apply.

Candidates: rural-hukou adults in towns who did not move this year. Eligible
are those who meet their city's rule (``sim.settlement.eligible``: open,
conditions on residence and insurance years, or a points threshold) and are
not held back by the city's practical proofs (``practical_barrier``, plus
``practical_barrier_nonlocal`` for applicants from another region, times
``proof_barrier_no_record_factor`` for applicants with no insurance record in
the city, who lack the proof of a stable job; open and conditions cities only,
a persistent draw per person: the same people stay blocked until the barrier
falls below their draw), or who have lived there
long enough where the residence-registration trial reaches them (a persistent
draw per person: the same people stay registered; registering where one
lives replaces the housing proof, so no practical barrier applies).

First, land holders among the candidates may exit their rural land rights
through the market (``land_exit_rate``, decision ``land_exit``): they no longer
hold land, which then deters neither converting nor staying. An
eligible migrant applies with ``decisions.settle_probability`` times the
year's dated shock (``datasets.shock``: the pandemic years) (decision
``settle``). Points cities then admit the best-scored applicants within their
yearly quota (ties broken at random); other rules admit all. A settler's
rural-hukou children living with it convert too.

The stage leaves what it decided in ``model.tally.settle`` (a
``sim.breakdown.SettleRecord``: the candidates, the first unmet condition of
each, who was eligible, who applied, who was admitted, the converted
families), from which ``sim.breakdown`` tells why the rural-hukou town
residents do not convert.
"""

from __future__ import annotations

import numpy as np

from sim import datasets
from sim.decisions import settle_probability, stochastic_round
from sim.households import ADULT_AGE, children_of, convert, count_children, mask_of
from sim.breakdown import SettleRecord
from sim.settlement import POINTS, apply_quotas, points_score, unmet_condition
from sim.state import ORIGIN, RURAL


def run(m) -> None:
    p, prm, lev, year = m.people, m.params, m.levers, m.year
    age = p.view("age")
    loc = p.view("location")
    candidates = (p.view("alive") & (p.view("hukou") == RURAL) & (loc != ORIGIN) & (age >= ADULT_AGE)
                  & (p.view("moved_year") != year))
    rows = np.flatnonzero(candidates)
    if rows.size == 0:
        return
    if lev.land_exit_rate > 0:
        holders = rows[p.land[rows]]
        exiting = m.decide("land_exit", holders, lambda: np.full(holders.size, lev.land_exit_rate))
        p.land[exiting] = False
    city = loc[rows]
    years = p.years_in_city[rows].astype(float)
    insurance = p.insurance_years[rows].astype(float)
    edu = p.education[rows]
    unmet = unmet_condition(lev.rules, city, years, insurance, edu, age[rows])
    ok = unmet < 0
    barrier = lev.practical_barrier[city] + np.where(p.origin[rows] != m.cities.region[city],
                                                     lev.practical_barrier_nonlocal[city], 0.0)
    barrier = barrier * np.where(insurance > 0, 1.0, prm["proof_barrier_no_record_factor"])
    u_bar = m.streams.uniform_at("practical_barrier", 0, rows)  # persistent: the same draw every year
    ok = ok & ((lev.rules.kind[city] == POINTS) | (u_bar >= barrier))
    u_reg = m.streams.uniform_at("registration", 0, rows)  # persistent: the same draw every year
    ok |= (years >= lev.registration_years) & (u_reg < lev.registration_share[city])
    m.inputs["school_children_here"] = school = count_children(
        p, children_of(p, m.families, candidates, with_parent=True, school_age=True)) > 0
    willing = rows[ok]
    shock = datasets.shock("settle", year, prm)  # dated exogenous shock (pandemic years; sim/data/shocks.csv)
    applicants = m.decide("settle", willing, lambda: settle_probability(
        land=p.land[willing], land_penalty_factor=lev.land_penalty_factor,
        service_access=lev.service_access[loc[willing]], has_school_children=school[willing],
        years_in_city=p.years_in_city[willing].astype(float), age=age[willing], params=prm) * shock)
    applying = mask_of(p.n, applicants)[rows]
    u_quota = m.streams.uniform("quota", year, m.cities.n)
    quota = stochastic_round(lev.rules.annual_quota_share * m.cities.population / m.persons_per_agent, u_quota)
    score = points_score(lev.rules, city, years, insurance, edu)
    tiebreak = m.streams.uniform_at("tiebreak", year, rows)
    admitted = apply_quotas(lev.rules, applying, city, score, quota, tiebreak)
    settlers = mask_of(p.n, rows[admitted])
    kids = children_of(p, m.families, settlers, with_parent=True)
    family = settlers.copy()
    family[kids[p.hukou[kids] == RURAL]] = True
    convert(p, family, year)
    m.settled_by_year[year] = np.bincount(loc[family], minlength=m.cities.n) * m.persons_per_agent
    m.tally.add_at("settlements_in_year", loc[family])
    m.tally.settle = SettleRecord(rows, unmet, ok, applying, admitted, school[rows], np.flatnonzero(family))
