"""The decision rules, as pure functions of arrays.

Each rule is split as in Flee: score (utilities), weight (probabilities),
choose (with explicit uniform draws). Nothing here reads the model; the model
gathers the arrays, and the tests call these functions directly.

Destination choice is a multinomial logit over destinations for groups of
agents who share a utility (origin region x education x children of school
age). Its log-sum is the value of migrating, which enters the leave-or-stay
decision with the nesting coefficient (a nested logit: stay / leave -> city).
Choosing is one uniform draw and one binary search per chooser on the group's
row of cumulative probabilities.

The probability functions take arrays (the vector engine: every candidate at
once) or plain Python numbers (the agent engine: one agent), with the same
formula; for numbers they use ``math`` only, which is about fifteen times
faster than numpy on scalars.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit, logsumexp

# Wage by education relative to junior high (primary or less, junior, senior,
# college): Mincer returns of about 6 % a school year for migrant workers; assumed.
EDUCATION_WAGE = np.array([0.85, 1.0, 1.12, 1.45])
_EDUCATION_WAGE_FLOATS = tuple(float(v) for v in EDUCATION_WAGE)
PERSONS_SCALE = 1e6  # jobs enter utilities as ln(jobs / 1 million)
DISTANCE_SCALE_KM = 100.0  # distance enters as ln(distance / 100 km)


def logistic(x):
    """1 / (1 + exp(-x)), for an array or a number."""
    if isinstance(x, np.ndarray):
        return expit(x)
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _positive_part(x):
    return np.maximum(x, 0) if isinstance(x, np.ndarray) else (x if x > 0 else 0)


def _at_most(x, cap):
    return np.minimum(x, cap) if isinstance(x, np.ndarray) else (x if x < cap else cap)


def _log(x):
    return np.log(x) if isinstance(x, np.ndarray) else math.log(x)



def _education_wage(education):
    return EDUCATION_WAGE[education] if isinstance(education, np.ndarray) else _EDUCATION_WAGE_FLOATS[education]


def housing_share(population: np.ndarray, housing_factor: np.ndarray, share_at_10m: float,
                  size_elasticity: float) -> np.ndarray:
    """Share of a migrant's income spent on housing, by city."""
    share = share_at_10m * (population / 1e7) ** size_elasticity * housing_factor
    return np.clip(share, 0.0, 0.9)


def destination_utilities(*, wage: np.ndarray, employment_rate: np.ndarray, housing: np.ndarray,
                          jobs: np.ndarray, population: np.ndarray, service_access: np.ndarray,
                          school_access: np.ndarray, prospects: np.ndarray, distance_km: np.ndarray,
                          same_region: np.ndarray, network: np.ndarray, constant: np.ndarray,
                          params) -> np.ndarray:
    """Utility of each destination for each group.

    Args:
        wage, employment_rate, housing, jobs, population, service_access,
            school_access, prospects: per destination (K,).
        constant: destination constants (K,), calibrated at the start so that the
            choice model reproduces where rural-hukou migrants lived in 2020.
        distance_km, same_region, network: per origin region and destination (R, K);
            an infinite distance marks an unavailable destination.
        params: ``sim.parameters.Parameters``.

    Returns:
        Array (R, E, 2, K): origin region x education x has-school-children x destination.
    """
    distance_coef = params["wage_coef"] * params["income_distance_elasticity"]
    net_income = wage * employment_rate * (1.0 - housing)
    base = (params["wage_coef"] * np.log(np.maximum(net_income, 1.0))
            + np.log(np.maximum(jobs, 1.0) / PERSONS_SCALE)
            + params["services_coef"] * service_access
            + params["settle_prospect_coef"] * prospects
            + params["city_size_amenity_coef"] * np.log(population / PERSONS_SCALE)
            + constant)
    with np.errstate(divide="ignore"):
        pair = (-distance_coef * np.log(distance_km / DISTANCE_SCALE_KM)
                + params["same_region_coef"] * same_region
                + params["network_coef"] * network)
    pair = np.where(np.isfinite(distance_km), pair, -np.inf)
    kids = np.array([0.0, 1.0])[:, None] * params["schooling_coef"] * school_access[None, :]
    n_edu = len(EDUCATION_WAGE)
    # education raises the wage everywhere: no effect on which city, but on the
    # log-sum, i.e. on the value of leaving against the (education-scaled) home income
    education = params["wage_coef"] * np.log(EDUCATION_WAGE)
    v = (base[None, None, None, :] + pair[:, None, None, :] + kids[None, None, :, :]
         + education[None, :, None, None])
    return np.broadcast_to(v, (pair.shape[0], n_edu, 2, len(wage))).copy()


def choice_cdf(utilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative choice probabilities per group row, and the log-sum of each row.

    Args:
        utilities: (..., K) array; ``-inf`` marks unavailable alternatives.

    Returns:
        (cdf, logsum): cdf has shape (G, K) with rows ending at 1; logsum (G,).
    """
    flat = utilities.reshape(-1, utilities.shape[-1])
    logsum = logsumexp(flat, axis=1)
    prob = np.exp(flat - logsum[:, None])
    cdf = np.cumsum(prob, axis=1)
    cdf /= cdf[:, -1:]
    return cdf, logsum


def choose(cdf: np.ndarray, group: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Choose an alternative per chooser: one uniform and one binary search each.

    The rows of ``cdf`` are offset by their group number and searched as one
    sorted array, so all choosers are served by a single ``searchsorted``.
    """
    n_groups, k = cdf.shape
    offset = cdf + np.arange(n_groups)[:, None]
    flat_index = np.searchsorted(offset.ravel(), group + u, side="right")
    choice = flat_index - group * k
    return np.minimum(choice, k - 1)


def leave_probability(*, logsum: np.ndarray, rural_income: np.ndarray, age: np.ndarray,
                      education: np.ndarray, params) -> np.ndarray:
    """Yearly probability that a rural resident leaves for a city.

    ``logsum`` is the value of the best destination set for the agent's group;
    against it stands the income forgone at home (``rural_income``, by agent).
    """
    home = params["wage_coef"] * _log(rural_income * _education_wage(education))
    x = (params["leave_intercept"] + params["nest_coef"] * (logsum - home)
         + params["leave_age_slope"] * _positive_part(age - 25))
    if isinstance(x, np.ndarray):
        return np.where(age <= params["leave_max_age"], logistic(x), 0.0)
    return logistic(x) if age <= params["leave_max_age"] else 0.0


def settle_probability(*, land: np.ndarray, land_penalty_factor: float, service_access: np.ndarray,
                       has_school_children: np.ndarray, years_in_city: np.ndarray, age: np.ndarray,
                       params) -> np.ndarray:
    """Yearly probability that an eligible migrant applies to convert hukou.

    Willingness rises with what local hukou adds to services the migrant already
    has, with school-age children and with years in the city; rural land rights
    lower it (by ``land_penalty_factor`` of their full weight), more for migrants
    aged 50 and over (Zhang & Li 2021).
    """
    land_deterrent = params["settle_land_coef"] + params["settle_old_coef"] * (age >= 50)
    x = (params["settle_intercept"]
         + land * land_penalty_factor * land_deterrent
         + params["settle_service_gain_coef"] * (1.0 - service_access)
         + params["settle_children_coef"] * has_school_children
         + params["settle_years_coef"] * _at_most(years_in_city, 10) / 10.0)
    return logistic(x)


# The terms of the settle utility that can hold a migrant back, in the order in
# which ties for the largest are broken (``settle_deterrents``).
SETTLE_DETERRENTS = ("land_rights", "small_service_gain", "no_school_children", "few_years_in_city")


def settle_deterrents(*, land: np.ndarray, land_penalty_factor: float, service_access: np.ndarray,
                      has_school_children: np.ndarray, years_in_city: np.ndarray, age: np.ndarray,
                      params) -> np.ndarray:
    """How far each term of ``settle_probability``'s utility falls short of its most favourable value.

    Logit units, >= 0, one row per ``SETTLE_DETERRENTS`` entry, one column per
    person: land rights (the land term: 0 without land), the small gain in
    services (``settle_service_gain_coef`` x service access: the gain forgone
    because the migrant already has that access), no school-age children here
    (``settle_children_coef`` if none) and few years in the city
    (``settle_years_coef`` x the years short of 10, over 10). The utility is
    the most favourable one minus their sum.
    """
    land_deterrent = params["settle_land_coef"] + params["settle_old_coef"] * (age >= 50)
    years = np.minimum(years_in_city, 10) / 10.0
    return np.stack([-(land * land_penalty_factor * land_deterrent),
                     params["settle_service_gain_coef"] * service_access,
                     params["settle_children_coef"] * ~has_school_children.astype(bool),
                     params["settle_years_coef"] * (1.0 - years)]).astype(float)


def return_probability(*, age: np.ndarray, unemployed: np.ndarray, left_behind_children: np.ndarray,
                       land: np.ndarray, params) -> np.ndarray:
    """Yearly probability that a rural-hukou urban resident goes home."""
    x = (params["return_intercept"]
         + params["return_age_coef"] * _positive_part(age - 40) / 10.0
         + params["return_old_coef"] * (age >= 60)
         + params["return_unemployed_coef"] * unemployed
         + params["return_left_behind_coef"] * left_behind_children
         + params["return_land_coef"] * land)
    return logistic(x)


def stochastic_round(x: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Round each value up with probability equal to its fractional part."""
    base = np.floor(x)
    return (base + (u < x - base)).astype(np.int64)


def ndtri_clipped(u: np.ndarray) -> np.ndarray:
    """Standard normal quantiles of uniforms (clipped away from 0 and 1)."""
    from scipy.special import ndtri

    return ndtri(np.clip(u, 1e-12, 1 - 1e-12))
