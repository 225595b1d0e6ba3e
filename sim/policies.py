"""The plan's measures, as data: what each changes on the levers, registered by name.

A measure has the plan's article, a summary, its own parameters (defaults read
from the plan's text, with the ranges a scenario may set) and the rows by which
it acts on levers (``sim.policy_rows``: lever, operation, value, where). A
scenario gives each enabled measure a start date (decimal year: the plan was
issued on 12 July 2022, 2022.53), a ramp (years to reach full effect) and a
strength (0..1 of the plan's full measure). Each year the model calls
``apply(context, levers, intensity)`` on every enabled policy, in the order of
``REGISTRY``, with ``intensity = strength * clip((year - start) / ramp_years,
0, 1)`` for the year ending at ``year``; a policy changes levers only
(``sim.levers``) and reads only the ``PolicyContext``.

Adding a measure is one ``Measure`` entry in ``MEASURES``; only a measure with
logic of its own (the fiscal reward, which feeds back from the settlements
simulated so far) is a class.
"""

from __future__ import annotations

import numpy as np

from sim.policy_rows import (DEFAULT_RAMP_YEARS, PLAN_ISSUED, Measure, Policy, PolicyContext, PolicyParam,
                             Row, all_but)

__all__ = ["COMMON_KEYS", "DEFAULT_RAMP_YEARS", "MEASURES", "NEGLIGIBLE_PP", "PLAN_ISSUED", "REGISTRY",
           "FiscalReward", "Measure", "Policy", "PolicyContext", "PolicyParam", "Row", "article_number",
           "make_policy", "policy_table"]

COMMON_KEYS = ("enabled", "start", "ramp_years", "strength")
NEGLIGIBLE_PP = 0.05


class FiscalReward(Policy):
    """Article 12: cities gain service access in proportion to the migrants they settled since the start."""

    operations = ({"lever": "service_access", "op": "add, at most 1",
                   "value": "service_gain × s × persons settled in the city since the start / its initial gap",
                   "where": "all cities"},)

    def apply(self, context: PolicyContext, levers, intensity: float) -> None:
        settled = sum((persons for year, persons in context.settled_by_year.items() if year + 1 > self.start),
                      np.zeros(len(context.size_class)))
        gain = self.values["service_gain"] * intensity * settled / context.initial_gap
        levers.service_access = np.minimum(1.0, levers.service_access + gain)


P = PolicyParam
UNDER_3M = ("large_2", "medium", "small", "county")
OVER_5M = ("super_large", "mega")

MEASURES = (
    Measure(
        name="settlement_open_small", article="六",
        summary=("remove all settlement restrictions in cities under 3 million, the same "
                 "standard for local and non-local rural migrants"),
        params={"min_residence_years": P(0.0, 0.0, 10.0, "years of residence still asked")},
        # thresholds, points and quotas ramp towards "open"; the rule becomes open at full strength
        rows=(Row("rules.min_residence_years", "toward", "min_residence_years", classes=UNDER_3M),
              Row("rules.min_insurance_years", "toward", 0.0, classes=UNDER_3M),
              Row("rules.threshold", "toward", 0.0, classes=UNDER_3M),
              Row("rules.annual_quota_share", "toward", 1.0, classes=UNDER_3M),
              Row("rules.kind", "set", "open", classes=UNDER_3M, at=1.0)),
        expected=(0, 0),
        mechanism=('The 2019-2020 rules already removed all limits below 3 million, so against the status quo '
                   'nothing changes; the measure matters only in scenarios whose baseline still has limits '
                   'there.')),
    Measure(
        name="settlement_relax_large", article="六",
        summary="fully relax settlement conditions in type-I large cities (3-5 million)",
        params={"min_residence_years": P(1.0, 0.0, 10.0, "residence years asked once fully relaxed"),
                "min_insurance_years": P(0.5, 0.0, 10.0, "insurance years asked once fully relaxed")},
        rows=(Row("rules.min_residence_years", "toward", "min_residence_years", classes=("large_1",)),
              Row("rules.min_insurance_years", "toward", "min_insurance_years", classes=("large_1",))),
        expected=(0, 1),
        mechanism=('More migrants in 3-5 million cities become eligible sooner: more conversions, hukou up; '
                   'the cities are few, so the effect is small.')),
    Measure(
        name="points_reform", article="六",
        summary=("in cities over 5 million simplify points; insurance and residence years "
                 "carry most points; encourage cancelling annual quotas"),
        params={"quota_multiplier_mega": P(3.0, 1.0, 100.0, "annual quota multiplied, 5-10 M cities"),
                "quota_multiplier_super_large": P(1.5, 1.0, 100.0, "annual quota multiplied, >10 M cities"),
                "threshold_cut": P(0.3, 0.0, 1.0, "share by which the points threshold falls"),
                "residence_points_gain": P(0.5, 0.0, 5.0, "relative rise of points per residence year")},
        rows=(Row("rules.annual_quota_share", "scale", "quota_multiplier_mega - 1", classes=("mega",)),
              Row("rules.annual_quota_share", "scale", "quota_multiplier_super_large - 1",
                  classes=("super_large",)),
              Row("rules.threshold", "scale", "-threshold_cut", classes=OVER_5M),
              Row("rules.points_per_residence_year", "scale", "residence_points_gain", classes=OVER_5M)),
        expected=(0, 1),
        mechanism=('Larger quotas and lower thresholds in cities over 5 million admit more applicants: hukou '
                   'up; quotas stay small against the migrants there.')),
    Measure(
        name="residence_registration", article="六",
        summary="trial of registering hukou at the place of habitual residence",
        params={"coverage": P(0.2, 0.0, 1.0, "share of long-term residents reached by the trials at full strength"),
                "years": P(5.0, 0.0, 30.0, "years of residence that make a residence habitual")},
        rows=(Row("registration_share", "max", "coverage", classes=all_but("super_large")),
              Row("registration_years", "set", "years")),
        expected=(0, 1),
        mechanism='Long-term residents become eligible where they live, including in points cities: hukou up.'),
    Measure(
        name="land_rights_kept", article="六",
        summary=("protect settlers' land contract, homestead and collective income rights; "
                 "no giving up land as a condition of settling"),
        params={"penalty_removed": P(0.6, 0.0, 1.0, "share of the land deterrent to converting removed")},
        rows=(Row("land_penalty_factor", "scale", "-penalty_removed"),),
        expected=(0, 1),
        mechanism=('Converting no longer costs rural land rights, the largest deterrent in the surveys: many '
                   'more eligible migrants convert, hukou up strongly; staying is not affected.')),
    Measure(
        name="services_by_residence", article="七",
        summary=("basic public services provided where people live; raise residence-permit "
                 "holders' access; cover all non-hukou residents"),
        params={"gap_closed": P(0.5, 0.0, 1.0, "share of the service gap to hukou holders closed")},
        rows=(Row("service_access", "toward", 1.0, share="gap_closed"),),
        expected=(0, -1),
        mechanism=('Local hukou adds less to what a migrant already has: fewer conversions, hukou down, gap '
                   'wider. Cities also become more attractive without hukou, but with the few departures of '
                   'the calibrated model this adds negligible arrivals by 2025.')),
    Measure(
        name="skills_training", article="八",
        summary="large-scale vocational training of migrant workers",
        params={"wage_gain": P(0.04, 0.0, 0.5, "average wage gain of migrant workers from training")},
        rows=(Row("wage_factor", "scale", "wage_gain"),),
        expected=(0, 0),
        mechanism=('Higher migrant wages raise the value of leaving, so resident up, but by far less than '
                   '0.05 point by 2025: a 4 % wage gain moves the leave logit by nest_coef x wage_coef x '
                   'ln 1.04 = 0.04, i.e. about 4 % more of the 1-1.5 million yearly departures, some '
                   '0.1 million persons by 2025 (0.007 point). Conversions barely change.')),
    Measure(
        name="migrant_children_schooling", article="九",
        summary="migrant children in host-city public schools; include them in high school and preschool",
        params={"gap_closed": P(0.6, 0.0, 1.0, "share of the school-access gap closed")},
        rows=(Row("school_access", "toward", 1.0, share="gap_closed"),),
        expected=(1, 0),
        mechanism=('Children come along and stay (resident up); schooling access lowers the need to convert '
                   'only a little.')),
    Measure(
        name="social_insurance_portability", article="十",
        summary="national pooling of pensions; insurance transferable and open at the place of work",
        params={"portable_share": P(1.0, 0.0, 1.0, "share of insurance years that follow a move"),
                "insured_gain": P(0.15, 0.0, 1.0, "rise in the share of migrants insured")},
        rows=(Row("insurance_portable", "max", "portable_share"),
              Row("insured_share_extra", "add", "insured_gain")),
        expected=(0, 1),
        mechanism=('Insurance years survive moves and more migrants are insured: more people meet conditions '
                   'and points: hukou up.')),
    Measure(
        name="labor_rights", article="十一",
        summary="equal employment, no hukou discrimination, wage-arrears enforcement",
        params={"wage_gain": P(0.02, 0.0, 0.5, "effective wage gain (arrears recovered, equal pay)"),
                "employment_gain": P(0.01, 0.0, 0.1, "rise of the maximum employment rate")},
        rows=(Row("wage_factor", "scale", "wage_gain"),
              Row("employment_extra", "add", "employment_gain")),
        expected=(1, 0),
        mechanism='Higher effective wages and fewer job losses: more arrivals, fewer returns, resident up.'),
    Measure(
        name="fiscal_linkage", article="十二",
        summary="rewards, investment and land quotas for cities that settle many migrants",
        params={"service_gain": P(1.0, 0.0, 10.0,
                                  "service access gained per unit of the share of a city's 2020 "
                                  "rural-hukou residents settled since the policy started")},
        rows=(), policy=FiscalReward,
        expected=(0, -1),
        mechanism=('Cities that settle migrants gain service capacity; better services for non-hukou residents '
                   'then lower the gain from converting: hukou down, a self-limiting loop.')),
    Measure(
        name="metro_area_integration", article="十四",
        summary=("one-hour metro areas; mutual recognition of insurance and settlement points "
                 "within a metro area (here: within a region)"),
        params={"distance_cut": P(0.15, 0.0, 0.9, "cut in the effective distance to cities of the own region")},
        rows=(Row("insurance_portable_region", "max", 1.0),
              Row("distance_factor", "scale", "-distance_cut", pairs="same", classes=all_but("county"))),
        expected=(1, 0),
        mechanism='Cities of the own region feel closer: more departures, resident up.'),
    Measure(
        name="megacity_decongestion", article="十六",
        summary="control size and density of super-large and mega cities; move general industry out",
        params={"job_growth_cut": P(0.01, 0.0, 0.1, "yearly job growth removed in cities over 5 million"),
                "job_growth_moved": P(0.005, 0.0, 0.1, "yearly job growth added in 1-5 million cities")},
        rows=(Row("job_growth_extra", "add", "-job_growth_cut", classes=OVER_5M),
              Row("job_growth_extra", "add", "job_growth_moved", classes=("large_1", "large_2"))),
        expected=(0, 0),
        mechanism=('Fewer new jobs in the largest cities, only partly made up in 1-5 million cities: slightly '
                   'fewer migrants (resident down by a few thousandths of a point by 2025, negligible).')),
    Measure(
        name="county_town_urbanization", article="十九",
        summary="upgrade county seats: industry, services, housing; 120 demonstration counties",
        params={"job_growth_gain": P(0.01, 0.0, 0.1, "yearly job growth added in county towns"),
                "service_gain": P(0.3, 0.0, 1.0, "share of the county towns' service gap closed")},
        rows=(Row("job_growth_extra", "add", "job_growth_gain", classes=("county",)),
              Row("service_access", "toward", 1.0, share="service_gain", classes=("county",))),
        expected=(0, 0),
        mechanism=('More jobs and services in county towns draw local moves, but the +1 %/yr job growth '
                   'phasing in over three years is small by 2025.')),
    Measure(
        name="affordable_rental_housing", article="二十五",
        summary="government-supported rental housing for new citizens in large inflow cities",
        params={"cost_cut": P(0.15, 0.0, 0.9, "cut in migrants' housing cost in cities over 3 million")},
        rows=(Row("housing_factor", "scale", "-cost_cut", classes=("super_large", "mega", "large_1")),),
        expected=(0, 0),
        mechanism=('Cheaper housing in large cities raises net income there: more arrivals, resident up, but '
                   'by a few thousandths of a point by 2025 (negligible), since large cities are a small share '
                   'of the calibrated flows.')),
    Measure(
        name="intercity_transport", article="二十二",
        summary="3,000 km of intercity and suburban rail; two-hour access between major cities",
        params={"distance_cut": P(0.1, 0.0, 0.9, "cut in the effective distance to cities of other regions")},
        rows=(Row("distance_factor", "scale", "-distance_cut", pairs="other"),),
        expected=(0, 0),
        mechanism=('Shorter effective distances to other regions move people between destinations more than '
                   'they add migrants: small by 2025.')),
    Measure(
        name="return_settlement", article="四十四",
        summary="returnees may settle at origin or at the place of work, county towns included",
        params={"county_share_gain": P(0.2, 0.0, 1.0,
                                       "rise in the share of returnees who live in the county town")},
        rows=(Row("return_to_county_share", "add", "county_share_gain"),
              Row("return_to_county_share", "min", 1.0)),
        expected=(1, 0),
        mechanism='More returnees live in the county town instead of the village: resident up.'),
)

# name -> measure, in the order the policies act each year
REGISTRY: dict[str, Measure] = {}
for _measure in MEASURES:
    if _measure.name in REGISTRY:
        raise ValueError(f"measure {_measure.name} listed twice")
    REGISTRY[_measure.name] = _measure


def make_policy(name: str, settings: dict) -> Policy:
    """Build a registered policy from a scenario table (without ``enabled``)."""
    if name not in REGISTRY:
        raise KeyError(name)
    return REGISTRY[name](**settings)


_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def article_number(article: str) -> int:
    """The plan's Chinese article numeral (e.g. "二十五") as an integer (25)."""
    if "十" not in article:
        return _DIGITS[article]
    tens, _, units = article.partition("十")
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[units] if units else 0)


def policy_table() -> list[dict]:
    """One row per registered measure: name, article, summary, defaults, parameters, lever operations."""
    rows = []
    for name, measure in REGISTRY.items():
        rows.append({
            "name": name, "article": measure.article, "summary": measure.summary,
            "start": PLAN_ISSUED, "ramp_years": DEFAULT_RAMP_YEARS, "strength": 1.0,
            "params": {k: (p.default, p.low, p.high, p.doc) for k, p in measure.params.items()},
            "expected": measure.expected, "mechanism": measure.mechanism,
            "operations": measure.operations(),
        })
    return rows
