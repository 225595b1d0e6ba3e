"""``MigrantWorker``: the Mesa agent, a view onto one adult row of the state arrays.

The model keeps every person's state in arrays (``sim.state``) so that each
decision is computed for all agents at once. A ``MigrantWorker`` reads and
writes its own row through properties, so Mesa idioms work as usual::

    model.agents.select(lambda a: a.in_city and a.hukou_status == "rural")
    model.agents.agg("age", np.mean)
    model.agents.groupby("region").count()

Each agent stands for ``model.persons_per_agent`` people; its children under 16
are rows of their own linked to it (``school_age_children``).
"""

from __future__ import annotations

import mesa

from sim.cities import SIZE_CLASSES
from sim.datasets import REGIONS
from sim.state import EDUCATION_LEVELS, ORIGIN, URBAN


class MigrantWorker(mesa.Agent):
    """A rural-hukou worker (16 and over) and, through links, the family's children."""

    def __init__(self, model, row: int):
        super().__init__(model)
        self.row = row

    def _get(self, field):
        return getattr(self.model.people, field)[self.row]

    def _set(self, field, value):
        getattr(self.model.people, field)[self.row] = value

    age = property(lambda self: int(self._get("age")))
    education = property(lambda self: EDUCATION_LEVELS[int(self._get("education"))])
    region = property(lambda self: REGIONS[int(self._get("origin"))])
    location = property(lambda self: int(self._get("location")),
                        lambda self, value: self._set("location", value))
    in_city = property(lambda self: self._get("location") != ORIGIN)
    hukou_status = property(lambda self: "urban" if self._get("hukou") == URBAN else "rural")
    years_in_city = property(lambda self: int(self._get("years_in_city")))
    insurance_years = property(lambda self: int(self._get("insurance_years")))
    employed = property(lambda self: bool(self._get("employed")))
    works = property(lambda self: bool(self._get("works")))
    wage = property(lambda self: float(self._get("wage")))
    land_rights = property(lambda self: bool(self._get("land")))
    persons = property(lambda self: self.model.persons_per_agent)

    @property
    def city_name(self) -> str:
        loc = self.location
        return "origin village" if loc == ORIGIN else str(self.model.cities.name[loc])

    @property
    def city_size_class(self) -> str | None:
        loc = self.location
        return None if loc == ORIGIN else SIZE_CLASSES[int(self.model.cities.size_class[loc])]

    @property
    def school_age_children(self) -> int:
        p = self.model.people
        kids = (p.view("parent") == self.row) & p.view("alive") & (p.view("age") >= 6) & (p.view("age") <= 15)
        return int(kids.sum())

    def step(self) -> None:
        """Decisions are taken for all agents at once by the model's stages."""
