"""Stage 5, return: rural-hukou town residents who moved there may go home.

Candidates: rural-hukou adults living in a town who did not move this year
and were not reclassified in place. Each returns with
``decisions.return_probability`` (age, unemployment, children left behind,
land) times the year's dated shock (``datasets.shock``: the pandemic years)
(decision ``return``); a returner whose own county town is not where it
lives settles there instead of the village with the policy-given share
(decision ``return_place``). Children who lived with a returner come along.
"""

from __future__ import annotations

import numpy as np

from sim import datasets
from sim.decisions import return_probability
from sim.households import ADULT_AGE, children_of, count_children, mask_of, move_children
from sim.state import ORIGIN, RURAL


def run(m) -> None:
    p, prm, lev, year = m.people, m.params, m.levers, m.year
    age = p.view("age")
    loc = p.view("location")
    candidates = (p.view("alive") & (p.view("hukou") == RURAL) & (loc != ORIGIN) & (age >= ADULT_AGE)
                  & (p.view("moved_year") != year) & ~p.view("in_situ"))
    rows = np.flatnonzero(candidates)
    m.inputs["left_behind"] = left_behind = count_children(p, children_of(p, m.families, candidates, with_parent=False)) > 0
    unemployed = p.view("works") & ~p.view("employed")
    shock = datasets.shock("return", year, prm)  # dated exogenous shock (pandemic years; sim/data/shocks.csv)
    returners = m.decide("return", rows, lambda: return_probability(
        age=age[rows], unemployed=unemployed[rows], left_behind_children=left_behind[rows],
        land=p.land[rows], params=prm) * shock)
    if returners.size == 0:
        return
    old = p.location.copy()
    own_county = m.county_of_region[p.origin[returners]]
    elsewhere = returners[loc[returners] != own_county]
    to_county = m.decide("return_place", elsewhere,
                         lambda: np.full(elsewhere.size, lev.return_to_county_share))
    county_mask = mask_of(p.n, to_county)
    loc[returners] = np.where(county_mask[returners], own_county, ORIGIN)
    p.years_in_city[returners] = 0
    p.moved_year[returners] = year
    p.employed[returners] = False
    to_village = mask_of(p.n, returners) & ~county_mask
    kids_to_village = move_children(p, m.families, to_village, old, None, year)
    move_children(p, m.families, county_mask, old, None, year)
    # returns: persons back in the village (those who settle in the county town stay urban)
    back = np.r_[old[:p.n][to_village], old[kids_to_village]]  # the town each left
    m.tally.add_at("returns_in_year", back)
    m.tally.add("urban_net_migration_in_year", -back.size)
