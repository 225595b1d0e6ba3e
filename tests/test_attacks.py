"""The attack battery of "Nothing lost, nothing silently wrong": one case per attack, by the issue's number.

Each case reproduces one failure the issue lists and checks the behaviour
that replaces it: exit status 2 (bad input) or 1 (failure while running), one
line naming the file, key or value, nothing left behind. ``test_attack`` runs
the cases that stay in this process (fast tier); ``test_attack_process`` the
ones with subprocesses, signals to other processes, pools or calibration (slow
tier, ``tests/conftest.py``). Waits poll for a state (a worker started, a
process gone) with generous deadlines, so that they hold on a loaded machine.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest

from sim import calibration as calib
from sim import ensemble, experiments, output
from sim.cli import MAX_REPLICATIONS, main
from sim.executor import map_jobs
from tests.conftest import PROJECT, SCENARIOS, without_progress

STATUS_QUO = SCENARIOS / "status_quo.toml"
LONG_RUN = ["run", str(SCENARIOS / "plan_to_2035.toml"), "--agents", "400000", "--replications", "4",
            "--workers", "2"]
DEADLINE = 120.0  # seconds a wait may take on a machine with both cores busy


# ----------------------------------------------------------------------------- helpers
def one_line(err: str, *fragments: str) -> None:
    err = without_progress(err)  # runs that finished before the failure are reported as progress first
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith((".tmp-", ".old-", ".lock-")))


def no_compute(monkeypatch) -> None:
    """Fail the test if the model is run: the refusal must come before any work."""
    def refuse(*args, **kwargs):
        raise AssertionError("the model ran before the input was refused")

    monkeypatch.setattr(ensemble, "run_replications", refuse)


def small_run(out: Path | str, *extra: str) -> int:
    return main(["run", str(STATUS_QUO), "--agents", "2000", "--out", str(out), *extra])


def wait_for(condition, what: str, timeout: float = DEADLINE, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


def children() -> dict[int, list[int]]:
    table: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    ppid = int(stat.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            table.setdefault(ppid, []).append(int(entry))
    return table


def descendants(pid: int) -> list[int]:
    table, found, todo = children(), [], [pid]
    while todo:
        for child in table.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except OSError:
        return False


def workers_of(pid: int) -> list[int]:
    """The pool's worker processes: grandchildren forked by the forkserver."""
    table = children()
    return [w for child in table.get(pid, []) for w in table.get(child, [])]


def start(args: list[str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "run_sim.py", *args], cwd=PROJECT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def self_signal_then(real, signum=signal.SIGTERM):
    """``real`` wrapped: first a signal to this process, arriving while ``real`` runs."""
    def wrapped(*args, **kwargs):
        os.kill(os.getpid(), signum)
        return real(*args, **kwargs)

    return wrapped


def signal_after(real, signum=signal.SIGTERM):
    """``real`` wrapped: a signal to this process as soon as ``real`` has returned."""
    def wrapped(*args, **kwargs):
        value = real(*args, **kwargs)
        os.kill(os.getpid(), signum)
        return value

    return wrapped


# ----------------------------------------------------------------------------- 1. two runs at once
def attack_1_claim_is_exclusive(tmp_path, capsys, monkeypatch):
    target = tmp_path / "race"
    with output.claim(target, False):
        no_compute(monkeypatch)
        assert small_run(target) == 2
        one_line(capsys.readouterr().err, str(target), "another process")
    monkeypatch.undo()
    assert small_run(target) == 0  # released on the way out
    assert leftovers(tmp_path) == []


def process_1_two_runs_at_once(tmp_path):
    target = tmp_path / "OUT" / "race"
    procs = [start(["run", str(STATUS_QUO), "--agents", "30000", "--replications", "2", "--seed", str(i * 11),
                    "--out", str(target)]) for i in (1, 2)]
    outcomes = [(p.wait(timeout=DEADLINE * 2), p.communicate()[1]) for p in procs]
    assert sorted(code for code, _ in outcomes) == [0, 2], outcomes
    winner = [i for i, (code, _) in zip((1, 2), outcomes) if code == 0][0]
    one_line([err for code, err in outcomes if code == 2][0], str(target))
    assert json.loads((target / "summary.json").read_text())["seed"] == winner * 11
    assert output.foreign_content(target) is None
    assert leftovers(target.parent) == []


# ----------------------------------------------------------------------------- 2. --force deletes any folder
def attack_2_force_on_a_folder_not_ours(tmp_path, capsys, monkeypatch):
    no_compute(monkeypatch)
    results = tmp_path / "results"
    results.mkdir()
    (results / "README.md").write_text("tracked")
    thesis = tmp_path / "thesis"
    (thesis / ".git").mkdir(parents=True)
    (thesis / "thesis.tex").write_text("years of work")
    for target in (results, thesis, f"{thesis}/."):
        assert small_run(target, "--force") == 2
        one_line(capsys.readouterr().err, "--force replaces only", ".urbanization-sim")
    assert (results / "README.md").read_text() == "tracked"
    assert (thesis / "thesis.tex").read_text() == "years of work" and (thesis / ".git").is_dir()
    ours = tmp_path / "ours"
    monkeypatch.undo()
    assert small_run(ours) == 0
    (ours / "notes.txt").write_text("mine")  # a file the tool did not write makes it not ours
    no_compute(monkeypatch)
    assert small_run(ours, "--force") == 2
    one_line(capsys.readouterr().err, "notes.txt")
    assert leftovers(tmp_path) == []


def attack_2_force_on_the_root(tmp_path, capsys, monkeypatch):
    no_compute(monkeypatch)  # refused before the simulation, not after it
    assert small_run(Path("/"), "--force") == 2
    one_line(capsys.readouterr().err, "root")


# ----------------------------------------------------------------------------- 3. the calibration file
def attack_3_calibration_out_of_range_missing_damaged(tmp_path, capsys, monkeypatch):
    text = calib.CALIBRATION_FILE.read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("[best]\n", "[best]\n", 1).replace("settle_intercept = ", "settle_intercept = 9 #", 1))
    assert small_run(tmp_path / "a", "--calibration", str(bad)) == 2
    one_line(capsys.readouterr().err, str(bad), "best.settle_intercept", "expected")
    damaged = tmp_path / "damaged.toml"
    damaged.write_text(text[: len(text) // 3])
    assert small_run(tmp_path / "b", "--calibration", str(damaged)) == 2
    one_line(capsys.readouterr().err, str(damaged))
    monkeypatch.setattr(calib, "CALIBRATION_FILE", tmp_path / "gone.toml")
    assert small_run(tmp_path / "c") == 2
    one_line(capsys.readouterr().err, "gone.toml", "--uncalibrated")
    assert small_run(tmp_path / "d", "--uncalibrated") == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml", "d", "damaged.toml"]


# ----------------------------------------------------------------------------- 4. calibrate replaces the calibration
def _installed_copy(tmp_path) -> tuple[Path, Path, dict]:
    installed = tmp_path / "data" / "calibration.toml"
    fit = installed.with_name("calibration_fit.csv")
    installed.parent.mkdir()
    shutil.copy(calib.CALIBRATION_FILE, installed)
    shutil.copy(calib.CALIBRATION_FILE.with_name("calibration_fit.csv"), fit)
    return installed, fit, {p: p.read_bytes() for p in (installed, fit)}


QUICK_CALIBRATION = ["calibrate", "--budget", "2", "--agents", "2000", "--workers", "1"]


def process_4_calibrate_does_not_install_unless_asked(tmp_path, capsys, monkeypatch):
    installed, _, before = _installed_copy(tmp_path)
    monkeypatch.setattr(calib, "CALIBRATION_FILE", installed)
    committed_budget = tomllib.loads(installed.read_text(encoding="utf-8"))["meta"]["budget"]
    out = tmp_path / "fit"
    assert main([*QUICK_CALIBRATION, "--out", str(out)]) == 0
    assert {p: p.read_bytes() for p in before} == before  # the model's calibration is untouched
    assert calib.load_calibration(out / "calibration.toml").best  # the fit is in the results folder
    assert "install-calibration" in capsys.readouterr().out
    assert main(["install-calibration", str(out)]) == 0  # the explicit step: both files
    assert installed.read_bytes() == (out / "calibration.toml").read_bytes()
    assert installed.with_name("calibration_fit.csv").read_bytes() == (out / "fit.csv").read_bytes()
    assert f"budget of {committed_budget}" in capsys.readouterr().err  # a quick fit replacing a full one says so
    assert leftovers(installed.parent) == []


def process_4_failed_install_replaces_neither_file(tmp_path, capsys, monkeypatch):
    installed, fit, before = _installed_copy(tmp_path)
    real, calls = os.replace, []

    def second_file_fails(src, dst, *args, **kwargs):  # whichever of the two is replaced second
        if str(dst) in (str(installed), str(fit)):
            calls.append(dst)
            if len(calls) == 2:
                raise OSError(28, "No space left on device")
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", second_file_fails)
    code = main([*QUICK_CALIBRATION, "--out", str(tmp_path / "fit"), "--calibration-file", str(installed)])
    monkeypatch.undo()
    assert len(calls) >= 2 and code == 1
    one_line(capsys.readouterr().err, "unchanged")
    assert {p: p.read_bytes() for p in before} == before
    assert (tmp_path / "fit" / "calibration.toml").is_file()  # the fit itself is kept, whole
    assert leftovers(installed.parent) == []


# ----------------------------------------------------------------------------- 5. settlement keys a kind ignores
SETTLEMENT = {
    "open": '[settlement.county]\nkind = "open"\nmin_insurance_years = 999\n',
    "points": '[settlement.mega]\nmin_residence_years = 999\n',
    "conditions": '[settlement.large_1]\nthreshold = 1000\n',
}


def attack_5_settlement_keys_a_kind_ignores(tmp_path, capsys, monkeypatch):
    shutil.copy(STATUS_QUO, tmp_path / "status_quo.toml")
    no_compute(monkeypatch)
    for kind, table in SETTLEMENT.items():
        path = tmp_path / f"{kind}.toml"
        path.write_text(f'extends = "status_quo.toml"\n{table}')
        assert main(["run", str(path), "--agents", "2000", "--out", str(tmp_path / "never")]) == 2
        key = table.split("\n")[-2].split(" = ")[0]
        one_line(capsys.readouterr().err, str(path), f".{key}", f'kind = "{kind}"')
    assert not (tmp_path / "never").exists()


# ----------------------------------------------------------------------------- 6. workers outlive their parent
def process_6_workers_die_with_their_parent(tmp_path):
    for signum in (signal.SIGKILL, signal.SIGHUP):
        out = tmp_path / f"signal-{signum}" / "killed"
        proc = start([*LONG_RUN, "--out", str(out)])
        workers = wait_for(lambda: len(workers_of(proc.pid)) >= 2 and workers_of(proc.pid), "two workers")
        helpers = descendants(proc.pid)  # the forkserver, the resource tracker, the workers
        try:
            proc.send_signal(signum)
            code = proc.wait(timeout=DEADLINE)
            wait_for(lambda: not any(running(p) for p in helpers), f"no helper left after signal {signum}", 60)
        finally:
            for pid in helpers:  # (only if the test fails: they are gone already)
                if running(pid):
                    os.kill(pid, signal.SIGKILL)
        err = proc.stderr.read()
        assert workers and not any(running(w) for w in workers)
        if signum == signal.SIGHUP:  # handled like SIGTERM
            assert code == 129, err
            one_line(err, "hang-up", "no results written")
            assert not out.parent.exists()  # the folder made for the results is removed too
        else:  # nothing can clean up after SIGKILL; the next claim of the folder removes what it left
            assert small_run(out) == 0 and leftovers(out.parent) == []


# ----------------------------------------------------------------------------- 7. Dask addresses
def attack_7_malformed_scheduler_address(tmp_path, capsys, monkeypatch):
    no_compute(monkeypatch)
    with pytest.raises(SystemExit) as info:
        small_run(tmp_path / "x", "--replications", "2", "--scheduler", "not a url")
    assert info.value.code == 2
    one_line(capsys.readouterr().err, "--scheduler", "not a url")


def process_7_scheduler_that_never_answers(tmp_path):
    pytest.importorskip("distributed")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []
    threading.Thread(target=lambda: accepted.extend(server.accept() for _ in range(16)), daemon=True).start()
    out = tmp_path / "silent"
    started = time.monotonic()
    proc = start(["run", str(STATUS_QUO), "--agents", "2000", "--replications", "2",
                  "--scheduler", f"tcp://127.0.0.1:{server.getsockname()[1]}", "--out", str(out)])
    try:
        _, err = proc.communicate(timeout=90)
    finally:
        proc.kill()
        server.close()
    assert proc.returncode == 2 and time.monotonic() - started < 90
    one_line(err, "Dask scheduler")
    assert not out.exists() and leftovers(tmp_path) == []


# ----------------------------------------------------------------------------- 8. a dead worker with --keep-going
def _dies_on_two(x: int) -> int:
    if x == 2:
        os._exit(3)  # the worker process dies, as if killed
    time.sleep(0.2)
    return x * 10


def process_8_lost_jobs_retried_once_then_listed(tmp_path):
    lost = []
    results = map_jobs(_dies_on_two, range(5), workers=2, on_lost=lambda i, err: lost.append(i) or "lost")
    assert 2 in lost and results[2] == "lost"
    assert all(results[i] == i * 10 for i in range(5) if i not in lost)


def process_8_keep_going_survives_a_killed_worker(tmp_path):
    out = tmp_path / "survivor"
    proc = start([*LONG_RUN, "--keep-going", "--out", str(out)])
    workers = wait_for(lambda: workers_of(proc.pid), "a worker")
    time.sleep(1.0)
    os.kill(workers[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=DEADLINE * 3)
    assert proc.returncode == 0, err
    assert "BrokenProcessPool" not in err
    summary = json.loads((out / "summary.json").read_text())
    assert all(isinstance(f["seed"], int) for f in summary["failed_replications"])
    assert summary["replications"] == 4 and summary["failed_replications"] == []  # retried, and all came back


def process_8_dead_worker_without_keep_going_names_seeds(tmp_path):
    out = tmp_path / "dead"
    proc = start([*LONG_RUN, "--out", str(out)])
    workers = wait_for(lambda: workers_of(proc.pid), "a worker")
    time.sleep(1.0)
    os.kill(workers[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=DEADLINE * 2)
    assert proc.returncode == 1
    one_line(err, "worker process died", "seed")
    assert not out.exists() and leftovers(tmp_path) == []


# ----------------------------------------------------------------------------- 9. exit statuses and messages
def attack_9_unreadable_scenario(tmp_path, capsys, monkeypatch):
    path = tmp_path / "locked.toml"
    path.write_text(STATUS_QUO.read_text())
    real = Path.read_bytes

    def denied(self):
        if self.name == "locked.toml":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)  # (tests may run as root, which reads any file)
    assert main(["run", str(path), "--out", str(tmp_path / "x")]) == 2
    one_line(capsys.readouterr().err, str(path), "Permission denied")


def attack_9_bad_names_deep_files_and_loops(tmp_path, capsys, monkeypatch):
    no_compute(monkeypatch)
    shutil.copy(STATUS_QUO, tmp_path / "status_quo.toml")
    cases = {
        "nul": ('extends = "status_quo.toml"\nname = "a\\u0000b"\n', "name"),
        "long": (f'extends = "status_quo.toml"\nname = "{"x" * 300}"\n', "name"),
        "nested": ("x = " + "[" * 5000 + "]" * 5000 + "\n", "nested"),
    }
    chain = tmp_path / "chain"
    chain.mkdir()
    for i in range(1500):
        (chain / f"c{i}.toml").write_text(f'extends = "c{i + 1}.toml"\n')
    shutil.copy(STATUS_QUO, chain / "c1500.toml")
    (tmp_path / "loop_a.toml").symlink_to(tmp_path / "loop_b.toml")
    (tmp_path / "loop_b.toml").symlink_to(tmp_path / "loop_a.toml")
    paths = {"chain": (chain / "c0.toml", "extends"), "loop": (tmp_path / "loop_a.toml", "loop_a.toml")}
    for name, (text, fragment) in cases.items():
        (tmp_path / f"{name}.toml").write_text(text)
        paths[name] = (tmp_path / f"{name}.toml", fragment)
    for name, (path, fragment) in paths.items():
        assert main(["run", str(path), "--out", str(tmp_path / "never")]) == 2, name
        one_line(capsys.readouterr().err, fragment)
    assert main(["run", str(STATUS_QUO) + "\0", "--out", str(tmp_path / "never")]) == 2
    one_line(capsys.readouterr().err)
    assert not (tmp_path / "never").exists()


def attack_9_argument_errors_in_one_line(tmp_path, capsys):
    for argv in (["run", str(STATUS_QUO), "--agents", "-5"], ["simulate"], []):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        one_line(capsys.readouterr().err, "error")


def attack_9_reproduce_truncated_file_and_too_many_seeds(tmp_path, capsys):
    out = tmp_path / "orig"
    assert small_run(out) == 0
    table = out / "timeseries.csv"
    whole = table.read_bytes()
    table.write_bytes(whole[: len(whole) * 2 // 3])
    assert main(["reproduce", str(out / "summary.json")]) == 1
    printed = capsys.readouterr().out
    assert "NOT reproduced" in printed and "0.000000" not in printed and "truncated" in printed
    table.write_bytes(whole)
    summary = json.loads((out / "summary.json").read_text())
    summary["replication_seeds"] = list(range(200_000))
    (out / "summary.json").write_text(json.dumps(summary))
    assert main(["reproduce", str(out / "summary.json")]) == 2
    one_line(capsys.readouterr().err, "replication_seeds", str(MAX_REPLICATIONS))
    assert experiments.MAX_REPLICATIONS == MAX_REPLICATIONS


def attack_9_plot_truncated_csv_and_existing_file(tmp_path, capsys):
    out = tmp_path / "run"
    assert small_run(out) == 0
    figure = tmp_path / "figure.png"
    figure.write_bytes(b"keep")
    assert main(["plot", str(out), "--out", str(figure)]) == 2
    one_line(capsys.readouterr().err, str(figure), "--force")
    assert figure.read_bytes() == b"keep"
    table = out / "timeseries.csv"
    table.write_bytes(table.read_bytes()[:-40])
    assert main(["plot", str(out), "--out", str(figure), "--force"]) == 2
    one_line(capsys.readouterr().err, str(table), "truncated")
    assert figure.read_bytes() == b"keep" and leftovers(tmp_path) == []


def attack_9_byte_order_mark(tmp_path, capsys):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + STATUS_QUO.read_bytes())
    cal = tmp_path / "bom_calibration.toml"
    cal.write_bytes(b"\xef\xbb\xbf" + calib.CALIBRATION_FILE.read_bytes())
    assert main(["run", str(path), "--agents", "2000", "--calibration", str(cal), "--out", str(tmp_path / "x")]) == 0


def attack_9_command_line_value_blamed_on_the_command_line(tmp_path, capsys, monkeypatch):
    no_compute(monkeypatch)
    assert main(["run", str(STATUS_QUO), "--agents", "500", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    one_line(err, "--agents", "500")
    assert "status_quo.toml" not in err


def process_9_ctrl_c_during_start_up(tmp_path):
    """Ctrl-C reaches the whole process group while the forkserver imports the model: one line, status 130."""
    out = tmp_path / "startup"
    proc = start([*LONG_RUN, "--out", str(out)], start_new_session=True)
    wait_for(lambda: children().get(proc.pid) and len(children()[proc.pid]) >= 2, "the forkserver", step=0.02)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=DEADLINE)
    time.sleep(1.0)  # whatever the forkserver prints comes within this
    assert proc.returncode == 130, err
    one_line(err, "interrupted", "no results written")
    assert not out.exists() and leftovers(tmp_path) == []


# ----------------------------------------------------------------------------- 10. narrow windows
def attack_10_signal_during_forced_replacement(tmp_path, capsys, monkeypatch):
    out = tmp_path / "replaced"
    assert small_run(out) == 0
    for mode in ("exchange", "two renames"):
        if mode == "two renames":  # where the system has no atomic exchange
            monkeypatch.setattr(output, "exchange", lambda new, target: False)
            monkeypatch.setattr(os, "rename", self_signal_then(os.rename))
        else:
            monkeypatch.setattr(output, "exchange", self_signal_then(output.exchange))
        seed = {"exchange": "5", "two renames": "6"}[mode]
        assert small_run(out, "--force", "--seed", seed) == 143
        monkeypatch.undo()
        one_line(capsys.readouterr().err, "terminated", "new results are complete")
        assert json.loads((out / "summary.json").read_text())["seed"] == int(seed)
        assert output.foreign_content(out) is None and leftovers(tmp_path) == []


def attack_10_signal_during_the_final_rename(tmp_path, capsys, monkeypatch):
    out = tmp_path / "fresh"
    monkeypatch.setattr(output, "rename_no_replace", self_signal_then(output.rename_no_replace))
    assert small_run(out) == 143
    one_line(capsys.readouterr().err, "new results are complete")
    assert (out / "timeseries.csv").is_file() and leftovers(tmp_path) == []


def attack_10_signal_right_after_the_temporary_folder(tmp_path, capsys, monkeypatch):
    out = tmp_path / "early"
    monkeypatch.setattr(output.tempfile, "mkdtemp", signal_after(output.tempfile.mkdtemp))
    assert small_run(out) == 143
    one_line(capsys.readouterr().err, "no results written")
    assert not out.exists() and leftovers(tmp_path) == []


# ----------------------------------------------------------------------------- 11. signals under load
def process_11_signal_mid_run_when_ready(tmp_path):
    """SIGTERM once the workers run (not after a fixed sleep): 143, nothing left, no worker outlives the run."""
    out = tmp_path / "terminated"
    proc = start([*LONG_RUN, "--out", str(out)])
    wait_for(lambda: len(workers_of(proc.pid)) >= 2, "two workers")
    helpers = descendants(proc.pid)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=DEADLINE)
    assert proc.returncode == 143, err
    one_line(err, "terminated", "no results written")
    assert not out.exists() and leftovers(tmp_path) == []
    wait_for(lambda: not any(running(p) for p in helpers), "the workers to stop", 60)


ATTACKS = {name: fn for name, fn in globals().items() if name.startswith("attack_")}
PROCESS_ATTACKS = {name: fn for name, fn in globals().items() if name.startswith("process_")}


def _call(fn, tmp_path, capsys, monkeypatch) -> None:
    """Call an attack with the fixtures it names."""
    arguments = {"tmp_path": tmp_path, "capsys": capsys, "monkeypatch": monkeypatch}
    fn(*(arguments[p] for p in fn.__code__.co_varnames[:fn.__code__.co_argcount]))


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack(name, tmp_path, capsys, monkeypatch):
    _call(ATTACKS[name], tmp_path, capsys, monkeypatch)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("name", sorted(PROCESS_ATTACKS))
def test_attack_process(name, tmp_path, capsys, monkeypatch):
    _call(PROCESS_ATTACKS[name], tmp_path, capsys, monkeypatch)
