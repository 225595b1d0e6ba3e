"""The experiments layer through the command line: calibration options and the provenance manifest."""

from __future__ import annotations

import hashlib
import json
import re

import pandas as pd
import pytest

from sim.calibration import CALIBRATION_FILE, FITTED, load_calibration
from sim.cli import main
from sim.output import MARKER
from sim.parameters import PARAMETERS
from sim.sensitivity import RANGES
from tests.conftest import SCENARIOS, shifted_calibration_text

STATUS_QUO = SCENARIOS / "status_quo.toml"
MANIFEST_KEYS = {"command_line", "package_versions", "git_commit", "seeds", "scenarios", "overrides", "calibration",
                 "wall_time_seconds"}


def _summary(folder):
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def _check_manifest(manifest, command, seeds, calibration_sha):
    assert set(manifest) == MANIFEST_KEYS
    assert manifest["command_line"].startswith(f"run_sim.py {command} ")
    assert manifest["seeds"] == seeds
    assert manifest["package_versions"]["numpy"]
    assert manifest["wall_time_seconds"] >= 0
    if calibration_sha is None:
        assert manifest["calibration"] is None
    else:
        assert manifest["calibration"]["sha256"] == calibration_sha


@pytest.fixture(scope="module")
def default_and_uncalibrated(tmp_path_factory):
    base = tmp_path_factory.mktemp("cal")
    default, uncalibrated = base / "default", base / "uncalibrated"
    assert main(["run", str(STATUS_QUO), "--agents", "3000", "--out", str(default)]) == 0
    assert main(["run", str(STATUS_QUO), "--agents", "3000", "--uncalibrated", "--out", str(uncalibrated)]) == 0
    return default, uncalibrated


def test_run_applies_the_committed_calibration_by_default(default_and_uncalibrated, tmp_path):
    default, _ = default_and_uncalibrated
    summary = _summary(default)
    committed = load_calibration()
    assert summary["calibration_file_sha256"] == committed.sha256
    for name, value in committed.best.items():
        assert summary["parameters"][name] == value
    _check_manifest(summary["provenance"], "run", [20200], committed.sha256)
    assert summary["provenance"]["calibration"]["file"] == "sim/data/calibration.toml"
    assert summary["provenance"]["scenarios"] == [
        {"name": "status_quo", "file": str(STATUS_QUO), "sha256": hashlib.sha256(STATUS_QUO.read_bytes()).hexdigest()}]
    # the same file named explicitly gives the same bytes
    explicit = tmp_path / "explicit"
    assert main(["run", str(STATUS_QUO), "--agents", "3000", "--calibration", str(CALIBRATION_FILE),
                 "--out", str(explicit)]) == 0
    assert (explicit / "timeseries.csv").read_bytes() == (default / "timeseries.csv").read_bytes()


def test_uncalibrated_runs_the_defaults(default_and_uncalibrated):
    default, uncalibrated = default_and_uncalibrated
    summary = _summary(uncalibrated)
    assert summary["calibration_file_sha256"] is None and summary["provenance"]["calibration"] is None
    assert summary["parameters"] == {name: spec.default for name, spec in PARAMETERS.items()}
    assert (uncalibrated / "timeseries.csv").read_bytes() != (default / "timeseries.csv").read_bytes()


def test_another_calibration_file_changes_the_run(default_and_uncalibrated, tmp_path):
    default, _ = default_and_uncalibrated
    other = tmp_path / "other.toml"
    other.write_text(shifted_calibration_text())  # the best fit's settle_intercept, one logit lower
    out = tmp_path / "other"
    assert main(["run", str(STATUS_QUO), "--agents", "3000", "--calibration", str(other), "--out", str(out)]) == 0
    summary = _summary(out)
    assert summary["parameters"]["settle_intercept"] == load_calibration(other).best["settle_intercept"]
    assert summary["provenance"]["calibration"] == {"file": str(other), "sha256": load_calibration(other).sha256}
    assert (out / "timeseries.csv").read_bytes() != (default / "timeseries.csv").read_bytes()


def _in_accepted(edit):
    """Apply ``edit`` to the [[accepted]] part of the file only."""
    def apply(text):
        head, _, rest = text.partition("[[accepted]]")
        return head + "[[accepted]]" + edit(rest)
    return apply


BAD_CALIBRATIONS = {
    "unknown_key": (lambda t: t.replace("[best]\n", "[best]\nbogus = 1.0\n"), "best.bogus"),
    "unknown_table": (lambda t: t + "\n[extra]\na = 1\n", "extra"),
    "missing_parameter": (lambda t: re.sub(r"\[best\]\nleave_intercept = [-0-9.e]+\n", "[best]\n", t),
                          "best.leave_intercept"),
    "out_of_range": (lambda t: re.sub(r"settle_intercept = [-0-9.e]+", "settle_intercept = -9.3", t, count=1),
                     "best.settle_intercept"),
    "accepted_out_of_range": (_in_accepted(lambda t: re.sub(r"reclassification_pace = [-0-9.e]+",
                                                            "reclassification_pace = 99.0", t, count=1)),
                              "accepted[0].reclassification_pace"),
    "not_a_number": (lambda t: re.sub(r"leave_age_slope = [-0-9.e]+", 'leave_age_slope = "steep"', t, count=1),
                     "best.leave_age_slope"),
    "invalid_toml": (lambda t: t + "\n[best\n", "valid TOML"),
}


@pytest.mark.parametrize("case", sorted(BAD_CALIBRATIONS))
@pytest.mark.parametrize("command", ["run", "compare", "sensitivity"])
def test_bad_calibration_file_is_one_line_exit_2_nothing_written(case, command, tmp_path, capsys):
    edit, key = BAD_CALIBRATIONS[case]
    bad = tmp_path / f"{case}.toml"
    bad.write_text(edit(CALIBRATION_FILE.read_text()))
    out = tmp_path / "never"
    args = {"run": ["run", str(STATUS_QUO)], "compare": ["compare", str(STATUS_QUO), str(STATUS_QUO)],
            "sensitivity": ["sensitivity", str(STATUS_QUO)]}[command]
    assert main([*args, "--agents", "2000", "--calibration", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(bad) in err and key in err and "expected" in err
    assert not out.exists()


def test_missing_calibration_file_is_bad_input_unless_uncalibrated(tmp_path, capsys):
    missing = tmp_path / "nowhere.toml"
    out = tmp_path / "never"
    assert main(["run", str(STATUS_QUO), "--agents", "2000", "--calibration", str(missing), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(missing) in err and "--uncalibrated" in err
    assert not out.exists()
    with pytest.raises(SystemExit) as info:  # asking for both is a usage error
        main(["run", str(STATUS_QUO), "--calibration", str(missing), "--uncalibrated", "--out", str(out)])
    assert info.value.code == 2 and "not allowed with" in capsys.readouterr().err


def test_compare_and_attribute_record_the_manifest(tmp_path):
    cmp_out, att_out = tmp_path / "cmp", tmp_path / "att"
    assert main(["compare", str(STATUS_QUO), str(SCENARIOS / "plan.toml"), "--replications", "2",
                 "--agents", "2000", "--out", str(cmp_out)]) == 0
    summary = _summary(cmp_out)
    _check_manifest(summary["provenance"], "compare", summary["replication_seeds"], load_calibration().sha256)
    assert [s["name"] for s in summary["provenance"]["scenarios"]] == ["status_quo", "plan"]
    (tmp_path / "status_quo.toml").write_text(STATUS_QUO.read_text())
    plan = tmp_path / "one.toml"
    plan.write_text('extends = "status_quo.toml"\nname = "one"\n[policies.points_reform]\n')
    assert main(["attribute", str(plan), "--replications", "2", "--agents", "2000", "--uncalibrated",
                 "--out", str(att_out)]) == 0
    summary = _summary(att_out)
    _check_manifest(summary["provenance"], "attribute", summary["replication_seeds"], None)
    assert [s["name"] for s in summary["provenance"]["scenarios"]] == ["one", "status_quo"]


def test_sensitivity_writes_the_manifest(tmp_path):
    out = tmp_path / "sens"
    assert main(["sensitivity", str(STATUS_QUO), "--samples", "2", "--agents", "2000", "--workers", "1",
                 "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "indices.csv", "indices.png", "summary.json",
                                                     "summary.md"]
    summary = _summary(out)
    _check_manifest(summary["provenance"], "sensitivity", [1], load_calibration().sha256)
    assert summary["runs"] == 2 * (len(RANGES) + 1)
    assert set(pd.read_csv(out / "indices.csv")["parameter"]) == set(RANGES)


def test_calibrate_writes_a_valid_file_and_the_manifest(tmp_path):
    out, written = tmp_path / "calib", tmp_path / "calibration.toml"
    assert main(["calibrate", "--budget", "2", "--agents", "2000", "--workers", "1", "--out", str(out),
                 "--calibration-file", str(written)]) == 0
    calibration = load_calibration(written)  # what calibrate writes passes the validation
    assert set(calibration.best) == set(FITTED)
    summary = _summary(out)
    _check_manifest(summary["provenance"], "calibrate", summary["provenance"]["seeds"], None)
    assert summary["provenance"]["scenarios"][0]["file"] == "scenarios/history_2015.toml"
    assert summary["best"] == pytest.approx(calibration.best)
    # and a run can use it
    run_out = tmp_path / "run"
    assert main(["run", str(STATUS_QUO), "--agents", "2000", "--calibration", str(written),
                 "--out", str(run_out)]) == 0
    assert _summary(run_out)["calibration_file_sha256"] == calibration.sha256
