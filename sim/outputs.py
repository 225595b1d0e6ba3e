"""The model's outputs, each declared once: name, unit, kind, how it is computed.

One declaration feeds the time series (``timeseries.csv``, in this order), the
Mesa ``DataCollector`` of the model (``model.datacollector``) and the ODD's
table of outputs (``scripts/update_odd_tables.py``), as Starsim's ``Result``
declarations do.

Kinds:

- ``stock``: a count of persons at the end of the year, computed from the
  state (``Snapshot``);
- ``flow``: persons moving during the year, counted by the stages as they act
  (``Tally``);
- ``rate`` and ``mean``: computed from the state, not scaled.

Persons per agent are applied in two places only: ``Snapshot.persons``,
``Snapshot.persons_by`` and ``Snapshot.persons_of`` (stocks) and
``Tally.values`` and ``Tally.values_by_place`` (flows; the outputs by place
are in ``sim.breakdown``). A flow is counted in agents by the stages, plus
persons for the parts of the population that are not agents (the urban-hukou
stock's deaths, births from the published totals).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Callable

import numpy as np

from sim.households import ADULT_AGE
from sim.state import ORIGIN, RURAL, URBAN

if TYPE_CHECKING:  # pragma: no cover
    from sim.model import UrbanizationModel

WORKER_MIN_AGE = 16  # NBS: migrant workers have no upper age limit


class Snapshot:
    """The state at the end of a year, with the masks that several outputs share."""

    def __init__(self, model: "UrbanizationModel"):
        self.model = model
        p = model.people
        self.w = model.persons_per_agent
        self.alive = p.view("alive")
        self.loc = p.view("location")
        self.hukou = p.view("hukou")
        self.age = p.view("age")
        self.urban_stock = float(model.urban_hukou.sum())

    def persons(self, mask: np.ndarray) -> float:
        """Persons represented by the agents in ``mask``."""
        return float(np.count_nonzero(mask)) * self.w

    def persons_by(self, mask: np.ndarray, place: np.ndarray, n_places: int) -> np.ndarray:
        """Persons represented by the agents in ``mask``, per value of ``place`` (0 .. n_places - 1)."""
        return self.persons_of(np.bincount(place[mask], minlength=n_places))

    def persons_of(self, agents: np.ndarray) -> np.ndarray:
        """Persons represented by counts of agents."""
        return agents * self.w

    @cached_property
    def in_town(self) -> np.ndarray:
        return self.alive & (self.loc != ORIGIN)

    @cached_property
    def rural_in_town(self) -> np.ndarray:
        return self.in_town & (self.hukou == RURAL)

    @cached_property
    def working(self) -> np.ndarray:
        """Migrant workers as NBS counts them (农民工): rural hukou, non-farm work, 16 and over."""
        p = self.model.people
        return self.alive & (self.hukou == RURAL) & p.view("works") & (self.age >= WORKER_MIN_AGE)

    @cached_property
    def town_workers(self) -> np.ndarray:
        """NBS 进城农民工: migrant workers working outside their township and living in towns.

        Those living in a town because their village became urban (``in_situ``)
        work in their own township: NBS counts them as local (本地).
        """
        return self.working & (self.loc != ORIGIN) & ~self.model.people.view("in_situ")

    @cached_property
    def rural_children(self) -> np.ndarray:
        p = self.model.people
        return self.alive & (self.hukou == RURAL) & (self.age < ADULT_AGE) & (p.view("parent") >= 0)

    @cached_property
    def total(self) -> float:
        return self.urban_stock + self.persons(self.alive)

    @cached_property
    def urban_residents(self) -> float:
        return self.urban_stock + self.persons(self.in_town)

    @cached_property
    def urban_hukou(self) -> float:
        return self.urban_stock + self.persons(self.alive & (self.hukou == URBAN))


def _outside_township(s: Snapshot) -> float:
    """NBS 外出农民工: those living in towns who moved there (进城), plus the share of
    village residents working outside their township without living in a town."""
    m = s.model
    return s.persons(s.town_workers) + m.origin_outside_share * s.persons(s.working & (s.loc == ORIGIN))


def _mean_wage(s: Snapshot) -> float:
    p = s.model.people
    employed = s.town_workers & p.view("employed")
    return float(p.view("wage")[employed].mean()) * s.model.wage_index if employed.any() else 0.0


def _mean_age(s: Snapshot) -> float:
    return float(s.age[s.working].mean()) if s.working.any() else 0.0


def _share_over_50(s: Snapshot) -> float:
    return 100.0 * float((s.age[s.working] > 50).mean()) if s.working.any() else 0.0


def _left_behind(s: Snapshot) -> float:
    parent_loc = s.loc[np.maximum(s.model.people.view("parent"), 0)]
    return s.persons(s.rural_children & (s.loc == ORIGIN) & (parent_loc != ORIGIN))


@dataclass(frozen=True)
class Output:
    """One output column."""

    name: str
    kind: str  # "year", "rate", "stock", "flow" or "mean"
    unit: str
    doc: str
    compute: Callable[[Snapshot], float] | None = None  # None for flows (counted by the stages)

    @property
    def scaled(self) -> bool:
        """Counted in agents and multiplied by the persons each stands for."""
        return self.kind in ("stock", "flow")


_O = Output
OUTPUTS: tuple[Output, ...] = (
    _O("year", "year", "year", "calendar year; stocks at 31 December, flows during the year",
       lambda s: s.model.year),
    _O("resident_urbanization_pct", "rate", "%", "urban residents / total population",
       lambda s: 100.0 * s.urban_residents / s.total),
    _O("hukou_urbanization_pct", "rate", "%", "urban-hukou holders / total population",
       lambda s: 100.0 * s.urban_hukou / s.total),
    _O("gap_pp", "rate", "percentage points", "resident minus hukou urbanization",
       lambda s: 100.0 * s.urban_residents / s.total - 100.0 * s.urban_hukou / s.total),
    _O("total_population", "stock", "persons", "everyone: urban-hukou stock and rural-hukou agents",
       lambda s: s.total),
    _O("urban_residents", "stock", "persons", "living in a town or city (urban-hukou stock included)",
       lambda s: s.urban_residents),
    _O("urban_hukou_population", "stock", "persons", "holding an urban hukou",
       lambda s: s.urban_hukou),
    _O("rural_hukou_in_cities", "stock", "persons", "rural-hukou people living in towns: the gap in persons",
       lambda s: s.persons(s.rural_in_town)),
    _O("settlements_in_year", "flow", "persons", "migrants and their children converting hukou where they live"),
    _O("migrants_in_cities", "stock", "persons",
       "NBS 进城农民工: migrant workers (rural hukou, non-farm, 16+) who moved to a town and live there "
       "(not those whose village became urban)",
       lambda s: s.persons(s.town_workers)),
    _O("other_hukou_conversions_in_year", "flow", "persons",
       "hukou conversions other than settling: villages reclassified with hukou, college entrants"),
    _O("departures_in_year", "flow", "persons", "persons leaving a village for a town"),
    _O("returns_in_year", "flow", "persons", "persons back in their village from a town"),
    _O("reclassified_in_year", "flow", "persons", "village residents whose village became urban"),
    _O("births", "flow", "persons", "births (published totals)"),
    _O("deaths", "flow", "persons", "deaths (published crude death rate)"),
    _O("migrant_workers_total", "stock", "persons",
       "NBS 农民工: rural-hukou non-farm workers aged 16 and over (no upper limit), in towns or villages",
       lambda s: s.persons(s.working)),
    _O("migrant_workers_outside_township", "stock", "persons",
       "NBS 外出农民工: migrant workers living in towns they moved to (进城), plus the share of those "
       "living in villages who work outside their township", _outside_township),
    _O("mean_migrant_wage", "mean", "yuan a month", "employed migrant workers in towns, nominal", _mean_wage),
    _O("mean_age_migrant_workers", "mean", "years", "of migrant workers (NBS definition, 16+)", _mean_age),
    _O("share_migrant_workers_over_50_pct", "mean", "%", "of migrant workers aged over 50", _share_over_50),
    _O("left_behind_children", "stock", "persons", "rural-hukou children under 16 at origin whose parent is in a town",
       _left_behind),
    _O("children_in_cities", "stock", "persons", "rural-hukou children under 16 living in towns",
       lambda s: s.persons(s.rural_children & (s.loc != ORIGIN))),
    _O("rural_hukou_migrants_in_towns", "stock", "persons",
       "rural-hukou town residents who moved there (not reclassified in place)",
       lambda s: s.persons(s.rural_in_town & ~s.model.people.view("in_situ"))),
    _O("migrant_workers_local", "stock", "persons",
       "NBS 本地农民工: migrant workers not working outside their township (total minus 外出)",
       lambda s: s.persons(s.working) - _outside_township(s)),
    _O("rural_hukou_in_situ", "stock", "persons",
       "rural-hukou town residents whose village became urban around them",
       lambda s: s.persons(s.rural_in_town & s.model.people.view("in_situ"))),
    # --- the decomposition of each year's change in urban residents and hukou holders
    # urban_residents(t) - urban_residents(t-1) = urban_natural_increase_in_year
    #   + urban_net_migration_in_year + reclassified_in_year + college_from_villages_in_year
    # urban_hukou_population(t) - urban_hukou_population(t-1) = hukou_natural_increase_in_year
    #   + reclassified_with_hukou_in_year + college_transfers_in_year + settlements_in_year
    # (tests/test_outputs.py checks both every year)
    _O("urban_natural_increase_in_year", "flow", "persons",
       "births to town residents minus deaths of town residents"),
    _O("urban_net_migration_in_year", "flow", "persons",
       "persons moving from a village to a town (departures_in_year) minus those moving back "
       "(returns_in_year); college entrants not included"),
    _O("college_from_villages_in_year", "flow", "persons",
       "college entrants (and children moving with them) who lived in a village"),
    _O("hukou_natural_increase_in_year", "flow", "persons",
       "births to urban-hukou parents minus deaths of urban-hukou holders"),
    _O("reclassified_with_hukou_in_year", "flow", "persons",
       "reclassified villagers whose hukou was converted with their village"),
    _O("college_transfers_in_year", "flow", "persons", "college entrants moving their hukou to a city"),
)

BY_NAME = {o.name: o for o in OUTPUTS}
TIMESERIES_COLUMNS = tuple(o.name for o in OUTPUTS)
FLOWS = tuple(o.name for o in OUTPUTS if o.kind == "flow")


class Tally:
    """The year's flows, counted as the stages act (agents, plus persons outside the agents).

    Some flows are also counted by place (``add_at``: the destination index of
    each agent counted), and the settle stage leaves its decisions here
    (``settle``, a ``sim.breakdown.SettleRecord``) for the outputs by cause.
    """

    def __init__(self):
        self.agents = dict.fromkeys(FLOWS, 0)
        self.persons = dict.fromkeys(FLOWS, 0.0)
        self.places: dict[str, list[np.ndarray]] = {}
        self.settle = None

    def add(self, name: str, agents: int | np.ndarray = 0, persons: float = 0.0) -> None:
        """Count ``agents`` (a number, or a boolean mask / row array to count) and ``persons``."""
        if isinstance(agents, np.ndarray):
            agents = int(np.count_nonzero(agents)) if agents.dtype == bool else int(agents.size)
        self.agents[name] += int(agents)
        self.persons[name] += float(persons)

    def add_at(self, name: str, places: np.ndarray) -> None:
        """Count one agent per element of ``places`` (destination indices), by place and in the total."""
        self.add(name, int(places.size))
        self.places.setdefault(name, []).append(places)

    def values(self, persons_per_agent: float) -> dict[str, float]:
        return {name: self.agents[name] * persons_per_agent + self.persons[name] for name in FLOWS}

    def values_by_place(self, name: str, persons_per_agent: float, n_places: int) -> np.ndarray:
        """Persons of flow ``name`` counted with ``add_at``, per place."""
        counts = np.zeros(n_places)
        for places in self.places.get(name, ()):
            counts += np.bincount(places, minlength=n_places)
        return counts * persons_per_agent


def collect(model: "UrbanizationModel", snap: Snapshot | None = None) -> dict[str, float]:
    """One row of the time series: every declared output at the end of the model's year."""
    snap = snap or Snapshot(model)
    flows = model.tally.values(model.persons_per_agent)
    return {o.name: (flows[o.name] if o.kind == "flow" else o.compute(snap)) for o in OUTPUTS}


def model_reporters() -> dict[str, Callable]:
    """Reporters for Mesa's ``DataCollector``: each reads its column of the year's collected row."""
    return {o.name: (lambda model, name=o.name: model.records[-1][name]) for o in OUTPUTS}
