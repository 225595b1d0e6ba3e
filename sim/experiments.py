"""The experiments behind the commands: each loads its inputs, runs, and writes its results whole.

One function per command that runs scenarios (``run``, ``reproduce``,
``compare``, ``attribute``) or lists the measures (``policies``); ``plot`` is in
``sim.plot_runs``, ``design`` in ``sim.design``; the
commands that study the model itself (``calibrate``, ``install-calibration``,
``sensitivity``, ``bench``, ``backtest``) are in ``sim.model_studies``. Each
takes the command's options as keyword arguments and returning an ``Outcome`` (text for
standard output, warnings for standard error, exit status); the command line
(``sim.cli``) only parses arguments and prints the outcome. Every results
folder gets a ``summary.json`` with the shared provenance manifest
(``sim.provenance``) under ``provenance``.

Calibrated parameters are applied here, in one place: ``resolve_calibration``
reads the file given with ``--calibration`` (default: the committed
``sim/data/calibration.toml``; ``--uncalibrated``: none) and
``calibrated`` applies its best fit to a loaded scenario; replications draw
from its accepted set unless ``--fixed-parameters``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim import calibration as calib
from sim import compare as comparisons
from sim import attribution, breakdown_table, ensemble, output, plots, plots_gap
from sim import scenario_targets as goals
from sim.calibration import Calibration, apply_calibration, load_calibration
from sim.overrides import warn_calibrated, with_overrides
from sim.provenance import Provenance
from sim.runs import ENGINES, RunSpec
from sim.scenario import Scenario, load_scenario, scenario_from_data

EXIT_OK, EXIT_FAILURE = 0, 1
MAX_REPLICATIONS = 1000  # the most replications a run takes (the command line's --replications)


class InputError(ValueError):
    """Bad input other than a scenario or calibration file (exit status 2)."""


class InstallError(RuntimeError):
    """Installing a calibration failed; the installed one is unchanged (exit status 1)."""


@dataclass
class Outcome:
    """What a command reports: text for standard output, warnings for standard error, exit status."""

    text: str = ""
    status: int = EXIT_OK
    warnings: list[str] = field(default_factory=list)


def resolve_calibration(calibration: str | Path | None, uncalibrated: bool) -> Calibration | None:
    """The calibration a command applies: the file given, the committed one by default, None if uncalibrated."""
    if uncalibrated:
        return None
    return load_calibration(calib.CALIBRATION_FILE if calibration is None else Path(calibration))


def calibrated(scenario: Scenario, calibration: Calibration | None) -> Scenario:
    """The scenario with the calibration's best fit (as it is without a calibration)."""
    return scenario if calibration is None else apply_calibration(scenario, calibration)


def _draws(calibration: Calibration | None, fixed_parameters: bool) -> Calibration | None:
    """The calibration replications draw their parameters from (None: they all keep the best fit)."""
    return None if fixed_parameters else calibration


def _start(command_line, calibration, uncalibrated, overrides=None) -> tuple[Provenance, Calibration | None]:
    provenance = Provenance(list(command_line), overrides=dict(overrides or {}))
    cal = resolve_calibration(calibration, uncalibrated)
    provenance.set_calibration(cal)
    warn_calibrated(overrides, cal)  # one line per --set parameter the calibration fitted or was fitted under
    return provenance, cal


def _load(path: Path, run_values: dict, overrides: dict | None) -> Scenario:
    """A scenario file with the command line's run values and ``--set`` overrides, validated."""
    return with_overrides(load_scenario(path, run_values), overrides, source="command line", option="--set",
                          run=run_values)


def _manifest_keys(manifest: dict) -> dict:
    """The manifest under ``provenance``, and the keys that ``summary.json`` carried at top level before it."""
    return {key: manifest[key] for key in ("package_versions", "git_commit", "wall_time_seconds")} | {
        "provenance": manifest}


# ----------------------------------------------------------------------------- run and reproduce
def run(scenario: Path, *, out: Path | None = None, seed: int | None = None, agents: int | None = None,
        replications: int = 1, workers: int | None = None, scheduler: str | None = None, engine: str = "vector",
        keep_going: bool = False, force: bool = False, fixed_parameters: bool = False,
        calibration: Path | None = None, uncalibrated: bool = False, overrides: dict | None = None,
        command_line=()) -> Outcome:
    """Run a scenario (``replications`` seeds); write timeseries.csv, summary.json, summary.md, urbanization.png and the
    breakdown by place and cause (breakdown.csv, gap_by_cause.png, gap_waterfall.png)."""
    loaded = _load(scenario, {"agents": agents, "seed": seed}, overrides)
    provenance, cal = _start(command_line, calibration, uncalibrated, overrides)
    target = out or Path("results") / loaded.name
    with output.claim(target, force, "run") as claim:  # the folder is ours (or refused) before any work
        loaded = calibrated(loaded, cal)
        provenance.add_scenario(loaded, scenario)
        seeds = ensemble.replication_seeds(loaded.seed, replications)
        provenance.seeds = seeds
        draws = _draws(cal, fixed_parameters) if len(seeds) > 1 else None
        specs = ensemble.replication_specs(loaded, seeds, engine=engine, calibration=draws)
        results = ensemble.run_replications(specs, workers, keep_going=keep_going, scheduler=scheduler)
        table = ensemble.summarize(results)
        places = breakdown_table.summarize(results, loaded.name)
        failed = [{"seed": r.seed, "error": r.error} for r in results if r.error is not None]
        manifest = provenance.manifest()
        summary = {
            "scenario": loaded.name, "description": loaded.description, "scenario_file": str(scenario),
            "scenario_sha256": loaded.sha256, "scenario_resolved": loaded.resolved,
            "policies": [p.to_dict() for p in loaded.build_policies()],
            "seed": loaded.seed, "replication_seeds": seeds, "replications": len(seeds), "failed_replications": failed,
            "agents": loaded.agents,
            "persons_per_agent": next(r.persons_per_agent for r in results if r.error is None),
            "engine": engine, "draw_parameters": draws is not None,
            "calibration_file_sha256": cal.sha256 if cal else None,
            "parameters": dict(loaded.parameters),
            "parameters_by_seed": ({str(s.seed): dict(s.scenario.parameters) for s in specs}
                                   if draws is not None else {}),
            "start_year": loaded.start_year, "end_year": loaded.end_year,
            "final_year": {col: float(table[col].iloc[-1]) for col in ensemble.RATE_COLUMNS},
            **goals.summary_keys(loaded.targets, [r.timeseries for r in results if r.error is None]),
            **_manifest_keys(manifest),
        }
        note = (f"{loaded.agents:,} agents ({summary['persons_per_agent']:,.0f} persons each), "
                f"{len(seeds) - len(failed)} replication(s), seed {loaded.seed}; official points: NBS, census 2020")
        with claim.writing() as folder:
            output.write_timeseries(folder / "timeseries.csv", table)
            output.write_json(folder / "summary.json", summary)
            (folder / "summary.md").write_text(goals.run_markdown(summary), encoding="utf-8")
            plots.plot_urbanization(
                table, folder / "urbanization.png",
                f"Scenario '{loaded.name}': urbanization {loaded.start_year}-{loaded.end_year}", note)
            breakdown_table.write(folder, places, f"Scenario '{loaded.name}'")
    last = table.iloc[-1]
    return Outcome(
        f"{loaded.name}: {int(last['year'])} resident {last['resident_urbanization_pct']:.2f} %, "
        f"hukou {last['hukou_urbanization_pct']:.2f} %, gap {last['gap_pp']:.2f} pp "
        f"({len(seeds)} replication(s), {manifest['wall_time_seconds']:.1f} s) -> {target}"
        + "".join(f"\n{line}" for line in goals.report_lines(summary["targets"], summary["targets_all_probability"])),
        warnings=[f"warning: replication with seed {f['seed']} failed and is left out: {f['error']}" for f in failed])


def _read_summary(path: Path) -> dict:
    def bad(detail: str) -> InputError:
        return InputError(f"{path}: expected a summary.json written by 'run' ({detail})")

    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(summary, dict):
            raise TypeError("not a JSON object")
        for key in ("scenario_resolved", "scenario_sha256", "replication_seeds"):
            if key not in summary:
                raise KeyError(key)
        for key in ("parameters", "parameters_by_seed"):
            if not isinstance(summary.get(key) or {}, dict):
                raise TypeError(f"{key} is not a table")
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as err:
        raise bad(f"{type(err).__name__}: {err}") from None
    seeds = summary["replication_seeds"]
    if (not isinstance(seeds, list) or not seeds
            or not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**32 for s in seeds)):
        raise bad("replication_seeds: a non-empty list of integers in [0, 2**32)")
    if len(seeds) > MAX_REPLICATIONS:
        raise bad(f"replication_seeds: at most {MAX_REPLICATIONS} seeds, as 'run' writes; got {len(seeds)}")
    if summary.get("engine", "vector") not in ENGINES:
        raise bad(f"engine: 'vector' or 'agent', got {summary.get('engine')!r}")
    return summary


def reproduce(summary: Path, *, workers: int | None = None, scheduler: str | None = None,
              calibration: Path | None = None, uncalibrated: bool = False, command_line=()) -> Outcome:
    """Rerun a finished run from its summary.json with the parameters it recorded; compare the bytes."""
    recorded = _read_summary(summary)
    old_path = summary.parent / "timeseries.csv"
    if not old_path.is_file():
        raise InputError(f"{old_path}: missing; nothing to compare with")
    _, cal = _start(command_line, calibration, uncalibrated)
    scenario = scenario_from_data(recorded["scenario_resolved"], summary, recorded["scenario_sha256"])
    seeds, parameters = recorded["replication_seeds"], recorded.get("parameters") or {}
    by_seed = recorded.get("parameters_by_seed") or {}
    try:  # the parameters the run recorded, not whatever the calibration file says now
        scenario = (dataclasses.replace(scenario, parameters=scenario.parameters.with_overrides(parameters))
                    if parameters else calibrated(scenario, cal))
        scenarios = [dataclasses.replace(scenario, parameters=scenario.parameters.with_overrides(by_seed[str(s)]))
                     if str(s) in by_seed else scenario for s in seeds]
    except (KeyError, ValueError, TypeError) as err:
        raise InputError(f"{summary}: expected a summary.json written by 'run' "
                         f"(parameters: {type(err).__name__}: {err})") from None
    lines = []
    was = recorded.get("calibration_file_sha256")
    if was and (cal is None or cal.sha256 != was):
        lines.append("note: the calibration file changed since the run; the run's recorded parameters are used")
    failed = {f.get("seed") for f in recorded.get("failed_replications") or [] if isinstance(f, dict)}
    engine = recorded.get("engine", "vector")
    specs = [RunSpec(sc, s, None, engine) for sc, s in zip(scenarios, seeds)]
    results = ensemble.run_replications(specs, workers, keep_going=bool(failed), scheduler=scheduler)
    results = [r if r.seed not in failed else dataclasses.replace(r, timeseries=None) for r in results]
    table = ensemble.summarize(results)
    versions = output.package_versions()
    for name, old in (recorded.get("package_versions") or {}).items():
        if versions.get(name) != old:
            lines.append(f"note: {name} was {old}, now {versions.get(name)}")
    if output.timeseries_bytes(table) == old_path.read_bytes():
        return Outcome("\n".join([*lines, f"reproduced: {old_path} is byte-identical ({len(seeds)} replication(s))"]))
    lines.append(f"NOT reproduced: {old_path} differs; {_difference(table, old_path)}")
    return Outcome("\n".join(lines), EXIT_FAILURE)


def _difference(table: pd.DataFrame, old_path: Path) -> str:
    """How the recorded table differs from the rerun: its shape first (a truncated file), then the rates."""
    try:
        old = pd.read_csv(old_path)
    except (OSError, ValueError, UnicodeDecodeError) as err:
        return f"it is not a readable table ({type(err).__name__}: {err})"
    if list(old.columns) != list(table.columns):
        return f"its columns differ from the rerun's ({len(old.columns)} against {len(table.columns)})"
    if len(old) != len(table):
        return f"it has {len(old)} rows, the rerun {len(table)}: truncated or edited"
    rates = list(ensemble.RATE_COLUMNS)
    incomplete = int(old[rates].isna().sum().sum())
    if incomplete:
        return f"{incomplete} rate value(s) missing: truncated or edited"
    diff = float((table[rates] - old[rates]).abs().max().max())
    if diff > 0:
        return f"largest difference in a rate {diff:.6f} points"
    return "the rates agree to the printed precision; other columns or the formatting differ"


# ----------------------------------------------------------------------------- compare and attribute
def compare(scenarios: list[Path], *, out: Path | None = None, replications: int = 10, seed: int | None = None,
            agents: int | None = None, workers: int | None = None, scheduler: str | None = None,
            year: int | None = None, force: bool = False, fixed_parameters: bool = False,
            calibration: Path | None = None, uncalibrated: bool = False, overrides: dict | None = None,
            command_line=()) -> Outcome:
    """Run scenarios with common random numbers; write comparison.csv, replications.csv, .png, summaries,
    and gap_waterfalls.png (the gap's change by flow, one waterfall per scenario)."""
    loaded = [_load(path, {"agents": agents}, overrides) for path in scenarios]
    try:
        comparisons.common_years(loaded, year)  # refused before any folder is claimed
    except ValueError as err:
        raise InputError(str(err)) from None
    provenance, cal = _start(command_line, calibration, uncalibrated, overrides)
    seed = loaded[0].seed if seed is None else seed
    agents = agents or loaded[0].agents
    names = comparisons.unique_names(loaded)
    target = out or Path("results") / ("compare-" + "-vs-".join(dict.fromkeys(s.name for s in loaded)))[:120]
    with output.claim(target, force, "compare") as claim:  # the folder is ours (or refused) before any work
        loaded = [calibrated(s, cal) for s in loaded]
        for path, scenario in zip(scenarios, loaded):
            provenance.add_scenario(scenario, path)
        try:
            result = comparisons.compare(loaded, seed, replications, agents, workers, scheduler,
                                         calibration=_draws(cal, fixed_parameters), year=year)
        except ValueError as err:
            raise InputError(str(err)) from None
        provenance.seeds = result.seeds
        table, text, manifest = result.table(), result.summary_markdown(), provenance.manifest()
        summary = {
            "scenarios": [{"name": n, "file": str(p), "sha256": s.sha256, "resolved": s.resolved}
                          for n, p, s in zip(names, scenarios, loaded)],
            "seed": seed, "replication_seeds": result.seeds, "replications": len(result.seeds), "agents": agents,
            "year": result.report_year(), "engine": "vector", "calibration_file_sha256": cal.sha256 if cal else None,
            **_manifest_keys(manifest),
        }
        with claim.writing() as folder:
            output.write_timeseries(folder / "comparison.csv", table)
            output.write_timeseries(folder / "replications.csv", result.replications_table())
            (folder / "summary.md").write_text(text, encoding="utf-8")
            output.write_json(folder / "summary.json", summary)
            plots.plot_comparison(table, result.differences(), result.report_year(), folder / "comparison.png")
            plots_gap.plot_waterfalls(result.waterfalls(), int(result.years[0]), result.report_year(),
                                      len(result.seeds), folder / "gap_waterfalls.png")
    return Outcome(f"{text}\n-> {target}")


def attribute(plan: Path, *, base: Path | None = None, replications: int = 10, year: int | None = None,
              seed: int | None = None, agents: int = 50_000, workers: int | None = None, scheduler: str | None = None,
              out: Path | None = None, force: bool = False, fixed_parameters: bool = False,
              calibration: Path | None = None, uncalibrated: bool = False, overrides: dict | None = None,
              command_line=()) -> Outcome:
    """Split the plan's effect on a year's gap among its measures; write attribution.csv, .png, summaries."""
    plan_scenario = _load(plan, {"agents": agents}, overrides)
    base = base or plan.parent / "status_quo.toml"
    base_scenario = _load(base, {"agents": agents}, overrides)
    try:  # refused before any folder is claimed: a year either does not reach, a difference it cannot split
        year = min(plan_scenario.end_year, base_scenario.end_year) if year is None else year
        attribution.check_year(year, plan_scenario, base_scenario)
        attribution.check_terms(plan_scenario, base_scenario, attribution.differences(plan_scenario, base_scenario))
    except ValueError as err:
        raise InputError(str(err)) from None
    provenance, cal = _start(command_line, calibration, uncalibrated, overrides)
    seed = plan_scenario.seed if seed is None else seed
    target = out or Path("results") / f"attribution-{plan_scenario.name}"
    with output.claim(target, force, "attribute") as claim:  # the folder is ours (or refused) before any work
        plan_scenario, base_scenario = calibrated(plan_scenario, cal), calibrated(base_scenario, cal)
        provenance.add_scenario(plan_scenario, plan)
        provenance.add_scenario(base_scenario, base)
        try:
            result = attribution.attribute(plan_scenario, base_scenario, seed, replications, agents, workers, year,
                                           scheduler, calibration=_draws(cal, fixed_parameters))
        except ValueError as err:
            raise InputError(str(err)) from None
        provenance.seeds = result.seeds
        table, text, manifest = result.table(), result.summary_markdown(), provenance.manifest()
        summary = {
            "plan": plan_scenario.name, "plan_file": str(plan), "plan_sha256": plan_scenario.sha256,
            "base": base_scenario.name, "base_file": str(base), "base_sha256": base_scenario.sha256,
            "year": result.year, "shapley_method": result.method, "seed": seed, "replication_seeds": result.seeds,
            "agents": agents, "total_effect_per_replication": result.total.tolist(),
            "calibration_file_sha256": cal.sha256 if cal else None,
            **_manifest_keys(manifest),
        }
        with claim.writing() as folder:
            output.write_timeseries(folder / "attribution.csv", table)
            (folder / "summary.md").write_text(text, encoding="utf-8")
            output.write_json(folder / "summary.json", summary)
            plots.plot_attribution(table, result.year, result.method, folder / "attribution.png")
    return Outcome(f"{text}\n-> {target}")


# ----------------------------------------------------------------------------- policies (plot: sim.plot_runs)
def policies(*, command_line=()) -> Outcome:
    """Every measure: article, key phrase, levers, sizes with source and range, reasoned expectations."""
    from sim.policies import NEGLIGIBLE_PP, article_number, policy_table

    lines = []
    for row in policy_table():
        lines.append(f"{row['name']}  (article {row['article']} = {article_number(row['article'])}; default start "
                     f"{row['start']}, ramp {row['ramp_years']} years, strength {row['strength']})")
        lines.append(f"    key phrase: 「{row['quote']}」")
        lines.append(f"    {row['summary']}")
        lines += [f"    lever: {op['lever']} {op['op']} {op['value']} ({op['where']})" for op in row["operations"]]
        lines += [f"    size: {key} = {default:g}  range [{low:g}, {high:g}]  {doc}; source: {row['sources'][key]}"
                  for key, (default, low, high, doc) in row["params"].items()]
        resident, hukou, gap = row["expected"]
        lines.append(f"    expected by 2025 (negligible: below {NEGLIGIBLE_PP} pp): resident {resident}, "
                     f"hukou {hukou}, gap {gap}")
        lines.append(f"    reasoning: {row['mechanism']}")
    return Outcome("\n".join(lines))
