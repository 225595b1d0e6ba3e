"""Families: children under 16 are rows linked to a parent, and move or convert with it.

Pure functions of the person arrays (``sim.state.PersonArrays``), used by the
stages of both engines.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.state import NO_PARENT, ORIGIN, RURAL, URBAN, PersonArrays

ADULT_AGE = 16
SCHOOL_AGES = (6, 15)


class Families(NamedTuple):
    """The living children under 16 and their parents' rows, indexed once a year.

    Links change only in demography (deaths, births, coming of age), so the
    index built after it serves every later stage of the year.
    """

    kids: np.ndarray  # rows of living children under 16 who have a parent
    parent: np.ndarray  # the parent row of each

    @classmethod
    def index(cls, p: PersonArrays) -> "Families":
        parent = p.view("parent")
        kids = np.flatnonzero(p.view("alive") & (parent != NO_PARENT) & (p.view("age") < ADULT_AGE))
        return cls(kids, parent[kids].astype(np.int64))


def children_of(p: PersonArrays, fam: Families, parents_mask: np.ndarray, *, with_parent: bool | None = None,
                school_age: bool = False) -> np.ndarray:
    """Rows of the children whose parent is in ``parents_mask``.

    ``with_parent``: True, only children living where the parent lives;
    False, only children living elsewhere; None, all.
    """
    keep = parents_mask[fam.parent]
    if school_age:
        age = p.age[fam.kids]
        keep &= (age >= SCHOOL_AGES[0]) & (age <= SCHOOL_AGES[1])
    if with_parent is not None:
        same = p.location[fam.kids] == p.location[fam.parent]
        keep &= same if with_parent else ~same
    return fam.kids[keep]


def count_children(p: PersonArrays, child_rows: np.ndarray) -> np.ndarray:
    """Per row: the number of children among ``child_rows`` that belong to it."""
    return np.bincount(p.parent[child_rows], minlength=p.n)[: p.n]


def has_school_children(p: PersonArrays, fam: Families) -> np.ndarray:
    """Per row: has at least one living child of school age (6-15)."""
    return count_children(p, children_of(p, fam, p.view("alive"), school_age=True)) > 0


def move_children(p: PersonArrays, fam: Families, movers: np.ndarray, old_location: np.ndarray,
                  follow: np.ndarray | None, year: int) -> np.ndarray:
    """Rural-hukou children who lived with a mover go along; return the rows moved.

    With ``follow`` (per parent row), children at origin join the mover too
    where ``follow`` is true, and children who lived with the mover stay only
    where it is false. A child who already holds urban hukou (a reclassified
    village) stays in town.
    """
    kid_rows = children_of(p, fam, movers)
    kid_rows = kid_rows[p.hukou[kid_rows] == RURAL]
    if kid_rows.size == 0:
        return kid_rows
    parents = p.parent[kid_rows]
    was_with = p.location[kid_rows] == old_location[parents]
    go = was_with if follow is None else (was_with | (p.location[kid_rows] == ORIGIN)) & follow[parents]
    rows = kid_rows[go]
    p.location[rows] = p.location[parents[go]]
    p.years_in_city[rows] = 0
    p.moved_year[rows] = year
    p.in_situ[rows] = p.in_situ[parents[go]]
    return rows


def convert(p: PersonArrays, mask: np.ndarray, year: int) -> None:
    """Give the rows in ``mask`` an urban hukou."""
    p.view("hukou")[mask] = URBAN
    p.view("year_settled")[mask] = year


def mask_of(n: int, rows: np.ndarray) -> np.ndarray:
    """Boolean mask of length ``n`` true at ``rows``."""
    mask = np.zeros(n, bool)
    mask[rows] = True
    return mask
