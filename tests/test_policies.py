"""The measures as rows on levers: each operation, the selection of cities, the ramp, the bespoke measures."""

from dataclasses import fields

import numpy as np
import pytest

from sim.cities import SIZE_CLASSES
from sim.levers import CLASS_DEFAULTS, baseline_levers
from sim.policies import (PLAN_ISSUED, REGISTRY, Decongestion, Measure, PointsReform, Policy, PolicyContext,
                          PolicyParam, Row, SettlerLandQuota, article_number, make_policy, policy_table)
from sim.policy_rows import all_but
from sim.settlement import CONDITIONS, OPEN, POINTS, RuleArrays, SettlementRule

# two cities of each size class, the first in region 0 (East), the second in region 1 (Central)
SIZE = np.tile(np.arange(len(SIZE_CLASSES)), 2)
REGION = np.repeat([0, 1], len(SIZE_CLASSES))
N_REGIONS = 4


POPULATION = np.arange(1, len(SIZE) + 1) * 1e6  # the second city of each class is the larger
EXEMPT = np.zeros(len(SIZE), bool)
EXEMPT[0] = True  # the first super-large city is exempt


def context(settled_by_year=None, initial_gap=1e5):
    return PolicyContext(size_class=SIZE, region=REGION, n_regions=N_REGIONS, year=2024,
                         settled_by_year=settled_by_year or {}, initial_gap=np.full(len(SIZE), initial_gap),
                         population=POPULATION, exempt=EXEMPT)


def restrictive_levers():
    """Points in the two largest classes, conditions elsewhere: every settlement measure has room to act."""
    points = SettlementRule("points", min_insurance_years=3, threshold=30, annual_quota_share=0.001)
    conditions = SettlementRule("conditions", min_residence_years=3, min_insurance_years=3,
                                annual_quota_share=0.01)
    arrays = RuleArrays.from_class_rules([points, points] + [conditions] * 5, SIZE)
    return baseline_levers(arrays, CLASS_DEFAULTS, SIZE, SIZE_CLASSES, N_REGIONS, 0.2)


def measure(*rows, **params):
    """An unregistered measure with the given rows and parameters (defaults)."""
    return Measure(name="test", article="六", summary="", rows=rows, expected=("negligible",) * 3, mechanism="",
                   params={k: PolicyParam(v, 0.0, 100.0, "") for k, v in params.items()})


def act(m, intensity, **settings):
    levers = restrictive_levers()
    m(**settings).apply(context(), levers, intensity)
    return levers


def in_classes(*names):
    return np.isin(SIZE, [SIZE_CLASSES.index(n) for n in names])


def _differs(a, b) -> bool:
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "rules":
            if _differs(x, y):
                return True
        elif not np.array_equal(np.asarray(x), np.asarray(y)):
            return True
    return False


# ---------------------------------------------------------------- operations


def test_toward_covers_share_times_intensity_of_the_way():
    base = restrictive_levers().service_access
    m = measure(Row("service_access", "toward", 1.0, share="gap_closed"), gap_closed=0.5)
    np.testing.assert_allclose(act(m, 0.4).service_access, base + 0.2 * (1.0 - base))
    toward_param = measure(Row("rules.min_residence_years", "toward", "years"), years=1.0)
    np.testing.assert_allclose(act(toward_param, 0.5).rules.min_residence_years[in_classes("medium")], 2.0)


def test_scale_by_a_relative_change_a_cut_or_a_multiplier():
    base = restrictive_levers()
    gain = measure(Row("wage_factor", "scale", "gain"), gain=0.1)
    np.testing.assert_allclose(act(gain, 0.5).wage_factor, 1.05)
    cut = measure(Row("housing_factor", "scale", "-cut"), cut=0.2)
    np.testing.assert_allclose(act(cut, 0.5).housing_factor, 0.9)
    multiplier = measure(Row("rules.annual_quota_share", "scale", "m - 1"), m=3.0)
    np.testing.assert_allclose(act(multiplier, 1.0).rules.annual_quota_share, 3 * base.rules.annual_quota_share)
    np.testing.assert_allclose(act(multiplier, 0.5).rules.annual_quota_share, 2 * base.rules.annual_quota_share)
    national = measure(Row("land_penalty_factor", "scale", "-removed"), removed=0.6)
    assert act(national, 0.5).land_penalty_factor == pytest.approx(0.7)


def test_add_max_and_min():
    add = measure(Row("job_growth_extra", "add", "-cut"), Row("employment_extra", "add", 0.02), cut=0.01)
    levers = act(add, 0.5)
    np.testing.assert_allclose(levers.job_growth_extra, -0.005)
    assert levers.employment_extra == pytest.approx(0.01)
    raise_to = measure(Row("registration_share", "max", "coverage"), Row("insurance_portable", "max", 1.0),
                       coverage=0.2)
    levers = act(raise_to, 0.5)
    np.testing.assert_allclose(levers.registration_share, 0.1)
    assert levers.insurance_portable == 0.5
    already = restrictive_levers()
    already.registration_share[:] = 0.3
    raise_to(coverage=0.2).apply(context(), already, 1.0)
    np.testing.assert_allclose(already.registration_share, 0.3)  # max never lowers
    capped = measure(Row("return_to_county_share", "add", 0.5), Row("return_to_county_share", "min", 0.6))
    assert act(capped, 1.0).return_to_county_share == 0.6  # 0.2 + 0.5, capped at 0.6 (not ramped)
    assert act(capped, 0.2).return_to_county_share == pytest.approx(0.3)


def test_set_at_full_strength_or_whenever_acting():
    open_rule = measure(Row("rules.kind", "set", "open", at=1.0))
    assert np.all(act(open_rule, 0.99).rules.kind == restrictive_levers().rules.kind)
    assert np.all(act(open_rule, 1.0).rules.kind == OPEN)
    years = measure(Row("registration_years", "set", "years"), years=8.0)
    assert act(years, 0.1).registration_years == 8.0
    assert act(years, 0.0).registration_years == 5.0
    everywhere = act(measure(Row("wage_factor", "set", 0.5)), 0.1).wage_factor
    np.testing.assert_array_equal(everywhere, np.full(len(SIZE), 0.5))


def test_no_row_acts_at_zero_intensity():
    m = measure(Row("registration_share", "max", -1.0), Row("return_to_county_share", "min", 0.0),
                Row("registration_years", "set", 1.0))
    assert not _differs(act(m, 0.0), restrictive_levers())
    assert _differs(act(m, 0.5), restrictive_levers())


# ---------------------------------------------------------------- where


def test_classes_and_regions_select_cities():
    by_class = act(measure(Row("wage_factor", "scale", 1.0, classes=("mega", "county"))), 1.0).wage_factor
    np.testing.assert_array_equal(by_class, np.where(in_classes("mega", "county"), 2.0, 1.0))
    but = act(measure(Row("wage_factor", "scale", 1.0, classes=all_but("super_large"))), 1.0).wage_factor
    np.testing.assert_array_equal(but, np.where(in_classes("super_large"), 1.0, 2.0))
    by_region = act(measure(Row("wage_factor", "scale", 1.0, regions=("Central",))), 1.0).wage_factor
    np.testing.assert_array_equal(by_region, np.where(REGION == 1, 2.0, 1.0))
    both = act(measure(Row("wage_factor", "scale", 1.0, classes=("small",), regions=("East",))), 1.0).wage_factor
    np.testing.assert_array_equal(both, np.where(in_classes("small") & (REGION == 0), 2.0, 1.0))


def test_pairs_select_origin_region_by_city():
    same = act(measure(Row("distance_factor", "scale", -0.5, pairs="same", classes=all_but("county"))), 1.0)
    other = act(measure(Row("distance_factor", "scale", -0.5, pairs="other")), 1.0)
    for origin in range(N_REGIONS):
        own = REGION == origin
        np.testing.assert_array_equal(same.distance_factor[origin], np.where(own & ~in_classes("county"), 0.5, 1))
        np.testing.assert_array_equal(other.distance_factor[origin], np.where(own, 1.0, 0.5))
    cities = act(measure(Row("distance_factor", "add", 1.0, classes=("county",))), 1.0)
    np.testing.assert_array_equal(cities.distance_factor, np.where(in_classes("county"), 2.0, 1.0)[None, :]
                                  .repeat(N_REGIONS, axis=0))


@pytest.mark.parametrize("row, message", [
    (dict(lever="no_such_lever", op="add", value=1.0), "lever"),
    (dict(lever="wage_factor", op="double", value=1.0), "op"),
    (dict(lever="wage_factor", op="add", value="2 x gain"), "value"),
    (dict(lever="wage_factor", op="add", value=1.0, classes=("metropolis",)), "size class"),
    (dict(lever="wage_factor", op="add", value=1.0, regions=("South",)), "region"),
    (dict(lever="land_penalty_factor", op="scale", value=1.0, classes=("mega",)), "national"),
    (dict(lever="wage_factor", op="scale", value=1.0, pairs="same"), "pairs"),
    (dict(lever="wage_factor", op="scale", value=1.0, share=0.5), "toward only"),
    (dict(lever="rules.kind", op="toward", value="open"), "rules.kind"),
    (dict(lever="rules.kind", op="set", value="closed"), "rules.kind"),
])
def test_malformed_rows_refused(row, message):
    with pytest.raises(ValueError, match=message):
        Row(**row)


def test_row_reading_an_unknown_parameter_refused():
    with pytest.raises(ValueError, match="unknown parameter 'gain'"):
        measure(Row("wage_factor", "scale", "gain"), wage_gain=0.1)
    with pytest.raises(ValueError, match="no rows"):
        measure()


# ---------------------------------------------------------------- the plan's measures


def test_registry_holds_every_measure_of_the_plan_in_acting_order():
    assert list(REGISTRY) == [
        "settlement_open_small", "settlement_relax_large", "points_reform", "residence_registration",
        "land_rights_kept", "services_by_residence", "skills_training", "migrant_children_schooling",
        "social_insurance_portability", "minimum_living_allowance", "labor_rights", "fiscal_linkage",
        "land_quota_by_settlers", "transfers_by_residents", "metro_area_integration", "megacity_decongestion",
        "county_town_urbanization", "affordable_rental_housing", "rent_own_equal_services", "intercity_transport",
        "rural_rights_market_exit", "land_requisition_narrowed", "county_upgrade_control", "construction_land_cap"]
    assert {name for name, m in REGISTRY.items() if m.policy is not Policy} == {
        "points_reform", "land_quota_by_settlers", "megacity_decongestion"}
    articles = {article_number(m.article) for m in REGISTRY.values()}
    assert {5, 40, 42} <= articles and 44 not in articles


def test_every_measure_has_quote_sources_ranges_and_reasoned_expectations():
    for name, m in REGISTRY.items():
        assert m.quote and m.mechanism and len(m.expected) == 3, name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in m.quote), name
        for key, p in m.params.items():
            assert p.low <= p.default <= p.high and p.source, (name, key)


def test_malformed_expectations_and_ranges_refused():
    with pytest.raises(ValueError, match="expected"):
        Measure(name="x", article="六", summary="", rows=(Row("wage_factor", "add", 0.1),), expected=(1, 0),
                mechanism="", params={})
    with pytest.raises(ValueError, match="outside its range"):
        measure(Row("wage_factor", "scale", "gain"), gain=200.0)


def test_intensity_ramps_from_start():
    policy = make_policy("services_by_residence", {"start": 2022.5, "ramp_years": 2.0, "strength": 0.8})
    assert policy.intensity(2022) == 0.0
    assert policy.intensity(2023) == pytest.approx(0.2)
    assert policy.intensity(2024) == pytest.approx(0.6)
    assert policy.intensity(2030) == pytest.approx(0.8)
    instant = make_policy("land_rights_kept", {"start": 2021.0, "ramp_years": 0.0})
    assert instant.intensity(2021.5) == 1.0
    assert make_policy("land_rights_kept", {}).start == PLAN_ISSUED


def test_policy_settings_and_to_dict():
    policy = make_policy("points_reform", {"start": 2023.0, "cancel_share": 0.5})
    assert policy.values["cancel_share"] == 0.5 and policy.values["quota_multiplier_super_large"] == 1.5
    assert policy.to_dict() == {"name": "points_reform", "article": "六", "start": 2023.0, "ramp_years": 3.0,
                                "strength": 1.0, "cancel_share": 0.5, "quota_multiplier_super_large": 1.5,
                                "residence_points_gain": 0.25, "college_points_cut": 0.2}
    with pytest.raises(KeyError):
        make_policy("land_rights_kept", {"no_such_key": 1.0})
    with pytest.raises(KeyError):
        make_policy("no_such_measure", {})


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_measure_moves_a_lever_and_nothing_at_zero(name):
    # a settlement history after the plan's start, for the settler land quota to act on
    ctx = context({2023: np.full(len(SIZE), 1e4)})
    base = restrictive_levers()
    base.practical_barrier[:] = 0.3  # the status quo's barrier, for the measures that lower it
    base.practical_barrier_nonlocal[:] = 0.1
    policy = make_policy(name, {})
    acted = base.copy()
    policy.apply(ctx, acted, 1.0)
    assert _differs(acted, base), f"{name} changed no lever at full strength"
    untouched = base.copy()
    policy.apply(ctx, untouched, 0.0)
    assert not _differs(untouched, base), f"{name} acted at zero strength"
    fresh = restrictive_levers()
    fresh.practical_barrier[:] = 0.3
    fresh.practical_barrier_nonlocal[:] = 0.1
    assert not _differs(base, fresh), "policy changed the baseline in place"


def test_open_small_relaxes_under_3_million_and_opens_at_full_strength():
    policy = make_policy("settlement_open_small", {})
    under = in_classes("large_2", "medium", "small", "county")
    half = restrictive_levers()
    policy.apply(context(), half, 0.5)
    assert np.all(half.rules.kind[under] == CONDITIONS)
    np.testing.assert_allclose(half.rules.min_residence_years[under], 1.5)
    np.testing.assert_allclose(half.rules.min_residence_years[~under], restrictive_levers().rules
                               .min_residence_years[~under])
    full = restrictive_levers()
    policy.apply(context(), full, 1.0)
    assert np.all(full.rules.kind[under] == OPEN)
    assert np.all(full.rules.kind[in_classes("super_large", "mega")] == POINTS)


def test_open_small_lowers_the_practical_barrier_under_3_million():
    levers = restrictive_levers()
    levers.practical_barrier[:] = 0.3
    levers.practical_barrier_nonlocal[:] = 0.1
    make_policy("settlement_open_small", {}).apply(context(), levers, 1.0)
    under = in_classes("large_2", "medium", "small", "county")
    np.testing.assert_allclose(levers.practical_barrier, np.where(under, 0.15, 0.3))
    np.testing.assert_allclose(levers.practical_barrier_nonlocal, np.where(under, 0.0, 0.1))


def test_exempt_super_large_cities_keep_their_rules():
    base = restrictive_levers()
    levers = base.copy()
    make_policy("points_reform", {}).apply(context(), levers, 1.0)
    sl = np.flatnonzero(in_classes("super_large"))
    assert levers.rules.annual_quota_share[sl[0]] == base.rules.annual_quota_share[sl[0]]  # exempt
    assert levers.rules.annual_quota_share[sl[1]] == pytest.approx(1.5 * base.rules.annual_quota_share[sl[1]])
    assert levers.rules.points_per_residence_year[sl[0]] == base.rules.points_per_residence_year[sl[0]]
    np.testing.assert_array_equal(levers.rules.threshold, base.rules.threshold)  # no threshold cut in the text
    registered = base.copy()
    make_policy("residence_registration", {}).apply(context(), registered, 1.0)
    assert registered.registration_share[sl[0]] == 0.0 and registered.registration_share[sl[1]] == 0.05


def test_points_reform_cancels_quotas_in_the_smallest_mega_cities():
    assert issubclass(REGISTRY["points_reform"].policy, PointsReform)
    mega = np.flatnonzero(in_classes("mega"))  # two mega cities, the first the smaller
    levers = restrictive_levers()
    make_policy("points_reform", {"cancel_share": 0.5}).apply(context(), levers, 1.0)
    assert levers.rules.annual_quota_share[mega[0]] == 1.0
    assert levers.rules.annual_quota_share[mega[1]] == restrictive_levers().rules.annual_quota_share[mega[1]]
    few = restrictive_levers()
    make_policy("points_reform", {"cancel_share": 0.5}).apply(context(), few, 0.4)  # round(0.5 x 0.4 x 2) = 0
    assert np.all(few.rules.annual_quota_share[mega] < 1.0)


def test_decongestion_moves_jobs_within_the_region():
    assert issubclass(REGISTRY["megacity_decongestion"].policy, Decongestion)
    levers = restrictive_levers()
    make_policy("megacity_decongestion", {"job_growth_cut": 0.01, "recreated_share": 1.0}).apply(
        context(), levers, 1.0)
    for r in (0, 1):
        here = REGION == r
        jobs_moved = (levers.job_growth_extra * POPULATION)[here].sum()
        assert jobs_moved == pytest.approx(0.0, abs=1e-6)  # all re-created in the same region
    assert np.all(levers.job_growth_extra[in_classes("super_large", "mega")] == -0.01)
    assert np.all(levers.job_growth_extra[in_classes("small", "county")] == 0.0)


def test_settler_land_quota_counts_only_settlements_after_the_start():
    policy = make_policy("land_quota_by_settlers", {"start": 2022.53, "housing_cut": 0.2, "school_gain": 0.5})
    assert isinstance(policy, SettlerLandQuota)
    base = restrictive_levers()
    before = base.copy()
    policy.apply(context({2021: np.full(len(SIZE), 1e4)}), before, 1.0)
    np.testing.assert_array_equal(before.housing_factor, base.housing_factor)
    settled = np.where(in_classes("county"), 3e5, 1e4)
    after = base.copy()
    policy.apply(context({2021: np.full(len(SIZE), 1e4), 2022: settled / 2, 2023: settled / 2}), after, 0.5)
    share = np.minimum(1.0, settled / 1e5) * 0.5  # settled since the start / initial gap (1e5), at most 1
    np.testing.assert_allclose(after.housing_factor, 1.0 - 0.2 * share)
    np.testing.assert_allclose(after.school_access, base.school_access + 0.5 * share * (1 - base.school_access))


def test_policy_table_lists_each_measures_lever_operations():
    table = {row["name"]: row for row in policy_table()}
    assert list(table) == list(REGISTRY)
    for row in table.values():
        assert row["operations"] and all(set(op) == {"lever", "op", "value", "where"} for op in row["operations"])
        assert row["quote"] and set(row["sources"]) == set(row["params"])
    assert table["intercity_transport"]["operations"][0] == {
        "lever": "distance_factor", "op": "scale", "value": "-distance_cut",
        "where": "same region; super_large, mega, large_1, large_2, medium"}
    assert table["settlement_open_small"]["operations"][4]["op"] == "set at full strength"
    assert table["services_by_residence"]["operations"][0]["value"] == "1 (gap_closed of the way)"
    assert table["land_rights_kept"]["operations"][0]["where"] == "national"
    assert table["points_reform"]["operations"][0]["where"] == "super_large; except Beijing, Shanghai"
    assert {op["lever"] for op in table["fiscal_linkage"]["operations"]} == {"rules.annual_quota_share",
                                                                               "practical_barrier"}
