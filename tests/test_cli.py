"""Tests of the command line: ``run``, ``plot`` and ``policies``, exit statuses and outputs."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.output import MARKER
from sim.policies import REGISTRY

PROJECT = Path(__file__).resolve().parent.parent
SCENARIOS = PROJECT / "scenarios"
STATUS_QUO = SCENARIOS / "status_quo.toml"
AGENTS = "5000"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RATES = ("resident_urbanization_pct", "hukou_urbanization_pct", "gap_pp")
REQUIRED_COLUMNS = (
    "year", "resident_urbanization_pct", "hukou_urbanization_pct", "gap_pp", "total_population",
    "urban_residents", "urban_hukou_population", "rural_hukou_in_cities", "settlements_in_year",
    "migrants_in_cities",
)


def run_cli(*args: str) -> int:
    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The same small status-quo run, twice, into two folders."""
    base = tmp_path_factory.mktemp("runs")
    folders = (base / "first", base / "second")
    for folder in folders:
        assert run_cli("run", STATUS_QUO, "--agents", AGENTS, "--out", folder) == 0
    return folders


# ---------------------------------------------------------------- run
RUN_FILES = sorted([MARKER, "summary.json", "summary.md", "timeseries.csv", "urbanization.png", "breakdown.csv",
                    "gap_by_cause.png", "gap_waterfall.png"]
                   + (["breakdown.parquet"] if importlib.util.find_spec("pyarrow") else []))


def test_run_writes_its_files(two_runs):
    folder = two_runs[0]
    assert sorted(p.name for p in folder.iterdir()) == RUN_FILES
    for png in ("urbanization.png", "gap_by_cause.png", "gap_waterfall.png"):
        assert (folder / png).read_bytes().startswith(PNG_SIGNATURE)
    table = pd.read_csv(folder / "breakdown.csv")
    assert list(table.columns) == ["year", "scenario", "replication", "city_class", "region", "city", "quantity",
                                   "value", "unit"]
    assert set(table["replication"].astype(str)) == {"median", "p10", "p90", "mean", "1"}
    # no temporary folders left beside the target
    assert not [p for p in folder.parent.iterdir() if p.name.startswith((".tmp-", ".old-"))]


def test_run_timeseries(two_runs):
    table = pd.read_csv(two_runs[0] / "timeseries.csv")
    for column in REQUIRED_COLUMNS:
        assert column in table.columns, column
    assert table["year"].tolist() == list(range(2020, 2026))
    first = table.iloc[0]
    assert first["resident_urbanization_pct"] == pytest.approx(63.89, abs=0.1)
    assert first["hukou_urbanization_pct"] == pytest.approx(45.4, abs=0.1)
    gap = table["resident_urbanization_pct"] - table["hukou_urbanization_pct"]
    assert (table["gap_pp"] - gap).abs().max() < 2.5e-6  # the CSV keeps 6 decimals
    assert table[list(REQUIRED_COLUMNS)].notna().all().all()
    assert (table["total_population"] > 1.3e9).all()


def test_run_summary(two_runs):
    summary = json.loads((two_runs[0] / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == "status_quo"
    assert summary["scenario_sha256"] == hashlib.sha256(STATUS_QUO.read_bytes()).hexdigest()
    assert summary["seed"] == 20200
    assert summary["agents"] == 5000
    assert summary["replications"] == 1
    assert isinstance(summary["persons_per_agent"], (int, float)) and summary["persons_per_agent"] > 0
    versions = summary["package_versions"]
    assert isinstance(versions, dict)
    assert versions["python"] == sys.version.split()[0]
    for package in ("numpy", "pandas", "matplotlib"):
        assert package in versions
    assert "git_commit" in summary
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", summary["git_commit"])  # the tests run in a git checkout
    assert isinstance(summary["wall_time_seconds"], (int, float)) and summary["wall_time_seconds"] >= 0


def test_run_is_reproducible(two_runs):
    first, second = two_runs
    assert (first / "timeseries.csv").read_bytes() == (second / "timeseries.csv").read_bytes()


def test_seed_changes_the_run(two_runs, tmp_path):
    out = tmp_path / "other_seed"
    assert run_cli("run", STATUS_QUO, "--agents", AGENTS, "--seed", "1", "--out", out) == 0
    assert (out / "timeseries.csv").read_bytes() != (two_runs[0] / "timeseries.csv").read_bytes()
    assert json.loads((out / "summary.json").read_text())["seed"] == 1


def test_replications_add_bands(tmp_path):
    out = tmp_path / "reps"
    assert run_cli("run", STATUS_QUO, "--agents", AGENTS, "--replications", "3", "--out", out) == 0
    table = pd.read_csv(out / "timeseries.csv")
    assert table["year"].tolist() == list(range(2020, 2026))
    for col in RATES:
        lo, mid, hi = table[f"{col}_p10"], table[col], table[f"{col}_p90"]
        assert (lo <= mid + 1e-9).all(), col
        assert (mid <= hi + 1e-9).all(), col
    assert (table["resident_urbanization_pct_p90"] - table["resident_urbanization_pct_p10"]).iloc[-1] > 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["replications"] == 3
    assert len(set(summary["replication_seeds"])) == 3


def test_existing_folder_needs_force_and_force_replaces_only_our_folders(tmp_path, capsys):
    out = tmp_path / "existing"
    out.mkdir()
    (out / "timeseries.csv").write_bytes(b"old,data\n1,2\n")
    (out / "notes.txt").write_bytes(b"keep me")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    assert run_cli("run", STATUS_QUO, "--agents", AGENTS, "--out", out) == 2
    err = capsys.readouterr().err
    assert "--force" in err and str(out) in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    # not written by this tool (no marker): --force refuses it too, before computing
    assert run_cli("run", STATUS_QUO, "--agents", AGENTS, "--out", out, "--force") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and MARKER in err and str(out) in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    ours = tmp_path / "ours"
    assert run_cli("run", STATUS_QUO, "--agents", AGENTS, "--out", ours) == 0
    assert run_cli("run", STATUS_QUO, "--agents", AGENTS, "--seed", "3", "--out", ours, "--force") == 0
    assert sorted(p.name for p in ours.iterdir()) == RUN_FILES
    assert json.loads((ours / "summary.json").read_text())["seed"] == 3
    assert pd.read_csv(ours / "timeseries.csv")["year"].tolist() == list(range(2020, 2026))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing", "ours"]  # no leftovers, no lock files


def test_default_results_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_cli("run", STATUS_QUO, "--agents", AGENTS) == 0
    assert (tmp_path / "results" / "status_quo" / "timeseries.csv").is_file()


def test_scenario_error_exit_2_no_results(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    shutil.copy(STATUS_QUO, tmp_path / "status_quo.toml")
    (tmp_path / "bad.toml").write_text('extends = "status_quo.toml"\nbogus_key = 1\n', encoding="utf-8")
    assert run_cli("run", "bad.toml", "--agents", AGENTS) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert "bad.toml" in lines[0] and "bogus_key" in lines[0]
    assert "Traceback" not in captured.err
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("argv", [
    ["run", str(STATUS_QUO), "--agents", "-5"],
    ["run", str(STATUS_QUO), "--agents", "zero"],
    ["run", str(STATUS_QUO), "--replications", "0"],
    ["run", str(STATUS_QUO), "--seed", "-1"],
    ["run"],
    ["simulate", str(STATUS_QUO)],
    [],
])
def test_bad_usage_exits_2(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert capsys.readouterr().err.strip()
    assert not (tmp_path / "results").exists()


# ---------------------------------------------------------------- policies


def test_policies_lists_every_policy_with_article(capsys):
    assert run_cli("policies") == 0
    out = capsys.readouterr().out
    headers = [line for line in out.splitlines() if not line.startswith(" ") and line.strip()]
    assert len(headers) == len(REGISTRY) >= 24
    for name, cls in REGISTRY.items():
        assert f"{name}  (article {cls.article} = " in out and cls.quote in out
    assert "(article 四十 = 40;" in out and "(article 四十二 = 42;" in out
    for label in ("key phrase:", "lever:", "size:", "source:", "range [", "expected by 2025", "reasoning:"):
        assert out.count(label) >= len(REGISTRY), label


# ---------------------------------------------------------------- plot


def test_plot_two_runs(two_runs, tmp_path, capsys):
    out = tmp_path / "compare.png"
    assert run_cli("plot", *two_runs, "--out", out) == 0
    assert out.read_bytes().startswith(PNG_SIGNATURE)
    assert out.stat().st_size > 1000
    assert str(out) in capsys.readouterr().out


def test_plot_folder_without_timeseries(two_runs, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "compare.png"
    assert run_cli("plot", two_runs[0], empty, "--out", out) == 2
    err = capsys.readouterr().err
    assert "timeseries.csv" in err and "empty" in err
    assert not out.exists()


# ---------------------------------------------------------------- as a program


def test_run_sim_script_subprocess(two_runs, tmp_path):
    out = tmp_path / "script"
    proc = subprocess.run([sys.executable, "run_sim.py", "run", str(STATUS_QUO), "--agents", AGENTS,
                           "--out", str(out)], cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "status_quo: 2025" in proc.stdout
    table = pd.read_csv(out / "timeseries.csv")
    assert table["year"].tolist() == list(range(2020, 2026))
    assert (out / "urbanization.png").read_bytes().startswith(PNG_SIGNATURE)
    # another process (other hash seed) gives the same bytes as the in-process run
    assert (out / "timeseries.csv").read_bytes() == (two_runs[0] / "timeseries.csv").read_bytes()


def test_run_sim_script_scenario_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[run]\nagentz = 5\n", encoding="utf-8")
    out = tmp_path / "never"
    proc = subprocess.run([sys.executable, "run_sim.py", "run", str(bad), "--out", str(out)],
                          cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.toml" in lines[0] and "run.agentz" in lines[0]
    assert not out.exists()


def test_run_sim_script_bad_usage():
    proc = subprocess.run([sys.executable, "run_sim.py", "run", str(STATUS_QUO), "--agents", "-5"],
                          cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "--agents" in proc.stderr


# ---------------------------------------------------------------- compare and attribute


def test_compare_writes_table_figure_and_summary(tmp_path):
    out = tmp_path / "cmp"
    code = main(["compare", str(SCENARIOS / "status_quo.toml"), str(SCENARIOS / "plan.toml"),
                 "--replications", "2", "--agents", "4000", "--out", str(out)])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "comparison.csv", "comparison.png", "gap_waterfalls.png",
                                                     "replications.csv", "summary.json", "summary.md"]
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["scenario"]) == {"status_quo", "plan"}
    assert {"resident_urbanization_pct_p10", "hukou_urbanization_pct_p90", "gap_pp"} <= set(table.columns)
    assert (table.groupby("scenario")["year"].apply(list) == [list(range(2020, 2026))] * 2).all()
    summary = (out / "summary.md").read_text()
    assert "| status_quo |" in summary and "| plan |" in summary and "2025" in summary
    assert (out / "comparison.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_attribute_writes_table_figure_and_summary(tmp_path):
    (tmp_path / "status_quo.toml").write_text((SCENARIOS / "status_quo.toml").read_text())
    plan = tmp_path / "two.toml"
    plan.write_text('extends = "status_quo.toml"\nname = "two"\n[policies.land_rights_kept]\n[policies.points_reform]\n')
    out = tmp_path / "att"
    code = main(["attribute", str(plan), "--replications", "2", "--agents", "3000", "--out", str(out)])
    assert code == 0
    table = pd.read_csv(out / "attribution.csv")
    assert set(table["measure"]) == {"land_rights_kept", "points_reform"}
    assert {"leave_one_out", "shapley_lo90", "shapley_hi90"} <= set(table.columns)
    assert "exact" in (out / "summary.md").read_text()


def test_attribute_without_policies_is_bad_input(tmp_path, capsys):
    code = main(["attribute", str(SCENARIOS / "status_quo.toml"), "--agents", "2000", "--out", str(tmp_path / "x")])
    assert code == 2
    assert "do not differ: nothing to attribute" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


BAD_SCENARIOS = {
    "unknown_top_key": ('extends = "status_quo.toml"\nbogus = 1\n', "bogus"),
    "unknown_policy": ('extends = "status_quo.toml"\n[policies.no_such_measure]\n', "policies.no_such_measure"),
    "unknown_policy_param": ('extends = "status_quo.toml"\n[policies.land_rights_kept]\nbogus = 1\n',
                             "policies.land_rights_kept.bogus"),
    "wrong_type": ('extends = "status_quo.toml"\n[run]\nagents = "many"\n', "run.agents"),
    "table_for_number": ('extends = "status_quo.toml"\n[run]\nseed = { a = 1 }\n', "run.seed"),
    "share_above_one": ('extends = "status_quo.toml"\n[city_classes.mega]\nservice_access = 1.5\n',
                        "city_classes.mega.service_access"),
    "start_after_end": ('extends = "status_quo.toml"\n[run]\nend_year = 2019\n', "run.end_year"),
    "year_without_data": ('extends = "status_quo.toml"\n[run]\nstart_year = 2012\n', "run.start_year"),
    "policy_start_outside": ('extends = "status_quo.toml"\n[policies.land_rights_kept]\nstart = 2040\n',
                             "policies.land_rights_kept.start"),
    "huge_agents": ('extends = "status_quo.toml"\n[run]\nagents = 1e300\n', "run.agents"),
    "missing_extends": ('extends = "nowhere.toml"\n', "extends"),
    "empty": ("", ""),
    "invalid_toml": ("name = \n", ""),
}


@pytest.mark.parametrize("case", sorted(BAD_SCENARIOS))
def test_bad_scenario_one_line_exit_2_nothing_written(case, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "status_quo.toml").write_text(STATUS_QUO.read_text())
    text, key = BAD_SCENARIOS[case]
    path = tmp_path / f"{case}.toml"
    path.write_text(text)
    assert main(["run", str(path), "--agents", "2000"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(path) in err and key in err and "expected" in err
    assert not (tmp_path / "results").exists()


def test_binary_scenario_file_and_debug_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "binary.toml"
    path.write_bytes(bytes(range(256)))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert "UTF-8" in err and err.count("\n") == 1
    assert main(["--debug", "run", str(path)]) == 2
    assert "Traceback" in capsys.readouterr().err
