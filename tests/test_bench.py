"""The benchmark runs and reports every figure (no speed is asserted: see sim/bench.py)."""

import json

from sim.cli import main


def test_bench_reports_every_figure(tmp_path, capsys, monkeypatch):
    import sim.bench as bench

    monkeypatch.setattr(bench, "ensemble_rate", lambda scenario, workers, reps: 1.0)  # keep the test short
    out = tmp_path / "bench.json"
    assert main(["bench", "--agents", "2000", "4000", "--engine-agents", "2000", "--json", str(out)]) == 0
    results = json.loads(out.read_text())
    engines = results["engines"]
    assert engines["agent_over_vector"] > 1.0  # the per-agent engine is the slower one
    assert [r["agents"] for r in results["scaling"]] == [2000, 4000]
    for run in results["scaling"]:
        assert run["s_per_year"] > 0 and run["floor_s"] > 0 and run["peak_rss_mb"] > 0
        assert run["multiple_of_floor"] > 1  # the model does more than one draw and one search per agent
    assert "agent/vector" in capsys.readouterr().out
    assert results["provenance"]["command_line"].startswith("run_sim.py bench")
    assert results["provenance"]["calibration"]["file"] == "sim/data/calibration.toml"
    assert results["provenance"]["scenarios"][0]["file"] == "scenarios/plan.toml"
