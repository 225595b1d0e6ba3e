"""Shared fixtures: small models of the shipped scenarios, built once per session."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.calibration import apply_calibration, load_calibration
from sim.model import UrbanizationModel
from sim.scenario import load_scenario

PROJECT = Path(__file__).resolve().parent.parent
SCENARIOS = PROJECT / "scenarios"
SMALL_AGENTS = 20_000
PROGRESS_LINE = re.compile(r"^.+: \d+/\d+ runs \(\d+ %\), \d+ s\n", re.M)  # sim.progress.ProgressLines


def without_progress(err: str) -> str:
    """Standard error without the progress lines a command prints when it is not on a terminal."""
    return PROGRESS_LINE.sub("", err)


def calibrated_scenario(path):
    """A scenario file with the committed calibration's best fit applied, as the command line runs it."""
    return apply_calibration(load_scenario(path), load_calibration())


def shifted_calibration_text(delta: float = -1.0) -> str:
    """The committed calibration file with its best ``settle_intercept`` moved by ``delta`` logit (another,
    valid calibration file that changes a run). Lowered by default: the committed best (-2.33) sits less than one
    logit below the top of the searched range (-4.5 to -1.5), more than two above its bottom."""
    from sim.calibration import CALIBRATION_FILE

    text = CALIBRATION_FILE.read_text()
    changed = re.sub(r"(\[best\][^\[]*?settle_intercept = )([-0-9.e]+)",
                     lambda m: f"{m.group(1)}{float(m.group(2)) + delta!r}", text, count=1)
    assert changed != text
    return changed


@pytest.fixture(scope="session")
def status_quo():
    return calibrated_scenario(SCENARIOS / "status_quo.toml")


@pytest.fixture(scope="session")
def plan():
    return calibrated_scenario(SCENARIOS / "plan.toml")


@pytest.fixture(scope="session")
def small_run(status_quo):
    """A status-quo model at 20,000 agents run to 2025, and its time series."""
    model = UrbanizationModel(status_quo, agents=SMALL_AGENTS, seed=7)
    return model, model.run()


@pytest.fixture
def fresh_model(status_quo):
    return UrbanizationModel(status_quo, agents=SMALL_AGENTS, seed=11)


# ---------------------------------------------------------------- test tiers
# `make test-fast` runs everything not marked slow (under a minute, for the edit
# loop); `make test` runs all. Slow: whole-model statistical tests over every
# policy, subprocesses, signals, process pools, Dask clusters, calibration and
# benchmarks. Marked here, in one place, by module or by test name.
SLOW_MODULES = {"test_policy_effects.py", "test_robustness.py", "test_bench.py", "test_calibration.py",
                "test_dashboard_browser.py"}  # a dashboard server and headless Chromium
SLOW_TESTS = {
    "test_sampled_shapley_values_sum_to_total_effect", "test_exact_shapley_values_sum_to_total_effect",
    "test_scenario_compared_with_itself_differs_by_exactly_zero", "test_run_sim_script_subprocess",
    "test_run_sim_script_scenario_error", "test_attribute_writes_table_figure_and_summary",
    "test_compare_writes_table_figure_and_summary", "test_replications_add_bands",
    "test_backtest_command_writes_every_table_and_forecasts_only_after_each_window",
    "test_script_writes_every_file_for_two_seeds",  # tests/test_backtest_seeds.py: two tiny backtests
    "test_hindcasts_at_the_defaults_are_no_worse_than_the_best_naive_forecast",  # the whole backtest, 2-4 min
    "test_attack_process",  # tests/test_attacks.py: subprocesses, signals, pools, calibration
    # tests/test_compare_any_year.py: several scenarios over replications, or to 2035
    "test_years_after_the_reported_one_change_nothing_before_it",
    "test_compare_in_2030_writes_every_replication_and_its_paired_difference",
    "test_attribution_total_equals_the_compared_total_with_a_settlement_difference",
    "test_design_finds_the_one_measure_that_narrows_the_gap",  # tests/test_scenario_targets_design.py: two searches
    "test_run_records_overrides_and_reproduce_applies_them", "test_progress_lines_in_a_pipe_subprocess",
    "test_walkthrough_answers_and_saves_its_figure",  # the whole plan attributed, about a minute
    "test_a_pool_hands_each_result_over_as_it_comes",  # a process pool
    "test_run_medians_are_the_commands", "test_compare_applies_the_overrides_to_every_scenario",
    # whole commands end to end, about 2-6 s each (the fast tier keeps their unit-level tests)
    "test_attack",  # tests/test_attacks.py: every attack runs the command line on real folders
    "test_compare_and_attribute_record_the_manifest", "test_sensitivity_writes_the_manifest",
    "test_piped_run_prints_progress_lines_and_quiet_silences_them",
    "test_existing_folder_needs_force_and_force_replaces_only_our_folders", "test_run_writes_its_files",
    "test_run_applies_the_committed_calibration_by_default", "test_calibrate_writes_a_valid_file_and_the_manifest",
    "test_plot_writes_the_format_its_name_asks_for", "test_results_are_readable_as_the_umask_allows",
    "test_every_run_reports_the_probability_of_meeting_each_target", "test_a_banded_run_writes_the_model_error_band",
    "test_default_results_folder", "test_another_calibration_file_changes_the_run", "test_seed_changes_the_run",
    "test_no_calibration_warning_when_uncalibrated",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in SLOW_MODULES or item.originalname in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
