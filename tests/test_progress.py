"""Progress and log lines: plain lines when standard error is not a terminal, ``--quiet``, ``--verbose``."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

import sim
from sim import cli, progress
from tests.conftest import PROJECT, SCENARIOS

STATUS_QUO = SCENARIOS / "status_quo.toml"


class Clock:
    def __init__(self, step: float):
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def _lines(caplog, total: int, step: float, level=logging.INFO) -> list[str]:
    with caplog.at_level(level, logger="sim.progress"):
        reporter = progress.ProgressLines(total, "runs", clock=Clock(step))
        for _ in range(total):
            reporter.update()
        reporter.close()
    return [r.getMessage() for r in caplog.records if r.name == "sim.progress"]


def test_a_line_at_each_tenth_when_jobs_are_fast(caplog):
    lines = _lines(caplog, 100, step=0.0)
    assert len(lines) == 10  # 10, 20, ..., 100 jobs
    assert lines[0].startswith("runs: 10/100 runs (10 %)") and lines[-1].startswith("runs: 100/100 runs (100 %)")


def test_a_line_every_few_seconds_when_jobs_are_slow_between_tenths(caplog):
    # 1,000 jobs, each taking longer than LINE_SECONDS: every job prints although a tenth is 100 jobs
    lines = _lines(caplog, 1000, step=progress.LINE_SECONDS + 0.1)
    assert len(lines) == 1000


def test_verbose_gives_a_line_per_job(caplog):
    assert len(_lines(caplog, 50, step=0.0, level=logging.DEBUG)) == 50


def test_nothing_when_progress_is_not_enabled(caplog):
    with caplog.at_level(logging.WARNING, logger="sim.progress"):
        assert progress.progress(100, "runs") is None
    with caplog.at_level(logging.INFO, logger="sim.progress"):
        assert isinstance(progress.progress(100, "runs"), progress.ProgressLines)  # stderr is not a terminal here
        assert progress.progress(1, "runs") is None  # a single job has no progress to show


ARGS = ["run", str(STATUS_QUO), "--agents", "2000", "--replications", "2", "--workers", "1"]


def test_piped_run_prints_progress_lines_and_quiet_silences_them(tmp_path, capsys):
    logger = logging.getLogger("sim")
    before = (logger.level, logger.propagate, list(logger.handlers))
    assert cli.main([*ARGS, "--out", str(tmp_path / "a"), "--verbose"]) == 0
    err = capsys.readouterr().err
    assert "status_quo: replications: 1/2 runs (50 %)" in err and "status_quo: replications: 2/2 runs (100 %)" in err
    assert (logger.level, logger.propagate, list(logger.handlers)) == before  # logging left as it was found
    assert cli.main([*ARGS, "--out", str(tmp_path / "b"), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and "status_quo: 2025" in captured.out  # the result is still printed
    assert cli.build_parser().parse_args(["--quiet", *ARGS]).quiet  # also before the command


def test_quiet_and_verbose_together_are_a_usage_error(capsys):
    with pytest.raises(SystemExit) as err:
        cli.main([*ARGS, "--quiet", "--verbose"])
    assert err.value.code == 2 and "not allowed with" in capsys.readouterr().err


def test_every_command_takes_quiet_and_verbose():
    parser = cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001 - argparse keeps them there only
    for name, command in commands.items():
        flags = {flag for action in command._actions for flag in action.option_strings}  # noqa: SLF001
        assert {"--quiet", "--verbose"} <= flags, name


def test_progress_lines_in_a_pipe_subprocess(tmp_path):
    done = subprocess.run([sys.executable, str(PROJECT / "run_sim.py"), *ARGS, "--out", str(tmp_path / "r")],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "status_quo: replications: 2/2 runs (100 %)" in done.stderr


def test_import_sim_is_lazy_and_names_do_not_shadow_modules():
    code = "import sys, sim; print(sorted(m for m in sys.modules if m.startswith('sim.')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=PROJECT)
    assert done.stdout.strip() == "[]"
    modules = {path.stem for path in (PROJECT / "sim").glob("*.py")} | {"stages", "data"}
    assert not set(sim.__all__) & modules  # `from sim import compare` must stay the module
    for name in sim.__all__:
        assert getattr(sim, name) is not None


def _waits_for(path_and_wait) -> bool:
    """A job that waits (up to a deadline) for a file another job's result creates; True if it came."""
    import time
    from pathlib import Path

    path, wait = path_and_wait
    deadline = time.monotonic() + wait
    while wait and time.monotonic() < deadline and not Path(path).exists():
        time.sleep(0.05)
    return Path(path).exists()


def test_a_pool_hands_each_result_over_as_it_comes(tmp_path):
    # job 0 finishes only once job 1's result has been handed over (on_result writes the file): with results
    # handed over only when every job is done, job 0 would wait out its deadline and return False
    from sim.executor import map_jobs

    flag = tmp_path / "job-1-reported"
    jobs = [(str(flag), 120.0), (str(flag), 0.0)]
    results = map_jobs(_waits_for, jobs, workers=2, on_result=lambda i, _: i == 1 and flag.touch())
    assert results == [True, False]
