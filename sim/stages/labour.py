"""Stage 3, labour market: jobs and wages per city, then every worker's year.

Jobs for migrants grow with GDP (published growth to 2024, an assumption
after); each city's employment rate and wage answer its ratio of jobs to
workers (both in persons: jobs start equal to the workers each destination
holds, so the start's employment does not depend on the number of agents).
Then a year in town counts for everyone living there; migrant workers aged
60 and over may stop non-farm work (decision ``nonfarm_exit``: NBS counts
migrant workers with no upper age limit, so they leave the count by
stopping, not by a birthday); farming villagers of working age may take up
non-farm work (decision ``offfarm``); every migrant worker in a town finds a
job or not (decision ``employment``); the insured among the employed add an
insurance year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim import datasets
from sim.cities import COUNTY
from sim.decisions import EDUCATION_WAGE
from sim.households import mask_of
from sim.population import WORKING_AGES, insured_share  # ages at which villagers take up non-farm work
from sim.state import ORIGIN

WORKER_MIN_AGE = 16  # migrant workers: 16 and over, no upper limit (NBS)
EXIT_AGE = 60  # from this age migrant workers may stop non-farm work
WAGE_RATIO_BOUNDS = (0.5, 2.0)  # jobs/worker ratio within which wages respond


def run(m) -> None:
    p, prm = m.people, m.params
    update_jobs_and_wages(m)
    in_town = p.view("alive") & (p.view("location") != ORIGIN)
    p.view("years_in_city")[in_town] += 1
    age = p.view("age")
    old_workers = np.flatnonzero(p.view("alive") & p.view("works") & (age >= EXIT_AGE))
    stopping = m.decide("nonfarm_exit", old_workers,
                        lambda: np.full(old_workers.size, prm["nonfarm_exit_rate_old"]))
    p.works[stopping] = False
    farming = (p.view("alive") & (p.view("location") == ORIGIN) & ~p.view("works")
               & (age >= WORKING_AGES[0]) & (age <= WORKING_AGES[1]))
    rows = np.flatnonzero(farming)
    entering = m.decide("offfarm", rows, lambda: np.full(rows.size, prm["offfarm_entry_rate"]))
    p.works[entering] = True
    employed = draw_employment(m)
    insured = employed & (p.view("insurance_draw")
                          < insured_share(prm["insured_share_base"] + m.levers.insured_share_extra,
                                          p.view("education")))
    p.view("insurance_years")[insured] += 1


def workers_in_towns(m) -> np.ndarray:
    p = m.people
    age = p.view("age")
    return p.view("alive") & (p.view("location") != ORIGIN) & p.view("works") & (age >= WORKER_MIN_AGE)


def labour_by_city(m) -> np.ndarray:
    """Migrant workers (persons) living in each destination."""
    mask = workers_in_towns(m)
    return np.bincount(m.people.view("location")[mask], minlength=m.cities.n) * m.persons_per_agent


def update_jobs_and_wages(m) -> None:
    """Jobs grow with GDP; each city's employment rate and wage answer its jobs per worker."""
    lev, prm = m.levers, m.params
    growth = datasets.gdp_growth(m.year, prm["gdp_growth_after_data"])
    m.jobs *= np.maximum(1.0 + prm["job_gdp_elasticity"] * growth + lev.job_growth_extra, 0.0)
    m.wage_index *= 1.0 + prm["wage_gdp_elasticity"] * growth
    m.labour = labour_by_city(m)
    ratio = np.clip(m.jobs / np.maximum(m.labour, 1.0), *WAGE_RATIO_BOUNDS)
    ceiling = min(1.0, prm["max_employment_rate"] + lev.employment_extra)
    m.employment_rate = np.minimum(1.0, ratio) * ceiling
    m.wage = m.base_wage * lev.wage_factor * ratio ** prm["wage_tightness_elasticity"]


def draw_employment(m) -> np.ndarray:
    """Employment (decision ``employment``) and wage of every migrant worker in a town this year."""
    p = m.people
    rows = np.flatnonzero(workers_in_towns(m))
    loc = p.view("location")
    found = m.decide("employment", rows, lambda: m.employment_rate[loc[rows]])
    p.view("employed")[:] = False
    p.view("wage")[:] = 0.0
    p.employed[found] = True
    p.wage[found] = m.wage[loc[found]] * EDUCATION_WAGE[p.education[found]] * np.exp(p.skill[found])
    return mask_of(p.n, found)


def base_wages(m, regions: pd.DataFrame) -> np.ndarray:
    """Monthly migrant wage by destination in 2020 yuan.

    Cities: the 2020 wage of migrants working outside their township (4,549,
    NBS), scaled by their region's relative wage and by city size
    (``city_size_wage_elasticity``), normalized so that the migrant-weighted
    mean over cities is 4,549. County towns: the local migrants' 3,606,
    scaled by region.
    """
    c = m.cities
    national = datasets.official("migrant_worker_monthly_income", 2020)
    regional = regions["migrant_wage_yuan_month"].to_numpy() / national
    size = (c.population / 1e6) ** m.params["city_size_wage_elasticity"]
    wage = regional[c.region] * size
    city = c.size_class != COUNTY
    weights = m.expected_workers[city]
    wage[city] *= 4549.0 / np.average(wage[city], weights=np.maximum(weights, 1e-9))
    wage[~city] = 3606.0 * regional[c.region[~city]]
    return wage
