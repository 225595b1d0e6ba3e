"""Each measure moves the 2025 rates in its reasoned direction (statistical test).

For every registered policy: the plan against the plan without that measure
(``scenarios/plan_without_<name>.toml``), 8 paired replications at 20,000 agents
with common random numbers. The expectations are the measures' own
(``Measure.expected``: resident rate, hukou rate, gap), reasoned from the
mechanism before the model was run, never copied from its output. For "up" or
"down" the mean paired effect must lie in that direction by more than 2
standard errors (one-sided, about 2.3 % false alarms per check if the true
effect were zero); for "negligible" ("negligible by 2025") its absolute value
must stay below ``NEGLIGIBLE_PP`` (0.05 points); "ambiguous" (mechanisms of
opposite sign, the reason in ``Measure.mechanism``) is not checked.
"""

import numpy as np
import pytest

from sim.compare import compare
from sim.policies import NEGLIGIBLE_PP, REGISTRY
from tests.conftest import SCENARIOS, calibrated_scenario

REPLICATIONS, AGENTS, SEED, SE_TOLERANCE = 8, 20_000, 99, 2.0
LABELS = ("resident rate", "hukou rate", "gap")
SIGN = {"up": 1.0, "down": -1.0}


@pytest.fixture(scope="module")
def effects():
    plan = calibrated_scenario(SCENARIOS / "plan.toml")
    without = [calibrated_scenario(SCENARIOS / f"plan_without_{name}.toml") for name in REGISTRY]
    result = compare([plan, *without], SEED, REPLICATIONS, AGENTS)
    t = list(result.years).index(2025)
    out = {}
    for i, name in enumerate(REGISTRY, start=1):
        diff = result.rates[0, :, t, :2] - result.rates[i, :, t, :2]  # effect of the measure
        diff = np.c_[diff, diff[:, 0] - diff[:, 1]]  # resident, hukou, gap
        out[name] = (diff.mean(axis=0), diff.std(axis=0, ddof=1) / np.sqrt(REPLICATIONS))
    return out


@pytest.mark.parametrize("name", list(REGISTRY))
def test_measure_moves_rates_as_reasoned(name, effects):
    mean, se = effects[name]
    for j, direction in enumerate(REGISTRY[name].expected):
        label = LABELS[j]
        if direction == "negligible":
            assert abs(mean[j]) < NEGLIGIBLE_PP, f"{name}: {label} effect {mean[j]:+.3f} is not negligible"
        elif direction in SIGN:
            assert SIGN[direction] * mean[j] > SE_TOLERANCE * se[j], \
                f"{name}: {label} effect {mean[j]:+.4f} (SE {se[j]:.4f}) is not {direction}"
