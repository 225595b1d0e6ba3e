"""Births, deaths and ageing.

Deaths follow one national age schedule: infant mortality 5.4 per thousand
(NBS 2020) and a Gompertz curve from age 1 whose level is set each year so that
total deaths over the whole population equal the published crude death rate.
Since the rural population is older than the urban, it loses more people.

Births in a year are the published national total (after the last published
year: the last crude birth rate), shared between urban-hukou and rural-hukou
parents by the people aged 20-39 in each, rural ones weighted by
``fertility_rural_relative``. A child takes its parents' hukou; a rural-hukou
child is born where its parent lives, or at origin when the parent left the
children there.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from sim.datasets import MAX_AGE

INFANT_MORTALITY = 0.0054  # NBS 2020 infant mortality rate, 5.4 per thousand
CHILD_MORTALITY = 0.0003  # ages 1-14, assumed (under-5 mortality 7.5 per thousand in 2020, NBS)
GOMPERTZ_SLOPE = 0.09  # yearly rise of adult log mortality; typical human value, assumed
FERTILE_AGES = (20, 39)


def mortality_shape() -> np.ndarray:
    """Relative mortality by age 0..MAX_AGE before scaling (adult part Gompertz)."""
    ages = np.arange(MAX_AGE + 1)
    return np.exp(GOMPERTZ_SLOPE * (ages - 60))


def mortality_schedule(level: float) -> np.ndarray:
    """Death probability by age for a Gompertz level (``level`` = q at age 60)."""
    q = np.minimum(level * mortality_shape(), 0.7)
    q[0] = INFANT_MORTALITY
    q[1:15] = np.maximum(CHILD_MORTALITY, q[1:15])
    return q


def calibrate_mortality(population_by_age: np.ndarray, target_deaths: float) -> np.ndarray:
    """The schedule that gives ``target_deaths`` on ``population_by_age``."""
    def gap(level):
        return float(population_by_age @ mortality_schedule(level)) - target_deaths
    level = brentq(gap, 1e-6, 0.5)
    return mortality_schedule(level)


def age_urban_stock(stock: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, float]:
    """Apply deaths then ageing to an age-structured stock; return (new stock, deaths)."""
    deaths = stock * q
    survivors = stock - deaths
    aged = np.zeros_like(stock)
    aged[1:] = survivors[:-1]
    aged[-1] += survivors[-1]
    return aged, float(deaths.sum())


def split_births(total_births: float, urban_fertile: float, rural_fertile: float,
                 rural_relative: float) -> tuple[float, float]:
    """Births to (urban-hukou, rural-hukou) parents."""
    weight_rural = rural_fertile * rural_relative
    denominator = urban_fertile + weight_rural
    if denominator <= 0:
        return 0.0, 0.0
    rural = total_births * weight_rural / denominator
    return total_births - rural, rural
