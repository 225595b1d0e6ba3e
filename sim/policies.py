"""The plan's measures, as data: what each changes on the levers, registered by name.

A measure has the plan's article, a summary, its own parameters (defaults read
from the plan's text, with the ranges a scenario may set) and the rows by which
it acts on levers (``sim.policy_rows``: lever, operation, value, where). A
scenario gives each enabled measure a start date (decimal year: the plan was
issued on 12 July 2022, 2022.53), a ramp (years to reach full effect) and a
strength (0..1 of the plan's full measure). Each year the model calls
``apply(context, levers, intensity)`` on every enabled policy, in the order of
``REGISTRY``, with ``intensity = strength * clip((year - start) / ramp_years,
0, 1)`` for the year ending at ``year``; a policy changes levers only
(``sim.levers``) and reads only the ``PolicyContext``.

Adding a measure is one ``Measure`` entry in ``MEASURES`` (``sim/measures.py``);
only a measure with logic of its own is a class (``sim/measure_classes.py``) (the settler land quota, which feeds back from the
settlements simulated so far; quotas cancelled in a share of mega cities; jobs
moved to nearby cities of the region).

Each measure carries the plan's key phrase (``quote``), its parameters' sizes
with source (or "assumed") and range, and its expected direction on the 2025
resident rate, hukou rate and gap, with the reasoning (``mechanism``), written
before running the model. Article 四十四 ("允许入乡就业创业人员在原籍地或就业创业地落户")
is not a measure: it lets people who move to the countryside register there;
the model has no urban-hukou person moving to a village, rural returnees
already hold their hukou at origin, and registering at a place of work in a
county town is already open; its earlier reading (returnees living in county
towns) belongs to article 十九 (county_town_urbanization).
"""

from __future__ import annotations

from sim.measure_classes import Decongestion, PointsReform, SettlerLandQuota
from sim.measures import MEASURES
from sim.policy_rows import (DEFAULT_RAMP_YEARS, DIRECTIONS, EXEMPT_CITIES, PLAN_ISSUED, Measure, Policy,
                             PolicyContext, PolicyParam, Row)

__all__ = ["COMMON_KEYS", "DEFAULT_RAMP_YEARS", "MEASURES", "NEGLIGIBLE_PP", "PLAN_ISSUED", "REGISTRY",
           "Decongestion", "DIRECTIONS", "EXEMPT_CITIES", "Measure", "PointsReform", "SettlerLandQuota", "Policy", "PolicyContext", "PolicyParam", "Row", "article_number",
           "make_policy", "policy_table"]

COMMON_KEYS = ("enabled", "start", "ramp_years", "strength")
NEGLIGIBLE_PP = 0.05


REGISTRY: dict[str, Measure] = {}
for _measure in MEASURES:
    if _measure.name in REGISTRY:
        raise ValueError(f"measure {_measure.name} listed twice")
    REGISTRY[_measure.name] = _measure


def make_policy(name: str, settings: dict) -> Policy:
    """Build a registered policy from a scenario table (without ``enabled``)."""
    if name not in REGISTRY:
        raise KeyError(name)
    return REGISTRY[name](**settings)


_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def article_number(article: str) -> int:
    """The plan's Chinese article numeral (e.g. "二十五") as an integer (25)."""
    if "十" not in article:
        return _DIGITS[article]
    tens, _, units = article.partition("十")
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[units] if units else 0)


def policy_table() -> list[dict]:
    """One row per registered measure: name, article, summary, defaults, parameters, lever operations."""
    rows = []
    for name, measure in REGISTRY.items():
        rows.append({
            "name": name, "article": measure.article, "summary": measure.summary,
            "start": PLAN_ISSUED, "ramp_years": DEFAULT_RAMP_YEARS, "strength": 1.0,
            "quote": measure.quote,
            "params": {k: (p.default, p.low, p.high, p.doc) for k, p in measure.params.items()},
            "sources": {k: p.source for k, p in measure.params.items()},
            "expected": measure.expected, "mechanism": measure.mechanism,
            "operations": measure.operations(),
        })
    return rows
