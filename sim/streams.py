"""Common random numbers: one independent stream per decision and year, keyed by name.

Every stochastic decision draws, each year, one uniform number per agent row
from its own stream, seeded from (run seed, a hash of the decision's name,
year). Agent ``i`` uses element ``i``. Two scenarios run with the same seed
therefore give each agent the same draws for the same decision, and differ
only where their policies change a probability: paired comparisons (Starsim's
common random numbers).

Streams are keyed by the name's hash, not by a position in a list (as
Starsim's ``distributions.py`` does): adding a decision changes no other
decision's draws. The same number is available to array code
(``uniform(name, year, n)[rows]``) and to per-agent code (element ``row`` of
the same array), so the vector and the agent engines draw identically.
"""

from __future__ import annotations

import hashlib

import numpy as np

# The decisions that draw. A name must be listed to be used (a typo fails), but
# its draws depend on the name alone, not on its place here.
STREAMS = frozenset({
    "init", "death", "birth", "birth_parent", "come_of_age", "offfarm", "employment",
    "reclassify", "reclassify_hukou", "return", "return_place", "college", "leave",
    "destination", "relocate", "children", "reunion", "registration", "settle", "quota",
    "tiebreak",
})


def stream_key(name: str) -> int:
    """A stable 64-bit key of a stream's name (independent of Python's hash seed)."""
    if name not in STREAMS:
        raise ValueError(f"unknown random stream {name!r}; known: {', '.join(sorted(STREAMS))}")
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


class Streams:
    """Uniform draws per (decision, year) from the run's seed."""

    def __init__(self, seed: int):
        if seed < 0:
            raise ValueError("seed must be non-negative")
        self.seed = int(seed)

    def generator(self, name: str, year: int) -> np.random.Generator:
        seq = np.random.SeedSequence([self.seed, stream_key(name), int(year)])
        return np.random.Generator(np.random.PCG64(seq))

    def uniform(self, name: str, year: int, n: int) -> np.ndarray:
        """The first ``n`` uniforms of stream ``name`` in ``year``; element ``i`` is row ``i``'s.

        A stream's first ``n`` numbers do not depend on how many are drawn, so
        rows appended later (births) do not change earlier rows' draws.
        """
        return self.generator(name, year).random(n)

    def draw(self, name: str, year: int, row: int) -> float:
        """The uniform of one row: element ``row`` of ``uniform(name, year, n)`` for any ``n > row``."""
        return float(self.generator(name, year).random(row + 1)[row])
