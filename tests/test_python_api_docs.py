"""The Python interface as documented: every example of docs/python_api.md runs, and the walk-through too."""

from __future__ import annotations

import logging
import re
import runpy

import pytest

from sim import progress
from tests.conftest import PROJECT

DOC = PROJECT / "docs" / "python_api.md"
WALKTHROUGH = PROJECT / "docs" / "examples" / "plan_gap_2025.py"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


@pytest.fixture
def project_folder(monkeypatch):
    """Run from the project's folder (the examples name scenarios/...); leave logging as it was."""
    monkeypatch.chdir(PROJECT)
    logger = logging.getLogger("sim")
    before = (logger.level, logger.propagate, list(logger.handlers), progress._installed)  # noqa: SLF001
    yield
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.setLevel(before[0])
    logger.propagate = before[1]
    for handler in before[2]:
        logger.addHandler(handler)
    progress._installed = before[3]  # noqa: SLF001


def test_the_doc_has_an_example_for_each_need():
    calls = ("sim.load_scenario(", "sim.scenario_from_dict(", "sim.with_overrides(", "sim.run(", "sim.bands(",
             "sim.gap_breakdown(", "sim.compare_scenarios(", "sim.differences(", "sim.attribute(", "sim.build_model(", "model.agents",
             "model.datacollector", "sim.log_to_stderr(")
    code = "\n".join(BLOCKS)
    assert [c for c in calls if c not in code] == []


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_every_example_of_the_python_api_doc_runs(index, project_folder, capsys):
    exec(compile(BLOCKS[index], f"{DOC.name}, example {index + 1}", "exec"), {"__name__": "__doc_example__"})
    out = capsys.readouterr().out
    assert out or "print(" not in BLOCKS[index]


def test_walkthrough_answers_and_saves_its_figure(tmp_path, monkeypatch, capsys):
    figure = tmp_path / "plan_gap_2025.png"
    monkeypatch.chdir(PROJECT)
    monkeypatch.setenv("PLAN_GAP_FIGURE", str(figure))
    monkeypatch.setenv("PLAN_GAP_AGENTS", "2000")
    monkeypatch.setenv("PLAN_GAP_REPLICATIONS", "2")
    monkeypatch.setenv("PLAN_GAP_WORKERS", "1")
    runpy.run_path(str(WALKTHROUGH), run_name="__main__")
    out = capsys.readouterr().out
    assert figure.is_file() and figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "plan's effect on the 2025 gap" in out and "measures that matter most" in out


def test_readme_links_the_api_doc_and_the_walkthrough():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    assert "docs/python_api.md" in readme and "docs/examples/plan_gap_2025.py" in readme
