"""The commands that study the model itself: calibrate, install-calibration, sensitivity, bench, backtest.

Like ``sim.experiments`` (whose helpers they share), each takes the command's
options as keyword arguments and returns an ``Outcome``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sim import calibration as calib
from sim import calibration_install
from sim import output, plots
from sim.experiments import InputError, InstallError, Outcome, _load, _start, calibrated
from sim.overrides import parameter_names
from sim.provenance import Provenance, shown_path
from sim.scenario import load_scenario

log = logging.getLogger(__name__)

def calibrate(*, budget: int = 300, seed: int = 2015, agents: int = 50_000, workers: int | None = None,
              scheduler: str | None = None, out: Path | None = None, calibration_file: Path | None = None,
              install: bool = False, force: bool = False, start_from: Path | None = None,
              command_line=()) -> Outcome:
    """Fit the calibrated parameters; write calibration.toml, fit.png, fit.csv and summary.json into ``out``.

    The fit becomes the model's calibration only when asked: ``install``
    (into ``sim/data``) or ``calibration_file`` (there), both files or neither
    (``sim.calibration_install.install_calibration``). The history runs set every
    fitted parameter themselves, so no calibration is applied to them.
    """
    from importlib import metadata

    provenance = Provenance(list(command_line))
    target = out or Path("results") / "calibration"
    history = load_scenario(calib.HISTORY, {"agents": agents})  # bad --agents fails here, not in a worker
    provenance.add_scenario(history, shown_path(calib.HISTORY))
    cal_path = calibration_file or (calib.CALIBRATION_FILE if install else None)
    if cal_path is not None and (cal_path.is_dir() or not cal_path.parent.is_dir()):
        raise InputError(f"{cal_path}: expected a file path in an existing folder for the calibration")
    start = calib.start_vector(start_from) if start_from else None  # a bad file fails here, before any work
    with output.claim(target, force, "calibrate") as claim:  # the folder is ours (or refused) before any work
        result = calib.calibrate(budget, seed, agents, workers=workers, scheduler=scheduler, start=start)
        provenance.seeds = result.seeds
        try:
            version = metadata.version("urbanization-sim")
        except metadata.PackageNotFoundError:
            version = "unknown"
        band = calib.accepted_band(result, workers, scheduler)
        fit = calib.fit_table(result.best_series)
        text = calib.calibration_text(result, version)
        summary = {"budget": budget, "seed": seed, "agents": agents, "best_loss": result.best_loss,
                   "accepted": len(result.accepted), "trials": len(result.trials), "losses": result.losses,
                   "best": result.best, "calibration_file": str(cal_path) if cal_path else None,
                   "start_from": shown_path(start_from) if start_from else None, "start": start,
                   "provenance": provenance.manifest()}
        with claim.writing() as folder:
            output.write_timeseries(folder / "fit.csv", fit)
            plots.plot_fit(fit, band, folder / "fit.png")
            output.write_json(folder / "summary.json", summary)
            (folder / calibration_install.RESULTS_CALIBRATION).write_text(text, encoding="utf-8")
    lines = [f"best loss {result.best_loss:.2f} ({len(result.accepted)} accepted of {len(result.trials)} trials, "
             f"{provenance.wall_time():.0f} s)"]
    lines += [f"  {name:35s} loss {loss:8.2f}" for name, loss in result.losses.items()]
    worst = fit.assign(err=lambda d: (d.simulated - d.observed).abs())
    for name in ("resident_urbanization_pct", "hukou_urbanization_pct"):
        lines.append(f"  largest error 2015-2020, {name}: {worst[worst.target == name].err.max():.3f} points")
    warnings = []
    if cal_path is None:
        lines.append(f"-> {target} (not installed: `run_sim.py install-calibration {target}` makes it the "
                     "model's calibration)")
    else:
        warnings = _install(target, cal_path, f"; the fit is complete in {target}")
        lines.append(f"-> {target}, installed as {cal_path}")
    return Outcome("\n".join(lines), warnings=warnings)


def _install(results: Path, cal_path: Path, where_fit: str = "") -> list[str]:
    """Install the fit in ``results`` as ``cal_path``; any failure but a bad file is one ``InstallError`` line."""
    try:
        return calibration_install.install_calibration(results, cal_path)
    except calib.CalibrationError:
        raise
    except Exception as err:
        raise InstallError(f"installing the calibration into {cal_path} failed ({type(err).__name__}: {err}); "
                           f"it is unchanged{where_fit}") from None


def install_calibration(results: Path, *, calibration_file: Path | None = None, command_line=()) -> Outcome:
    """Make the calibration a ``calibrate`` results folder holds the model's (both files, or neither)."""
    cal_path = calibration_file or calib.CALIBRATION_FILE
    if cal_path.is_dir() or not cal_path.parent.is_dir():
        raise InputError(f"{cal_path}: expected a file path in an existing folder for the calibration")
    warnings = _install(results, cal_path)
    return Outcome(f"installed {results} as {cal_path} (and {calibration_install.fit_path(cal_path).name})", warnings=warnings)


def sensitivity(scenario: Path, *, samples: int = 10, agents: int = 30_000, seed: int = 1,
                workers: int | None = None, scheduler: str | None = None, out: Path | None = None,
                force: bool = False, calibration: Path | None = None, uncalibrated: bool = False,
                overrides: dict | None = None, command_line=()) -> Outcome:
    """Morris screening of the 2025 rates; write indices.csv, indices.png, summary.md and summary.json."""
    from sim import sensitivity as morris

    loaded = _load(scenario, {"agents": agents}, overrides)
    provenance, cal = _start(command_line, calibration, uncalibrated, overrides)
    for name in [n for n in parameter_names(overrides) if n in morris.RANGES]:
        log.warning("warning: --set parameters.%s: sensitivity varies this parameter over its range; the value "
                    "set is not used", name)
    target = out or Path("results") / f"sensitivity-{loaded.name}"
    with output.claim(target, force, "sensitivity") as claim:  # the folder is ours (or refused) before any work
        loaded = calibrated(loaded, cal)
        provenance.add_scenario(loaded, scenario)
        provenance.seeds = [seed]
        try:
            result = morris.morris(loaded, samples, seed, agents, workers, scheduler)
        except ValueError as err:
            raise InputError(str(err)) from None
        text = morris.summary_markdown(result, loaded.name, samples, agents, calibrated=cal is not None)
        summary = {"scenario": loaded.name, "samples": samples, "agents": agents, "seed": seed,
                   "runs": len(result.samples), "provenance": provenance.manifest()}
        with claim.writing() as folder:
            output.write_timeseries(folder / "indices.csv", result.indices)
            (folder / "summary.md").write_text(text, encoding="utf-8")
            output.write_json(folder / "summary.json", summary)
            plots.plot_sensitivity(result.indices, folder / "indices.png")
    return Outcome(f"{text}\n-> {target}")


def bench(*, agents: list[int], engine_agents: int = 100_000, json_path: Path | None = None,
          calibration: Path | None = None, uncalibrated: bool = False, command_line=()) -> Outcome:
    """Benchmark the engines, scaling in agents and ensembles on the plan; optionally write the figures as JSON."""
    from sim import bench as benchmarks

    provenance, cal = _start(command_line, calibration, uncalibrated)
    plan = calibrated(load_scenario(benchmarks.PLAN), cal)
    provenance.add_scenario(plan, shown_path(benchmarks.PLAN))
    provenance.seeds = [1]
    results = benchmarks.run_bench(plan, tuple(agents), engine_agents, seed=1)
    if json_path:
        with output.atomic_file(json_path) as tmp:
            output.write_json(tmp, {**results, "provenance": provenance.manifest()})
    return Outcome(benchmarks.report(results))


def backtest(**options) -> Outcome:
    """Hindcasts from origins before 2020 against naive forecasts (``sim.backtest``)."""
    from sim import backtest as hindcasts

    return Outcome(hindcasts.command(**options))
