"""Command line: ``python run_sim.py run|compare|... ...`` (also the ``urbanization-sim`` script).

This module only parses arguments and calls ``sim.experiments``, which runs
the command and returns what to print. Options shared by several
subcommands are declared once, in ``OPTIONS``, and added by name
(``add_options``); every command takes ``--quiet`` and ``--verbose``, which set
how much of the package's logging (``sim.progress``: progress and warnings)
reaches standard error while the command runs.

Exit status: 0 success; 2 bad input (usage, scenario or calibration file,
results folder that exists, is not ours to replace or is being written by
another run); 1 a failure while running; 130/143/129 when interrupted by
SIGINT/SIGTERM/SIGHUP. Every error is one line on standard error
(``--debug`` adds the traceback).
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from pathlib import Path
from urllib.parse import urlsplit

from sim import interrupts
from sim.interrupts import Terminated
from sim.progress import logging_to_stderr

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
MAX_REPLICATIONS = 1000  # also sim.experiments.MAX_REPLICATIONS (a test checks they agree)
PROG = "run_sim.py"
SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")

__all__ = ["Terminated", "build_parser", "main"]


class OneLineParser(argparse.ArgumentParser):
    """Usage errors in one line (the command, the error, where to find help), exit status 2."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


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


def _scheduler(text: str) -> str:
    """A Dask scheduler address: [tcp|tls|ws|wss|ucx://]host:port."""
    address = text if "://" in text else f"tcp://{text}"
    try:
        parts = urlsplit(address)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if (parts is None or port is None or parts.scheme not in SCHEDULER_SCHEMES or not parts.hostname
            or parts.path not in ("", "/") or parts.query or any(c.isspace() or not c.isprintable() for c in text)):
        raise argparse.ArgumentTypeError(f"expected a scheduler address such as tcp://host:8786, got {text!r}")
    return text


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a probability in (0, 1], got {text!r}")
    return value


def _assignment(text: str) -> tuple[str, object]:
    from sim.overrides import parse_assignment

    try:
        return parse_assignment(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _replications(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_REPLICATIONS:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_REPLICATIONS} replications, got {value}")
    return value


# name -> (flags, argparse keywords); a subcommand may give its own default and help (``add_options``)
OPTIONS = {
    "out": (("--out",), dict(type=Path, metavar="DIR", help="results folder")),
    "seed": (("--seed",), dict(type=_seed, help="random seed")),
    "agents": (("--agents",), dict(type=_positive_int, help="number of agents")),
    "replications": (("--replications",), dict(type=_replications, default=1, help="replications")),
    "workers": (("--workers",), dict(type=_positive_int, help="local processes (default: all cores)")),
    "scheduler": (("--scheduler",), dict(metavar="ADDRESS", type=_scheduler,
                                         help="run on the Dask distributed cluster at ADDRESS (e.g. "
                                              "tcp://host:8786) instead of local processes")),
    "force": (("--force",), dict(action="store_true", help="replace an existing results folder (only one this "
                                                           "tool wrote: it holds the .urbanization-sim marker)")),
    "fixed_parameters": (("--fixed-parameters",), dict(
        action="store_true", help="use the best-fit calibrated parameters in every replication (default: draw "
                                  "them from the calibration's accepted set when there are several replications)")),
    "calibration": (("--calibration",), dict(
        type=Path, metavar="FILE", help="calibration file whose best fit (and accepted set) the runs use "
                                        "(default: sim/data/calibration.toml)")),
    "uncalibrated": (("--uncalibrated",), dict(
        action="store_true", help="run with the parameters' defaults, no calibration file")),
    "set": (("--set",), dict(
        type=_assignment, action="append", dest="overrides", metavar="KEY=VALUE",
        help="override a scenario value, e.g. parameters.settle_land_coef=-0.5 or "
             "policies.settlement_open_small.strength=0.5 (a TOML value; repeatable; checked like a scenario file)")),
    # SUPPRESS: a --quiet, --verbose or --debug given before the subcommand is not reset by the subparser's default
    "quiet": (("--quiet", "-q"), dict(action="store_true", default=argparse.SUPPRESS,
                                      help="no progress, only warnings and errors")),
    "verbose": (("--verbose", "-v"), dict(action="store_true", default=argparse.SUPPRESS,
                                          help="progress as a line per finished run")),
    "debug": (("--debug",), dict(action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)),
}
EXCLUSIVE = [("calibration", "uncalibrated"), ("quiet", "verbose")]  # options that cannot be given together


def add_options(parser: argparse.ArgumentParser, *names: str, **own: tuple) -> None:
    """Add the shared options ``names`` to a subcommand; ``own[name] = (default, help)`` overrides both."""
    groups = {}
    for pair in EXCLUSIVE:
        if set(pair) <= set(names):
            group = parser.add_mutually_exclusive_group()
            groups.update(dict.fromkeys(pair, group))
    for name in names:
        flags, keywords = OPTIONS[name]
        keywords = dict(keywords)
        if name in own:
            keywords["default"], keywords["help"] = own[name]
        keywords.setdefault("dest", name)
        groups.get(name, parser).add_argument(*flags, **keywords)


RUNS = ("workers", "scheduler", "calibration", "uncalibrated", "debug")  # every command that runs the model
TALK = ("quiet", "verbose")  # every command, and before the subcommand


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROG, description="Agent-based simulation of China's urbanization and hukou reform.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    add_options(parser, *TALK)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a scenario and write results/<name>/")
    run.add_argument("scenario", type=Path, help="scenario TOML file")
    add_options(run, "out", "seed", "agents", "replications", "force", "fixed_parameters", "set", *RUNS,
                out=(None, "results folder (default results/<scenario name>)"),
                seed=(None, "random seed (default: the scenario's)"),
                agents=(None, "number of agents (default: the scenario's)"),
                replications=(1, "independent replications; rates are reported as median, p10 and p90"))
    run.add_argument("--engine", choices=("vector", "agent"), default="vector",
                     help="vector: decisions for all agents at once (default); agent: each Mesa agent decides "
                          "in plain Python (the readable specification, for checking)")
    run.add_argument("--keep-going", action="store_true",
                     help="if a replication fails, summarize the others and list the failed ones")

    rep = sub.add_parser("reproduce", help="rerun a finished run from its summary.json and compare the numbers")
    rep.add_argument("summary", type=Path, help="summary.json written by 'run'")
    add_options(rep, *RUNS, calibration=(None, "calibration file, used only for a summary that recorded no "
                                               "parameters and to note a change (default: sim/data/calibration.toml)"))

    cmp_ = sub.add_parser("compare", help="run scenarios with common random numbers and compare them")
    cmp_.add_argument("scenarios", type=Path, nargs="+", help="scenario TOML files; the first is the reference")
    add_options(cmp_, "out", "replications", "seed", "agents", "force", "fixed_parameters", "set", *RUNS,
                out=(None, "results folder (default results/compare-<names>)"),
                replications=(10, "replications per scenario (default 10)"),
                seed=(None, "random seed shared by all scenarios (default: the first's)"),
                agents=(None, "agents (default: the first scenario's)"))
    cmp_.add_argument("--year", type=int, help="year reported (default: the scenarios' common end year); every "
                                              "scenario must reach it")

    att = sub.add_parser("attribute", help="split the plan's effect on a year's gap among its measures and every "
                                           "other difference from the base")
    att.add_argument("plan", type=Path, help="scenario with the measures to attribute")
    att.add_argument("--base", type=Path, help="reference scenario (default: status_quo.toml beside the plan)")
    att.add_argument("--year", type=int, help="year whose gap is attributed (default: the common end year of plan "
                                             "and base); both must reach it")
    add_options(att, "replications", "seed", "agents", "out", "force", "fixed_parameters", "set", *RUNS,
                replications=(10, "replications (and sampled orders of measures) (default 10)"),
                seed=(None, "random seed (default: the plan's)"),
                agents=(50_000, "agents per run (default 50,000)"),
                out=(None, "results folder (default results/attribution-<plan name>)"))

    cal = sub.add_parser("calibrate", help="fit the calibrated parameters to official series 2015-2020")
    cal.add_argument("--budget", type=_positive_int, default=300, help="trials (model evaluations) (default 300)")
    cal.add_argument("--install", action="store_true",
                     help="also install the fit as the model's calibration (sim/data/calibration.toml and "
                          "calibration_fit.csv, both or neither)")
    cal.add_argument("--start-from", type=Path, metavar="FILE",
                     help="evaluate this calibration file's best vector first and search on from it (parameters "
                          "it lacks at their defaults)")
    cal.add_argument("--calibration-file", type=Path,
                     help="install the fit there instead (and FILE_fit.csv beside it); implies --install")
    add_options(cal, "seed", "agents", "out", "force", "workers", "scheduler", "debug",
                seed=(2015, "seed of the search and of the runs (default 2015)"),
                agents=(50_000, "agents per run (default 50,000)"),
                out=(None, "folder for calibration.toml, fit.png, fit.csv and summary.json "
                           "(default results/calibration)"))

    ins = sub.add_parser("install-calibration",
                         help="make the fit in a calibrate results folder the model's calibration")
    ins.add_argument("results", type=Path, help="results folder written by 'calibrate'")
    ins.add_argument("--calibration-file", type=Path,
                     help="where to install it (default sim/data/calibration.toml; FILE_fit.csv beside it)")
    add_options(ins, "debug")

    sen = sub.add_parser("sensitivity", help="global sensitivity (Morris) of the 2025 rates to the parameters")
    sen.add_argument("scenario", type=Path, nargs="?", default=Path("scenarios/plan.toml"),
                     help="scenario (default scenarios/plan.toml)")
    sen.add_argument("--samples", type=_at_least_two, default=10, help="Morris trajectories, 2 or more (default 10)")
    add_options(sen, "agents", "seed", "out", "force", "set", *RUNS,
                agents=(30_000, "agents per run (default 30,000)"),
                seed=(1, "seed of the design and of every run (default 1)"),
                out=(None, "results folder (default results/sensitivity-<scenario>)"))

    back = sub.add_parser("backtest", help="hindcasts from origins before 2020 against naive forecasts")
    back.add_argument("--budget", type=_positive_int, default=80,
                      help="trials of each calibration search (default 80)")
    back.add_argument("--searches", type=_positive_int, default=6,
                      help="independent calibration searches per origin, their accepted sets pooled (default 6)")
    back.add_argument("--install", action="store_true",
                      help="install this seed's hindcast errors by horizon (forecast_errors.csv) as the ones the "
                           "runs' model-error bands use (sim/data/forecast_errors.csv), replacing the nine seeds' "
                           "pooled errors that scripts/backtest_seeds.py --install writes")
    add_options(back, "agents", "replications", "seed", "out", "force", "workers", "scheduler", "debug",
                agents=(20_000, "agents per run (default 20,000)"),
                replications=(12, "replications of each hindcast (default 12)"),
                seed=(2010, "seed of the calibrations and the runs (default 2010)"),
                out=(None, "results folder (default results/backtest)"))

    bench = sub.add_parser("bench", help="benchmark the engines, scaling in agents and ensembles")
    bench.add_argument("--agents", type=_positive_int, nargs="+", default=[10_000, 100_000, 1_000_000],
                       help="sizes for the vector engine's scaling (default 10000 100000 1000000)")
    bench.add_argument("--engine-agents", type=_positive_int, default=100_000,
                       help="agents for the vector-against-agent engine comparison (default 100000)")
    bench.add_argument("--json", type=Path, dest="json_path", metavar="JSON",
                       help="also write the figures (and the provenance manifest) as JSON")
    add_options(bench, "calibration", "uncalibrated", "debug")

    plot = sub.add_parser("plot", help="overlay the urbanization curves of finished runs")
    plot.add_argument("results", type=Path, nargs="+", help="results folders written by 'run'")
    plot.add_argument("--out", type=Path, required=True, help="file to write: .png, .pdf or .svg (the format)")
    add_options(plot, "force", "debug", force=(False, "replace an existing file"))

    des = sub.add_parser("design", help="the smallest set of the plan's measures that meets targets with a "
                                        "chosen probability")
    des.add_argument("plan", type=Path, help="scenario whose measures are searched")
    des.add_argument("--target", action="append", metavar="Q OP V@YEAR",
                     help="a target such as gap_pp<=17.5@2025 (repeatable; default: the plan's [[targets]])")
    des.add_argument("--probability", type=_probability, default=0.8,
                     help="chance over replications a set must reach for every target at once (default 0.8)")
    add_options(des, "agents", "replications", "seed", "out", "force", "fixed_parameters", "set", *RUNS,
                agents=(20_000, "agents per run (default 20,000)"),
                replications=(8, "replications per evaluated set (default 8)"),
                seed=(None, "random seed (default: the plan's)"),
                out=(None, "results folder (default results/design-<plan name>)"))

    dash = sub.add_parser("dashboard", help="open the dashboard: switch the plan's measures, watch 2020-2025 "
                                            "(needs the viz extra)")
    dash.add_argument("scenario", type=Path, nargs="?", help="scenario the controls start from "
                                                             "(default scenarios/plan.toml)")
    dash.add_argument("--port", type=_positive_int, default=8765, help="port on 127.0.0.1 (default 8765)")
    dash.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    add_options(dash, "agents", "debug", agents=(None, "agents of each run (default 50,000)"))

    pol = sub.add_parser("policies", help="list every policy with its article, parameters and defaults")
    add_options(pol, "debug")
    for command in sub.choices.values():
        add_options(command, *TALK)
    return parser


def _interrupted(err: BaseException, what: str, status: int) -> int:
    print(f"{what}; {getattr(err, 'results_note', 'no results written')}", file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    previous = interrupts.install()  # SIGINT, SIGTERM, SIGHUP: exceptions, held in critical sections
    debug = "--debug" in argv
    bad_input: tuple = ()  # filled once the modules are imported (an interruption may come first)
    try:
        args = build_parser().parse_args(argv)
        debug = bool(getattr(args, "debug", False))
        talk = "quiet" if getattr(args, "quiet", False) else "verbose" if getattr(args, "verbose", False) else "normal"
        options = {k: v for k, v in vars(args).items() if k not in ("command", "debug", *TALK)}
        if options.get("overrides") is not None:
            options["overrides"] = dict(options["overrides"])  # KEY=VALUE pairs; the last of a key wins
        if args.command == "calibrate" and options.get("calibration_file") is not None:
            options["install"] = True
        with interrupts.deferred():  # a signal during the imports is raised after them, not inside one
            from sim import dashboard_server, design, experiments, model_studies, plot_runs
            from sim.executor import SchedulerError
            from sim.output import OutputError
            from sim.scenario import ScenarioError

        bad_input = (ScenarioError, OutputError, experiments.InputError, SchedulerError)
        commands = {"run": experiments.run, "reproduce": experiments.reproduce, "compare": experiments.compare,
                    "attribute": experiments.attribute, "plot": plot_runs.plot, "policies": experiments.policies,
                    "calibrate": model_studies.calibrate, "install-calibration": model_studies.install_calibration,
                    "sensitivity": model_studies.sensitivity, "bench": model_studies.bench,
                    "backtest": model_studies.backtest, "design": design.design_command,
                    "dashboard": dashboard_server.dashboard}
        with logging_to_stderr(talk):  # progress and warnings: logging (sim.progress)
            outcome = commands[args.command](**options, command_line=[PROG, *argv])
            for line in outcome.warnings:
                log.warning(line)
        if outcome.text:
            print(outcome.text)
        return outcome.status
    except Terminated as err:
        return _interrupted(err, "hang-up" if err.status == 129 else "terminated", err.status)
    except KeyboardInterrupt as err:
        return _interrupted(err, "interrupted", 130)
    except BrokenPipeError:  # output piped into a command that stopped reading (e.g. head)
        sys.stderr.close()
        return EXIT_OK
    except bad_input as err:
        if debug:
            traceback.print_exc()
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as err:
        if debug:
            traceback.print_exc()
        print(f"error: {err}; {getattr(err, 'results_note', 'no results written')}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as err:  # noqa: BLE001 - the command line reports every failure in one line
        if debug:
            traceback.print_exc()
        detail = " ".join(str(err).split())  # one line
        print(f"error while running: {type(err).__name__}: {detail}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        interrupts.restore(previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
