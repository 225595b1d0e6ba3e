"""Stage 4, reclassification: villages become urban (in-situ urbanization).

A share of village residents (``reclassification_rate``) find their village
reclassified as urban each year: they live in their region's county town from
then on without moving (``in_situ``), and some receive urban hukou with it
(``reclassified_hukou_share``). Families are reclassified together: a child at
home with its parent shares the parent's draws; a child left behind (parent
away) is reclassified with its own village, and its hukou, registered with
the absent parent's, is not converted. The levers ``reclassification_factor``
(land for urban growth) and ``reclassified_hukou_factor`` (the scope of land
requisition) scale the two rates. A process of villages, not a decision
of agents: both engines run this stage as it is.
"""

from __future__ import annotations

import numpy as np

from sim.households import convert, mask_of
from sim.state import ORIGIN, RURAL


def run(m) -> None:
    p, prm = m.people, m.params
    at_origin = p.view("alive") & (p.view("location") == ORIGIN) & (p.view("hukou") == RURAL)
    rows = np.flatnonzero(at_origin)
    parent = p.parent[rows]
    has_parent = parent >= 0
    with_parent = has_parent & at_origin[np.maximum(parent, 0)]
    source = np.where(with_parent, parent, rows)  # whose draws decide: the parent's, or the row's own
    u = m.streams.uniform_at("reclassify", m.year, source)
    chosen_in = u < prm["reclassification_rate"] * m.levers.reclassification_factor
    chosen = rows[chosen_in]
    if chosen.size == 0:
        return
    p.location[chosen] = m.county_of_region[p.origin[chosen]]
    p.years_in_city[chosen] = 0
    p.moved_year[chosen] = m.year
    p.in_situ[chosen] = True
    u2 = m.streams.uniform_at("reclassify_hukou", m.year, source[chosen_in])
    left_behind = has_parent[chosen_in] & ~with_parent[chosen_in]
    converted = chosen[~left_behind & (u2 < prm["reclassified_hukou_share"] * m.levers.reclassified_hukou_factor)]
    convert(p, mask_of(p.n, converted), m.year)
    m.tally.add("reclassified_in_year", chosen)
    m.tally.add("other_hukou_conversions_in_year", converted)
