"""compare in any year, replications.csv, and attribution that accounts for every difference between plan and base."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from sim.attribution import IGNORED_FIELDS, TERM_FIELDS, attribute, differences, with_terms
from sim.cli import main
from sim.compare import compare
from sim.scenario import Scenario, load_scenario
from tests.conftest import SCENARIOS, calibrated_scenario


def test_years_after_the_reported_one_change_nothing_before_it():
    # plan_to_2035 is plan.toml with a later end year: the same measures and seeds must give the same 2020-2025
    # (a year's events never depend on the years after it), so the paired differences are exactly zero
    plan, longer = (calibrated_scenario(SCENARIOS / f) for f in ("plan.toml", "plan_to_2035.toml"))
    result = compare([plan, longer], seed=4, replications=2, agents=3_000)
    assert result.report_year() == 2025 and list(result.years) == list(range(2020, 2026))
    assert np.array_equal(result.rates[0], result.rates[1])


def test_compare_in_2030_writes_every_replication_and_its_paired_difference(tmp_path):
    out = tmp_path / "cmp"
    files = [str(SCENARIOS / f) for f in ("status_quo_to_2035.toml", "plan_to_2035.toml")]
    assert main(["compare", *files, "--year", "2030", "--replications", "2", "--agents", "3000",
                 "--out", str(out)]) == 0
    assert "# Scenario comparison, 2030" in (out / "summary.md").read_text()
    assert "each column its own median" in (out / "summary.md").read_text()
    reps = pd.read_csv(out / "replications.csv")
    assert list(reps.columns) == ["scenario", "replication", "seed", "year", "quantity", "value", "base",
                                  "difference_from_base"]
    assert set(reps["scenario"]) == {"status_quo_to_2035", "plan_to_2035"}
    assert len(reps) == 2 * 2 * 16 * 3  # scenarios x replications x years 2020-2035 x rates
    # the difference is the value minus the base's value in the same replication and year (paired)
    wide = reps.pivot_table(index=["replication", "year", "quantity"], columns="scenario", values="value")
    plan_rows = reps[reps["scenario"] == "plan_to_2035"].set_index(["replication", "year", "quantity"])
    expected = (wide["plan_to_2035"] - wide["status_quo_to_2035"]).loc[plan_rows.index]
    np.testing.assert_allclose(plan_rows["difference_from_base"], expected, atol=2e-6)
    assert (reps.loc[reps["scenario"] == "status_quo_to_2035", "difference_from_base"] == 0).all()
    assert (out / "comparison.png").read_bytes()[:4] == b"\x89PNG"


def test_compare_year_a_scenario_does_not_reach_fails_in_one_line(tmp_path, capsys):
    out = tmp_path / "never"
    code = main(["compare", str(SCENARIOS / "status_quo.toml"), str(SCENARIOS / "plan_to_2035.toml"),
                 "--year", "2030", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "--year 2030" in err and "status_quo" in err and "2025" in err
    assert not out.exists()


def _mega_open_plan(tmp_path):
    (tmp_path / "status_quo.toml").write_text((SCENARIOS / "status_quo.toml").read_text())
    path = tmp_path / "mega_open.toml"
    path.write_text('extends = "status_quo.toml"\nname = "mega_open"\n[settlement.mega]\nkind = "open"\n'
                    "[policies.land_rights_kept]\n[policies.services_by_residence]\n")
    return load_scenario(path), load_scenario(tmp_path / "status_quo.toml")


def test_attribution_total_equals_the_compared_total_with_a_settlement_difference(tmp_path):
    # the plan differs from its base in a settlement rule as well as two measures: the rule is a term of its
    # own, so the base with every term is the plan, and with the same seeds the attributed total effect is the
    # paired total of compare to the last digit
    plan, base = _mega_open_plan(tmp_path)
    assert differences(plan, base) == ["land_rights_kept", "services_by_residence", "settlement.mega"]
    result = attribute(plan, base, seed=8, replications=2, agents=3_000)
    compared = compare([base, plan], seed=8, replications=2, agents=3_000)
    gap = compared.rates[1, :, -1, 2] - compared.rates[0, :, -1, 2]
    np.testing.assert_array_equal(result.total, gap)
    np.testing.assert_allclose(result.shapley.sum(axis=1), result.total, atol=1e-9)
    table = result.table().set_index("measure")
    assert table.loc["settlement.mega", "article"] == "scenario"
    # opening mega cities to every resident lets more convert: it narrows the gap
    assert table.loc["settlement.mega", "shapley"] < 0


def test_every_scenario_field_is_a_term_or_ignored_on_purpose():
    # a field added to Scenario later must be classified, or attribution could drop a difference silently
    fields = {f.name for f in dataclasses.fields(Scenario)}
    assert fields == set(TERM_FIELDS) | set(IGNORED_FIELDS) | {"start_year"}


def test_the_base_with_every_term_is_the_plan(tmp_path):
    plan, base = _mega_open_plan(tmp_path)
    plan = dataclasses.replace(plan, parameter_overrides={"nest_coef": 0.5},
                               parameters=plan.parameters.with_overrides({"nest_coef": 0.5}))
    terms = differences(plan, base)
    assert terms[-1] == "parameters.nest_coef"
    full = with_terms(base, plan, terms, plan.name)
    for f in TERM_FIELDS:
        assert getattr(full, f) == getattr(plan, f), f


def test_attribute_refuses_a_year_the_base_does_not_reach_and_a_start_year_difference(tmp_path, capsys):
    out = tmp_path / "never"
    code = main(["attribute", str(SCENARIOS / "plan_to_2035.toml"), "--base", str(SCENARIOS / "status_quo.toml"),
                 "--year", "2030", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "status_quo" in err and "2030" in err
    plan, base = _mega_open_plan(tmp_path)
    with pytest.raises(ValueError, match="run.start_year"):
        attribute(plan, dataclasses.replace(base, start_year=2015, end_year=2025), seed=1, replications=1,
                  agents=2_000)
    assert not out.exists()


def test_a_measure_the_base_has_and_the_plan_drops_is_a_term(tmp_path):
    # the base enables a measure the plan leaves out: the empty coalition must keep it (it is the base), and
    # the term removes it
    plan, base = _mega_open_plan(tmp_path)
    base = dataclasses.replace(base, policy_settings={"points_reform": {}})
    terms = differences(plan, base)
    assert "points_reform" in terms
    assert with_terms(base, plan, [], "empty").policy_settings == {"points_reform": {}}
    assert "points_reform" not in with_terms(base, plan, terms, "full").policy_settings


def test_five_or_more_scenarios_get_distinct_line_styles():
    from sim.plots import _style

    styles = {(s["linestyle"], s["marker"]) for s in map(_style, range(8))}
    assert len(styles) == 8
