"""Common random numbers: one independent stream per decision and year.

Every stochastic decision draws, each year, one uniform number per agent row
from its own stream, seeded from (run seed, decision, year). Agent ``i`` uses
element ``i``. Two scenarios run with the same seed therefore give each agent
the same draws for the same decision, and differ only where their policies
change a probability: paired comparisons (Starsim's common random numbers).
"""

from __future__ import annotations

import numpy as np

STREAMS = (
    "init", "death", "birth", "employment", "reclassify", "college", "return",
    "leave", "destination", "children", "reunion", "relocate", "settle",
    "quota", "registration", "return_place", "reclassify_hukou", "tiebreak", "come_of_age",
    "birth_parent", "offfarm",
)


class Streams:
    """Uniform draws per (decision, year) from the run's seed."""

    def __init__(self, seed: int):
        if seed < 0:
            raise ValueError("seed must be non-negative")
        self.seed = int(seed)

    def generator(self, name: str, year: int) -> np.random.Generator:
        key = STREAMS.index(name)
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence([self.seed, key, int(year)])))

    def uniform(self, name: str, year: int, n: int) -> np.ndarray:
        return self.generator(name, year).random(n)
