"""Settlement (hukou conversion) rules of cities, and who may convert.

A rule is one of three kinds, as in the documents of 2014-2022
(``docs/ODD.md``, submodel "settle"):

- ``open``: anyone living in the city may register (after ``min_residence_years``,
  usually zero);
- ``conditions``: years of residence and of social insurance in the city must
  reach thresholds;
- ``points``: a points score (insurance years, residence years, education) must
  reach a threshold, after a minimum of insurance years and under an age limit,
  and at most an annual quota of applicants, the best scored first, is admitted.

Rules are set per size class in the scenario and held per city in
``RuleArrays`` so that policies can change them and the decision code reads
arrays, with no branches on city names. A dated document replaces the rules of
some classes (``RuleChange``, the history scenarios), city by city as each
adopts it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sim.cities import SIZE_CLASSES

RULE_KINDS = ("open", "conditions", "points")
OPEN, CONDITIONS, POINTS = range(3)


@dataclass(frozen=True)
class SettlementRule:
    """The rule of one size class, as written in a scenario file."""

    kind: str = "open"
    min_residence_years: float = 0.0
    min_insurance_years: float = 0.0
    threshold: float = 0.0
    annual_quota_share: float = 1.0  # admissions a year per resident of the city
    points_per_insurance_year: float = 3.0
    points_per_residence_year: float = 2.0
    points_senior_high: float = 8.0
    points_college: float = 25.0
    age_limit: float = 100.0

    def __post_init__(self):
        if self.kind not in RULE_KINDS:
            raise ValueError(f"kind must be one of {', '.join(RULE_KINDS)}")


RULE_KEYS = tuple(f.name for f in fields(SettlementRule))


@dataclass
class RuleArrays:
    """Rules per destination k (one element per city)."""

    kind: np.ndarray
    min_residence_years: np.ndarray
    min_insurance_years: np.ndarray
    threshold: np.ndarray
    annual_quota_share: np.ndarray
    points_per_insurance_year: np.ndarray
    points_per_residence_year: np.ndarray
    points_senior_high: np.ndarray
    points_college: np.ndarray
    age_limit: np.ndarray

    @classmethod
    def from_class_rules(cls, rules_by_class: list[SettlementRule], size_class: np.ndarray) -> "RuleArrays":
        values = {}
        for name in RULE_KEYS:
            if name == "kind":
                per_class = np.array([RULE_KINDS.index(r.kind) for r in rules_by_class], dtype=np.int8)
            else:
                per_class = np.array([getattr(r, name) for r in rules_by_class], dtype=float)
            values[name] = per_class[size_class].copy()
        return cls(**values)

    def copy(self) -> "RuleArrays":
        return RuleArrays(**{f.name: getattr(self, f.name).copy() for f in fields(self)})


def points_score(rules: RuleArrays, city: np.ndarray, years: np.ndarray,
                 insurance: np.ndarray, education: np.ndarray) -> np.ndarray:
    """Points of each person under the rule of the city they live in."""
    edu_points = np.where(education >= 3, rules.points_college[city],
                          np.where(education == 2, rules.points_senior_high[city], 0.0))
    return (rules.points_per_insurance_year[city] * insurance
            + rules.points_per_residence_year[city] * years + edu_points)


# The conditions a rule may set, in the order in which an unmet one is reported
# (``unmet_condition``): the first that fails names why a person is not eligible.
CONDITIONS_ORDER = ("residence_years", "insurance_years", "age_limit", "points")


def unmet_condition(rules: RuleArrays, city: np.ndarray, years: np.ndarray, insurance: np.ndarray,
                    education: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Per person: the index in ``CONDITIONS_ORDER`` of the first condition of the city's rule not met, -1 if none.

    Open rules set the residence years; conditions rules the residence and
    insurance years; points rules the insurance years, the age limit and the
    points threshold (quotas are applied later).
    """
    kind = rules.kind[city]
    unmet = np.full(city.shape, -1, dtype=np.int8)
    points = kind == POINTS
    failed = (
        ~points & (years < rules.min_residence_years[city]),
        (kind != OPEN) & (insurance < rules.min_insurance_years[city]),
        points & (age > rules.age_limit[city]),
        points & (points_score(rules, city, years, insurance, education) < rules.threshold[city]),
    )
    for code in range(len(failed) - 1, -1, -1):  # the first unmet condition wins
        unmet[failed[code]] = code
    return unmet


def eligible(rules: RuleArrays, city: np.ndarray, years: np.ndarray, insurance: np.ndarray,
             education: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Whether each person meets the city's conditions (quotas are applied later)."""
    return unmet_condition(rules, city, years, insurance, education, age) < 0


def apply_quotas(rules: RuleArrays, applicants: np.ndarray, city: np.ndarray, score: np.ndarray,
                 quota_agents: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Admit, in points cities, the best-scored applicants up to each city's quota.

    Args:
        applicants: boolean mask of people who apply this year.
        city: their city, per person.
        score: their points score.
        quota_agents: admissions allowed per city this year, in agents.
        tiebreak: a uniform draw per person to order equal scores.

    Returns:
        Boolean mask of admitted applicants (applicants outside points cities are
        all admitted).
    """
    admitted = applicants.copy()
    limited = applicants & (rules.kind[city] == POINTS)
    idx = np.flatnonzero(limited)
    if idx.size == 0:
        return admitted
    order = np.lexsort((tiebreak[idx], -score[idx], city[idx]))
    sorted_idx = idx[order]
    sorted_city = city[sorted_idx]
    first_of_city = np.r_[0, np.flatnonzero(np.diff(sorted_city)) + 1]
    run_start = np.repeat(first_of_city, np.diff(np.r_[first_of_city, sorted_idx.size]))
    rank = np.arange(sorted_idx.size) - run_start
    admitted[sorted_idx] = rank < quota_agents[sorted_city]
    return admitted


ADOPTION_ORDER_SEED = 2014  # fixes the order in which cities adopt a dated change: the same in every run


@dataclass(frozen=True)
class RuleChange:
    """Settlement rules of some size classes replaced from a date (a document's entry into force).

    The cities of the classes adopt the change one after another over
    ``adoption_years`` from ``start`` (0: all at ``start``), evenly spaced in an
    order unrelated to size or region that is fixed for all runs
    (``ADOPTION_ORDER_SEED``), so runs that differ only in their seed share it.
    A city's new rule counts from the step of the year it adopts it in (by 31
    December), as a policy acts at the strength it reaches by 31 December
    (``sim.policies``).
    """

    label: str
    start: float  # decimal year
    classes: tuple[str, ...]
    values: dict  # rule keys -> values (``kind`` as a name)
    adoption_years: float = 0.0

    def adoption_dates(self, size_class: np.ndarray) -> np.ndarray:
        """Each city's date of adoption (decimal year); ``inf`` for cities of other classes."""
        dates = np.full(size_class.shape, np.inf)
        members = np.flatnonzero(np.isin(size_class, [SIZE_CLASSES.index(c) for c in self.classes]))
        rank = np.random.default_rng(ADOPTION_ORDER_SEED).permutation(members.size)
        dates[members] = self.start + self.adoption_years * (rank + 0.5) / max(members.size, 1)
        return dates

    def apply(self, rules: RuleArrays, size_class: np.ndarray, year: int) -> None:
        """Give the cities that adopted the change by 31 December of ``year`` its rule values."""
        mask = self.adoption_dates(size_class) < year + 1.0
        for key, value in self.values.items():
            getattr(rules, key)[mask] = RULE_KINDS.index(value) if key == "kind" else value
