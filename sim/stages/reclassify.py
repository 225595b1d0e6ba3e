"""Stage 4, reclassification: villages become urban (in-situ urbanization).

Villages become urban when the built-up area of a city or town reaches them
(NBS urban-rural division rules of 2008: a village committee becomes urban
when its public and residential facilities connect to a town's built-up
area). The year's pace is therefore driven by the new city built-up area of
the year (MOHURD, ``sim/data/urban_land_drivers.csv``; ``datasets.
reclassification_driver``): ``reclassification_pace`` million villagers in a
year of average new built-up area over the fit window 2016-2020, more or less
in proportion to the year's new area, times the dated shock of the year
(``sim/data/shocks.csv``; none in the data so far: the 2020 collapse of new
built-up area is in the driver itself) and the lever
``reclassification_factor`` (land for urban growth: the plan's cap on new
construction land acts through it).

The number is set by the land that becomes urban, not by how many people
live in villages elsewhere: a square kilometre of new built-up area reaches
the villagers who live on it. Each village resident's yearly probability is
therefore that number over the village residents of the year, and as the
villages empty by migration the probability rises while the number holds
(a share of all village residents would shrink with them; on the hindcasts of
``sim/backtest.py`` that share-based pace fell behind the observed resident
rate by about a point in five years from the 2010 start, this does not).

Reclassified villagers live in their region's county town from then on
without moving (``in_situ``), and some receive urban hukou with it
(``reclassified_hukou_share`` times the lever ``reclassified_hukou_factor``,
the scope of land requisition). Families are reclassified together: a child
at home with its parent shares the parent's draws; a child left behind
(parent away) is reclassified with its own village, and its hukou,
registered with the absent parent's, is not converted. Their jobs come with
them: the non-farm jobs of reclassified workers were local jobs already, so
the county town's jobs grow by the workers it gains this way (they are not
made unemployed by a change of statistical status). A process of villages,
not a decision of agents: both engines run this stage as it is.
"""

from __future__ import annotations

import numpy as np

from sim import datasets
from sim.households import ADULT_AGE, convert, mask_of
from sim.state import ORIGIN, RURAL


def yearly_number(m) -> float:
    """Villagers (persons) reclassified this year, before the family rule."""
    prm = m.params
    driver = datasets.reclassification_driver(m.year, prm["built_up_growth_after_data"])
    effect = driver ** prm["reclassification_driver_elasticity"]
    return (prm["reclassification_pace"] * 1e6 * effect * datasets.shock("reclassify", m.year, prm)
            * m.levers.reclassification_factor)


def yearly_rate(m, village_residents: float) -> float:
    """Each village resident's probability of being reclassified this year: the year's number over
    ``village_residents`` (persons), at most 1."""
    return min(yearly_number(m) / village_residents, 1.0) if village_residents > 0 else 0.0


def run(m) -> None:
    p, prm = m.people, m.params
    at_origin = p.view("alive") & (p.view("location") == ORIGIN) & (p.view("hukou") == RURAL)
    rows = np.flatnonzero(at_origin)
    parent = p.parent[rows]
    has_parent = parent >= 0
    with_parent = has_parent & at_origin[np.maximum(parent, 0)]
    source = np.where(with_parent, parent, rows)  # whose draws decide: the parent's, or the row's own
    u = m.streams.uniform_at("reclassify", m.year, source)
    chosen_in = u < yearly_rate(m, rows.size * m.persons_per_agent)
    chosen = rows[chosen_in]
    if chosen.size == 0:
        return
    county = m.county_of_region[p.origin[chosen]]
    p.location[chosen] = county
    p.years_in_city[chosen] = 0
    p.moved_year[chosen] = m.year
    p.in_situ[chosen] = True
    workers = p.works[chosen] & (p.age[chosen] >= ADULT_AGE)
    m.jobs += np.bincount(county[workers], minlength=m.cities.n) * m.persons_per_agent
    u2 = m.streams.uniform_at("reclassify_hukou", m.year, source[chosen_in])
    left_behind = has_parent[chosen_in] & ~with_parent[chosen_in]
    converted = chosen[~left_behind & (u2 < prm["reclassified_hukou_share"] * m.levers.reclassified_hukou_factor)]
    convert(p, mask_of(p.n, converted), m.year)
    m.tally.add("reclassified_in_year", chosen)
    m.tally.add("reclassified_with_hukou_in_year", converted)
    m.tally.add("other_hukou_conversions_in_year", converted)
