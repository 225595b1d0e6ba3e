"""Stage 4, reclassification: villages become urban (in-situ urbanization).

A share of village residents (``reclassification_rate``) find their village
reclassified as urban each year: they live in their region's county town from
then on without moving (``in_situ``), and some receive urban hukou with it
(``reclassified_hukou_share``). Families are reclassified together: a child at
home with its parent shares the parent's draws; a child left behind (parent
away) is reclassified with its own village, and its hukou, registered with
the absent parent's, is not converted. A process of villages, not a decision
of agents: both engines run this stage as it is.
"""

from __future__ import annotations

import numpy as np

from sim.households import convert
from sim.state import ORIGIN, RURAL


def run(m) -> None:
    p, prm = m.people, m.params
    at_origin = p.view("alive") & (p.view("location") == ORIGIN) & (p.view("hukou") == RURAL)
    parent = p.view("parent")
    with_parent = (parent >= 0) & at_origin & at_origin[np.maximum(parent, 0)]
    source = np.where(with_parent, parent, np.arange(p.n))
    u = m.streams.uniform("reclassify", m.year, p.n)[source]
    chosen = at_origin & (u < prm["reclassification_rate"])
    if not chosen.any():
        return
    p.view("location")[chosen] = m.county_of_region[p.view("origin")[chosen]]
    p.view("years_in_city")[chosen] = 0
    p.view("moved_year")[chosen] = m.year
    p.view("in_situ")[chosen] = True
    u2 = m.streams.uniform("reclassify_hukou", m.year, p.n)[source]
    left_behind = (parent >= 0) & ~with_parent
    converted = chosen & ~left_behind & (u2 < prm["reclassified_hukou_share"])
    convert(p, converted, m.year)
    m.tally.add("reclassified_in_year", chosen)
    m.tally.add("other_hukou_conversions_in_year", converted)
