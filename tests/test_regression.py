"""Seeded regression baseline: the numbers of fixed runs must not drift unnoticed.

A deliberate change refreshes the baseline with ``make baseline`` (see
scripts/refresh_baseline.py); an accidental one fails here.
"""

import importlib.util

import numpy as np
import pandas as pd
import pytest

from tests.conftest import PROJECT

spec = importlib.util.spec_from_file_location("refresh_baseline", PROJECT / "scripts" / "refresh_baseline.py")
refresh = importlib.util.module_from_spec(spec)
spec.loader.exec_module(refresh)


@pytest.mark.parametrize("name", sorted(refresh.CASES))
def test_matches_baseline(name):
    path = refresh.BASELINE_DIR / f"{name}_{refresh.CASES[name]}_seed{refresh.SEED}.csv"
    expected = pd.read_csv(path)
    got = refresh.baseline_run(name)
    assert list(got.columns) == list(expected.columns)
    # CSV keeps 6 decimals; populations are ~1e9, so compare relatively
    np.testing.assert_allclose(got.to_numpy(float), expected.to_numpy(float), rtol=1e-9, atol=1e-6)
