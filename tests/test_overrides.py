"""``--set KEY=VALUE`` and ``sim.with_overrides``: dotted keys laid over a scenario and checked like a file."""

from __future__ import annotations

import json
import logging

import pytest

from sim import cli
from sim.calibration import FITTED, apply_calibration, load_calibration
from sim.overrides import parse_assignment, with_overrides
from sim.scenario import RULE_DEFAULTS, ScenarioError, load_scenario
from tests.conftest import SCENARIOS

STATUS_QUO = SCENARIOS / "status_quo.toml"
PLAN = SCENARIOS / "plan.toml"


@pytest.fixture(scope="module")
def status_quo_file():
    return load_scenario(STATUS_QUO)


@pytest.mark.parametrize("text, expected", [
    ("parameters.settle_land_coef=-0.5", ("parameters.settle_land_coef", -0.5)),
    ("run.end_year=2030", ("run.end_year", 2030)),
    ('settlement.mega.kind="open"', ("settlement.mega.kind", "open")),
    ("settlement.mega.kind=open", ("settlement.mega.kind", "open")),  # the shell removed the quotes
    ("policies.points_reform.enabled=false", ("policies.points_reform.enabled", False)),
    (" parameters.wage_coef = 2 ", ("parameters.wage_coef", 2)),
])
def test_assignment_value_is_read_as_toml(text, expected):
    assert parse_assignment(text) == expected


@pytest.mark.parametrize("text", ["parameters.wage_coef", "=1", "extends=plan.toml", "parameters..x=1", "nope.x=1"])
def test_assignment_without_a_scenario_key_is_refused(text):
    with pytest.raises(ValueError):
        parse_assignment(text)


def test_parameter_override_is_kept_over_the_calibration(status_quo_file):
    # a value the file sets is never replaced by the calibration's fit; an override is such a value
    changed = with_overrides(status_quo_file, {"parameters.leave_intercept": -6.0})
    assert apply_calibration(changed, load_calibration()).parameters["leave_intercept"] == -6.0
    assert status_quo_file.parameters["leave_intercept"] != -6.0  # the original is untouched


def test_new_rule_kind_replaces_the_rule_whole(status_quo_file):
    assert status_quo_file.rules["mega"].kind == "points"
    opened = with_overrides(status_quo_file, {"settlement.mega.kind": "open"})
    assert opened.rules["mega"].kind == "open"
    assert opened.rules["mega"].threshold == RULE_DEFAULTS["threshold"]  # not the points threshold inherited


def test_setting_a_measure_strength_enables_it(status_quo_file):
    assert "settlement_open_small" not in status_quo_file.policy_settings
    changed = with_overrides(status_quo_file, {"policies.settlement_open_small.strength": 0.5})
    assert changed.policy_settings["settlement_open_small"] == {"strength": 0.5}


@pytest.mark.parametrize("key, value, blamed", [
    ("parameters.nope", 1, "parameters.nope"),
    ("parameters.settle_land_coef", 1.0, "parameters.settle_land_coef"),  # the range is [-5, 0]
    ("policies.not_a_measure.strength", 0.5, "policies.not_a_measure"),
    ("settlement.mega.min_residence_years", 2, "settlement.mega.min_residence_years"),  # unused by points
])
def test_a_bad_override_names_the_option_and_the_key(status_quo_file, key, value, blamed):
    with pytest.raises(ScenarioError) as err:
        with_overrides(status_quo_file, {key: value}, source="command line", option="--set")
    assert str(err.value).startswith(f"command line: --set {blamed}: expected ")


def _main(capsys, *argv):
    status = cli.main([*argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_command_line_refuses_a_bad_key_in_one_line_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "r"
    status, _, err = _main(capsys, "run", str(STATUS_QUO), "--out", str(out), "--agents", "2000",
                           "--set", "parameters.settle_land_coeff=-0.5")
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("error: command line: --set parameters.settle_land_coeff: ")
    assert not out.exists()
    with pytest.raises(SystemExit) as usage:  # a usage error: argparse exits
        cli.main(["run", str(STATUS_QUO), "--set", "settle_land_coef"])
    err = capsys.readouterr().err
    assert usage.value.code == 2 and "argument --set: expected KEY=VALUE" in err and err.count("\n") == 1


def test_run_records_overrides_and_reproduce_applies_them(tmp_path, capsys):
    common = ("--agents", "5000", "--replications", "2", "--workers", "1")
    base, changed = tmp_path / "base", tmp_path / "changed"
    assert _main(capsys, "run", str(STATUS_QUO), "--out", str(base), *common)[0] == 0
    status, _, err = _main(capsys, "run", str(STATUS_QUO), "--out", str(changed), *common,
                           "--set", "parameters.settle_land_coef=-0.5", "--set", "parameters.leave_intercept=-6.2")
    assert status == 0
    summary = json.loads((changed / "summary.json").read_text(encoding="utf-8"))
    assert summary["provenance"]["overrides"] == {"parameters.settle_land_coef": -0.5,
                                                  "parameters.leave_intercept": -6.2}
    for parameters in summary["parameters_by_seed"].values():  # every replication keeps the values set
        assert parameters["settle_land_coef"] == -0.5 and parameters["leave_intercept"] == -6.2
    # one warning line each: a parameter the calibration fits, one it was fitted under
    assert "leave_intercept" in FITTED and "settle_land_coef" not in FITTED
    lines = [line for line in err.splitlines() if line.startswith("warning: --set")]
    assert len(lines) == 2
    assert "parameters.leave_intercept replaces the value the calibration fitted" in lines[1]
    assert "parameters.settle_land_coef: the calibration" in lines[0]
    # a smaller land deterrent to converting: more conversions, a higher hukou rate (common random numbers)
    hukou = [json.loads((f / "summary.json").read_text())["final_year"]["hukou_urbanization_pct"]
             for f in (base, changed)]
    assert hukou[1] > hukou[0]
    status, out, _ = _main(capsys, "reproduce", str(changed / "summary.json"), "--workers", "1")
    assert status == 0 and "byte-identical" in out


def test_no_calibration_warning_when_uncalibrated(tmp_path, capsys):
    status, _, err = _main(capsys, "run", str(STATUS_QUO), "--out", str(tmp_path / "r"), "--agents", "2000",
                           "--uncalibrated", "--set", "parameters.leave_intercept=-6.2")
    assert status == 0 and "calibration" not in err


def test_api_override_warns_through_logging(status_quo_file, caplog):
    import sim

    with caplog.at_level(logging.WARNING, logger="sim.overrides"):
        sim.with_overrides(status_quo_file, {"parameters.settle_intercept": -3.0})
    assert [r.name for r in caplog.records] == ["sim.overrides"]
    assert "replaces the value the calibration fitted" in caplog.records[0].getMessage()


def test_compare_applies_the_overrides_to_every_scenario(tmp_path, capsys):
    out = tmp_path / "c"
    status, _, _ = _main(capsys, "compare", str(STATUS_QUO), str(PLAN), "--agents", "2000", "--replications", "2",
                         "--workers", "1", "--out", str(out), "--set", "parameters.settle_land_coef=-0.5")
    assert status == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [s["resolved"]["parameters"] for s in summary["scenarios"]] == [{"settle_land_coef": -0.5}] * 2
    assert summary["provenance"]["overrides"] == {"parameters.settle_land_coef": -0.5}
