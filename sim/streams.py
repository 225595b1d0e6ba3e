"""Common random numbers: one independent stream per decision and year, keyed by name.

Every stochastic decision draws, each year, one uniform number per agent row
from its own stream, keyed by (run seed, a hash of the decision's name, year).
Agent ``i`` uses element ``i``. Two scenarios run with the same seed therefore
give each agent the same draws for the same decision, and differ only where
their policies change a probability: paired comparisons (Starsim's common
random numbers).

Streams are keyed by the name's hash, not by a position in a list (as
Starsim's ``distributions.py`` does): adding a decision changes no other
decision's draws. The streams are counter-based: element ``i`` of a stream is
a function of the stream's key and ``i`` alone (the SplitMix64 finalizer of
``key + (i + 1) * golden``, a generator that passes BigCrush), so a decision
draws only for its candidates' rows, whatever their number, and array code
and per-agent code that ask for "row ``i`` of stream ``s`` this year" get the
same number.

A few streams serve (nearly) every row each year (``DENSE``: deaths, the
reclassification of villages); for them a sequential PCG64 array is cheaper
than hashing every row, and row ``i`` is element ``i`` of that array, whose
prefix does not depend on its length. Each stream always uses the same
method, so a row's number never depends on how many rows draw.
"""

from __future__ import annotations

import hashlib

import numpy as np

# The decisions that draw. A name must be listed to be used (a typo fails), but
# its draws depend on the name alone, not on its place here.
STREAMS = frozenset({
    "init", "death", "birth", "birth_parent", "birth_follow", "birth_skill", "birth_insurance",
    "come_of_age_education", "come_of_age_land", "come_of_age_work", "offfarm", "employment",
    "reclassify", "reclassify_hukou", "return", "return_place", "college", "leave",
    "destination", "relocate", "children", "reunion", "registration", "settle", "quota",
    "tiebreak", "nonfarm_exit", "land_exit", "practical_barrier",
})


def stream_key(name: str) -> int:
    """A stable 64-bit key of a stream's name (independent of Python's hash seed)."""
    if name not in STREAMS:
        raise ValueError(f"unknown random stream {name!r}; known: {', '.join(sorted(STREAMS))}")
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


DENSE = frozenset({"death", "reclassify"})

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 2.0 ** -53
_MASK64 = (1 << 64) - 1


def _mix64(x: int) -> int:
    """The SplitMix64 step on a Python integer: a bijective 64-bit mix."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


class Streams:
    """Uniform draws per (decision, year, row) from the run's seed."""

    def __init__(self, seed: int):
        if seed < 0:
            raise ValueError("seed must be non-negative")
        self.seed = int(seed)
        self._keys: dict[tuple[str, int], np.uint64] = {}

    def key(self, name: str, year: int) -> np.uint64:
        """The 64-bit key of stream ``name`` in ``year``: the seed, the name's hash and the year, mixed."""
        k = (name, int(year))
        key = self._keys.get(k)
        if key is None:
            mixed = _mix64(_mix64(_mix64(self.seed) ^ stream_key(name)) ^ (int(year) & _MASK64))
            key = self._keys[k] = np.uint64(mixed)
        return key

    def generator(self, name: str, year: int) -> np.random.Generator:
        """A sequential generator keyed like the stream (for set-up draws that are not per row)."""
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(
            [self.seed, stream_key(name), int(year)])))

    def uniform_at(self, name: str, year: int, rows: np.ndarray) -> np.ndarray:
        """The uniforms in [0, 1) of stream ``name`` in ``year`` at ``rows``."""
        rows = np.atleast_1d(np.asarray(rows))
        if name in DENSE:
            n = int(rows.max()) + 1 if rows.size else 0
            return self.generator(name, year).random(n)[rows]
        x = np.atleast_1d(np.asarray(rows)).astype(np.uint64)
        x += np.uint64(1)
        x *= _GOLDEN
        x += self.key(name, year)
        x ^= x >> np.uint64(30)
        x *= _MIX1
        x ^= x >> np.uint64(27)
        x *= _MIX2
        x ^= x >> np.uint64(31)
        x >>= np.uint64(11)
        return x.astype(np.float64) * _TO_UNIT

    def uniform(self, name: str, year: int, n: int) -> np.ndarray:
        """The uniforms of rows ``0..n-1``: element ``i`` is row ``i``'s, whatever ``n``."""
        return self.uniform_at(name, year, np.arange(n))

    def draw(self, name: str, year: int, row: int) -> float:
        """The uniform of one row."""
        return float(self.uniform_at(name, year, np.array([row]))[0])
