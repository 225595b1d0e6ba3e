"""The destination table: utility of every destination for every group of choosers.

Groups share a utility: origin region x education x has-school-age-children
(``group_of``). The table is rebuilt once a year, after the returns, from the
cities' wages, jobs, housing costs, services, schooling, prospects of settling,
distances and migrant networks (``sim.decisions.destination_utilities``). Its
cumulative probabilities serve the choice of a city; its log-sums, the value
of leaving.

At the start, destination constants are fitted so that the choice shares of
the adults who could leave reproduce where rural-hukou migrants lived in 2020
(``fit_destination_constants``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.datasets import REGIONS
from sim.decisions import EDUCATION_WAGE, choice_cdf, destination_utilities, housing_share
from sim.households import ADULT_AGE
from sim.settlement import CONDITIONS, POINTS
from sim.state import ORIGIN, RURAL

if TYPE_CHECKING:  # pragma: no cover
    from sim.model import UrbanizationModel

PROSPECT_HORIZON_YEARS = 10  # assumed horizon over which a migrant weighs settling
N_EDUCATION = len(EDUCATION_WAGE)


def group_of(origin: np.ndarray, education: np.ndarray, school_children: np.ndarray) -> np.ndarray:
    """Row of the destination table: origin region x education x has school-age children."""
    return (origin.astype(np.int64) * N_EDUCATION + education) * 2 + school_children


def rural_hukou_by_city(m: "UrbanizationModel") -> np.ndarray:
    """Persons of rural hukou living in each destination."""
    p = m.people
    mask = p.view("alive") & (p.view("hukou") == RURAL) & (p.view("location") != ORIGIN)
    return np.bincount(p.view("location")[mask], minlength=m.cities.n) * m.persons_per_agent


def settle_prospects(m: "UrbanizationModel") -> np.ndarray:
    """Chance of being able to settle within the horizon, per city (0..1)."""
    rules = m.levers.rules
    years = np.maximum(rules.min_residence_years, rules.min_insurance_years)
    conditions = np.clip(1.0 - years / PROSPECT_HORIZON_YEARS, 0.0, 1.0)
    gap = np.maximum(rural_hukou_by_city(m), m.persons_per_agent)
    points = np.clip(rules.annual_quota_share * m.cities.population * PROSPECT_HORIZON_YEARS / gap, 0.0, 1.0)
    return np.where(rules.kind == POINTS, points, np.where(rules.kind == CONDITIONS, conditions, 1.0))


def utilities(m: "UrbanizationModel", constant: np.ndarray) -> np.ndarray:
    """Utility (R, E, 2, K) of each destination for each group, given destination constants."""
    p, c, lev, prm = m.people, m.cities, m.levers, m.params
    # the migrant network: rural-hukou adults who moved to a town (villagers
    # reclassified in place are not earlier migrants from their origin)
    mask = (p.view("alive") & (p.view("hukou") == RURAL) & (p.view("location") != ORIGIN)
            & (p.view("age") >= ADULT_AGE) & ~p.view("in_situ"))
    n_regions = len(REGIONS)
    counts = np.zeros((n_regions, c.n))
    np.add.at(counts, (p.view("origin")[mask], p.view("location")[mask]), 1.0)
    network = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    same = (c.region[None, :] == np.arange(n_regions)[:, None]).astype(float)
    housing = housing_share(c.population, lev.housing_factor, prm["housing_cost_share_mega"],
                            prm["housing_cost_size_elasticity"])
    return destination_utilities(
        wage=m.wage, employment_rate=m.employment_rate, housing=housing, jobs=m.jobs,
        population=c.population, service_access=lev.service_access, school_access=lev.school_access,
        prospects=settle_prospects(m), distance_km=c.distance_km * lev.distance_factor,
        same_region=same, network=network, constant=constant, params=prm)


def table(m: "UrbanizationModel") -> tuple[np.ndarray, np.ndarray]:
    """Cumulative choice probabilities (G, K) and log-sums (G,) of this year."""
    return choice_cdf(utilities(m, m.destination_constant))


def fit_destination_constants(m: "UrbanizationModel", school_children: np.ndarray,
                              iterations: int = 100) -> np.ndarray:
    """Destination constants that make the choice shares match the 2020 distribution.

    The target is each destination's share of the 2020 rural-hukou urban
    residents (``population.gap_targets``: deterministic, so the set of
    reachable places does not depend on the agent count); the choice shares
    are those of the adults at origin who could leave, by group. The constants
    absorb what the utility omits (the coarse geography of four regions, local
    amenities) and are then held fixed. Only the constants change between
    iterations: the utilities without them are computed once.
    """
    p = m.people
    target = m.destination_targets / m.destination_targets.sum()
    at_origin = (p.view("alive") & (p.view("age") >= ADULT_AGE) & (p.view("hukou") == RURAL)
                 & (p.view("location") == ORIGIN))
    group = group_of(p.view("origin")[at_origin], p.view("education")[at_origin], school_children[at_origin])
    weights = np.bincount(group, minlength=len(REGIONS) * N_EDUCATION * 2).astype(float)
    v0 = utilities(m, np.zeros(m.cities.n)).reshape(-1, m.cities.n)
    used = weights > 0
    v0, weights = v0[used], weights[used]
    constant = np.zeros(m.cities.n)
    reachable = target > 0
    for _ in range(iterations):
        v = v0 + constant
        v -= v.max(axis=1, keepdims=True)
        with np.errstate(invalid="ignore"):
            prob = np.exp(v)
        prob /= prob.sum(axis=1, keepdims=True)
        predicted = weights @ prob
        predicted /= predicted.sum()
        step = np.log(np.maximum(target, 1e-12) / np.maximum(predicted, 1e-300))
        constant += np.where(reachable, step, -30.0)
        if np.max(np.abs(step[reachable])) < 1e-6:
            break
    # shares fix the constants up to a common level; centre them on the 2020 distribution
    constant -= float(target @ constant)
    return constant
