"""How a measure acts on the levers: rows of (lever, operation, value, where).

A measure of the plan is data (``Measure``): its article, summary, parameters
and a few ``Row``s. Each year the model builds a ``PolicyContext`` (the little
a measure may look at, not the model) and calls ``policy.apply(context, levers,
s)`` with the intensity ``s = strength * clip((time - start) / ramp_years, 0, 1)``
(``Policy.intensity``). The generic ``Policy.apply`` carries out the measure's
rows in order; a measure with logic of its own (feedback from the simulated
state) is a subclass of ``Policy`` that overrides ``apply``.

The operations, for a row with value v (at full strength):

==========  ===============================================================
``toward``  lever + share·s · (v − lever): ``share`` of the way to v at s = 1
``scale``   lever · (1 + v·s): v is the relative change at full strength
``add``     lever + v·s
``max``     max(lever, v·s): raised to at least v·s
``min``     min(lever, v): a ceiling (not ramped), e.g. a share at most 1
``set``     v, once s ≥ ``at`` (``at`` = 1: at full strength only)
==========  ===============================================================

A value is a number, or the name of one of the measure's parameters, possibly
negated (``"-distance_cut"``: a cut is a negative change) or shifted by a
number (``"quota_multiplier_mega - 1"``: a multiplier as a relative change);
for ``rules.kind``, a rule kind (``"open"``). ``share`` is a number or a
parameter name. A row acts on the cities of the size ``classes`` and
``regions`` given (all when empty); on the [origin region, city] lever
``distance_factor``, ``pairs`` selects the origin-destination pairs: ``"same"``
region or ``"other"`` region (all when empty). ``skip_exempt`` leaves out
the super-large cities the plan exempts from relaxing settlement
("除个别超大城市外", ``EXEMPT_CITIES``). National (scalar) levers take no
selection. Every row of every measure is checked when the module loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import ClassVar, Mapping

import numpy as np

from sim.cities import SIZE_CLASSES
from sim.datasets import REGIONS
from sim.levers import PAIR_LEVERS, Levers
from sim.settlement import RULE_KEYS, RULE_KINDS

PLAN_ISSUED = 2022.53  # 12 July 2022
DEFAULT_RAMP_YEARS = 3.0  # assumed: measures phase in over the rest of the plan period
# "放开放宽除个别超大城市外的落户限制" (article 六): a few super-large cities stay outside the
# relaxation. Which and how many is not written; assumed: the two with the tightest points systems
# (Beijing, about 6,000 admissions a year; Shanghai), range 1-4 of the 7 super-large cities.
EXEMPT_CITIES = ("Beijing", "Shanghai")
# expected direction of a measure's 2025 effect on a rate, against the plan without it
DIRECTIONS = ("up", "down", "negligible", "ambiguous")

OPS = ("toward", "scale", "add", "max", "min", "set")
PAIRS = ("", "same", "other")
SCALAR_LEVERS = tuple(f.name for f in fields(Levers) if f.type == "float")
CITY_LEVERS = tuple([f.name for f in fields(Levers) if f.type != "float" and f.name != "rules"
                     and f.name not in PAIR_LEVERS] + [f"rules.{k}" for k in RULE_KEYS])
LEVER_NAMES = CITY_LEVERS + PAIR_LEVERS + SCALAR_LEVERS

_VALUE = re.compile(r"^(-?)([a-z_][a-z0-9_]*)(?:\s*([+-])\s*(\d+(?:\.\d*)?))?$")


@dataclass(frozen=True)
class PolicyParam:
    default: float
    low: float
    high: float
    doc: str
    source: str = "assumed"  # where the default comes from; "assumed" when no source gives it


@dataclass(frozen=True)
class PolicyContext:
    """What a measure may read each year (a narrow view of the model)."""

    size_class: np.ndarray  # per city: index into sim.cities.SIZE_CLASSES
    region: np.ndarray  # per city: index into sim.datasets.REGIONS
    n_regions: int  # rows of the [origin region, city] levers
    year: int  # the simulated year (the policies act for the year ending on 31 December)
    settled_by_year: Mapping[int, np.ndarray]  # persons settled (hukou converted) per city, by year
    initial_gap: np.ndarray  # per city: 2020 rural-hukou residents (the settler land quota's reference)
    population: np.ndarray | None = None  # per city: 2020 urban-district residents (None: all equal)
    exempt: np.ndarray | None = None  # per city: one of EXEMPT_CITIES (None: none)


def _parse_value(value: float | str) -> tuple[float, str, float]:
    """(sign, parameter name, offset) of a value written as a string; a number has no name."""
    if not isinstance(value, str):
        return 1.0, "", float(value)
    m = _VALUE.match(value)
    if not m:
        raise ValueError(f"value {value!r}: expected a number, 'name', '-name' or 'name - number'")
    sign, name, op, number = m.groups()
    offset = float(number) if number else 0.0
    return (-1.0 if sign else 1.0), name, (-offset if op == "-" else offset)


@dataclass(frozen=True)
class Row:
    """One operation of a measure on one lever, for some cities (see the module's docstring)."""

    lever: str
    op: str
    value: float | str
    classes: tuple[str, ...] = ()  # destination size classes; () = every class
    regions: tuple[str, ...] = ()  # destination regions; () = every region
    pairs: str = ""  # distance_factor only: "same" or "other" region of origin and city; "" = all
    share: float | str = 1.0  # toward only: share of the way to the value covered at full strength
    at: float = 0.0  # the row acts once the intensity reaches this (set: 1.0 = at full strength)
    skip_exempt: bool = False  # leave out the exempt super-large cities (EXEMPT_CITIES)

    def __post_init__(self):
        if self.lever not in LEVER_NAMES:
            raise ValueError(f"lever {self.lever!r}: expected one of {', '.join(LEVER_NAMES)}")
        if self.op not in OPS:
            raise ValueError(f"{self.lever}: op {self.op!r}: expected one of {', '.join(OPS)}")
        if self.lever == "rules.kind":
            if self.op != "set" or self.value not in RULE_KINDS:
                raise ValueError(f"rules.kind: only set to one of {', '.join(RULE_KINDS)}")
        else:
            _parse_value(self.value)
        unknown = [c for c in self.classes if c not in SIZE_CLASSES] + \
                  [r for r in self.regions if r not in REGIONS]
        if unknown:
            raise ValueError(f"{self.lever}: unknown size class or region {unknown[0]!r}")
        if self.lever in SCALAR_LEVERS and (self.classes or self.regions or self.pairs):
            raise ValueError(f"{self.lever} is national: no classes, regions or pairs")
        if self.pairs not in PAIRS or (self.pairs and self.lever not in PAIR_LEVERS):
            raise ValueError(f"{self.lever}: pairs {self.pairs!r} only on {', '.join(PAIR_LEVERS)}, "
                             "'same' or 'other'")
        if self.share != 1.0 and self.op != "toward":
            raise ValueError(f"{self.lever}: share is for toward only")
        if not 0.0 <= self.at <= 1.0:
            raise ValueError(f"{self.lever}: at must lie in [0, 1]")
        if self.skip_exempt and self.lever in SCALAR_LEVERS:
            raise ValueError(f"{self.lever} is national: no skip_exempt")

    def parameters(self) -> set[str]:
        """The measure parameters this row reads."""
        names = set()
        if self.lever != "rules.kind":
            names.add(_parse_value(self.value)[1])
        if isinstance(self.share, str):
            names.add(self.share)
        return names - {""}

    def resolve(self, values: Mapping[str, float]) -> float:
        """The row's value v with the measure's parameter values."""
        if self.lever == "rules.kind":
            return RULE_KINDS.index(self.value)
        sign, name, offset = _parse_value(self.value)
        if not name:
            return offset
        v = values[name]
        if sign < 0:
            v = -v
        return v + offset if offset else v

    def city_mask(self, context: PolicyContext) -> np.ndarray | None:
        """Cities selected by classes and regions (None: all)."""
        mask = None
        if self.classes:
            mask = np.isin(context.size_class, [SIZE_CLASSES.index(c) for c in self.classes])
        if self.regions:
            in_regions = np.isin(context.region, [REGIONS.index(r) for r in self.regions])
            mask = in_regions if mask is None else mask & in_regions
        if self.skip_exempt and context.exempt is not None:
            mask = ~context.exempt if mask is None else mask & ~context.exempt
        return mask

    def mask(self, context: PolicyContext) -> np.ndarray | None:
        """Elements of the lever the row acts on (None: all)."""
        mask = self.city_mask(context)
        if self.lever not in PAIR_LEVERS:
            return mask
        if self.pairs:
            same = context.region[None, :] == np.arange(context.n_regions)[:, None]
            pairs = same if self.pairs == "same" else ~same
            return pairs if mask is None else pairs & mask[None, :]
        return None if mask is None else np.broadcast_to(mask[None, :], (context.n_regions, len(mask)))

    def apply(self, context: PolicyContext, levers: Levers, values: Mapping[str, float], s: float) -> None:
        if s <= 0 or s < self.at:
            return
        holder, name = (levers.rules, self.lever[6:]) if self.lever.startswith("rules.") else (levers, self.lever)
        v = self.resolve(values)
        current = getattr(holder, name)
        if self.lever in SCALAR_LEVERS:
            setattr(holder, name, _operate(self.op, current, v, self._share(values), s, scalar=True))
            return
        mask = self.mask(context)
        index = ... if mask is None else mask  # in place, on the year's copy of the levers
        current[index] = _operate(self.op, current[index], v, self._share(values), s)

    def _share(self, values: Mapping[str, float]) -> float:
        return values[self.share] if isinstance(self.share, str) else float(self.share)

    # -- description, for ``policy_table`` and the ODD

    def describe(self) -> dict[str, str]:
        value = str(self.value) if isinstance(self.value, str) else f"{self.value:g}"
        if self.op == "toward" and self.share != 1.0:
            share = self.share if isinstance(self.share, str) else f"{self.share:g}"
            value += f" ({share} of the way)"
        op = self.op
        if self.at >= 1.0:
            op += " at full strength"
        elif self.at > 0:
            op += f" from intensity {self.at:g}"
        return {"lever": self.lever, "op": op, "value": value, "where": self.where()}

    def where(self) -> str:
        if self.lever in SCALAR_LEVERS:
            return "national"
        parts = []
        if self.pairs:
            parts.append(f"{self.pairs} region")
        if self.classes:
            parts.append(_list_or_complement(self.classes, SIZE_CLASSES))
        if self.regions:
            parts.append(_list_or_complement(self.regions, REGIONS))
        if self.skip_exempt:
            parts.append("except " + ", ".join(EXEMPT_CITIES))
        return "; ".join(parts) if parts else "all cities"


def _list_or_complement(chosen: tuple[str, ...], every: tuple[str, ...]) -> str:
    rest = [c for c in every if c not in chosen]
    if len(rest) == 1:
        return "all but " + rest[0]
    return ", ".join(c for c in every if c in chosen)


def all_but(*names: str) -> tuple[str, ...]:
    """Every size class except those named."""
    return tuple(c for c in SIZE_CLASSES if c not in names)


def _operate(op: str, x, v: float, share: float, s: float, scalar: bool = False):
    if op == "toward":
        return x + share * s * (v - x)
    if op == "scale":
        return x * (1.0 + v * s)
    if op == "add":
        return x + v * s
    if op == "max":
        return max(x, v * s) if scalar else np.maximum(x, v * s)
    if op == "min":
        return min(x, v) if scalar else np.minimum(x, v)
    return v  # set


class Policy:
    """One measure as configured in a scenario: start, ramp, strength, parameter values."""

    # what a bespoke subclass does, as (lever, op, value, where) dicts for the tables
    operations: ClassVar[tuple[dict[str, str], ...]] = ()

    def __init__(self, measure: "Measure", start: float = PLAN_ISSUED, ramp_years: float = DEFAULT_RAMP_YEARS,
                 strength: float = 1.0, **values: float):
        self.measure = measure
        self.start = float(start)
        self.ramp_years = float(ramp_years)
        self.strength = float(strength)
        unknown = set(values) - set(measure.params)
        if unknown:
            raise KeyError(sorted(unknown)[0])
        self.values = {k: float(values.get(k, p.default)) for k, p in measure.params.items()}

    @property
    def name(self) -> str:
        return self.measure.name

    @property
    def article(self) -> str:
        return self.measure.article

    @property
    def params(self) -> dict[str, PolicyParam]:
        return self.measure.params

    def intensity(self, time: float) -> float:
        """Strength reached at decimal time ``time`` (0 before the start).

        The model asks at the end of each simulated year: the step for year Y
        uses ``time = Y + 1`` (31 December of Y), so a measure issued in July
        2022 already acts, at 0.47 / ramp_years of its strength, in 2022.
        """
        if time <= self.start:
            return 0.0
        if self.ramp_years <= 0:
            return self.strength
        return self.strength * min(1.0, (time - self.start) / self.ramp_years)

    def apply(self, context: PolicyContext, levers: Levers, intensity: float) -> None:
        """Carry out the measure's rows, in order, at ``intensity``."""
        for row in self.measure.rows:
            row.apply(context, levers, self.values, intensity)

    def to_dict(self) -> dict:
        return {"name": self.name, "article": self.article, "start": self.start,
                "ramp_years": self.ramp_years, "strength": self.strength, **self.values}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, start={self.start}, strength={self.strength})"


@dataclass(frozen=True)
class Measure:
    """One measure of the plan: text, parameters and the rows by which it acts on levers."""

    name: str
    article: str  # the plan's article (Chinese numeral)
    summary: str
    params: dict[str, PolicyParam]
    rows: tuple[Row, ...]
    # Expected direction of the measure's effect on the 2025 (resident rate, hukou rate, gap)
    # against the plan without it, reasoned from the mechanism before running the model: "up",
    # "down", "negligible" (below NEGLIGIBLE_PP by 2025) or "ambiguous" (mechanisms of opposite
    # sign). tests/test_policy_effects.py checks them.
    expected: tuple[str, str, str]
    mechanism: str  # the reasoning behind ``expected``
    policy: type[Policy] = Policy  # the class whose objects act: a subclass for a measure with its own logic
    quote: str = ""  # the key phrase of the plan's text, in Chinese

    def __post_init__(self):
        if len(self.expected) != 3 or any(d not in DIRECTIONS for d in self.expected):
            raise ValueError(f"{self.name}: expected must be three of {', '.join(DIRECTIONS)}")
        if not self.rows and self.policy.apply is Policy.apply:
            raise ValueError(f"{self.name}: no rows and no apply of its own")
        for key, p in self.params.items():
            if not p.low <= p.default <= p.high:
                raise ValueError(f"{self.name}: {key} = {p.default} outside its range [{p.low}, {p.high}]")
        for row in self.rows:
            unknown = row.parameters() - set(self.params)
            if unknown:
                raise ValueError(f"{self.name}: {row.lever} reads unknown parameter {sorted(unknown)[0]!r}")

    def __call__(self, **settings) -> "Policy":
        return self.policy(self, **settings)

    def operations(self) -> list[dict[str, str]]:
        """lever, op, value, where of each row (or of the bespoke class's description)."""
        return [row.describe() for row in self.rows] + [dict(op) for op in self.policy.operations]
