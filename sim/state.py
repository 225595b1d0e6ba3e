"""Person-level state of the rural-hukou population, held in arrays.

Row ``i`` of every array is one agent, standing for ``persons_per_agent``
people. Rows are never reused: an agent who dies keeps its row with
``alive = False``, so a row number identifies an agent for the whole run and
the ``MigrantWorker`` views (``sim.agents``) stay valid. Births append rows.
"""

from __future__ import annotations

import numpy as np

ORIGIN = -1  # ``location`` of an agent living in its home village (rural)
RURAL, URBAN = 0, 1  # ``hukou``: rural hukou, or an urban hukou obtained by conversion
NO_PARENT = -1

FIELDS: dict[str, tuple[np.dtype, object]] = {
    "alive": (np.bool_, False),
    "age": (np.int16, 0),
    "education": (np.int8, 0),  # 0 primary or less, 1 junior high, 2 senior high, 3 college+
    "origin": (np.int8, 0),  # region index of the home village
    "location": (np.int32, ORIGIN),  # ORIGIN or a destination index
    "hukou": (np.int8, RURAL),
    "years_in_city": (np.int16, 0),
    "insurance_years": (np.int16, 0),
    "insurance_draw": (np.float32, 1.0),  # persistent uniform: insured when below the insured share
    "works": (np.bool_, False),  # in the non-farm labour force (a migrant worker)
    "employed": (np.bool_, False),
    "skill": (np.float32, 0.0),  # persistent log-wage effect
    "wage": (np.float32, 0.0),  # monthly, yuan, when employed in a city
    "parent": (np.int32, NO_PARENT),  # row of the parent a child under 16 belongs to
    "land": (np.bool_, False),  # holds contracted land or a homestead at origin
    "in_situ": (np.bool_, False),  # lives in town because the home village was reclassified
    "year_settled": (np.int16, 0),
    "moved_year": (np.int16, 0),  # last year of a move (departure, return, relocation)
}

EDUCATION_LEVELS = ("primary or less", "junior high", "senior high", "college or more")


class PersonArrays:
    """Growable struct-of-arrays; ``n`` rows are in use."""

    def __init__(self, capacity: int):
        self.n = 0
        self._capacity = max(int(capacity), 16)
        for name, (dtype, fill) in FIELDS.items():
            setattr(self, name, np.full(self._capacity, fill, dtype=dtype))

    def append(self, count: int) -> np.ndarray:
        """Add ``count`` rows filled with defaults; return their indices."""
        if self.n + count > self._capacity:
            new_capacity = max(self.n + count, int(self._capacity * 1.25) + 16)
            for name, (dtype, fill) in FIELDS.items():
                old = getattr(self, name)
                grown = np.full(new_capacity, fill, dtype=dtype)
                grown[: self.n] = old[: self.n]
                setattr(self, name, grown)
            self._capacity = new_capacity
        rows = np.arange(self.n, self.n + count)
        self.n += count
        return rows

    def view(self, name: str) -> np.ndarray:
        """The used part of one field (a view, writes go through)."""
        return getattr(self, name)[: self.n]

    def nbytes(self) -> int:
        return sum(getattr(self, name).nbytes for name in FIELDS)
