from dataclasses import fields

import numpy as np
import pytest

from sim.cities import SIZE_CLASSES
from sim.levers import CLASS_DEFAULTS, baseline_levers
from sim.policies import PLAN_ISSUED, REGISTRY, make_policy, policy_table
from sim.settlement import RuleArrays, SettlementRule


def test_registry_holds_every_measure_of_the_plan():
    expected = {"settlement_open_small", "settlement_relax_large", "points_reform", "residence_registration",
                "land_rights_kept", "services_by_residence", "skills_training", "migrant_children_schooling",
                "social_insurance_portability", "labor_rights", "fiscal_linkage", "metro_area_integration",
                "megacity_decongestion", "county_town_urbanization", "affordable_rental_housing",
                "intercity_transport", "return_settlement"}
    assert set(REGISTRY) == expected
    assert all(row["article"] for row in policy_table())


def test_intensity_ramps_from_start():
    policy = make_policy("services_by_residence", {"start": 2022.5, "ramp_years": 2.0, "strength": 0.8})
    assert policy.intensity(2022) == 0.0
    assert policy.intensity(2023) == pytest.approx(0.2)
    assert policy.intensity(2024) == pytest.approx(0.6)
    assert policy.intensity(2030) == pytest.approx(0.8)
    instant = make_policy("land_rights_kept", {"start": 2021.0, "ramp_years": 0.0})
    assert instant.intensity(2021.5) == 1.0
    assert make_policy("land_rights_kept", {}).start == PLAN_ISSUED


def test_unknown_policy_parameter_refused():
    with pytest.raises(KeyError):
        make_policy("land_rights_kept", {"no_such_key": 1.0})


def _restrictive_levers(model):
    rules = [SettlementRule("conditions", min_residence_years=3, min_insurance_years=3,
                            annual_quota_share=0.01)] * 5 + \
            [SettlementRule("points", min_insurance_years=3, threshold=30, annual_quota_share=0.001)] * 2
    rules = [rules[-1], rules[-1]] + rules[:5]  # points in the two largest classes
    arrays = RuleArrays.from_class_rules(rules, model.cities.size_class)
    return baseline_levers(arrays, CLASS_DEFAULTS, model.cities.size_class, SIZE_CLASSES, 4, 0.2)


def _differs(a, b) -> bool:
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "rules":
            if _differs(x, y):
                return True
        elif not np.array_equal(np.asarray(x), np.asarray(y)):
            return True
    return False


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_policy_moves_a_lever_and_nothing_at_zero(name, fresh_model, monkeypatch):
    # a settlement history after the plan's start, for the fiscal reward to act on
    monkeypatch.setattr(fresh_model, "settled_by_year", {2023: np.full(fresh_model.cities.n, 1e4)})
    base = _restrictive_levers(fresh_model)
    policy = make_policy(name, {})
    acted = base.copy()
    policy.apply(fresh_model, acted, 1.0)
    assert _differs(acted, base), f"{name} changed no lever at full strength"
    untouched = base.copy()
    policy.apply(fresh_model, untouched, 0.0)
    assert not _differs(untouched, base), f"{name} acted at zero strength"
    assert not _differs(base, _restrictive_levers(fresh_model)), "policy changed the baseline in place"


def test_fiscal_reward_counts_only_settlements_after_the_start(fresh_model, monkeypatch):
    base = _restrictive_levers(fresh_model)
    policy = make_policy("fiscal_linkage", {"start": 2022.53})
    monkeypatch.setattr(fresh_model, "settled_by_year", {2021: np.full(fresh_model.cities.n, 1e5)})
    before = base.copy()
    policy.apply(fresh_model, before, 1.0)
    assert np.array_equal(before.service_access, base.service_access)
    monkeypatch.setattr(fresh_model, "settled_by_year", {2022: np.full(fresh_model.cities.n, 1e5)})
    after = base.copy()
    policy.apply(fresh_model, after, 1.0)
    assert np.all(after.service_access >= base.service_access)
    assert np.any(after.service_access > base.service_access)


def test_open_small_switches_rule_kind_only_at_full_strength(fresh_model):
    base = _restrictive_levers(fresh_model)
    policy = make_policy("settlement_open_small", {})
    mask = np.isin(fresh_model.cities.size_class, [SIZE_CLASSES.index(c) for c in ("large_2", "medium", "small")])
    half = base.copy()
    policy.apply(fresh_model, half, 0.5)
    assert np.all(half.rules.kind[mask] == base.rules.kind[mask])
    assert np.allclose(half.rules.min_residence_years[mask], 1.5)
    full = base.copy()
    policy.apply(fresh_model, full, 1.0)
    assert np.all(full.rules.kind[mask] == 0)
