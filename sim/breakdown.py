"""Where the gap is and why: the outputs by place and by cause, for the current year of a model.

``by_place(model)`` gives, for the model's current year (31 December), tidy
rows ``year, city_class, region, city, quantity, value, unit``:

- for the country (``all, all, all``), each of the 7 size classes (``region``
  and ``city`` "all"), each of the 4 regions (``city_class`` and ``city``
  "all") and each of the 21 named super-large and mega cities (``city`` its
  name): the quantities of ``PLACE_QUANTITIES`` (urban residents, urban-hukou
  holders, rural-hukou residents, the gap in points of the place's residents,
  arrivals, returns and settlements, and the agents behind them);
- for the country, the classes and the regions: the rural-hukou town residents
  by cause (``CAUSES``, quantities ``cause_<name>``): why they have not
  converted, or that they converted this year;
- for the country: the year's change of the gap by flow (``GAP_FLOWS``,
  quantities ``gap_flow_<name>``).

Causes and flows are rows only for simulated years (not the start year). The
causes other than ``converted_this_year`` add up exactly to the rural-hukou
residents of each place, and ``converted_this_year`` to its settlements; the
flows add up exactly to the year's change of urban residents minus urban-hukou
holders (the gap in persons), from the decomposition of ``sim.outputs``.

The urban-hukou holders who are not agents (the urban-hukou stock) have no
place in the model; they are spread over the destinations in their 2020
proportions (each city's 2020 urban-district population, or its county-town
aggregate's, minus the rural-hukou agents living there at the start).

Persons per agent are applied by ``sim.outputs`` (``Snapshot.persons_of`` and
``Tally.values_by_place``), as for every output. ``model.breakdown()`` is the
whole run (the rows of every year, collected by the model each year).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from sim.cities import SIZE_CLASSES
from sim.datasets import REGIONS
from sim.decisions import SETTLE_DETERRENTS, settle_deterrents
from sim.households import ADULT_AGE
from sim.outputs import Snapshot
from sim.settlement import CONDITIONS_ORDER
from sim.state import URBAN

if TYPE_CHECKING:  # pragma: no cover
    from sim.model import UrbanizationModel

ALL = "all"
KEY_COLUMNS = ("city_class", "region", "city", "quantity", "unit")
COLUMNS = ("year", *KEY_COLUMNS[:4], "value", "unit")
NAMED_CLASSES = ("super_large", "mega")  # the census cities, one by one


class Quantity(NamedTuple):
    name: str
    unit: str
    doc: str


PLACE_QUANTITIES: tuple[Quantity, ...] = (
    Quantity("agents", "agents", "agents living there at 31 December: the sample behind the place's figures"),
    Quantity("urban_residents", "persons", "living there at 31 December (with the place's share of the urban-hukou "
             "stock)"),
    Quantity("urban_hukou_holders", "persons", "urban-hukou holders living there"),
    Quantity("rural_hukou_residents", "persons", "rural-hukou people living there: the gap in persons"),
    Quantity("gap_pp_of_residents", "percentage points of the place's residents",
             "rural-hukou residents / urban residents x 100: residents minus hukou holders, in points of residents"),
    Quantity("arrivals", "persons", "persons arriving from a village during the year"),
    Quantity("returns", "persons", "persons leaving for their village during the year"),
    Quantity("settlements", "persons", "persons converting their hukou there during the year (settlers and children)"),
)
_CAUSE_DOCS = {
    "residence_years": "not eligible: too few years of residence in the city",
    "insurance_years": "not eligible: too few years of social insurance in the city",
    "age_limit": "not eligible: over the points rule's age limit",
    "points": "not eligible: points below the threshold",
    "practical_barrier": "meets the written rule, held back by the city's practical proofs",
    "land_rights": "eligible, did not apply; main deterrent: rural land rights",
    "small_service_gain": "eligible, did not apply; main deterrent: little to gain in services (access already "
                          "high)",
    "no_school_children": "eligible, did not apply; main deterrent: no school-age children living with them",
    "few_years_in_city": "eligible, did not apply; main deterrent: few years in the city",
}
CAUSES: tuple[Quantity, ...] = (
    *(Quantity(f"not_eligible_{c}", "persons", _CAUSE_DOCS[c]) for c in (*CONDITIONS_ORDER, "practical_barrier")),
    *(Quantity(f"unwilling_{d}", "persons", _CAUSE_DOCS[d]) for d in SETTLE_DETERRENTS),
    Quantity("unwilling_no_deterrent", "persons", "eligible, did not apply, though no term held them back (chance)"),
    Quantity("refused_by_quota", "persons", "applied in a points city, not admitted within its yearly quota"),
    Quantity("arrived_this_year", "persons", "moved or were reclassified this year: may apply from next year"),
    Quantity("child_not_with_rural_parent", "persons",
             "children under 16 not living with a rural-hukou parent (parent settled earlier, elsewhere or dead)"),
    Quantity("converted_this_year", "persons", "converted their hukou this year (settlers and their children): "
             "no longer in the gap"),
)
BARRIER = len(CONDITIONS_ORDER)
UNWILLING = BARRIER + 1
REFUSED, ARRIVED, CHILD_OTHER, CONVERTED = (UNWILLING + len(SETTLE_DETERRENTS) + 1 + i for i in range(4))
assert CONVERTED == len(CAUSES) - 1


class GapFlow(NamedTuple):
    name: str
    terms: dict  # timeseries flow column -> sign
    doc: str


GAP_FLOWS: tuple[GapFlow, ...] = (
    GapFlow("arrivals", {"departures_in_year": 1}, "rural-hukou persons moving from a village to a town"),
    GapFlow("returns", {"returns_in_year": -1}, "persons back in their village from a town"),
    GapFlow("settlements", {"settlements_in_year": -1}, "hukou conversions of town residents (settlers, children)"),
    GapFlow("reclassification", {"reclassified_in_year": 1},
            "villagers whose village became urban (town residents from then on)"),
    GapFlow("reclassification_with_hukou", {"reclassified_with_hukou_in_year": -1},
            "of them, those whose hukou was converted with the village (reclassification without hukou "
            "is the sum of the two)"),
    GapFlow("college", {"college_from_villages_in_year": 1, "college_transfers_in_year": -1},
            "college entrants (with children) from villages, minus college hukou transfers"),
    GapFlow("natural_change", {"urban_natural_increase_in_year": 1, "hukou_natural_increase_in_year": -1},
            "natural increase of town residents minus that of urban-hukou holders"),
)


def gap_flows(flows: dict) -> dict[str, float]:
    """The gap flows (persons) of a year from its flow outputs (a time-series row or ``Tally.values``)."""
    return {f.name: sum(sign * flows[column] for column, sign in f.terms.items()) for f in GAP_FLOWS}


def gap_flow_columns(timeseries: pd.DataFrame) -> np.ndarray:
    """Per year of a time series: the gap flows (persons, in ``GAP_FLOWS`` order), then the gap in persons
    (urban residents minus urban-hukou holders). The flows of a year add up to the change of the gap."""
    flows = gap_flows({column: timeseries[column].to_numpy(float) for f in GAP_FLOWS for column in f.terms})
    gap = timeseries["urban_residents"].to_numpy(float) - timeseries["urban_hukou_population"].to_numpy(float)
    return np.column_stack([*flows.values(), gap])


class SettleRecord(NamedTuple):
    """What the settle stage decided this year (arrays over its candidates ``rows``, except ``converted``)."""

    rows: np.ndarray  # candidates: rural-hukou adults in towns who did not move this year
    unmet: np.ndarray  # first unmet condition of the written rule (index in CONDITIONS_ORDER), -1 if none
    eligible: np.ndarray  # eligible in the end (written rule, practical proofs, registration)
    applying: np.ndarray
    admitted: np.ndarray
    school_children: np.ndarray  # school-age children living with them
    converted: np.ndarray  # rows converted: settlers and their children


class Places:
    """The places reported, and how the urban-hukou stock is spread over destinations (made at the start)."""

    def __init__(self, model: "UrbanizationModel"):
        c = model.cities
        self.n = c.n
        groups = [(ALL, ALL, ALL, np.ones(c.n, bool))]
        groups += [(name, ALL, ALL, c.size_class == i) for i, name in enumerate(SIZE_CLASSES)]
        groups += [(ALL, name, ALL, c.region == r) for r, name in enumerate(REGIONS)]
        self.n_with_causes = len(groups)
        named = np.flatnonzero(np.isin(c.size_class, [SIZE_CLASSES.index(n) for n in NAMED_CLASSES]))
        groups += [(SIZE_CLASSES[c.size_class[k]], REGIONS[c.region[k]], str(c.name[k]), np.arange(c.n) == k)
                   for k in named]
        self.member = np.array([g[3] for g in groups], dtype=float)  # group x destination
        snap = Snapshot(model)
        agents_there = snap.persons_by(snap.in_town, snap.loc, c.n)
        base = np.maximum(c.population - agents_there, 0.0)
        self.stock_share = base / base.sum()
        keys = [(g[0], g[1], g[2], q.name, q.unit) for g in groups for q in PLACE_QUANTITIES]
        keys += [(g[0], g[1], g[2], f"cause_{q.name}", q.unit) for g in groups[:self.n_with_causes] for q in CAUSES]
        keys += [(ALL, ALL, ALL, f"gap_flow_{f.name}", "persons") for f in GAP_FLOWS]
        self.keys = pd.DataFrame(keys, columns=list(KEY_COLUMNS))


def main_deterrent(shortfalls: np.ndarray) -> np.ndarray:
    """Per column of ``decisions.settle_deterrents``: the index in SETTLE_DETERRENTS of the largest shortfall
    (ties: the first in that order), or ``len(SETTLE_DETERRENTS)`` where no term falls short."""
    main = np.zeros(shortfalls.shape[1], np.int8)
    largest = shortfalls[0].copy()
    for i in range(1, len(shortfalls)):  # strictly larger: ties stay with the first
        larger = shortfalls[i] > largest
        main[larger] = i
        np.maximum(largest, shortfalls[i], out=largest)
    main[largest <= 0] = len(SETTLE_DETERRENTS)
    return main


def _main_deterrent(m, rows: np.ndarray, school: np.ndarray) -> np.ndarray:
    p, lev = m.people, m.levers
    return main_deterrent(settle_deterrents(
        land=p.land[rows], land_penalty_factor=lev.land_penalty_factor,
        service_access=lev.service_access[p.location[rows]], has_school_children=school,
        years_in_city=p.years_in_city[rows].astype(float), age=p.age[rows], params=m.params))


def cause_index(m, snap: Snapshot) -> np.ndarray:
    """Per rural-hukou town resident and per person converted this year: destination x len(CAUSES) + cause."""
    p, rec, loc = m.people, m.tally.settle, snap.loc
    code = np.full(p.n, ARRIVED, np.int8)  # adults in town who are not candidates moved this year
    converted = np.zeros(0, np.int64)
    if rec is not None:
        # not eligible: the first unmet condition, or the proofs; eligible: refused (applicants not admitted),
        # unless unwilling or admitted (below)
        c = np.where(rec.eligible, REFUSED, np.where(rec.unmet >= 0, rec.unmet, BARRIER)).astype(np.int8)
        unwilling = rec.eligible & ~rec.applying
        c[unwilling] = UNWILLING + _main_deterrent(m, rec.rows[unwilling], rec.school_children[unwilling])
        code[rec.rows] = c
        converted = rec.converted
        code[converted] = CONVERTED
    rows = np.flatnonzero(snap.rural_in_town)
    kids = rows[snap.age[rows] < ADULT_AGE]
    parent = np.maximum(p.parent[kids], 0)
    with_parent = ((p.parent[kids] >= 0) & snap.rural_in_town[parent] & (snap.age[parent] >= ADULT_AGE)
                   & (loc[parent] == loc[kids]))
    code[kids] = np.where(with_parent, code[parent], CHILD_OTHER)
    rows = np.r_[rows, converted]
    return loc[rows].astype(np.int64) * len(CAUSES) + code[rows]


def values(model: "UrbanizationModel", snap: Snapshot | None = None) -> np.ndarray:
    """The current year's values, in the order of ``model.places.keys`` (NaN: no flows in the start year).

    ``snap``: the year's ``Snapshot`` if the caller has one (its masks are shared).
    """
    pl, w = model.places, model.persons_per_agent
    snap = snap or Snapshot(model)
    k, loc = pl.n, snap.loc
    stock = pl.stock_share * snap.urban_stock
    simulated = model.year > model.scenario.start_year
    flows = [model.tally.values_by_place(name, w, k) if simulated else np.full(k, np.nan)
             for name in ("departures_in_year", "returns_in_year", "settlements_in_year")]
    town = np.flatnonzero(snap.in_town)
    agents = np.bincount(loc[town] * 2 + (snap.hukou[town] == URBAN), minlength=2 * k).reshape(k, 2)
    by_hukou = snap.persons_of(agents)
    per_place = pl.member @ np.stack([agents.sum(axis=1).astype(float), stock + by_hukou.sum(axis=1),
                                      stock + by_hukou[:, 1], by_hukou[:, 0], *flows]).T
    residents, rural = per_place[:, 1], per_place[:, 3]
    gap_pp = np.divide(100.0 * rural, residents, out=np.full_like(rural, np.nan), where=residents > 0)
    places = np.column_stack([per_place[:, :4], gap_pp, per_place[:, 4:]]).ravel()
    n_causes, n_groups = len(CAUSES), pl.n_with_causes
    if not simulated:
        return np.r_[places, np.full(n_groups * n_causes + len(GAP_FLOWS), np.nan)]
    by_cause = snap.persons_of(np.bincount(cause_index(model, snap), minlength=k * n_causes)).reshape(k, n_causes)
    causes = (pl.member[:n_groups] @ by_cause).ravel()
    return np.r_[places, causes, list(gap_flows(model.tally.values(w)).values())]


def frame(places: Places, years: list[int], rows: list[np.ndarray]) -> pd.DataFrame:
    """Tidy rows of several years (``rows``: the ``values`` of each), without the rows with no value."""
    n = len(places.keys)
    out = pd.concat([places.keys] * len(years), ignore_index=True)
    out.insert(0, "year", np.repeat(np.asarray(years, dtype=np.int64), n))
    out.insert(5, "value", np.concatenate(rows) if rows else np.empty(0))
    return out[out["value"].notna()].reset_index(drop=True)[list(COLUMNS)]


def by_place(model: "UrbanizationModel") -> pd.DataFrame:
    """The model's current year by place, cause and flow: tidy rows (see the module's docstring).

    Args:
        model: a ``UrbanizationModel`` (either engine), built or stepped; its
            current year is ``model.year``.

    Returns:
        A DataFrame with columns ``year, city_class, region, city, quantity,
        value, unit`` ("all" where a row is not restricted to one class,
        region or city).
    """
    return frame(model.places, [model.year], [values(model)])
