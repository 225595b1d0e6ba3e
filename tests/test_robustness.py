"""Interruption, write failures, failing replications, reproduction."""

from __future__ import annotations

import errno
import json
import signal
import subprocess
import sys

import pandas as pd
import pytest

from sim import ensemble, output, runs
from sim.cli import main
from tests.conftest import PROJECT, SCENARIOS, shifted_calibration_text, without_progress

STATUS_QUO = SCENARIOS / "status_quo.toml"


def _leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.startswith((".tmp-", ".old-", ".lock-"))]


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_signal_mid_run_leaves_nothing_and_stops_workers(tmp_path, sig, code):
    from tests.test_attacks import DEADLINE, descendants, running, wait_for, workers_of

    out = tmp_path / f"interrupted-{code}"
    proc = subprocess.Popen(
        [sys.executable, "run_sim.py", "run", str(SCENARIOS / "plan_to_2035.toml"), "--agents", "1000000",
         "--replications", "6", "--workers", "2", "--out", str(out)],
        cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # replications running in the workers: waited for, not assumed after a fixed time (a loaded machine is slow)
    wait_for(lambda: len(workers_of(proc.pid)) >= 2 or proc.poll() is not None, "two workers")
    assert proc.poll() is None, proc.communicate()
    helpers = descendants(proc.pid)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=DEADLINE)
    assert proc.returncode == code, err
    assert "no results written" in err and without_progress(err).count("\n") == 1, err
    assert not out.exists()
    assert _leftovers(tmp_path) == []
    wait_for(lambda: not any(running(p) for p in helpers), "the workers to stop", 60)


def test_write_failure_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    def disk_full(path, frame):
        path.write_text("partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(output, "write_timeseries", disk_full)
    out = tmp_path / "full"
    code = main(["run", str(STATUS_QUO), "--agents", "3000", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "No space left on device" in err
    assert not out.exists() and _leftovers(tmp_path) == []


def test_forced_replacement_failing_keeps_old_results(tmp_path, monkeypatch):
    out = tmp_path / "kept"
    assert main(["run", str(STATUS_QUO), "--agents", "3000", "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr(output, "write_json", lambda *a: (_ for _ in ()).throw(OSError(errno.EACCES, "denied")))
    assert main(["run", str(STATUS_QUO), "--agents", "3000", "--seed", "5", "--out", str(out), "--force"]) == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert _leftovers(tmp_path) == []


def _fail_on_second_seed(monkeypatch):
    real = runs.execute
    bad = ensemble.replication_seeds(20200, 3)[1]

    def flaky(spec, probe=None):
        if spec.seed == bad:
            raise FloatingPointError("injected failure")
        return real(spec, probe)

    monkeypatch.setattr(runs, "execute", flaky)
    return bad


def test_failing_replication_fails_cleanly(tmp_path, monkeypatch, capsys):
    bad = _fail_on_second_seed(monkeypatch)
    out = tmp_path / "failed"
    code = main(["run", str(STATUS_QUO), "--agents", "3000", "--replications", "3", "--workers", "1",
                 "--out", str(out)])
    assert code == 1
    assert f"seed {bad}" in capsys.readouterr().err
    assert not out.exists() and _leftovers(tmp_path) == []


def test_keep_going_reports_missing_replications(tmp_path, monkeypatch, capsys):
    bad = _fail_on_second_seed(monkeypatch)
    out = tmp_path / "partial"
    code = main(["run", str(STATUS_QUO), "--agents", "3000", "--replications", "3", "--workers", "1",
                 "--keep-going", "--out", str(out)])
    assert code == 0
    assert f"seed {bad}" in capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert [f["seed"] for f in summary["failed_replications"]] == [bad]
    assert "injected failure" in summary["failed_replications"][0]["error"]
    assert "gap_pp_p90" in pd.read_csv(out / "timeseries.csv").columns


def test_serial_and_pool_give_identical_bytes(tmp_path):
    serial, pool = tmp_path / "serial", tmp_path / "pool"
    for folder, workers in ((serial, "1"), (pool, "2")):
        assert main(["run", str(STATUS_QUO), "--agents", "3000", "--replications", "3", "--workers", workers,
                     "--out", str(folder)]) == 0
    assert (serial / "timeseries.csv").read_bytes() == (pool / "timeseries.csv").read_bytes()


def test_reproduce_matches_and_detects_tampering(tmp_path, capsys):
    out = tmp_path / "orig"
    assert main(["run", str(SCENARIOS / "plan.toml"), "--agents", "3000", "--replications", "2",
                 "--out", str(out)]) == 0
    assert main(["reproduce", str(out / "summary.json")]) == 0
    assert "reproduced" in capsys.readouterr().out
    table = pd.read_csv(out / "timeseries.csv")
    table.loc[3, "gap_pp"] += 0.01
    output.write_timeseries(out / "timeseries.csv", table)
    assert main(["reproduce", str(out / "summary.json")]) == 1
    assert "NOT reproduced" in capsys.readouterr().out


def test_reproduce_rejects_a_file_that_is_not_a_summary(tmp_path, capsys):
    bogus = tmp_path / "summary.json"
    bogus.write_text("{}")
    assert main(["reproduce", str(bogus)]) == 2
    assert "expected a summary.json" in capsys.readouterr().err


def test_dask_cluster_gives_the_same_bytes_as_the_local_pool(tmp_path):
    distributed = pytest.importorskip("distributed")
    local = tmp_path / "local"
    assert main(["run", str(STATUS_QUO), "--agents", "3000", "--replications", "3", "--out", str(local)]) == 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        on_dask = tmp_path / "dask"
        assert main(["run", str(STATUS_QUO), "--agents", "3000", "--replications", "3",
                     "--scheduler", cluster.scheduler_address, "--out", str(on_dask)]) == 0
    assert (local / "timeseries.csv").read_bytes() == (on_dask / "timeseries.csv").read_bytes()


def test_unreachable_scheduler_is_bad_input(tmp_path, capsys):
    pytest.importorskip("distributed")
    out = tmp_path / "nowhere"
    code = main(["run", str(STATUS_QUO), "--agents", "3000", "--replications", "2",
                 "--scheduler", "tcp://127.0.0.1:9", "--out", str(out)])
    assert code == 2
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err
    assert not out.exists()


def test_reproduce_uses_the_recorded_parameters_not_the_current_calibration(tmp_path, capsys):
    """A run that drew calibrated parameters reproduces with another calibration file given."""
    out = tmp_path / "drawn"
    assert main(["run", str(STATUS_QUO), "--agents", "3000", "--replications", "2", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["draw_parameters"] and len(summary["parameters_by_seed"]) == 2
    shifted = tmp_path / "shifted.toml"
    shifted.write_text(shifted_calibration_text())
    assert main(["reproduce", str(out / "summary.json"), "--calibration", str(shifted)]) == 0
    printed = capsys.readouterr().out
    assert "the calibration file changed since the run" in printed and "reproduced" in printed


@pytest.mark.parametrize("seeds", [[-1, 5], [], [2**70], [1.7], "12"])
def test_reproduce_refuses_bad_seeds(tmp_path, seeds, capsys):
    out = tmp_path / "run"
    assert main(["run", str(STATUS_QUO), "--agents", "2000", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    summary["replication_seeds"] = seeds
    (out / "summary.json").write_text(json.dumps(summary))
    assert main(["reproduce", str(out / "summary.json")]) == 2
    assert "replication_seeds" in capsys.readouterr().err


def test_scenario_error_crosses_process_boundaries():
    import pickle

    from sim.scenario import ScenarioError

    err = pickle.loads(pickle.dumps(ScenarioError("a.toml", "run.agents", "a number", 5)))
    assert isinstance(err, ScenarioError) and err.key == "run.agents" and "a.toml" in str(err)
