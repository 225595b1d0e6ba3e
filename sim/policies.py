"""The plan's measures as policy objects, registered by name.

A policy has the plan's article, a start date (decimal year: the plan was
issued on 12 July 2022, 2022.53), a ramp (years to reach full effect), a
strength (0..1 of the plan's full measure) and its own parameters with defaults
read from the plan's text. Each year the model calls ``apply(model, levers,
intensity)`` with ``intensity = strength * clip((year - start) / ramp_years, 0, 1)``
for the year ending at ``year``; a policy changes levers only (``sim.levers``).

Adding a measure is one class with the ``@register`` decorator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.cities import SIZE_CLASSES
from sim.settlement import OPEN

if TYPE_CHECKING:  # pragma: no cover
    from sim.levers import Levers
    from sim.model import UrbanizationModel

PLAN_ISSUED = 2022.53  # 12 July 2022
DEFAULT_RAMP_YEARS = 3.0  # assumed: measures phase in over the rest of the plan period
COMMON_KEYS = ("enabled", "start", "ramp_years", "strength")
NEGLIGIBLE_PP = 0.05


@dataclass(frozen=True)
class PolicyParam:
    default: float
    low: float
    high: float
    doc: str


class Policy:
    """Base class: one measure of the plan."""

    name: ClassVar[str] = ""
    article: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    params: ClassVar[dict[str, PolicyParam]] = {}
    # Expected sign of the measure's effect on the 2025 (resident, hukou) rates
    # against the plan without it: +1, -1, or 0 for "negligible by 2025"
    # (below NEGLIGIBLE_PP). tests/test_policy_effects.py checks them.
    expected: ClassVar[tuple[int, int]] = (0, 0)
    mechanism: ClassVar[str] = ""

    def __init__(self, start: float = PLAN_ISSUED, ramp_years: float = DEFAULT_RAMP_YEARS,
                 strength: float = 1.0, **values: float):
        self.start = float(start)
        self.ramp_years = float(ramp_years)
        self.strength = float(strength)
        unknown = set(values) - set(self.params)
        if unknown:
            raise KeyError(sorted(unknown)[0])
        self.values = {k: float(values.get(k, p.default)) for k, p in self.params.items()}

    def intensity(self, time: float) -> float:
        """Strength reached at decimal time ``time`` (0 before the start).

        The model asks at the end of each simulated year: the step for year Y
        uses ``time = Y + 1`` (31 December of Y), so a measure issued in July
        2022 already acts, at 0.47 / ramp_years of its strength, in 2022.
        """
        if time <= self.start:
            return 0.0
        if self.ramp_years <= 0:
            return self.strength
        return self.strength * min(1.0, (time - self.start) / self.ramp_years)

    def apply(self, model: "UrbanizationModel", levers: "Levers", intensity: float) -> None:
        raise NotImplementedError

    def to_dict(self) -> dict:
        return {"name": self.name, "article": self.article, "start": self.start,
                "ramp_years": self.ramp_years, "strength": self.strength, **self.values}


REGISTRY: dict[str, type[Policy]] = {}


def register(cls: type[Policy]) -> type[Policy]:
    if cls.name in REGISTRY:
        raise ValueError(f"policy {cls.name} registered twice")
    REGISTRY[cls.name] = cls
    return cls


def make_policy(name: str, settings: dict) -> Policy:
    """Build a registered policy from a scenario table (without ``enabled``)."""
    if name not in REGISTRY:
        raise KeyError(name)
    return REGISTRY[name](**settings)


def _classes(model: "UrbanizationModel", *names: str) -> np.ndarray:
    codes = [SIZE_CLASSES.index(n) for n in names]
    return np.isin(model.cities.size_class, codes)


def _toward(current: np.ndarray, target: float | np.ndarray, share: float) -> np.ndarray:
    return current + share * (target - current)


P = PolicyParam


@register
class SettlementOpenSmall(Policy):
    name = "settlement_open_small"
    article = "六"
    summary = ("remove all settlement restrictions in cities under 3 million, the same "
               "standard for local and non-local rural migrants")
    expected = (0, 0)
    mechanism = ('The 2019-2020 rules already removed all limits below 3 million, so against the status quo nothing changes; the measure matters only in scenarios whose baseline still has limits there.')
    params = {"min_residence_years": P(0.0, 0.0, 10.0, "years of residence still asked")}

    def apply(self, model, levers, intensity):
        # thresholds, points and quotas ramp towards "open"; the rule becomes open at full strength
        mask = _classes(model, "large_2", "medium", "small", "county")
        r = levers.rules
        r.min_residence_years[mask] = _toward(r.min_residence_years[mask],
                                              self.values["min_residence_years"], intensity)
        r.min_insurance_years[mask] = _toward(r.min_insurance_years[mask], 0.0, intensity)
        r.threshold[mask] = _toward(r.threshold[mask], 0.0, intensity)
        r.annual_quota_share[mask] = _toward(r.annual_quota_share[mask], 1.0, intensity)
        if intensity >= 1.0:
            r.kind[mask] = OPEN


@register
class SettlementRelaxLarge(Policy):
    name = "settlement_relax_large"
    article = "六"
    summary = "fully relax settlement conditions in type-I large cities (3-5 million)"
    expected = (0, 1)
    mechanism = ('More migrants in 3-5 million cities become eligible sooner: more conversions, hukou up; the cities are few, so the effect is small.')
    params = {
        "min_residence_years": P(1.0, 0.0, 10.0, "residence years asked once fully relaxed"),
        "min_insurance_years": P(0.5, 0.0, 10.0, "insurance years asked once fully relaxed"),
    }

    def apply(self, model, levers, intensity):
        mask = _classes(model, "large_1")
        r = levers.rules
        r.min_residence_years[mask] = _toward(r.min_residence_years[mask],
                                              self.values["min_residence_years"], intensity)
        r.min_insurance_years[mask] = _toward(r.min_insurance_years[mask],
                                              self.values["min_insurance_years"], intensity)


@register
class PointsReform(Policy):
    name = "points_reform"
    article = "六"
    summary = ("in cities over 5 million simplify points; insurance and residence years "
               "carry most points; encourage cancelling annual quotas")
    expected = (0, 1)
    mechanism = ('Larger quotas and lower thresholds in cities over 5 million admit more applicants: hukou up; quotas stay small against the migrants there.')
    params = {
        "quota_multiplier_mega": P(3.0, 1.0, 100.0, "annual quota multiplied, 5-10 M cities"),
        "quota_multiplier_super_large": P(1.5, 1.0, 100.0, "annual quota multiplied, >10 M cities"),
        "threshold_cut": P(0.3, 0.0, 1.0, "share by which the points threshold falls"),
        "residence_points_gain": P(0.5, 0.0, 5.0, "relative rise of points per residence year"),
    }

    def apply(self, model, levers, intensity):
        r = levers.rules
        for cls, key in (("mega", "quota_multiplier_mega"), ("super_large", "quota_multiplier_super_large")):
            mask = _classes(model, cls)
            r.annual_quota_share[mask] *= 1.0 + (self.values[key] - 1.0) * intensity
        mask = _classes(model, "mega", "super_large")
        r.threshold[mask] *= 1.0 - self.values["threshold_cut"] * intensity
        r.points_per_residence_year[mask] *= 1.0 + self.values["residence_points_gain"] * intensity


@register
class ResidenceRegistration(Policy):
    name = "residence_registration"
    article = "六"
    summary = "trial of registering hukou at the place of habitual residence"
    expected = (0, 1)
    mechanism = ('Long-term residents become eligible where they live, including in points cities: hukou up.')
    params = {
        "coverage": P(0.2, 0.0, 1.0, "share of long-term residents reached by the trials at full strength"),
        "years": P(5.0, 0.0, 30.0, "years of residence that make a residence habitual"),
    }

    def apply(self, model, levers, intensity):
        mask = ~_classes(model, "super_large")
        levers.registration_share[mask] = np.maximum(levers.registration_share[mask],
                                                     self.values["coverage"] * intensity)
        levers.registration_years = self.values["years"]


@register
class LandRightsKept(Policy):
    name = "land_rights_kept"
    article = "六"
    summary = ("protect settlers' land contract, homestead and collective income rights; "
               "no giving up land as a condition of settling")
    expected = (0, 1)
    mechanism = ('Converting no longer costs rural land rights, the largest deterrent in the surveys: many more eligible migrants convert, hukou up strongly; staying is not affected.')
    params = {"penalty_removed": P(0.6, 0.0, 1.0, "share of the land deterrent to converting removed")}

    def apply(self, model, levers, intensity):
        levers.land_penalty_factor *= 1.0 - self.values["penalty_removed"] * intensity


@register
class ServicesByResidence(Policy):
    name = "services_by_residence"
    article = "七"
    summary = ("basic public services provided where people live; raise residence-permit "
               "holders' access; cover all non-hukou residents")
    expected = (0, -1)
    mechanism = ('Local hukou adds less to what a migrant already has: fewer conversions, hukou down, gap wider. '
                 'Cities also become more attractive without hukou, but with the few departures of the '
                 'calibrated model this adds negligible arrivals by 2025.')
    params = {"gap_closed": P(0.5, 0.0, 1.0, "share of the service gap to hukou holders closed")}

    def apply(self, model, levers, intensity):
        levers.service_access = _toward(levers.service_access, 1.0, self.values["gap_closed"] * intensity)


@register
class SkillsTraining(Policy):
    name = "skills_training"
    article = "八"
    summary = "large-scale vocational training of migrant workers"
    expected = (0, 0)
    mechanism = ('Higher migrant wages raise the value of leaving, so resident up, but by far less than '
                 '0.05 point by 2025: a 4 % wage gain moves the leave logit by nest_coef x wage_coef x '
                 'ln 1.04 = 0.04, i.e. about 4 % more of the 1-1.5 million yearly departures, some '
                 '0.1 million persons by 2025 (0.007 point). Conversions barely change.')
    params = {"wage_gain": P(0.04, 0.0, 0.5, "average wage gain of migrant workers from training")}

    def apply(self, model, levers, intensity):
        levers.wage_factor *= 1.0 + self.values["wage_gain"] * intensity


@register
class MigrantChildrenSchooling(Policy):
    name = "migrant_children_schooling"
    article = "九"
    summary = "migrant children in host-city public schools; include them in high school and preschool"
    expected = (1, 0)
    mechanism = ('Children come along and stay (resident up); schooling access lowers the need to convert only a little.')
    params = {"gap_closed": P(0.6, 0.0, 1.0, "share of the school-access gap closed")}

    def apply(self, model, levers, intensity):
        levers.school_access = _toward(levers.school_access, 1.0, self.values["gap_closed"] * intensity)


@register
class SocialInsurancePortability(Policy):
    name = "social_insurance_portability"
    article = "十"
    summary = "national pooling of pensions; insurance transferable and open at the place of work"
    expected = (0, 1)
    mechanism = ('Insurance years survive moves and more migrants are insured: more people meet conditions and points: hukou up.')
    params = {
        "portable_share": P(1.0, 0.0, 1.0, "share of insurance years that follow a move"),
        "insured_gain": P(0.15, 0.0, 1.0, "rise in the share of migrants insured"),
    }

    def apply(self, model, levers, intensity):
        levers.insurance_portable = max(levers.insurance_portable, self.values["portable_share"] * intensity)
        levers.insured_share_extra += self.values["insured_gain"] * intensity


@register
class LaborRights(Policy):
    name = "labor_rights"
    article = "十一"
    summary = "equal employment, no hukou discrimination, wage-arrears enforcement"
    expected = (1, 0)
    mechanism = ('Higher effective wages and fewer job losses: more arrivals, fewer returns, resident up.')
    params = {
        "wage_gain": P(0.02, 0.0, 0.5, "effective wage gain (arrears recovered, equal pay)"),
        "employment_gain": P(0.01, 0.0, 0.1, "rise of the maximum employment rate"),
    }

    def apply(self, model, levers, intensity):
        levers.wage_factor *= 1.0 + self.values["wage_gain"] * intensity
        levers.employment_extra += self.values["employment_gain"] * intensity


@register
class FiscalLinkage(Policy):
    name = "fiscal_linkage"
    article = "十二"
    summary = "rewards, investment and land quotas for cities that settle many migrants"
    expected = (0, -1)
    mechanism = ('Cities that settle migrants gain service capacity; better services for non-hukou residents then lower the gain from converting: hukou down, a self-limiting loop.')
    params = {"service_gain": P(1.0, 0.0, 10.0,
                                "service access gained per unit of the share of a city's 2020 "
                                "rural-hukou residents settled since the policy started")}

    def apply(self, model, levers, intensity):
        settled = sum((persons for year, persons in model.settled_by_year.items() if year + 1 > self.start),
                      np.zeros(model.cities.n))
        gain = self.values["service_gain"] * intensity * settled / model.initial_gap
        levers.service_access = np.minimum(1.0, levers.service_access + gain)


@register
class MetroAreaIntegration(Policy):
    name = "metro_area_integration"
    article = "十四"
    summary = ("one-hour metro areas; mutual recognition of insurance and settlement points "
               "within a metro area (here: within a region)")
    expected = (1, 0)
    mechanism = ('Cities of the own region feel closer: more departures, resident up.')
    params = {"distance_cut": P(0.15, 0.0, 0.9, "cut in the effective distance to cities of the own region")}

    def apply(self, model, levers, intensity):
        levers.insurance_portable_region = max(levers.insurance_portable_region, intensity)
        same_region = model.cities.region[None, :] == np.arange(levers.distance_factor.shape[0])[:, None]
        cut = same_region & ~_classes(model, "county")[None, :]
        levers.distance_factor[cut] *= 1.0 - self.values["distance_cut"] * intensity


@register
class MegacityDecongestion(Policy):
    name = "megacity_decongestion"
    article = "十六"
    summary = "control size and density of super-large and mega cities; move general industry out"
    expected = (0, 0)
    mechanism = ('Fewer new jobs in the largest cities, only partly made up in 1-5 million cities: slightly '
                 'fewer migrants (resident down by a few thousandths of a point by 2025, negligible).')
    params = {
        "job_growth_cut": P(0.01, 0.0, 0.1, "yearly job growth removed in cities over 5 million"),
        "job_growth_moved": P(0.005, 0.0, 0.1, "yearly job growth added in 1-5 million cities"),
    }

    def apply(self, model, levers, intensity):
        levers.job_growth_extra[_classes(model, "super_large", "mega")] -= self.values["job_growth_cut"] * intensity
        levers.job_growth_extra[_classes(model, "large_1", "large_2")] += self.values["job_growth_moved"] * intensity


@register
class CountyTownUrbanization(Policy):
    name = "county_town_urbanization"
    article = "十九"
    summary = "upgrade county seats: industry, services, housing; 120 demonstration counties"
    expected = (0, 0)
    mechanism = ('More jobs and services in county towns draw local moves, but the +1 %/yr job growth phasing in over three years is small by 2025.')
    params = {
        "job_growth_gain": P(0.01, 0.0, 0.1, "yearly job growth added in county towns"),
        "service_gain": P(0.3, 0.0, 1.0, "share of the county towns' service gap closed"),
    }

    def apply(self, model, levers, intensity):
        mask = _classes(model, "county")
        levers.job_growth_extra[mask] += self.values["job_growth_gain"] * intensity
        levers.service_access[mask] = _toward(levers.service_access[mask], 1.0,
                                              self.values["service_gain"] * intensity)


@register
class AffordableRentalHousing(Policy):
    name = "affordable_rental_housing"
    article = "二十五"
    summary = "government-supported rental housing for new citizens in large inflow cities"
    expected = (0, 0)
    mechanism = ('Cheaper housing in large cities raises net income there: more arrivals, resident up, but by a '
                 'few thousandths of a point by 2025 (negligible), since large cities are a small share of the '
                 'calibrated flows.')
    params = {"cost_cut": P(0.15, 0.0, 0.9, "cut in migrants' housing cost in cities over 3 million")}

    def apply(self, model, levers, intensity):
        mask = _classes(model, "super_large", "mega", "large_1")
        levers.housing_factor[mask] *= 1.0 - self.values["cost_cut"] * intensity


@register
class IntercityTransport(Policy):
    name = "intercity_transport"
    article = "二十二"
    summary = "3,000 km of intercity and suburban rail; two-hour access between major cities"
    expected = (0, 0)
    mechanism = ('Shorter effective distances to other regions move people between destinations more than they add migrants: small by 2025.')
    params = {"distance_cut": P(0.1, 0.0, 0.9, "cut in the effective distance to cities of other regions")}

    def apply(self, model, levers, intensity):
        other_region = model.cities.region[None, :] != np.arange(levers.distance_factor.shape[0])[:, None]
        levers.distance_factor[other_region] *= 1.0 - self.values["distance_cut"] * intensity


@register
class ReturnSettlement(Policy):
    name = "return_settlement"
    article = "四十四"
    summary = "returnees may settle at origin or at the place of work, county towns included"
    expected = (1, 0)
    mechanism = ('More returnees live in the county town instead of the village: resident up.')
    params = {"county_share_gain": P(0.2, 0.0, 1.0, "rise in the share of returnees who live in the county town")}

    def apply(self, model, levers, intensity):
        levers.return_to_county_share = min(1.0, levers.return_to_county_share
                                            + self.values["county_share_gain"] * intensity)


_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def article_number(article: str) -> int:
    """The plan's Chinese article numeral (e.g. "二十五") as an integer (25)."""
    if "十" not in article:
        return _DIGITS[article]
    tens, _, units = article.partition("十")
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[units] if units else 0)


def policy_table() -> list[dict]:
    """One row per registered policy: name, article, summary, parameters and defaults."""
    rows = []
    for name, cls in REGISTRY.items():
        rows.append({
            "name": name, "article": cls.article, "summary": cls.summary,
            "start": PLAN_ISSUED, "ramp_years": DEFAULT_RAMP_YEARS, "strength": 1.0,
            "params": {k: (p.default, p.low, p.high, p.doc) for k, p in cls.params.items()},
            "expected": cls.expected, "mechanism": cls.mechanism,
        })
    return rows

