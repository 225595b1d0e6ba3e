"""The starting state: the 2020 population by age, residence and hukou, and its agents.

Steps (all documented in docs/ODD.md, "Initialization"):

1. Total population (NBS year-end 2020) by single year of age, in the census
   age shape.
2. Rural residents by age: the census age shape tilted by three factors (ages
   0-59, 60-64, 65+) solved so that the rural population is the published
   36.11 % and its shares over 60 and over 65 are the published 23.81 % and
   17.72 %. Urban residents are the rest.
3. Rural-hukou people living in urban areas by age: the urban residents of each
   age times a relative age profile (working ages over-represented, the old
   under-represented: assumed from the NBS age profile of migrant workers),
   scaled to the published gap (63.89 % - 45.4 % of the population). The rest
   of the urban residents hold urban hukou and form an age-structured stock
   that is not made of agents.
4. Agents: every rural-hukou person (in villages or in towns and cities) is
   represented; each agent stands for the same number of persons. Counts by age
   and residence are apportioned deterministically.
5. Destinations of rural-hukou urban adults: a table of origin region x
   destination fitted by iterative proportional fitting to the regions'
   rural-hukou shares and to each destination's rural-hukou residents, starting
   from the destination-choice model's distance and same-region terms.
   Children live with (or, at origin, are left behind by) a parent aged 22-45.
6. Personal attributes (education by age, land, insurance, years in the city,
   labour-force status, skill) drawn from the distributions in this module.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import datasets
from sim.cities import COUNTY, CitySystem
from sim.datasets import MAX_AGE
from sim.start_state import start_state
from sim.decisions import DISTANCE_SCALE_KM
from sim.state import ORIGIN, PersonArrays

# Relative share of rural-hukou people among urban residents, by age (assumed):
# migrant workers are concentrated in working ages (NBS 2020: mean age 41.4,
# 26.4 % over 50) and few old people without urban hukou live in cities.
GAP_AGE_PROFILE = ((0, 15, 1.0), (16, 19, 1.1), (20, 49, 1.3), (50, 59, 1.0), (60, 64, 0.6),
                   (65, MAX_AGE, 0.35))

# Share of rural-hukou urban residents living in county towns and towns rather
# than in the 683 cities' urban districts (assumed: towns hold 36 % of urban
# residents and a larger share of rural-hukou ones, since reclassified villagers
# keep their hukou).
GAP_SHARE_IN_COUNTY_TOWNS = 0.45
# Rural-hukou residents of a city grow with its size a little faster than
# proportionally (assumed; migrants concentrate in the largest cities).
GAP_CITY_SIZE_ELASTICITY = 1.1

# Education by age (primary or less, junior high, senior high, college+), rural
# hukou; assumed, built so that migrant workers in cities come out near the NBS
# 2020 shares (15.7 / 55.4 / 16.7 / 12.2 %).
EDUCATION_BY_AGE = ((16, 24, (0.04, 0.42, 0.26, 0.28)), (25, 34, (0.06, 0.52, 0.20, 0.22)),
                    (35, 44, (0.12, 0.62, 0.16, 0.10)), (45, 54, (0.25, 0.60, 0.13, 0.02)),
                    (55, 64, (0.45, 0.45, 0.09, 0.01)), (65, MAX_AGE, (0.70, 0.25, 0.05, 0.00)))
LAND_SHARE = 0.8  # assumed: adults holding contracted land or a homestead
MEAN_YEARS_IN_CITY = 6.0  # assumed: mean years in the current city of rural-hukou urban adults
INSURANCE_BY_EDUCATION = np.array([0.6, 0.8, 1.2, 2.0])  # relative chance of being insured, assumed
PARENT_AGES = (22, 45)
WORKING_AGES = (16, 64)
# Relative chance of doing non-farm work by age at the start (assumed): NBS
# counts migrant workers with no upper age limit (2020: mean age 41.4, 26.4 %
# over 50); few work past 60, fewer past 70.
WORKER_AGE_PROFILE = ((16, 59, 1.0), (60, 64, 0.55), (65, 69, 0.25), (70, MAX_AGE, 0.05))


def worker_age_weight(age: np.ndarray) -> np.ndarray:
    weight = np.zeros(len(age))
    for lo, hi, value in WORKER_AGE_PROFILE:
        weight[(age >= lo) & (age <= hi)] = value
    return weight


@dataclass
class InitialState:
    people: PersonArrays
    urban_hukou_by_age: np.ndarray  # persons, not agents
    persons_per_agent: float
    total_population: float
    town_worker_share: float  # of working-age agents in towns who are in the labour force
    origin_offfarm_share: float  # of origin working-age agents who work off-farm
    origin_outside_township_share: float  # of village workers, working outside their township
    destination_targets: np.ndarray  # rural-hukou residents of each destination who moved there, persons
    destination_workers: np.ndarray  # migrant workers expected in each destination, persons


def insured_share(base: float, education: np.ndarray) -> np.ndarray:
    """Chance of contributing to urban employee insurance while employed, by education."""
    return np.clip(base * INSURANCE_BY_EDUCATION[education], 0.0, 1.0)


def rural_age_tilt(total_by_age: np.ndarray, rural_total: float, share_60: float,
                   share_65: float) -> np.ndarray:
    """Rural residents by age: the age shape tilted to the published rural shares."""
    ages = np.arange(len(total_by_age))
    band_young, band_60, band_65 = ages < 60, (ages >= 60) & (ages < 65), ages >= 65
    targets = {
        "young": rural_total * (1 - share_60),
        "60": rural_total * (share_60 - share_65),
        "65": rural_total * share_65,
    }
    rural = np.zeros_like(total_by_age)
    for band, key in ((band_young, "young"), (band_60, "60"), (band_65, "65")):
        rural[band] = total_by_age[band] * targets[key] / total_by_age[band].sum()
    return rural


def gap_by_age(urban_by_age: np.ndarray, gap_total: float) -> np.ndarray:
    profile = np.zeros(len(urban_by_age))
    for lo, hi, value in GAP_AGE_PROFILE:
        profile[lo:hi + 1] = value
    raw = urban_by_age * profile
    gap = raw * gap_total / raw.sum()
    if np.any(gap > urban_by_age):
        raise ValueError("age profile puts more rural-hukou people in towns than live there")
    return gap


def apportion(expected: np.ndarray, total: int) -> np.ndarray:
    """Integer counts summing to ``total`` that follow ``expected`` (cumulative rounding)."""
    cumulative = np.cumsum(expected) * total / expected.sum()
    edges = np.floor(cumulative + 0.5).astype(np.int64)
    return np.diff(np.r_[0, edges])


def ipf(seed: np.ndarray, row_totals: np.ndarray, col_totals: np.ndarray, iterations: int = 200) -> np.ndarray:
    """Iterative proportional fitting of a non-negative table to its margins."""
    table = seed.astype(float).copy()
    for _ in range(iterations):
        table *= (row_totals / np.maximum(table.sum(axis=1), 1e-300))[:, None]
        table *= (col_totals / np.maximum(table.sum(axis=0), 1e-300))[None, :]
    return table


def education_draw(age: np.ndarray, u: np.ndarray) -> np.ndarray:
    edu = np.zeros(len(age), dtype=np.int8)
    for lo, hi, probs in EDUCATION_BY_AGE:
        band = (age >= lo) & (age <= hi)
        edu[band] = np.searchsorted(np.cumsum(probs), u[band], side="right").clip(0, 3)
    young = age < EDUCATION_BY_AGE[0][0]
    edu[young] = np.searchsorted(np.cumsum(EDUCATION_BY_AGE[0][2]), u[young], side="right").clip(0, 3)
    return edu


def origin_region_shares() -> np.ndarray:
    """Rural-hukou population by origin region (assumed blend, see docs/ODD.md).

    Half regional population shares (census bulletin No.3), half migrant workers
    by region of origin (NBS 2020): the first over-weights the urbanized East,
    the second the regions that send workers away.
    """
    regions = datasets.regions()
    pop = regions["population_share_pct"].to_numpy()
    workers = regions["migrant_workers_by_origin_10k"].to_numpy()
    return 0.5 * pop / pop.sum() + 0.5 * workers / workers.sum()


def gap_targets(cities: CitySystem, gap_total: float) -> np.ndarray:
    """Rural-hukou residents of each destination in 2020 (persons)."""
    target = np.zeros(cities.n)
    county = cities.size_class == COUNTY
    weights = cities.population[~county] ** GAP_CITY_SIZE_ELASTICITY
    target[~county] = gap_total * (1 - GAP_SHARE_IN_COUNTY_TOWNS) * weights / weights.sum()
    target[county] = gap_total * GAP_SHARE_IN_COUNTY_TOWNS * cities.population[county] / cities.population[county].sum()
    return target


def build_initial_state(n_agents: int, cities: CitySystem, params, rng: np.random.Generator,
                        base_year: int = 2020) -> InitialState:
    """Synthesize the rural-hukou agents and the urban-hukou stock for ``base_year``."""
    state = start_state(base_year)
    total = state.total_population
    resident_rate, hukou_rate = state.resident_rate, state.hukou_rate
    urban_total = total * resident_rate
    gap_total = total * (resident_rate - hukou_rate)
    rural_total = total - urban_total

    by_age = state.population_by_age.copy()
    rural = rural_age_tilt(by_age, rural_total, state.rural_share_60, state.rural_share_65)
    urban = by_age - rural
    gap = gap_by_age(urban, gap_total)
    urban_hukou = urban - gap

    rural_hukou_total = rural_total + gap_total
    persons_per_agent = rural_hukou_total / n_agents
    counts = apportion(np.r_[rural, gap], n_agents)
    n_ages = MAX_AGE + 1
    rural_counts, gap_counts = counts[:n_ages], counts[n_ages:]

    people = PersonArrays(int(n_agents * 1.2))
    rows = people.append(int(counts.sum()))
    people.alive[rows] = True
    people.age[rows] = np.r_[np.repeat(np.arange(n_ages), rural_counts), np.repeat(np.arange(n_ages), gap_counts)]
    in_town = np.r_[np.zeros(rural_counts.sum(), bool), np.ones(gap_counts.sum(), bool)]
    age = people.age[rows].astype(np.int64)
    adult = age >= 16

    # Destinations and origins of adults in towns and cities (IPF table).
    n_regions = len(datasets.REGIONS)
    origin_share = origin_region_shares()
    town_adults = np.flatnonzero(in_town & adult)
    targets = gap_targets(cities, gap_total)
    distance_coef = params["wage_coef"] * params["income_distance_elasticity"]
    same = cities.region[None, :] == np.arange(n_regions)[:, None]
    with np.errstate(divide="ignore"):
        seed = np.exp(-distance_coef * np.log(cities.distance_km / DISTANCE_SCALE_KM) + params["same_region_coef"] * same)
    seed[~np.isfinite(cities.distance_km)] = 0.0
    table = ipf(seed, origin_share * len(town_adults), targets / targets.sum() * len(town_adults))
    cell = rng.choice(table.size, size=len(town_adults), p=(table / table.sum()).ravel())
    people.origin[town_adults] = cell // cities.n
    people.location[town_adults] = cell % cities.n

    village_adults = np.flatnonzero(~in_town & adult)
    people.origin[village_adults] = rng.choice(n_regions, size=len(village_adults), p=origin_share)
    people.location[village_adults] = ORIGIN

    # Children: with a parent in town, or at origin with any parent (left behind or not).
    parent_age = adult & (age >= PARENT_AGES[0]) & (age <= PARENT_AGES[1])
    parent_pool_all = np.flatnonzero(parent_age)
    parent_pool_town = np.flatnonzero(parent_age & in_town)  # a mask: linear, where intersect1d sorts
    for in_town_flag, pool in ((True, parent_pool_town), (False, parent_pool_all)):
        kids = np.flatnonzero((in_town == in_town_flag) & ~adult)
        parents = pool[rng.integers(0, len(pool), size=len(kids))]
        people.parent[kids] = parents
        people.origin[kids] = people.origin[parents]
        people.location[kids] = people.location[parents] if in_town_flag else ORIGIN

    # Who the rural-hukou town residents are: a share ``start_in_situ_share``
    # of them live where their village became urban (in their region's
    # county-town aggregate; only its own region's people live there), with
    # their children; the others moved there (migrant workers, their
    # families, students and others).
    county = cities.size_class[np.maximum(people.location[rows], 0)] == COUNTY
    county_share = GAP_SHARE_IN_COUNTY_TOWNS
    p_in_situ = min(1.0, params["start_in_situ_share"] / county_share)
    in_situ_adult = in_town & adult & county & (rng.random(len(rows)) < p_in_situ)
    people.in_situ[rows] = in_situ_adult
    kids_in_town = np.flatnonzero(in_town & ~adult)
    people.in_situ[kids_in_town] = people.in_situ[people.parent[kids_in_town]]
    in_situ = people.in_situ[rows].copy()
    targets = targets * np.where(cities.size_class == COUNTY, 1.0 - p_in_situ, 1.0)

    # Personal attributes.
    people.education[rows] = education_draw(age, rng.random(len(rows)))
    people.land[rows] = adult & (rng.random(len(rows)) < LAND_SHARE)
    people.skill[rows] = rng.normal(0.0, params["wage_dispersion"], len(rows))
    years = rng.geometric(1.0 / MEAN_YEARS_IN_CITY, len(rows)) - 1
    in_city_rows = people.location[rows] != ORIGIN
    people.years_in_city[rows] = np.where(in_city_rows, np.minimum(years, np.maximum(age - 15, 0)), 0)
    people.insurance_draw[rows] = rng.random(len(rows))
    insured = adult & (people.insurance_draw[rows] < insured_share(params["insured_share_base"], people.education[rows]))
    people.insurance_years[rows] = np.where(insured & in_city_rows, people.years_in_city[rows], 0)

    # Migrant workers as NBS counts them (16 and over, no upper age limit):
    # those who moved to a town (进城) are the town residents who did not
    # become urban in place; the others (本地, and 外出 not living in towns)
    # live in villages or in villages become urban.
    weight = worker_age_weight(age)
    in_cities_workers = state.migrants_in_towns
    all_workers = state.migrant_workers_total
    outside_township = state.migrant_workers_outside_township
    movers = in_town & ~in_situ
    town_working = weight[movers].sum() * persons_per_agent
    local_working = weight[~movers].sum() * persons_per_agent
    p_town = in_cities_workers / town_working
    p_origin = (all_workers - in_cities_workers) / local_working
    if not (0 < p_town <= 1 and 0 < p_origin <= 1):
        raise ValueError("migrant-worker stocks do not fit the synthesized population")
    u = rng.random(len(rows))
    people.works[rows] = u < weight * np.where(movers, p_town, p_origin)
    # Outside-township workers not living in towns (for the reported stock):
    town_resident_workers = (people.works[rows] & movers).sum()
    outside_rural = outside_township - town_resident_workers * persons_per_agent
    village_workers = (people.works[rows] & ~in_town).sum() * persons_per_agent
    return InitialState(
        people=people,
        urban_hukou_by_age=urban_hukou,
        persons_per_agent=persons_per_agent,
        total_population=total,
        town_worker_share=p_town,
        origin_offfarm_share=p_origin,
        origin_outside_township_share=float(np.clip(outside_rural / max(village_workers, 1.0), 0, 1)),
        destination_targets=targets,
        destination_workers=targets * in_cities_workers / targets.sum(),
    )
