"""The plan's measures that have logic of their own, beyond rows on levers (``sim.measures`` lists all).

Each is a ``Policy`` whose ``apply(context, levers, intensity)`` does what a
row cannot: the settler land quota feeds back from the settlements simulated
so far; quotas are cancelled in a share of mega cities; jobs are moved to
nearby cities of the region.
"""

from __future__ import annotations

import numpy as np

from sim.cities import SIZE_CLASSES
from sim.policy_rows import Policy, PolicyContext

OVER_5M = ("super_large", "mega")

class PointsReform(Policy):
    """Article 六, points cities: the rows, and the annual quota cancelled in a share of the mega cities.

    "鼓励取消年度落户名额限制" encourages, not orders: ``cancel_share`` of the mega
    cities (5-10 million) drop the quota by full strength, the smallest first
    (assumed: the least crowded cancel first), ramping with the intensity. A
    cancelled quota is set to one admission per resident a year, which never binds.
    """

    operations = ({"lever": "rules.annual_quota_share", "op": "set",
                   "value": "1 (no limit) in round(cancel_share × s × number of mega cities), smallest first",
                   "where": "mega"},)

    def apply(self, context: PolicyContext, levers, intensity: float) -> None:
        super().apply(context, levers, intensity)
        mega = np.flatnonzero(context.size_class == SIZE_CLASSES.index("mega"))
        count = int(round(self.values["cancel_share"] * intensity * mega.size))
        if count > 0:
            size = context.population[mega] if context.population is not None else np.arange(mega.size)
            levers.rules.annual_quota_share[mega[np.argsort(size, kind="stable")[:count]]] = 1.0


class Decongestion(Policy):
    """Article 十六: job growth moved out of the central districts of cities over 5 million.

    Each such city loses ``job_growth_cut`` of yearly job growth (net of what its
    suburban new towns keep); ``recreated_share`` of the jobs removed is re-created
    in the 1-5 million and medium cities of the same region (article 十七: 大中城市
    承接), in proportion to their population (jobs taken as proportional to
    residents).
    """

    operations = ({"lever": "job_growth_extra", "op": "add", "value": "-job_growth_cut",
                   "where": "super_large, mega"},
                  {"lever": "job_growth_extra", "op": "add",
                   "value": "recreated_share × job_growth_cut × (population over 5 M / population of the "
                            "receiving cities) of the region", "where": "same region; large_1, large_2, medium"})

    def apply(self, context: PolicyContext, levers, intensity: float) -> None:
        cut = self.values["job_growth_cut"] * intensity
        pop = context.population if context.population is not None else np.ones(len(context.size_class))
        source = np.isin(context.size_class, [SIZE_CLASSES.index(c) for c in OVER_5M])
        target = np.isin(context.size_class, [SIZE_CLASSES.index(c) for c in ("large_1", "large_2", "medium")])
        levers.job_growth_extra[source] -= cut
        for r in np.unique(context.region):
            here = context.region == r
            receivers = here & target
            if receivers.any() and (here & source).any():
                moved = self.values["recreated_share"] * cut * pop[here & source].sum()
                levers.job_growth_extra[receivers] += moved / pop[receivers].sum()


class SettlerLandQuota(Policy):
    """Article 十二: construction land follows settled people (人地挂钩), school and housing land first.

    A city's extra housing and school land grows with the persons it settled since
    the policy started, relative to its 2020 rural-hukou residents (at most 1):
    housing costs fall by ``housing_cut`` and ``school_gain`` of the school-access gap
    closes per unit of that share, at full strength.
    """

    operations = ({"lever": "housing_factor", "op": "scale",
                   "value": "-housing_cut × settled since the start / 2020 rural-hukou residents (at most 1)",
                   "where": "all cities"},
                  {"lever": "school_access", "op": "toward", "value": "1 (school_gain × the same share of the way)",
                   "where": "all cities"})

    def apply(self, context: PolicyContext, levers, intensity: float) -> None:
        settled = sum((persons for year, persons in context.settled_by_year.items() if year + 1 > self.start),
                      np.zeros(len(context.size_class)))
        share = np.minimum(1.0, settled / context.initial_gap) * intensity
        levers.housing_factor = levers.housing_factor * (1.0 - self.values["housing_cut"] * share)
        levers.school_access = levers.school_access + self.values["school_gain"] * share * (1.0 - levers.school_access)
