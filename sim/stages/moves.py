"""Stage 6, leave and choose: college, leaving the village, searching, children.

After this year's returns the destination table is rebuilt
(``sim.destinations.table``): its log-sums are the value of leaving, its
cumulative probabilities the choice of a city (decision ``destination``, one
uniform per chooser). In order:

1. college: rural-hukou 18-year-olds enter college with
   ``college_transfer_rate`` (decision ``college``), move their hukou to a
   city (chosen as any mover's) and take co-resident children along;
2. leave: rural-hukou adults at home (the village, or the village become
   town) who did not move this year leave with ``decisions.leave_probability``
   times the year's dated shock (``datasets.shock``: the pandemic years)
   (decision ``leave``) for a chosen city; an in-situ resident choosing its
   home town stays;
3. search: unemployed migrant workers in towns look for work in another city
   with ``relocate_if_unemployed`` (decision ``relocate``);
4. children: a leaver's children come along with a chance that rises with the
   destination's school access (decision ``children``); a searcher's
   co-resident children move with it;
5. reunion: children left at origin join a parent already in town (decision
   ``reunion``, one per parent).
"""

from __future__ import annotations

import numpy as np

from sim import datasets, destinations
from sim.decisions import leave_probability
from sim.households import ADULT_AGE, children_of, convert, has_school_children, mask_of, move_children
from sim.population import WORKING_AGES
from sim.state import ORIGIN, RURAL

COLLEGE_AGE = 18


def run(m) -> None:
    p, prm, year = m.people, m.params, m.year
    m.choice_cdf, m.choice_logsum = destinations.table(m)
    alive = p.view("alive")
    age = p.view("age")
    rural = p.view("hukou") == RURAL
    loc = p.view("location")
    m.inputs["group"] = group = destinations.group_of(p.view("origin"), p.view("education"), has_school_children(p, m.families))
    not_moved = p.view("moved_year") != year

    entrants = np.flatnonzero(alive & rural & (age == COLLEGE_AGE))
    college = m.decide("college", entrants, lambda: np.full(entrants.size, prm["college_transfer_rate"]))
    _enter_college(m, college)

    at_home = (loc == ORIGIN) | p.view("in_situ")  # the village, or the village become town
    candidates = alive & rural & not_moved & at_home & (age >= ADULT_AGE)
    candidates[college] = False
    cand = np.flatnonzero(candidates)
    shock = datasets.shock("leave", year, prm)  # dated exogenous shock (pandemic years; sim/data/shocks.csv)
    leavers = m.decide("leave", cand, lambda: leave_probability(
        logsum=m.choice_logsum[group[cand]], rural_income=m.rural_income[p.origin[cand]],
        age=age[cand], education=p.education[cand], params=prm) * shock)
    leaver_dest = m.choose_destinations(leavers)
    elsewhere = leaver_dest != loc[leavers]  # an in-situ resident choosing the home town stays
    leavers, leaver_dest = leavers[elsewhere], leaver_dest[elsewhere]

    searching = (alive & rural & not_moved & (loc != ORIGIN) & p.view("works") & ~p.view("employed")
                 & (age >= ADULT_AGE))
    searching[leavers] = False
    searching[college] = False
    search = np.flatnonzero(searching)
    searchers = m.decide("relocate", search, lambda: np.full(search.size, prm["relocate_if_unemployed"]))
    search_dest = m.choose_destinations(searchers)
    moved = search_dest != loc[searchers]
    searchers, search_dest = searchers[moved], search_dest[moved]

    old = p.location.copy()  # after college: the moves below are departures and searches
    _move(m, np.r_[leavers, searchers], np.r_[leaver_dest, search_dest], old)
    p.works[leavers] = age[leavers] <= WORKING_AGES[1]
    follow = m.decide("children", leavers, lambda: prm["children_follow_max"] * m.levers.school_access[loc[leavers]])
    move_children(p, m.families, mask_of(p.n, leavers), old, mask_of(p.n, follow), year)
    move_children(p, m.families, mask_of(p.n, searchers), old, None, year)  # a family living together moves together
    _reunite(m, mask_of(p.n, np.r_[leavers, searchers]))
    # departures: persons now in a town who were in a village before the moves
    # (leavers, the children with them or joining a parent; in-situ residents
    # moving on and searchers were urban already; nobody moves to a village here)
    departed = loc[alive & (old[:p.n] == ORIGIN) & (loc != ORIGIN)]  # where each arrived
    m.tally.add_at("departures_in_year", departed)
    m.tally.add("urban_net_migration_in_year", departed.size)


def _enter_college(m, rows: np.ndarray) -> None:
    if rows.size == 0:
        return
    p = m.people
    p.education[rows] = 3
    m.inputs["group"][rows] = destinations.group_of(p.origin[rows], p.education[rows],
                                                    m.inputs["group"][rows] % 2)
    old = p.location.copy()
    p.location[rows] = m.choose_destinations(rows)
    mask = mask_of(p.n, rows)
    convert(p, mask, m.year)
    p.moved_year[rows] = m.year
    p.years_in_city[rows] = 0
    kids = move_children(p, m.families, mask, old, None, m.year)
    m.tally.add("other_hukou_conversions_in_year", rows)
    m.tally.add("college_transfers_in_year", rows)
    moved = np.r_[rows, kids]
    m.tally.add("college_from_villages_in_year", np.count_nonzero(old[moved] == ORIGIN))


def _move(m, rows: np.ndarray, dest: np.ndarray, old: np.ndarray) -> None:
    """Movers arrive: clock reset, insurance years kept as far as they are portable."""
    p, lev, c = m.people, m.levers, m.cities
    p.location[rows] = dest
    p.years_in_city[rows] = 0
    from_region = np.where(old[rows] >= 0, c.region[np.maximum(old[rows], 0)], p.origin[rows])
    same_region = c.region[dest] == from_region
    portable = np.where(same_region, max(lev.insurance_portable, lev.insurance_portable_region),
                        lev.insurance_portable)
    p.insurance_years[rows] = np.floor(p.insurance_years[rows] * portable).astype(np.int16)
    p.moved_year[rows] = m.year
    p.in_situ[rows] = False


def _reunite(m, movers: np.ndarray) -> int:
    """Children left at origin join a parent in town who did not move this year; return how many."""
    p = m.people
    loc = p.view("location")
    parents_in_town = p.view("alive") & (loc != ORIGIN) & ~movers
    kids = children_of(p, m.families, parents_in_town, with_parent=False)
    kids = kids[loc[kids] == ORIGIN]
    parents = np.unique(p.parent[kids])
    rate = m.params["family_reunion_rate"]
    joining = m.decide("reunion", parents, lambda: rate * m.levers.school_access[loc[parents]])
    kids = kids[mask_of(p.n, joining)[p.parent[kids]]]
    loc[kids] = loc[p.parent[kids]]
    p.moved_year[kids] = m.year
    return int(kids.size)
