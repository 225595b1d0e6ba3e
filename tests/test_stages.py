"""Unit tests of the year's stages, one mechanism at a time.

Each test runs the stages of a year up to the one under test (``sim.stages.YEAR``),
sets a parameter or lever to an extreme whose consequence follows from the
rule's definition, runs that stage alone and checks the consequence.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim import destinations, outputs
from sim.model import UrbanizationModel
from sim.scenario import load_scenario
from sim.settlement import CONDITIONS, OPEN, POINTS
from sim.stages import YEAR, reclassify
from sim.state import ORIGIN, RURAL, URBAN
from tests.conftest import SCENARIOS

AGENTS = 8_000


def model_with(scenario, seed=3, **parameters):
    if parameters:
        scenario = dataclasses.replace(scenario, parameters=scenario.parameters.with_overrides(parameters))
    return UrbanizationModel(scenario, agents=AGENTS, seed=seed)


def run_until(m, name: str):
    """Start the next year and run its stages before ``name``; return that stage."""
    m.year += 1
    m.tally = outputs.Tally()
    for stage in YEAR:
        m.inputs = {}
        if stage.name == name:
            return stage
        stage.run(m)
    raise KeyError(name)


def test_stage_order_is_written_once():
    assert [s.name for s in YEAR] == ["policies", "demography", "labour", "reclassify", "returns", "moves",
                                      "settle"]


@pytest.mark.parametrize("rate", [0.0, 1.0])
def test_college_entrants_move_their_hukou_to_a_city(status_quo, rate):
    """With rate 1 every rural-hukou 18-year-old converts and lives in a town; with 0 none does."""
    m = model_with(status_quo, college_transfer_rate=rate)
    stage = run_until(m, "moves")
    p = m.people
    entrants = np.flatnonzero(p.view("alive") & (p.view("hukou") == RURAL) & (p.view("age") == 18))
    assert entrants.size > 10
    before = m.tally.agents["other_hukou_conversions_in_year"]  # villages reclassified with hukou, earlier
    stage.run(m)
    counted = m.tally.agents["other_hukou_conversions_in_year"] - before
    converted = (p.hukou[entrants] == URBAN) & (p.year_settled[entrants] == m.year)
    if rate == 1.0:
        assert converted.all()
        assert (p.education[entrants] == 3).all() and (p.location[entrants] != ORIGIN).all()
        assert counted == entrants.size
    else:
        assert not converted.any() and counted == 0


@pytest.mark.parametrize("rate", [0.0, 1.0])
def test_left_behind_children_join_a_parent_in_town(status_quo, rate):
    """Reunion at rate 1 with full school access brings every child left at origin to a parent in
    town who did not move this year; at rate 0 none comes."""
    m = model_with(status_quo, family_reunion_rate=rate, relocate_if_unemployed=0.0)
    stage = run_until(m, "moves")
    m.levers.school_access[:] = 1.0
    p = m.people
    kids = m.families.kids
    parents = m.families.parent
    behind = kids[(p.location[kids] == ORIGIN) & (p.location[parents] != ORIGIN)]
    assert behind.size > 10
    stage.run(m)
    parent_loc = p.location[p.parent[behind]]
    parent_stayed = p.moved_year[p.parent[behind]] != m.year
    joined = (p.location[behind] == parent_loc) & (parent_loc != ORIGIN)
    if rate == 1.0:
        assert joined[parent_stayed].all()
    else:
        assert not joined[parent_stayed].any()


def test_unemployed_migrants_search_elsewhere_as_often_as_the_choice_model_says(status_quo):
    """With relocate_if_unemployed = 1 every unemployed migrant worker in town draws a city; it moves
    when the city differs from its own, with probability 1 - P(own city | group). The number who
    moved must match the summed probabilities within 4 standard errors."""
    m = model_with(status_quo, relocate_if_unemployed=1.0, leave_intercept=-15.0, college_transfer_rate=0.0)
    stage = run_until(m, "moves")
    p = m.people
    searching = np.flatnonzero(p.view("alive") & (p.view("hukou") == RURAL) & (p.view("location") != ORIGIN)
                               & p.view("works") & ~p.view("employed") & (p.view("age") >= 16)
                               & (p.view("moved_year") != m.year))
    before = p.location[searching].copy()
    cdf, _ = destinations.table(m)
    prob = np.diff(np.c_[np.zeros(len(cdf)), cdf], axis=1)
    from sim.households import has_school_children
    group = destinations.group_of(p.origin[searching], p.education[searching],
                                  has_school_children(p, m.families)[searching])
    p_move = 1.0 - prob[group, before]
    stage.run(m)
    moved = p.location[searching] != before
    assert searching.size > 50
    se = np.sqrt((p_move * (1 - p_move)).sum())
    assert abs(moved.sum() - p_move.sum()) < 4 * se + 1
    assert (p.years_in_city[searching[moved]] == 0).all() and (p.moved_year[searching[moved]] == m.year).all()


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_returners_live_in_their_county_town_with_the_given_share(status_quo, share):
    """At share 1 a returner living outside its own county town settles there (and does not count as
    a return to the village); at share 0 every returner goes to the village."""
    m = model_with(status_quo, return_intercept=-1.0)
    stage = run_until(m, "returns")
    m.levers.return_to_county_share = share
    p = m.people
    before = p.location[: p.n].copy()
    stage.run(m)
    returners = np.flatnonzero((p.view("moved_year") == m.year) & (before != p.view("location"))
                               & (p.view("age") >= 16))
    assert returners.size > 50
    own_county = m.county_of_region[p.origin[returners]]
    from_elsewhere = before[returners] != own_county
    if share == 1.0:
        assert (p.location[returners[from_elsewhere]] == own_county[from_elsewhere]).all()
        assert (p.location[returners[~from_elsewhere]] == ORIGIN).all()
    else:
        assert (p.location[returners] == ORIGIN).all()
    in_village = np.count_nonzero(p.location[returners] == ORIGIN)
    assert m.tally.agents["returns_in_year"] >= in_village  # plus the children who came along


def test_settlement_prospects_follow_each_rule_kind(status_quo):
    """Open: 1. Conditions: 1 - years asked / 10-year horizon (5 years -> 0.5, 12 -> 0). Points: the
    quota over the horizon against the rural-hukou residents, capped at 1."""
    m = model_with(status_quo)
    rules = m.levers.rules
    gap = destinations.rural_hukou_by_city(m)
    k = np.flatnonzero(gap > 10 * m.persons_per_agent)[:3]
    rules.kind[k] = [OPEN, CONDITIONS, CONDITIONS]
    rules.min_residence_years[k] = [0.0, 5.0, 12.0]
    rules.min_insurance_years[k] = [0.0, 3.0, 0.0]
    prospects = destinations.settle_prospects(m)
    assert prospects[k].tolist() == pytest.approx([1.0, 0.5, 0.0])
    rules.kind[k[0]] = POINTS
    rules.annual_quota_share[k[0]] = 0.5 * gap[k[0]] / (m.cities.population[k[0]] * 10)
    assert destinations.settle_prospects(m)[k[0]] == pytest.approx(0.5)


def test_destination_constants_reproduce_the_2020_distribution(status_quo):
    """The fitted constants make the choice shares of the adults at origin equal each destination's
    share of the 2020 rural-hukou town residents, and are centred on that distribution."""
    m = model_with(status_quo)
    p = m.people
    from sim.households import has_school_children
    at_origin = (p.view("alive") & (p.view("age") >= 16) & (p.view("hukou") == RURAL)
                 & (p.view("location") == ORIGIN))
    group = destinations.group_of(p.origin[: p.n][at_origin], p.education[: p.n][at_origin],
                                  has_school_children(p, m.families)[at_origin])
    cdf, _ = destinations.table(m)
    prob = np.diff(np.c_[np.zeros(len(cdf)), cdf], axis=1)
    predicted = prob[group].sum(axis=0) / group.size
    target = m.destination_targets / m.destination_targets.sum()
    np.testing.assert_allclose(predicted, target, atol=1e-6)
    assert float(target @ m.destination_constant) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("start", ["history_2015.toml", "status_quo.toml"])
def test_reclassification_takes_the_villagers_new_built_up_area_reaches_however_many_live_in_villages(start):
    """Reclassification counts persons, not a share of all village residents: with the driver's elasticity 0
    (every year a year of average new built-up area) and no lever, the stage reclassifies
    ``reclassification_pace`` million villagers whether the villages hold 587 M (2015 state) or 510 M
    (2020 state). Each village resident's probability is that number over the village residents; families
    are drawn together (a child at home with its parent shares the parent's draw), which leaves the
    expected number unchanged but widens its spread: at 20,000 agents (some 70,000 persons each) 8 M is
    about 115 agents in perhaps 60 families, a relative standard deviation near 13 %; 40 % is three of
    them."""
    scenario = load_scenario(SCENARIOS / start)
    m = UrbanizationModel(dataclasses.replace(scenario, parameters=scenario.parameters.with_overrides(
        {"reclassification_pace": 8.0, "reclassification_driver_elasticity": 0.0})), agents=20_000, seed=4)
    stage = run_until(m, "reclassify")
    p = m.people
    village = (p.view("alive") & (p.view("location") == ORIGIN) & (p.view("hukou") == RURAL)).copy()
    residents = village.sum() * m.persons_per_agent
    assert m.levers.reclassification_factor == 1.0
    assert reclassify.yearly_rate(m, residents) * residents == pytest.approx(8.0e6)  # the rule itself
    stage.run(m)
    moved = (p.view("moved_year") == m.year) & p.view("in_situ") & village
    assert moved.sum() * m.persons_per_agent == pytest.approx(8.0e6, rel=0.4)


def test_the_pandemic_settle_factor_scales_who_applies_in_its_dated_years(status_quo):
    """2022 carries half of the 2020 shock (sim/data/shocks.csv): a 2020 factor of 0.4 makes the
    probability of applying 1 + 0.5 (0.4 - 1) = 0.7 of what it is without the shock. With the same
    draws, who applies under the shock is a subset of who applies without it, about 0.7 as many."""
    applying = {}
    for factor in (1.0, 0.4):
        scenario = status_quo.parameters.with_overrides({"pandemic_settle_factor_2020": factor})
        m = UrbanizationModel(dataclasses.replace(status_quo, parameters=scenario), agents=60_000, seed=3)
        m.year = 2021  # the next step is 2022
        run_until(m, "settle").run(m)
        record = m.tally.settle
        applying[factor] = set(record.rows[record.applying].tolist())
    assert len(applying[1.0]) > 250  # binomial sd of the ratio under 0.03
    assert applying[0.4] <= applying[1.0]
    assert len(applying[0.4]) / len(applying[1.0]) == pytest.approx(0.7, abs=0.08)
