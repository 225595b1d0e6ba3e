"""The dashboard's logic without a browser: controls to scenario, the runs, the figures' points, the command."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from sim import cli, dashboard_server
from sim.breakdown import CAUSES
from sim.cities import SIZE_CLASSES
from sim.dashboard_model import (CHOSEN, STATUS_QUO, DashboardModel, choice_from_scenario, scenario_for,
                                 series_name, status_quo_run)
from sim.model import UrbanizationModel
from sim.policies import PLAN_ISSUED, REGISTRY
from sim.scenario import ScenarioError, load_scenario
from tests.conftest import SCENARIOS, calibrated_scenario

AGENTS = 5_000
PLAN = SCENARIOS / "plan.toml"


@pytest.fixture(scope="module")
def plan_file():
    return load_scenario(PLAN)


def test_controls_start_where_the_file_puts_them(plan_file):
    # plan.toml enables all 24 measures with their defaults: full strength from the plan's issue date
    choice = choice_from_scenario(plan_file, AGENTS)
    assert [name for name, _ in choice.measures] == list(REGISTRY)
    assert choice.enabled == tuple(REGISTRY)
    assert {s.strength for _, s in choice.measures} == {1.0}
    assert {s.start for _, s in choice.measures} == {PLAN_ISSUED}
    # status_quo.toml enables none
    assert choice_from_scenario(load_scenario(SCENARIOS / "status_quo.toml")).enabled == ()


def test_scenario_follows_the_controls(plan_file):
    choice = (choice_from_scenario(plan_file, AGENTS)
              .with_measure("settlement_open_small", enabled=False)
              .with_measure("points_reform", strength=0.5, start=2024.0))
    scenario = scenario_for(plan_file, choice)
    assert "settlement_open_small" not in scenario.policy_settings
    assert len(scenario.policy_settings) == len(REGISTRY) - 1
    assert scenario.policy_settings["points_reform"]["strength"] == 0.5
    assert scenario.policy_settings["points_reform"]["start"] == 2024.0
    with pytest.raises(KeyError):
        choice.with_measure("no_such_measure", enabled=True)


def test_a_control_out_of_range_is_refused_like_a_file(plan_file):
    choice = choice_from_scenario(plan_file, AGENTS).with_measure("points_reform", strength=1.5)
    with pytest.raises(ScenarioError, match=r"policies\.points_reform\.strength"):
        scenario_for(plan_file, choice)


def test_every_measure_off_is_the_status_quo_file(plan_file):
    # plan.toml extends status_quo.toml and adds only measures: with none, the same run to the byte
    none = scenario_for(plan_file, choice_from_scenario(plan_file, AGENTS).none())
    status_quo = calibrated_scenario(SCENARIOS / "status_quo.toml")
    a = UrbanizationModel(none, seed=3, agents=AGENTS).run()
    b = UrbanizationModel(status_quo, seed=3, agents=AGENTS).run()
    pd.testing.assert_frame_equal(a, b)


@pytest.fixture(scope="module")
def dashboard_run():
    return DashboardModel(str(PLAN), agents=AGENTS).run_to_end()


def test_dashboard_model_runs_every_year_and_collects_both_curves(dashboard_run):
    curves = dashboard_run.curves()
    assert list(curves.index) == list(range(2020, 2026))
    assert set(curves.columns) == {series_name(r, run) for r in ("resident", "hukou", "gap")
                                   for run in (CHOSEN, STATUS_QUO)}
    # the start is the 2020 census state whatever the measures, to within one agent
    # (5,000 agents for 771 million rural-hukou people: 0.011 point of 1.41 billion each)
    start = curves.loc[2020]
    for run in (CHOSEN, STATUS_QUO):
        assert start[series_name("resident", run)] == pytest.approx(63.89, abs=0.02)
        assert start[series_name("hukou", run)] == pytest.approx(45.40, abs=0.02)
    # the status quo curves are the cached status-quo run's
    cached = status_quo_run(str(PLAN), AGENTS, dashboard_run.base.seed).rates
    np.testing.assert_array_equal(curves[series_name("gap", STATUS_QUO)].to_numpy(),
                                  cached.loc[2020:2025, "gap_pp"].to_numpy())
    # past the end year a step does nothing
    dashboard_run.step()
    assert dashboard_run.year == 2025 and not dashboard_run.running
    assert len(dashboard_run.curves()) == 6


def test_with_no_measure_the_chosen_curves_are_the_status_quo(plan_file):
    # same scenario, same seed, common random numbers: identical to the last digit
    model = DashboardModel(str(PLAN), choice=choice_from_scenario(plan_file, AGENTS).none()).run_to_end()
    curves = model.curves()
    for rate in ("resident", "hukou", "gap"):
        np.testing.assert_array_equal(curves[series_name(rate, CHOSEN)], curves[series_name(rate, STATUS_QUO)])


def test_city_classes_partition_the_gap_in_persons(dashboard_run):
    # every rural-hukou town resident lives in a town of exactly one size class (sim.breakdown's rows)
    classes = dashboard_run.city_classes()
    assert list(classes.index) == list(SIZE_CLASSES)
    chosen_2025 = dashboard_run.run_model.records[-1]
    assert classes[CHOSEN].sum() == pytest.approx(chosen_2025["rural_hukou_in_cities"])
    status_quo_2025 = status_quo_run(str(PLAN), AGENTS, dashboard_run.base.seed).rates.loc[2025]
    assert classes[STATUS_QUO].sum() == pytest.approx(status_quo_2025["rural_hukou_in_cities"])


def test_causes_partition_the_gap_and_the_converted_are_the_settlements(dashboard_run):
    # sim.breakdown: every rural-hukou town resident has one cause; "converted" are the year's settlements
    causes = dashboard_run.causes()
    assert list(causes.index) == [c.name for c in CAUSES]
    records = {CHOSEN: dashboard_run.run_model.records[-1],
               STATUS_QUO: status_quo_run(str(PLAN), AGENTS, dashboard_run.base.seed).rates.loc[2025]}
    for run, year in records.items():
        in_gap = causes[run].drop("converted_this_year").sum()
        assert in_gap == pytest.approx(year["rural_hukou_in_cities"])
        assert causes.loc["converted_this_year", run] == pytest.approx(year["settlements_in_year"])
    # the start year has no causes (nobody has decided yet)
    assert len(DashboardModel(str(PLAN), agents=AGENTS).causes()) == 0


def test_official_points_are_drawn_to_2020_only_and_steps_read_as_years(dashboard_run):
    pytest.importorskip("altair")
    from sim.dashboard_figures import as_mesa_draws, measure_colors, rates_post_process

    collected = dashboard_run.datacollector.get_model_vars_dataframe()
    spec = rates_post_process(2020)(as_mesa_draws(collected, measure_colors("resident", "hukou"))).to_dict()
    lines, *official = spec["layer"]
    datasets = spec["datasets"]
    # one layer of official points per rate, the last at step 0 (2020, the last official year)
    assert [datasets[layer["data"]["name"]][0]["Measure"] for layer in official] == ["resident, official",
                                                                                     "hukou, official"]
    assert all(max(row["Step"] for row in datasets[layer["data"]["name"]]) == 0 for layer in official)
    # the steps' axis reads as years; the status quo's curves dashed, the chosen ones solid
    assert lines["encoding"]["x"]["axis"]["labelExpr"] == "datum.value + 2020"
    dash = lines["encoding"]["strokeDash"]["scale"]
    dashed = {m for m, d in zip(dash["domain"], dash["range"]) if d[1] > 0}
    assert dashed == {series_name("resident", STATUS_QUO), series_name("hukou", STATUS_QUO)}
    # the curves are the collected ones, six years each
    curves = datasets[lines["data"]["name"]]
    assert len(curves) == 4 * 6


def test_dashboard_command_without_the_viz_extra_says_how_to_install_it(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "solara" else real(name, *a))
    assert cli.main(["dashboard"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ['error: the dashboard needs the viz extra: pip install -e ".[viz]"']


@pytest.mark.parametrize("argv, words", [
    (["dashboard", "no_such_scenario.toml"], "no_such_scenario.toml"),
    (["dashboard", "--port", "70000"], "--port"),
    (["dashboard", "--agents", "many"], "--agents"),
])
def test_dashboard_command_refuses_bad_input_in_one_line(argv, words, capsys, monkeypatch):
    monkeypatch.setattr(dashboard_server.subprocess, "call", lambda *a, **k: pytest.fail("server started"))
    try:
        status = cli.main(argv)
    except SystemExit as exit_:  # argparse's usage errors
        status = exit_.code
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0]


def test_the_vega_bundles_shipped_are_served_under_the_names_the_chart_widget_asks_for(tmp_path):
    # solara-assets ships exact versions; Solara's chart widget asks for vega@5, vega-lite@5, vega-embed@6
    for shipped in ("vega@5.9.0", "vega@5.21.0", "vega-lite@5.2.0", "vega-lite@4.17.0"):
        (tmp_path / shipped / "build").mkdir(parents=True)
    dashboard_server.offline_vega(tmp_path)
    assert (tmp_path / "vega@5").resolve() == (tmp_path / "vega@5.21.0").resolve()  # the newest by number
    assert (tmp_path / "vega-lite@5").resolve() == (tmp_path / "vega-lite@5.2.0").resolve()  # its major only
    assert not (tmp_path / "vega-embed@6").exists()  # none shipped: the proxy fetches it, as before
    dashboard_server.offline_vega(tmp_path)  # a second server start finds the links made
    assert (tmp_path / "vega@5" / "build").is_dir()
