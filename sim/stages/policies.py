"""Stage 1, policies: the year's levers, rebuilt from the scenario's baseline.

The settlement rules changed by dated documents (``rule_changes``, the
history scenarios) are applied first, in each city that adopted them by
31 December of the year (``sim.settlement.RuleChange``), then every policy at its strength
reached by 31 December of the year (``Policy.intensity``).
"""

from __future__ import annotations

import numpy as np

from sim.datasets import REGIONS
from sim.policy_rows import EXEMPT_CITIES, PolicyContext


def run(m) -> None:
    levers = m.baseline.copy()
    for change in m.scenario.rule_changes:  # each city from its adoption (by 31 December)
        change.apply(levers.rules, m.cities.size_class, m.year)
    # what a measure may read: the city table, the year, the settlements so far
    context = PolicyContext(size_class=m.cities.size_class, region=m.cities.region, n_regions=len(REGIONS),
                            year=m.year, settled_by_year=m.settled_by_year, initial_gap=m.initial_gap,
                            population=m.cities.population, exempt=np.isin(m.cities.name, EXEMPT_CITIES))
    for policy in m.policies:
        intensity = policy.intensity(m.year + 1.0)  # strength reached by 31 December
        if intensity > 0:
            policy.apply(context, levers, intensity)
    m.levers = levers
