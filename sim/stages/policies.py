"""Stage 1, policies: the year's levers, rebuilt from the scenario's baseline.

The settlement rules changed by dated documents (``rule_changes``, the
history scenarios) are applied first, then every policy at its strength
reached by 31 December of the year (``Policy.intensity``).
"""

from __future__ import annotations


def run(m) -> None:
    levers = m.baseline.copy()
    for change in m.scenario.rule_changes:
        if change.start < m.year + 1.0:
            change.apply(levers.rules, m.cities.size_class)
    for policy in m.policies:
        intensity = policy.intensity(m.year + 1.0)  # strength reached by 31 December
        if intensity > 0:
            policy.apply(m, levers, intensity)
    m.levers = levers
