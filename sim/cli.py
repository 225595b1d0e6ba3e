"""Command line: ``python run_sim.py run|policies ...`` (also the ``urbanization-sim`` script).

Exit status: 0 success; 2 bad input (usage, scenario, existing results folder);
1 a failure while running; 130/143 when interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
import traceback
from pathlib import Path

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
MAX_REPLICATIONS = 1000
PROJECT_DIR = Path(__file__).resolve().parent.parent


class InputError(ValueError):
    """Bad input other than a scenario file (exit status 2)."""


class Terminated(BaseException):
    """SIGTERM arrived (exit status 143)."""


def _terminate(signum, frame):
    raise Terminated()


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _at_least_two(text: str) -> int:
    value = _positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"expected an integer of at least 2, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer seed >= 0, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"expected an integer seed in [0, 2**32), got {text!r}")
    return value


def _replications(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_REPLICATIONS:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_REPLICATIONS} replications, got {value}")
    return value


def _add_executor_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=_positive_int, help="local processes (default: all cores)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on the Dask distributed cluster at ADDRESS (e.g. tcp://host:8786) "
                             "instead of local processes")


def _add_fixed_parameters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fixed-parameters", action="store_true",
                        help="use the best-fit calibrated parameters in every replication (default: draw them "
                             "from the calibration's accepted set when there are several replications)")


def _add_debug(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: a --debug given before the subcommand is not reset by the subparser's default
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_sim.py",
        description="Agent-based simulation of China's urbanization and hukou reform.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a scenario and write results/<name>/")
    run.add_argument("scenario", type=Path, help="scenario TOML file")
    run.add_argument("--out", type=Path, help="results folder (default results/<scenario name>)")
    run.add_argument("--seed", type=_seed, help="random seed (default: the scenario's)")
    run.add_argument("--agents", type=_positive_int, help="number of agents (default: the scenario's)")
    run.add_argument("--replications", type=_replications, default=1,
                     help="independent replications; rates are reported as median, p10 and p90")
    _add_executor_options(run)
    _add_fixed_parameters(run)
    run.add_argument("--force", action="store_true", help="replace an existing results folder")
    run.add_argument("--engine", choices=("vector", "agent"), default="vector",
                     help="vector: decisions for all agents at once (default); agent: each Mesa agent decides "
                          "in plain Python (the readable specification, for checking)")
    run.add_argument("--keep-going", action="store_true",
                     help="if a replication fails, summarize the others and list the failed ones")
    _add_debug(run)

    rep = sub.add_parser("reproduce", help="rerun a finished run from its summary.json and compare the numbers")
    rep.add_argument("summary", type=Path, help="summary.json written by 'run'")
    _add_executor_options(rep)
    _add_debug(rep)

    cmp_ = sub.add_parser("compare", help="run scenarios with common random numbers and compare them")
    cmp_.add_argument("scenarios", type=Path, nargs="+", help="scenario TOML files; the first is the reference")
    cmp_.add_argument("--out", type=Path, help="results folder (default results/compare-<names>)")
    cmp_.add_argument("--replications", type=_replications, default=10, help="replications per scenario (default 10)")
    cmp_.add_argument("--seed", type=_seed, help="random seed shared by all scenarios (default: the first's)")
    cmp_.add_argument("--agents", type=_positive_int, help="agents (default: the first scenario's)")
    _add_executor_options(cmp_)
    _add_fixed_parameters(cmp_)
    cmp_.add_argument("--force", action="store_true", help="replace an existing results folder")
    _add_debug(cmp_)

    att = sub.add_parser("attribute", help="split the plan's effect on the 2025 gap among its measures")
    att.add_argument("plan", type=Path, help="scenario with the measures to attribute")
    att.add_argument("--base", type=Path, help="reference scenario (default: status_quo.toml beside the plan)")
    att.add_argument("--replications", type=_replications, default=10,
                     help="replications (and sampled orders of measures) (default 10)")
    att.add_argument("--year", type=int, default=2025, help="year whose gap is attributed (default 2025)")
    att.add_argument("--seed", type=_seed, help="random seed (default: the plan's)")
    att.add_argument("--agents", type=_positive_int, default=50_000, help="agents per run (default 50,000)")
    _add_executor_options(att)
    _add_fixed_parameters(att)
    att.add_argument("--out", type=Path, help="results folder (default results/attribution-<plan name>)")
    att.add_argument("--force", action="store_true", help="replace an existing results folder")
    _add_debug(att)

    cal = sub.add_parser("calibrate", help="fit the calibrated parameters to official series 2015-2020")
    cal.add_argument("--budget", type=_positive_int, default=300, help="trials (model evaluations) (default 300)")
    cal.add_argument("--seed", type=_seed, default=2015, help="seed of the search and of the runs (default 2015)")
    cal.add_argument("--agents", type=_positive_int, default=50_000, help="agents per run (default 50,000)")
    _add_executor_options(cal)
    cal.add_argument("--out", type=Path, help="folder for fit.png and fit.csv (default results/calibration)")
    cal.add_argument("--calibration-file", type=Path, help="where to write the calibration (default sim/data/calibration.toml)")
    cal.add_argument("--force", action="store_true", help="replace an existing results folder")
    _add_debug(cal)

    sen = sub.add_parser("sensitivity", help="global sensitivity (Morris) of the 2025 rates to the parameters")
    sen.add_argument("scenario", type=Path, nargs="?", default=Path("scenarios/plan.toml"),
                     help="scenario (default scenarios/plan.toml)")
    sen.add_argument("--samples", type=_at_least_two, default=10, help="Morris trajectories, 2 or more (default 10)")
    sen.add_argument("--agents", type=_positive_int, default=30_000, help="agents per run (default 30,000)")
    sen.add_argument("--seed", type=_seed, default=1, help="seed of the design and of every run (default 1)")
    _add_executor_options(sen)
    sen.add_argument("--out", type=Path, help="results folder (default results/sensitivity-<scenario>)")
    sen.add_argument("--force", action="store_true", help="replace an existing results folder")
    _add_debug(sen)

    bench = sub.add_parser("bench", help="benchmark the engines, scaling in agents and ensembles")
    bench.add_argument("--agents", type=_positive_int, nargs="+", default=[10_000, 100_000, 1_000_000],
                       help="sizes for the vector engine's scaling (default 10000 100000 1000000)")
    bench.add_argument("--engine-agents", type=_positive_int, default=100_000,
                       help="agents for the vector-against-agent engine comparison (default 100000)")
    bench.add_argument("--json", type=Path, help="also write the figures as JSON")
    _add_debug(bench)

    plot = sub.add_parser("plot", help="overlay the urbanization curves of finished runs")
    plot.add_argument("results", type=Path, nargs="+", help="results folders written by 'run'")
    plot.add_argument("--out", type=Path, required=True, help="PNG file to write")
    _add_debug(plot)

    pol = sub.add_parser("policies", help="list every policy with its article, parameters and defaults")
    _add_debug(pol)
    return parser


def cmd_run(args) -> int:
    from sim import ensemble, output, plots
    from sim.scenario import load_scenario

    from sim.calibration import load_calibration

    scenario = load_scenario(args.scenario, {"agents": args.agents, "seed": args.seed})
    calibration = load_calibration()
    target = args.out or Path("results") / scenario.name
    output.check_target(target, args.force)

    started = time.perf_counter()
    seeds = ensemble.replication_seeds(scenario.seed, args.replications)
    draw = len(seeds) > 1 and not args.fixed_parameters
    scenarios = ensemble.replication_scenarios(scenario, seeds, draw)
    results = ensemble.run_replications(scenario, seeds, workers=args.workers, keep_going=args.keep_going,
                                        engine=args.engine, scheduler=args.scheduler, scenarios=scenarios)
    table = ensemble.summarize(results)
    wall = time.perf_counter() - started
    failed = [{"seed": r.seed, "error": r.error} for r in results if r.error is not None]
    for item in failed:
        print(f"warning: replication with seed {item['seed']} failed and is left out: {item['error']}",
              file=sys.stderr)

    summary = {
        "scenario": scenario.name,
        "description": scenario.description,
        "scenario_file": str(args.scenario),
        "scenario_sha256": scenario.sha256,
        "scenario_resolved": scenario.resolved,
        "policies": [p.to_dict() for p in scenario.build_policies()],
        "seed": scenario.seed,
        "replication_seeds": seeds,
        "replications": len(seeds),
        "failed_replications": failed,
        "agents": scenario.agents,
        "persons_per_agent": next(r.persons_per_agent for r in results if r.error is None),
        "engine": args.engine,
        "draw_parameters": draw,
        "calibration_file_sha256": calibration.sha256 if calibration else None,
        "parameters": dict(scenario.parameters),
        "parameters_by_seed": {str(s): dict(sc.parameters) for s, sc in zip(seeds, scenarios)} if draw else {},
        "start_year": scenario.start_year,
        "end_year": scenario.end_year,
        "final_year": {col: float(table[col].iloc[-1]) for col in ensemble.RATE_COLUMNS},
        "package_versions": output.package_versions(),
        "git_commit": output.git_commit(PROJECT_DIR),
        "wall_time_seconds": round(wall, 3),
    }
    note = (f"{scenario.agents:,} agents ({summary['persons_per_agent']:,.0f} persons each), "
            f"{len(seeds) - len(failed)} replication(s), seed {scenario.seed}; official points: NBS, census 2020")
    with output.atomic_folder(target, args.force) as folder:
        output.write_timeseries(folder / "timeseries.csv", table)
        output.write_json(folder / "summary.json", summary)
        plots.plot_urbanization(table, folder / "urbanization.png",
                                f"Scenario '{scenario.name}': urbanization {scenario.start_year}-{scenario.end_year}",
                                note)
    last = table.iloc[-1]
    print(f"{scenario.name}: {int(last['year'])} resident {last['resident_urbanization_pct']:.2f} %, "
          f"hukou {last['hukou_urbanization_pct']:.2f} %, gap {last['gap_pp']:.2f} pp "
          f"({len(seeds)} replication(s), {wall:.1f} s) -> {target}")
    return EXIT_OK


def cmd_reproduce(args) -> int:
    import dataclasses
    import json

    import pandas as pd

    from sim import ensemble, output
    from sim.calibration import load_calibration
    from sim.scenario import scenario_from_data

    def bad(detail: str) -> InputError:
        return InputError(f"{args.summary}: expected a summary.json written by 'run' ({detail})")

    try:
        summary = json.loads(args.summary.read_text(encoding="utf-8"))
        content, sha = summary["scenario_resolved"], summary["scenario_sha256"]
        seeds = summary["replication_seeds"]
        parameters = summary.get("parameters") or {}
        by_seed = summary.get("parameters_by_seed") or {}
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise bad(f"{type(err).__name__}: {err}") from None
    if (not isinstance(seeds, list) or not seeds
            or not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**32 for s in seeds)):
        raise bad("replication_seeds: a non-empty list of integers in [0, 2**32)")
    old_path = args.summary.parent / "timeseries.csv"
    if not old_path.is_file():
        raise InputError(f"{old_path}: missing; nothing to compare with")
    engine = summary.get("engine", "vector")
    if engine not in ("vector", "agent"):
        raise bad(f"engine: 'vector' or 'agent', got {engine!r}")
    scenario = scenario_from_data(content, args.summary, sha)
    try:
        # the parameters the run recorded, not whatever the calibration file says now
        if parameters:
            scenario = dataclasses.replace(scenario, parameters=scenario.parameters.with_overrides(parameters))
        scenarios = [dataclasses.replace(scenario, parameters=scenario.parameters.with_overrides(by_seed[str(s)]))
                     if str(s) in by_seed else scenario for s in seeds]
    except (KeyError, ValueError, TypeError) as err:
        raise bad(f"parameters: {type(err).__name__}: {err}") from None
    calibration = load_calibration()
    recorded = summary.get("calibration_file_sha256")
    if recorded and (calibration is None or calibration.sha256 != recorded):
        print("note: the calibration file changed since the run; the run's recorded parameters are used")
    failed = {f.get("seed") for f in summary.get("failed_replications") or [] if isinstance(f, dict)}
    results = ensemble.run_replications(scenario, seeds, workers=args.workers, engine=engine,
                                        scheduler=args.scheduler, scenarios=scenarios, keep_going=bool(failed))
    results = [r if r.seed not in failed else dataclasses.replace(r, timeseries=None) for r in results]
    table = ensemble.summarize(results)
    new_bytes = output.timeseries_bytes(table)
    versions = output.package_versions()
    for name, was in (summary.get("package_versions") or {}).items():
        if versions.get(name) != was:
            print(f"note: {name} was {was}, now {versions.get(name)}")
    if new_bytes == old_path.read_bytes():
        print(f"reproduced: {old_path} is byte-identical ({len(seeds)} replication(s))")
        return EXIT_OK
    old = pd.read_csv(old_path)
    diff = (table[list(ensemble.RATE_COLUMNS)] - old[list(ensemble.RATE_COLUMNS)]).abs().max().max()
    print(f"NOT reproduced: {old_path} differs; largest difference in a rate {diff:.6f} points")
    return EXIT_FAILURE


def cmd_compare(args) -> int:
    from sim import compare, output, plots
    from sim.scenario import load_scenario

    scenarios = [load_scenario(path, {"agents": args.agents}) for path in args.scenarios]
    seed = scenarios[0].seed if args.seed is None else args.seed
    agents = args.agents or scenarios[0].agents
    names = compare.unique_names(scenarios)
    target = args.out or Path("results") / ("compare-" + "-vs-".join(dict.fromkeys(s.name for s in scenarios)))[:120]
    output.check_target(target, args.force)
    started = time.perf_counter()
    try:
        result = compare.compare(scenarios, seed, args.replications, agents, args.workers, args.scheduler,
                                 draw_parameters=not args.fixed_parameters)
    except ValueError as err:
        raise InputError(str(err)) from None
    table = result.table()
    summary = {
        "scenarios": [{"name": n, "file": str(p), "sha256": s.sha256, "resolved": s.resolved}
                      for n, p, s in zip(names, args.scenarios, scenarios)],
        "seed": seed, "replication_seeds": result.seeds, "replications": len(result.seeds), "agents": agents,
        "engine": "vector", "package_versions": output.package_versions(),
        "git_commit": output.git_commit(PROJECT_DIR), "wall_time_seconds": round(time.perf_counter() - started, 3),
    }
    with output.atomic_folder(target, args.force) as folder:
        output.write_timeseries(folder / "comparison.csv", table)
        (folder / "summary.md").write_text(result.summary_markdown(), encoding="utf-8")
        output.write_json(folder / "summary.json", summary)
        plots.plot_comparison(table, folder / "comparison.png")
    print(result.summary_markdown())
    print(f"-> {target}")
    return EXIT_OK


def cmd_attribute(args) -> int:
    from sim import compare, output, plots
    from sim.scenario import load_scenario

    plan = load_scenario(args.plan, {"agents": args.agents})
    base_path = args.base or args.plan.parent / "status_quo.toml"
    base = load_scenario(base_path, {"agents": args.agents})
    seed = plan.seed if args.seed is None else args.seed
    target = args.out or Path("results") / f"attribution-{plan.name}"
    output.check_target(target, args.force)
    started = time.perf_counter()
    try:
        result = compare.attribute(plan, base, seed, args.replications, args.agents, args.workers, args.year,
                                   args.scheduler, draw_parameters=not args.fixed_parameters)
    except ValueError as err:
        raise InputError(str(err)) from None
    table = result.table()
    summary = {
        "plan": plan.name, "plan_file": str(args.plan), "plan_sha256": plan.sha256,
        "base": base.name, "base_file": str(base_path), "base_sha256": base.sha256,
        "year": result.year, "shapley_method": result.method, "seed": seed, "replication_seeds": result.seeds,
        "agents": args.agents, "total_effect_per_replication": result.total.tolist(),
        "package_versions": output.package_versions(), "git_commit": output.git_commit(PROJECT_DIR),
        "wall_time_seconds": round(time.perf_counter() - started, 3),
    }
    with output.atomic_folder(target, args.force) as folder:
        output.write_timeseries(folder / "attribution.csv", table)
        (folder / "summary.md").write_text(result.summary_markdown(), encoding="utf-8")
        output.write_json(folder / "summary.json", summary)
        plots.plot_attribution(table, result.year, result.method, folder / "attribution.png")
    print(result.summary_markdown())
    print(f"-> {target}")
    return EXIT_OK


def cmd_calibrate(args) -> int:
    from importlib import metadata

    from sim import calibration, output, plots
    from sim.executor import map_jobs

    from sim.scenario import load_scenario

    target = args.out or Path("results") / "calibration"
    output.check_target(target, args.force)
    load_scenario(calibration.HISTORY, {"agents": args.agents})  # bad --agents fails here, not in a worker
    cal_path = args.calibration_file or calibration.CALIBRATION_FILE
    if cal_path.is_dir() or not cal_path.parent.is_dir():
        raise InputError(f"{cal_path}: expected a file path in an existing folder for the calibration")
    started = time.perf_counter()
    result = calibration.calibrate(args.budget, args.seed, args.agents, workers=args.workers, scheduler=args.scheduler)
    try:
        version = metadata.version("urbanization-sim")
    except metadata.PackageNotFoundError:
        version = "unknown"
    band = map_jobs(calibration._evaluate, [(vector, result.seeds[:1], result.agents)
                                            for vector, _ in result.accepted[:20]],
                    args.workers, scheduler=args.scheduler)
    fit = calibration.fit_table(result.best_series)
    text = calibration.calibration_text(result, version)
    with output.atomic_folder(target, args.force) as folder:
        output.write_timeseries(folder / "fit.csv", fit)
        plots.plot_fit(fit, band, folder / "fit.png")
        with output.atomic_file(cal_path) as tmp:
            tmp.write_text(text, encoding="utf-8")
        with output.atomic_file(cal_path.with_name(cal_path.stem + "_fit.csv")) as tmp:
            output.write_timeseries(tmp, fit)
    print(f"best loss {result.best_loss:.2f} ({len(result.accepted)} accepted of {len(result.trials)} trials, "
          f"{time.perf_counter() - started:.0f} s)")
    for name, loss in result.losses.items():
        print(f"  {name:35s} loss {loss:8.2f}")
    worst = fit.assign(err=lambda d: (d.simulated - d.observed).abs())
    for name in ("resident_urbanization_pct", "hukou_urbanization_pct"):
        rows = worst[worst.target == name]
        print(f"  largest error 2015-2020, {name}: {rows.err.max():.3f} points")
    print(f"-> {cal_path} and {target}")
    return EXIT_OK


def cmd_sensitivity(args) -> int:
    from sim import output, plots, sensitivity
    from sim.scenario import load_scenario

    scenario = load_scenario(args.scenario, {"agents": args.agents})
    target = args.out or Path("results") / f"sensitivity-{scenario.name}"
    output.check_target(target, args.force)
    try:
        result = sensitivity.morris(scenario, args.samples, args.seed, args.agents, args.workers, args.scheduler)
    except ValueError as err:
        raise InputError(str(err)) from None
    text = sensitivity.summary_markdown(result, scenario.name, args.samples, args.agents)
    with output.atomic_folder(target, args.force) as folder:
        output.write_timeseries(folder / "indices.csv", result.indices)
        (folder / "summary.md").write_text(text, encoding="utf-8")
        plots.plot_sensitivity(result.indices, folder / "indices.png")
    print(text)
    print(f"-> {target}")
    return EXIT_OK


def cmd_bench(args) -> int:
    from sim import bench

    bench.main(args.agents, args.engine_agents, args.json)
    return EXIT_OK


def cmd_plot(args) -> int:
    import pandas as pd

    from sim import plots
    from sim.output import atomic_file

    runs = []
    for folder in args.results:
        csv = folder / "timeseries.csv"
        if not csv.is_file():
            raise InputError(f"{folder}: no timeseries.csv (expected a folder written by 'run')")
        runs.append((folder.name, pd.read_csv(csv)))
    with atomic_file(args.out) as tmp:
        plots.plot_scenarios(runs, tmp)
    print(f"wrote {args.out}")
    return EXIT_OK


def cmd_policies(args) -> int:
    from sim.policies import NEGLIGIBLE_PP, article_number, policy_table

    for row in policy_table():
        print(f"{row['name']}  (article {row['article']} = {article_number(row['article'])}; default start "
              f"{row['start']}, ramp {row['ramp_years']} years, strength {row['strength']})")
        print(f"    key phrase: 「{row['quote']}」")
        print(f"    {row['summary']}")
        for op in row["operations"]:
            print(f"    lever: {op['lever']} {op['op']} {op['value']} ({op['where']})")
        for key, (default, low, high, doc) in row["params"].items():
            print(f"    size: {key} = {default:g}  range [{low:g}, {high:g}]  {doc}; source: {row['sources'][key]}")
        resident, hukou, gap = row["expected"]
        print(f"    expected by 2025 (negligible: below {NEGLIGIBLE_PP} pp): resident {resident}, hukou {hukou}, "
              f"gap {gap}")
        print(f"    reasoning: {row['mechanism']}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from sim.executor import SchedulerError
    from sim.output import OutputExistsError
    from sim.scenario import ScenarioError

    handlers = {"run": cmd_run, "reproduce": cmd_reproduce, "compare": cmd_compare, "attribute": cmd_attribute,
                "plot": cmd_plot, "policies": cmd_policies, "bench": cmd_bench, "calibrate": cmd_calibrate,
                "sensitivity": cmd_sensitivity}
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return handlers[args.command](args)
    except Terminated:
        print("terminated; no results written", file=sys.stderr)
        return 143
    except (ScenarioError, OutputExistsError, InputError, SchedulerError) as err:
        if args.debug:
            traceback.print_exc()
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted; no results written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a command that stopped reading (e.g. head)
        sys.stderr.close()
        return EXIT_OK
    except OSError as err:
        if args.debug:
            traceback.print_exc()
        print(f"error writing results: {err}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as err:  # noqa: BLE001 - the command line reports every failure in one line
        if args.debug:
            traceback.print_exc()
        print(f"error while running: {type(err).__name__}: {err}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
