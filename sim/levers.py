"""The levers: everything a policy may change, rebuilt each simulated year.

Each year the model starts from the scenario's baseline levers (the rules and
city attributes in force at the start) and lets every policy act on a copy at
its current strength. Decision code reads only levers and parameters, never a
policy, so a new measure is a few rows on levers (``sim.policies``), not a
branch in a decision.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sim.settlement import RuleArrays

# Attributes of each size class for residents without local hukou in 2020.
# service_access: share of basic public services (schooling, health, housing
# security, employment services) a residence-permit holder can use, relative
# to a hukou holder; school_access: chance that a migrant child gets a public
# school place. National average of the latter: 79.7 % of migrant children in
# public schools (China Rural Education Development Report 2019, for 2017);
# the gradient by city size (access rationed hardest in the largest cities) is
# assumed, set so that the population-weighted mean is about 0.8.
#
# practical_barrier: share of migrants who meet a city's written rule but fail
# its practical proofs (registered or owned housing, a labour contract, an
# insurance record) and so cannot settle; practical_barrier_nonlocal: the
# extra share for applicants from another region ("外地"). Neutral (0) here:
# the status quo sets its re-based values explicitly (scenarios/status_quo.toml,
# [city_classes.*], with their sources), so that a scenario without them keeps
# the rules as written.
_NEUTRAL_BARRIER = {"practical_barrier": 0.0, "practical_barrier_nonlocal": 0.0}
CLASS_DEFAULTS = {
    "super_large": {"service_access": 0.40, "school_access": 0.60, **_NEUTRAL_BARRIER},
    "mega": {"service_access": 0.50, "school_access": 0.70, **_NEUTRAL_BARRIER},
    "large_1": {"service_access": 0.60, "school_access": 0.78, **_NEUTRAL_BARRIER},
    "large_2": {"service_access": 0.70, "school_access": 0.82, **_NEUTRAL_BARRIER},
    "medium": {"service_access": 0.75, "school_access": 0.85, **_NEUTRAL_BARRIER},
    "small": {"service_access": 0.80, "school_access": 0.88, **_NEUTRAL_BARRIER},
    "county": {"service_access": 0.85, "school_access": 0.90, **_NEUTRAL_BARRIER},
}
CLASS_KEYS = ("service_access", "school_access", "practical_barrier", "practical_barrier_nonlocal")
# levers held per [origin region, city] pair; the others are per city or national (scalars)
PAIR_LEVERS = ("distance_factor",)


@dataclass
class Levers:
    """Per-city arrays (index k) and national scalars that policies act on."""

    rules: RuleArrays
    service_access: np.ndarray  # non-hukou residents' access to public services, 0..1
    school_access: np.ndarray  # migrant children's chance of a public school place, 0..1
    housing_factor: np.ndarray  # multiplies the housing cost share
    wage_factor: np.ndarray  # multiplies migrant wages
    job_growth_extra: np.ndarray  # added to the yearly growth rate of migrant jobs
    distance_factor: np.ndarray  # multiplies distance, per [origin region, city]
    registration_share: np.ndarray  # share of long-term residents registered where they live
    practical_barrier: np.ndarray  # share of rule-eligible migrants blocked by practical proofs (open, conditions)
    practical_barrier_nonlocal: np.ndarray  # the extra share for applicants from another region
    registration_years: float = 5.0  # years of residence that count as habitual
    # 1: the land deterrent to converting as surveyed in CMDS 2016-2017, i.e. under the 2014 rule that
    # settling may not require giving up land (国发〔2014〕25号): a perceived risk, not a legal cost
    land_penalty_factor: float = 1.0
    land_exit_rate: float = 0.0  # yearly chance that a land holder living in town exits its rural land rights
    insurance_portable: float = 0.0  # share of insurance years kept when changing city
    insurance_portable_region: float = 0.0  # the same, for moves within a region (metro areas)
    insured_share_extra: float = 0.0  # added to the share of migrants insured
    employment_extra: float = 0.0  # added to the maximum employment rate
    return_to_county_share: float = 0.0  # returnees who live in the county town, not the village
    reclassification_factor: float = 1.0  # multiplies the year's pace of village reclassification (land for growth)
    reclassified_hukou_factor: float = 1.0  # multiplies the share of reclassified villagers given urban hukou

    def copy(self) -> "Levers":
        values = {}
        for f in fields(self):
            v = getattr(self, f.name)
            values[f.name] = v.copy() if hasattr(v, "copy") else v
        return Levers(**values)


def baseline_levers(rules: RuleArrays, class_values: dict[str, dict[str, float]],
                    size_class: np.ndarray, class_names: tuple[str, ...], n_regions: int,
                    return_to_county_share: float) -> Levers:
    """Levers before any policy acts: the scenario's rules and class attributes."""
    per_class = {key: np.array([class_values[c][key] for c in class_names]) for key in CLASS_KEYS}
    n = len(size_class)
    return Levers(
        rules=rules,
        service_access=per_class["service_access"][size_class].copy(),
        school_access=per_class["school_access"][size_class].copy(),
        housing_factor=np.ones(n),
        wage_factor=np.ones(n),
        job_growth_extra=np.zeros(n),
        distance_factor=np.ones((n_regions, n)),
        registration_share=np.zeros(n),
        practical_barrier=per_class["practical_barrier"][size_class].copy(),
        practical_barrier_nonlocal=per_class["practical_barrier_nonlocal"][size_class].copy(),
        return_to_county_share=return_to_county_share,
    )
