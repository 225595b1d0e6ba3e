"""The gap by place, cause and flow (sim/breakdown.py, sim/breakdown_table.py).

Expectations from the accounting: places partition the country (every class
is a set of destinations, every destination has one class and one region; the
super-large and mega classes are exactly the 21 named cities); the causes
partition the rural-hukou town residents (each is a settle candidate with one
outcome, a mover of this year, or a child) and the converted are the year's
settlements; the gap's flows are the terms of the decomposition of urban
residents minus urban-hukou holders.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import breakdown, breakdown_table
from sim.breakdown import ALL, CAUSES, GAP_FLOWS, PLACE_QUANTITIES
from sim.cities import SIZE_CLASSES
from sim.compare import Comparison
from sim.datasets import REGIONS
from sim.decisions import SETTLE_DETERRENTS, settle_deterrents
from sim.model import UrbanizationModel
from sim.runs import RunResult
from sim.settlement import CONDITIONS_ORDER, RULE_KINDS, RuleArrays, SettlementRule, eligible, unmet_condition
from tests.conftest import SCENARIOS, calibrated_scenario

STOCKS = ("urban_residents", "urban_hukou_holders", "rural_hukou_residents")
FLOWS = ("arrivals", "returns", "settlements")


@pytest.fixture(scope="module", params=["status_quo", "plan_accelerated"])
def run(request):
    model = UrbanizationModel(calibrated_scenario(SCENARIOS / f"{request.param}.toml"), agents=6_000, seed=3)
    ts = model.run()
    return model, ts, model.breakdown()


def _wide(table: pd.DataFrame) -> pd.DataFrame:
    return table.pivot_table(index=["year", "city_class", "region", "city"], columns="quantity", values="value")


def _close(a, b, w):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-6 * w)


def test_columns_and_units(run):
    _, _, table = run
    assert list(table.columns) == ["year", "city_class", "region", "city", "quantity", "value", "unit"]
    units = table.drop_duplicates("quantity").set_index("quantity")["unit"]
    assert units["agents"] == "agents" and units["urban_residents"] == "persons"
    assert "points" in units["gap_pp_of_residents"]
    assert table["value"].notna().all()


def test_country_matches_the_time_series(run):
    model, ts, table = run
    w = model.persons_per_agent
    country = _wide(table).xs((ALL, ALL, ALL), level=["city_class", "region", "city"])
    ts = ts.set_index("year")
    _close(country["urban_residents"], ts["urban_residents"], w)
    _close(country["urban_hukou_holders"], ts["urban_hukou_population"], w)
    _close(country["rural_hukou_residents"], ts["rural_hukou_in_cities"], w)
    simulated = ts.index[1:]
    _close(country.loc[simulated, "arrivals"], ts.loc[simulated, "departures_in_year"], w)
    _close(country.loc[simulated, "returns"], ts.loc[simulated, "returns_in_year"], w)
    _close(country.loc[simulated, "settlements"], ts.loc[simulated, "settlements_in_year"], w)
    assert country.loc[ts.index[0], ["arrivals", "gap_flow_arrivals"]].isna().all()  # nothing simulated yet


@pytest.mark.parametrize("level, names", [("city_class", SIZE_CLASSES), ("region", REGIONS)])
def test_classes_and_regions_partition_the_country(run, level, names):
    model, _, table = run
    wide = _wide(table[table["city"] == ALL])
    other = "region" if level == "city_class" else "city_class"
    parts = wide.xs(ALL, level=other)
    parts = parts[parts.index.get_level_values(level) != ALL]
    assert sorted(parts.index.get_level_values(level).unique()) == sorted(names)
    country = wide.xs((ALL, ALL), level=["city_class", "region"])
    for quantity in ("agents", *STOCKS, *FLOWS, *(f"cause_{c.name}" for c in CAUSES)):
        summed = parts[quantity].groupby(level="year").sum(min_count=1)
        _close(summed.dropna(), country[quantity].dropna().droplevel("city"), model.persons_per_agent)


def test_named_cities_make_up_the_two_largest_classes(run):
    model, _, table = run
    wide = _wide(table)
    named = wide[wide.index.get_level_values("city") != ALL]
    assert named.index.get_level_values("city").nunique() == 21
    for cls in ("super_large", "mega"):
        cities = named.xs(cls, level="city_class").groupby(level="year").sum(min_count=1)
        whole = wide.xs((cls, ALL, ALL), level=["city_class", "region", "city"])
        for quantity in ("agents", *STOCKS, *FLOWS):
            _close(cities[quantity].dropna(), whole[quantity].dropna(), model.persons_per_agent)


def test_causes_add_up_to_the_rural_hukou_residents_and_the_settlements(run):
    """Every rural-hukou town resident has exactly one cause; the converted of the year are its settlements."""
    model, _, table = run
    wide = _wide(table).dropna(subset=["cause_arrived_this_year"])
    assert len(wide) == 12 * (model.year - model.scenario.start_year)  # country, 7 classes, 4 regions
    causes = [f"cause_{c.name}" for c in CAUSES if c.name != "converted_this_year"]
    _close(wide[causes].sum(axis=1), wide["rural_hukou_residents"], model.persons_per_agent)
    _close(wide["cause_converted_this_year"], wide["settlements"], model.persons_per_agent)
    assert (wide[causes] >= 0).all().all()
    assert wide["cause_unwilling_land_rights"].xs((ALL, ALL, ALL), level=["city_class", "region", "city"]).gt(0).all()


def test_gap_flows_add_up_to_the_change_of_the_gap(run):
    """Change of (urban residents - urban-hukou holders) = the sum of the gap's flows, each year."""
    model, ts, table = run
    country = _wide(table).xs((ALL, ALL, ALL), level=["city_class", "region", "city"])
    flows = country[[f"gap_flow_{f.name}" for f in GAP_FLOWS]].iloc[1:].sum(axis=1)
    gap = (ts["urban_residents"] - ts["urban_hukou_population"]).diff().iloc[1:].to_numpy()
    _close(flows.to_numpy(), gap, model.persons_per_agent)
    assert country["gap_flow_settlements"].iloc[1:].lt(0).all() and country["gap_flow_arrivals"].iloc[1:].gt(0).all()


def test_quota_refusals_only_in_points_cities_and_rule_conditions_only_where_the_rule_sets_them(run):
    """In the last year, with the rule kinds in force then (policies may change them)."""
    model, _, table = run
    kind_of = model.levers.rules.kind
    last = table[(table["year"] == model.year) & (table["region"] == ALL) & (table["city"] == ALL)]
    classes = _wide(last[last["city_class"] != ALL])
    for i, cls in enumerate(SIZE_CLASSES):
        kinds = set(kind_of[model.cities.size_class == i].tolist())
        if len(kinds) > 1:
            continue
        kind = RULE_KINDS[kinds.pop()]
        rows = classes.xs(cls, level="city_class")
        if kind != "points":
            assert (rows["cause_refused_by_quota"] == 0).all(), cls
            assert (rows[["cause_not_eligible_points", "cause_not_eligible_age_limit"]] == 0).all().all(), cls
        if kind == "open":
            assert (rows["cause_not_eligible_insurance_years"] == 0).all(), cls
        if kind == "points":
            assert (rows["cause_not_eligible_residence_years"] == 0).all()
            assert (rows["cause_not_eligible_practical_barrier"] == 0).all()  # proofs bind open and conditions


def test_by_place_is_the_current_year_of_the_collected_table(run):
    model, _, table = run
    now = breakdown.by_place(model)
    last = table[table["year"] == model.year].reset_index(drop=True)
    pd.testing.assert_frame_equal(now, last)
    places = 1 + len(SIZE_CLASSES) + len(REGIONS) + 21
    assert len(now) == places * len(PLACE_QUANTITIES) + 12 * len(CAUSES) + len(GAP_FLOWS)


def test_unmet_condition_names_the_first_failing_condition():
    rules = RuleArrays.from_class_rules(
        [SettlementRule("open", min_residence_years=1),
         SettlementRule("conditions", min_residence_years=2, min_insurance_years=3),
         SettlementRule("points", min_insurance_years=1, threshold=20, age_limit=45)], np.array([0, 1, 2], np.int8))
    city = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2])
    years = np.array([0, 1, 1, 1, 5, 9, 9, 9, 0])
    insurance = np.array([0, 0, 0, 9, 0, 0, 9, 9, 2])
    age = np.array([30, 30, 30, 30, 30, 50, 50, 30, 30])
    edu = np.zeros(9, int)
    got = unmet_condition(rules, city, years, insurance, edu, age)
    names = [CONDITIONS_ORDER[c] if c >= 0 else None for c in got]
    # open: residence short / met; conditions: both short (residence first), residence short, insurance short;
    # points: insurance short though over age, age, met (18+27=45 points), points short (6+0)
    assert names == ["residence_years", None, "residence_years", "residence_years", "insurance_years",
                     "insurance_years", "age_limit", None, "points"]
    assert (eligible(rules, city, years, insurance, edu, age) == (got < 0)).all()


def test_main_deterrent_is_the_largest_shortfall_of_the_settle_utility():
    params = {"settle_land_coef": -1.0, "settle_old_coef": -1.0, "settle_service_gain_coef": 1.5,
              "settle_children_coef": 0.7, "settle_years_coef": 0.8}
    loss = settle_deterrents(land=np.array([True, False, False, False]), land_penalty_factor=1.0,
                             service_access=np.array([0.4, 0.8, 0.2, 0.0]),
                             has_school_children=np.array([False, True, False, True]),
                             years_in_city=np.array([10.0, 10.0, 10.0, 10.0]), age=np.array([55, 30, 30, 30]),
                             params=params)
    # land 2.0 (aged 50+) beats services 0.6; services 1.2; no children 0.7 beats services 0.3; nothing short
    np.testing.assert_allclose(loss[:, 0], [2.0, 0.6, 0.7, 0.0])
    main = breakdown.main_deterrent(loss)
    assert [SETTLE_DETERRENTS[i] if i < 4 else None for i in main] == [
        "land_rights", "small_service_gain", "no_school_children", None]


def test_summarize_stacks_replications_and_means_add_up(run):
    model, _, table = run
    other = table.assign(value=table["value"] * 1.5)
    results = [RunResult(1, pd.DataFrame(), 1.0, breakdown=table),
               RunResult(2, None, float("nan"), error="failed"),
               RunResult(3, pd.DataFrame(), 1.0, breakdown=other)]
    out = breakdown_table.summarize(results, "s")
    assert list(out.columns) == list(breakdown_table.COLUMNS)
    assert set(out["replication"]) == {"median", "p10", "p90", "mean", "1", "3"}  # numbered by position
    mean = out[out["replication"] == "mean"]["value"].to_numpy()
    np.testing.assert_allclose(mean, table["value"].to_numpy() * 1.25)
    start, flows, end = breakdown_table.flows_since_start(out)
    assert start + sum(flows.values()) == pytest.approx(end, rel=1e-12)
    causes = breakdown_table.gap_by_cause(out)
    assert list(causes.columns) == [c.name for c in CAUSES]
    assert causes.index[0] == model.scenario.start_year + 1


def test_gap_flow_columns_and_comparison_waterfalls_add_up(run):
    """From a time series alone (as compare keeps it): each year's flows are the change of the gap, and a
    comparison's waterfall goes from the start's gap to the reported year's by the flows in between."""
    model, ts, _ = run
    columns = breakdown.gap_flow_columns(ts)
    flows, gap = columns[:, :-1], columns[:, -1]
    _close(flows[1:].sum(axis=1), np.diff(gap), model.persons_per_agent)
    _close(gap, ts["rural_hukou_in_cities"].to_numpy(), model.persons_per_agent)
    years = ts["year"].to_numpy()
    grid = np.stack([columns, columns * 1.1])[None]  # one scenario, two replications
    report = int(years[-2])
    result = Comparison(["s"], years, np.zeros((1, 2, len(years), 3)), [1, 2], report, grid)
    [(name, start, by_flow, end)] = result.waterfalls()
    assert name == "s" and start == pytest.approx(gap[0] * 1.05) and end == pytest.approx(gap[-2] * 1.05)
    assert start + sum(by_flow.values()) == pytest.approx(end, rel=1e-12)
    assert list(by_flow) == [f.name for f in GAP_FLOWS]
