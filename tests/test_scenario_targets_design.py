"""Targets a scenario declares, the probability every run reports, and the design search."""

import json

import pytest

from sim import design
from sim.cli import main
from sim.compare import run_grid
from sim.ensemble import replication_seeds
from sim.scenario import ScenarioError, load_scenario
from sim.scenario_targets import Target, parse_target_text
from tests.conftest import SCENARIOS


def _scenario(tmp_path, body, name="t"):
    (tmp_path / "status_quo.toml").write_text((SCENARIOS / "status_quo.toml").read_text())
    path = tmp_path / f"{name}.toml"
    path.write_text(f'extends = "status_quo.toml"\nname = "{name}"\n' + body)
    return path


def test_the_plan_declares_article_five_goals_as_numbers_with_reasons():
    targets = load_scenario(SCENARIOS / "plan.toml").targets
    assert [(t.quantity, t.op, t.year) for t in targets] == [
        ("resident_urbanization_pct", ">=", 2025), ("hukou_urbanization_pct", ">=", 2025), ("gap_pp", "<=", 2025)]
    # "clearly" above the 2020 start (45.4 %, gap 18.49 points): higher hukou rate, smaller gap
    assert targets[1].value > 45.4 and targets[2].value < 18.49
    assert all(t.reason for t in targets) and "明显" in targets[2].reason


@pytest.mark.parametrize("entry, key", [
    ('quantity = "gap_pp"\nop = "<="\nvalue = 17\nyear = 2025\nbogus = 1', "targets[0].bogus"),
    ('quantity = "gap"\nop = "<="\nvalue = 17\nyear = 2025', "targets[0].quantity"),
    ('quantity = "gap_pp"\nop = "=="\nvalue = 17\nyear = 2025', "targets[0].op"),
    ('quantity = "gap_pp"\nop = "<="\nvalue = "17"\nyear = 2025', "targets[0].value"),
    ('quantity = "gap_pp"\nop = "<="\nvalue = 17\nyear = 2030', "targets[0].year"),
    ('quantity = "gap_pp"\nop = "<="\nvalue = 17', "targets[0].year"),
])
def test_a_bad_target_names_its_key(tmp_path, entry, key):
    path = _scenario(tmp_path, f"\n[[targets]]\n{entry}\n")
    with pytest.raises(ScenarioError, match=rf"{key.replace('[', '.').replace(']', '.')}"):
        load_scenario(path)


def test_target_text():
    assert parse_target_text("gap_pp<=17.5@2025") == Target("gap_pp", "<=", 17.5, 2025, "command line")
    assert parse_target_text(" hukou_urbanization_pct >= 50 @ 2030").op == ">="
    for bad in ("gap<=17@2025", "gap_pp=17@2025", "gap_pp<=17", "gap_pp<=x@2025"):
        with pytest.raises(ValueError, match="QUANTITY OP VALUE@YEAR"):
            parse_target_text(bad)


def test_every_run_reports_the_probability_of_meeting_each_target(tmp_path, capsys):
    # a resident rate of at least 0 % is met by every run, a gap below -50 points by none
    path = _scenario(tmp_path, '\n[[targets]]\nquantity = "resident_urbanization_pct"\nop = ">="\nvalue = 0\n'
                               'year = 2023\nreason = "always"\n'
                               '\n[[targets]]\nquantity = "gap_pp"\nop = "<"\nvalue = -50\nyear = 2025\n')
    out = tmp_path / "run"
    assert main(["run", str(path), "--agents", "2000", "--replications", "2", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "target resident_urbanization_pct >= 0 % in 2023: probability 1.00 (2 of 2" in stdout
    assert "target gap_pp < -50 pp in 2025: probability 0.00 (0 of 2" in stdout
    assert "all 2 targets at once: probability 0.00" in stdout
    summary = json.loads((out / "summary.json").read_text())
    assert [t["probability"] for t in summary["targets"]] == [1.0, 0.0]
    assert len(summary["targets"][0]["values"]) == 2 and summary["targets_all_probability"] == 0.0
    # far from both thresholds, the model's own error changes neither probability
    assert [t["probability_with_model_error"] for t in summary["targets"]] == [1.0, 0.0]
    assert "| resident_urbanization_pct >= 0 % in 2023 | 1.00 | 1.00 | 2 of 2 |" in (out / "summary.md").read_text()


def test_design_finds_the_one_measure_that_narrows_the_gap(tmp_path):
    # of the two measures, opening cities under 3 million lets more residents convert (narrows the gap) and
    # services by residence make converting worth less (widens it; sim/policies.py, expected directions): a
    # target just below the gap without measures needs the first and never the second
    plan = load_scenario(_scenario(tmp_path, "[policies.settlement_open_small]\n[policies.services_by_residence]\n"))
    start = design.dataclasses.replace(plan, policy_settings={})
    (seed,) = replication_seeds(6, 1)
    gap = run_grid([start], [seed], 3_000, None)[0, 0, 5, 2]
    target = Target("gap_pp", "<=", float(gap) - 0.05, 2025)
    result = design.search(plan, [target], 1.0, seed=6, replications=1, agents=3_000)
    assert result.found is not None and [m for m, _ in result.found.chosen] == ["settlement_open_small"]
    assert result.found.probability == 1.0
    # the measure narrows the gap by about 0.2 point at full strength, four times the margin asked for: a
    # weaker measure suffices (step 4), and the one reported was run and met the target
    setting = result.found.chosen[0][1]
    assert "@" in setting and 0.0 < float(setting.split("@")[1]) < 1.0
    assert result.found.step == "strength"
    assert result.effects["services_by_residence"][1] < 0 < result.effects["settlement_open_small"][1]
    assert result.runs == len(result.evaluated)  # one replication: one run per evaluated set
    assert "strength" in design.summary_markdown("p", result, 3_000)
    again = design.search(plan, [target], 1.0, seed=6, replications=1, agents=3_000)
    assert again.table().equals(result.table())  # the same seed, the same search


def test_design_says_clearly_when_no_set_meets(tmp_path, capsys):
    path = _scenario(tmp_path, "[policies.land_rights_kept]\n")
    out = tmp_path / "d"
    assert main(["design", str(path), "--target", "gap_pp<=0@2025", "--agents", "2000", "--replications", "2",
                 "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "no set meets the targets with probability 0.80; best 0.00" in stdout and "runs" in stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["found"] is False and summary["probability"] == 0.0 and summary["runs"] > 0
    assert "No set of the plan's measures meets the targets" in (out / "summary.md").read_text()


def test_design_bad_target_and_unreachable_year_fail_in_one_line(tmp_path, capsys):
    for bad, word in (("gap<=1@2025", "--target"), ("gap_pp<=1@2030", "2030")):
        out = tmp_path / "never"
        assert main(["design", str(SCENARIOS / "plan.toml"), "--target", bad, "--out", str(out)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and word in err and not out.exists()
    for bad in ("0", "1.5", "half"):
        with pytest.raises(SystemExit) as info:
            main(["design", str(SCENARIOS / "plan.toml"), "--probability", bad, "--out", str(tmp_path / "never")])
        assert info.value.code == 2 and "--probability" in capsys.readouterr().err
