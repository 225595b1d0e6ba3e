"""The official state of a start year: the totals the initial population must match.

2020 comes straight from the census and NBS (``sim/data``). 2015, for fitting
the model's dynamics to 2015-2020, is assembled from the 2015 figures where
they exist and derived, with stated assumptions, where they do not:

- age structure: the census 2020 single-year ages projected back five years
  (a person aged a+5 in 2020 was aged a in 2015; survivors are divided by a
  five-year survival computed from a mortality schedule fitted to the 2015
  crude death rate), scaled to the 2015 total. It reproduces the 2015 1 %
  survey's age shares to about a point (tests/test_start_state.py);
- rural shares over 60 and over 65: the 2020 ones scaled by the national share
  over 60 of 2015 against 2020 (assumed; no 2015 rural figure in the data);
- migrant workers living in towns: the 2016 ratio of them to outside-township
  workers applied to 2015 (the 2015 report's figure is not in the data);
- the city system: the 2020 census cities (assumed unchanged over 2015-2020);

2010, for hindcasts, comes from the 2010 census (total and urban population
at 1 November 2010, taken as the year-end state; age shares 0-14, 15-59,
60+ and 65+), the hukou rate of 2010 (non-agricultural share, the concept of
the 2012-2014 values) and the NBS migrant stocks of 2010:

- age structure: the census 2020 ages projected back ten years as above,
  then each of the bands 0-14, 15-59, 60-64 and 65+ scaled to the 2010
  census shares (so they are reproduced exactly);
- rural shares over 60 and over 65 and migrant workers living in towns:
  derived as for 2015;
- incomes: decisions use 2020 yuan; the reported wage is scaled by the migrant
  income of the start year against 2020 (NBS).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sim import datasets
from sim.datasets import TEN_THOUSAND
from sim.demography import calibrate_mortality

START_YEARS = (2010, 2015, 2020)


@dataclass(frozen=True)
class StartState:
    year: int
    total_population: float
    resident_rate: float  # fraction
    hukou_rate: float  # fraction
    population_by_age: np.ndarray  # persons, ages 0..MAX_AGE
    rural_share_60: float
    rural_share_65: float
    migrants_in_towns: float  # persons
    migrant_workers_total: float
    migrant_workers_outside_township: float
    income_index: float  # migrant income of the year relative to 2020


def _back_project(by_age_2020: np.ndarray, years: int, crude_death_rate: float) -> np.ndarray:
    q = calibrate_mortality(by_age_2020, crude_death_rate * by_age_2020.sum())
    out = np.zeros_like(by_age_2020)
    n = len(by_age_2020)
    for a in range(n):
        later = min(a + years, n - 1)
        survival = np.prod(1.0 - q[a:min(a + years, n)])
        out[a] = by_age_2020[later] / max(survival, 1e-3) if a + years < n else by_age_2020[-1] * 0.5 ** (a + years - n + 1)
    return out


def _census_2010_bands(by_age: np.ndarray) -> np.ndarray:
    """Scale the bands 0-14, 15-59, 60-64, 65+ to the 2010 census shares."""
    off = datasets.official
    shares = {(0, 14): off("census_2010_age_share_0_14", 2010), (15, 59): off("census_2010_age_share_15_59", 2010),
              (60, 64): off("census_2010_age_share_60_plus", 2010) - off("census_2010_age_share_65_plus", 2010),
              (65, len(by_age) - 1): off("census_2010_age_share_65_plus", 2010)}
    out = by_age.copy()
    total = by_age.sum()
    for (lo, hi), share in shares.items():
        band = slice(lo, hi + 1)
        out[band] *= share / 100 * total / by_age[band].sum()
    return out


@lru_cache(maxsize=None)
def start_state(year: int) -> StartState:
    """The totals of ``year`` (one of ``START_YEARS``)."""
    if year not in START_YEARS:
        raise KeyError(f"no starting state for {year}; available: {START_YEARS}")
    off = datasets.official
    if year == 2010:
        total = off("census_2010_total_population", 2010) * TEN_THOUSAND
        resident_rate = off("census_2010_urban_population", 2010) / off("census_2010_total_population", 2010)
    else:
        total = off("total_population", year) * TEN_THOUSAND
        resident_rate = off("resident_urbanization_rate_revised", year) / 100
    by_age = datasets.census_age_2020()
    income = off("migrant_worker_monthly_income", year) / off("migrant_worker_monthly_income", 2020)
    if year == 2020:
        share_60 = off("age_share_60_plus_rural", 2020) / 100
        share_65 = off("age_share_65_plus_rural", 2020) / 100
        in_towns = off("migrant_workers_living_in_cities", 2020) * TEN_THOUSAND
    else:
        by_age = _back_project(by_age, 2020 - year, datasets.crude_death_rate(year))
        if year == 2010:
            by_age = _census_2010_bands(by_age)
        share_60_national = (off("census_2010_age_share_60_plus", 2010) if year == 2010
                             else off("age_share_60_plus", year))
        ratio_60 = share_60_national / off("age_share_60_plus", 2020)
        share_60 = off("age_share_60_plus_rural", 2020) / 100 * ratio_60
        share_65 = off("age_share_65_plus_rural", 2020) / 100 * ratio_60
        ratio = off("migrant_workers_living_in_cities", 2016) / off("migrant_workers_outside_township", 2016)
        in_towns = ratio * off("migrant_workers_outside_township", year) * TEN_THOUSAND
    by_age = by_age * total / by_age.sum()
    return StartState(
        year=year, total_population=total,
        resident_rate=resident_rate,
        hukou_rate=off("hukou_urbanization_rate", year) / 100,
        population_by_age=by_age, rural_share_60=share_60, rural_share_65=share_65,
        migrants_in_towns=in_towns,
        migrant_workers_total=off("migrant_workers_total", year) * TEN_THOUSAND,
        migrant_workers_outside_township=off("migrant_workers_outside_township", year) * TEN_THOUSAND,
        income_index=income,
    )
