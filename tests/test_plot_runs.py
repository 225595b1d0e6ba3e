"""The plot command: the format its file name asks for, runs named by scenario, warnings, readable files."""

import logging
import os
import stat

import pytest

from sim import plots
from sim.cli import main
from tests.conftest import SCENARIOS

SIGNATURES = {".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF", ".svg": b"<?xml"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A status-quo run at 2,000 and one at 3,000 agents, in folders named unlike their scenario."""
    base = tmp_path_factory.mktemp("plotted")
    folders = []
    for i, agents in enumerate(("2000", "3000")):
        folder = base / f"folder{i}"
        assert main(["run", str(SCENARIOS / "status_quo.toml"), "--agents", agents, "--out", str(folder)]) == 0
        folders.append(folder)
    return folders


@pytest.mark.parametrize("suffix", [".png", ".pdf", ".svg"])
def test_plot_writes_the_format_its_name_asks_for(runs, tmp_path, suffix):
    out = tmp_path / f"figure{suffix}"
    assert main(["plot", str(runs[0]), "--out", str(out)]) == 0
    assert out.read_bytes().startswith(SIGNATURES[suffix])


def test_plot_refuses_another_suffix_in_one_line(runs, tmp_path, capsys):
    out = tmp_path / "figure.jpg"
    assert main(["plot", str(runs[0]), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and ".png, .pdf, .svg" in err and not out.exists()


def test_plot_names_runs_by_scenario_and_warns_when_agents_differ(runs, tmp_path, monkeypatch, caplog):
    drawn = {}
    monkeypatch.setattr(plots, "plot_scenarios", lambda r, path: drawn.update(names=[n for n, _ in r]))
    with caplog.at_level(logging.WARNING):
        assert main(["plot", *map(str, runs), "--out", str(tmp_path / "f.png")]) == 0
    # both runs are of status_quo: named by the scenario, told apart by their folders
    assert drawn["names"] == ["status_quo (folder0)", "status_quo (folder1)"]
    assert any("differ in agents" in r.getMessage() and "2000" in r.getMessage() for r in caplog.records)
    assert not any("replications" in r.getMessage() for r in caplog.records)


def test_results_are_readable_as_the_umask_allows(tmp_path):
    previous = os.umask(0o022)
    try:
        out = tmp_path / "run"
        assert main(["run", str(SCENARIOS / "status_quo.toml"), "--agents", "2000", "--out", str(out)]) == 0
        figure = tmp_path / "f.svg"
        assert main(["plot", str(out), "--out", str(figure)]) == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755  # 0o777 less the umask, as mkdir would
    assert stat.S_IMODE((out / "timeseries.csv").stat().st_mode) == 0o644
    assert stat.S_IMODE(figure.stat().st_mode) == 0o644
