"""Fit the behavioural parameters no study pins down to the official record before 2021.

The model starts from a history scenario's state (the settlement rules
actually in force each year) and runs through a window of years
(``sim.targets.Window``; by default the 2015 state fitted to 2016-2020). The
loss is the sum of squared standardized errors against the official series
and flows of ``sim/targets.py``, which says what each target is, how it is
measured and why it has its scale.

No figure after 2020 enters: forecasts are checked out of sample, by the
backtest (``sim/backtest.py``) on windows before 2020.

Optimizer: Optuna's TPE sampler (seeded), asking one batch of trials per
round, evaluating the batch on the executor (local processes or Dask) and
telling the results in order, so the same seed gives the same trials. Optuna
was chosen over a gradient method because the loss is noisy (agents are
drawn) and over ABC-SMC because a budget of a few hundred runs must finish on
a laptop; what the data leave uncertain is kept as the set of accepted
vectors: every trial whose loss lies within the 90 % likelihood-ratio bound of
the best, min + chi2(0.90, k), for k fitted parameters (a profile-likelihood
region, not a Bayesian posterior). Replications of a projection draw their
parameters from that set.

The file is read only when a caller asks: ``load_calibration(path)``
validates it (every key known, every fitted parameter present and within its
searched range; ``CalibrationError`` otherwise) and ``apply_calibration``
returns a new scenario with its best fit (parameters the scenario file sets
keep their values). Loading a scenario never reads it. Installing a fit as the
model's calibration lives in ``sim/calibration_install.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.executor import map_jobs
from sim.progress import progress as show_progress
from sim.runs import RunSpec, execute
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.targets import (DEFAULT_WINDOW, MOMENTS, TARGETS, Window, fit_table, moment_targets,  # noqa: F401
                         moments_for, observed, target_losses)

CALIBRATION_FILE = Path(__file__).resolve().parent / "data" / "calibration.toml"
HISTORY = DEFAULT_WINDOW.history

# parameter -> (low, high) searched; the rest keep their defaults
FITTED = {
    "leave_intercept": (-8.5, -4.0),
    "settle_intercept": (-4.5, -1.5),
    "proof_barrier_no_record_factor": (1.0, 3.3),  # 3.3 x the 2020 barrier 0.3 holds back everyone without a record
    "return_intercept": (-7.0, -4.0),
    "reclassification_pace": (1.5, 25.0),  # million persons a year
    "reclassified_hukou_share": (0.05, 0.7),
    "college_transfer_rate": (0.05, 0.4),
    "job_gdp_elasticity": (0.05, 0.6),
    "wage_gdp_elasticity": (0.4, 1.6),
    "offfarm_entry_rate": (0.0, 0.05),
    "leave_age_slope": (-0.15, -0.02),
    "start_in_situ_share": (0.0, 0.22),  # above ~0.24 the 2015 state cannot hold NBS's 进城 workers
    "nonfarm_exit_rate_old": (0.0, 0.5),
    "reclassification_driver_elasticity": (0.0, 1.5),
    # the 2020 pandemic shocks: fitted only by a window that includes 2020 (``fitted_for``)
    "pandemic_leave_factor_2020": (0.2, 1.0),
    "pandemic_return_factor_2020": (1.0, 4.0),
    "pandemic_settle_factor_2020": (0.4, 1.0),
}
PANDEMIC = ("pandemic_leave_factor_2020", "pandemic_return_factor_2020", "pandemic_settle_factor_2020")


def fitted_for(window: Window) -> dict[str, tuple[float, float]]:
    """The parameters a window fits: ``FITTED``, less the 2020 shock sizes when 2020 is not in the window
    (no data before 2020 can show them; they keep their prior values)."""
    return {k: v for k, v in FITTED.items() if 2020 in window.fit_years or k not in PANDEMIC}
FIT_YEARS = DEFAULT_WINDOW.fit_years
BATCH = 4  # trials asked from the sampler per round
LOCAL_STEP = 0.05  # CMA-ES's first step from a start vector, as a share of each searched range
ACCEPT_QUANTILE = 0.90

def history_series(values: dict[str, float], seeds: list[int], agents: int,
                   window: Window = DEFAULT_WINDOW) -> pd.DataFrame:
    """Mean time series of the window's history scenario to its last year over ``seeds``, with ``values``."""
    scenario = load_scenario(window.history, {"agents": agents, "end_year": window.fit_years[-1]})
    scenario = dataclasses.replace(scenario, parameters=scenario.parameters.with_overrides(values))
    runs = [execute(RunSpec(scenario, seed=s, breakdown=False)).timeseries for s in seeds]
    return sum(runs[1:], runs[0]) / len(runs) if len(runs) > 1 else runs[0]


def total_loss(simulated: pd.DataFrame, window: Window) -> float:
    """The loss a search minimizes: every target's squared standardized errors over ``window``, summed."""
    return float(sum(target_losses(simulated, window).values()))


def _history_job(args) -> pd.DataFrame:
    return history_series(*args)


@dataclass
class CalibrationResult:
    best: dict[str, float]
    best_loss: float
    losses: dict[str, float]
    accepted: list[tuple[dict[str, float], float]]
    trials: list[tuple[dict[str, float], float]]
    seed: int
    budget: int
    agents: int
    seeds: list[int]
    best_series: pd.DataFrame  # the history run of the best vector, mean over the seeds
    window: Window = DEFAULT_WINDOW
    method: str = "Optuna TPE"


def calibrate(budget: int = 300, seed: int = 2015, agents: int = 50_000, seeds_per_trial: int = 2,
              workers: int | None = None, scheduler: str | None = None,
              window: Window = DEFAULT_WINDOW, start: dict[str, float] | None = None) -> CalibrationResult:
    """Search ``FITTED`` for the smallest loss over ``window`` (deterministic for a seed and ``start``).

    From scratch: Optuna's TPE sampler over the whole ranges. From ``start`` (an earlier calibration's best,
    ``--start-from``): ``start`` is evaluated first and CMA-ES (Optuna's sampler) refines it locally, with a
    first step of ``LOCAL_STEP`` of each range; a global search in 15 dimensions rarely comes back to a
    good earlier optimum, and a local one also maps the accepted region around it.
    """
    import warnings

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    searched = fitted_for(window)
    if start:
        x0 = {k: float(start[k]) for k in searched}
        with warnings.catch_warnings():  # x0/sigma0: experimental or deprecated in some Optuna versions
            warnings.simplefilter("ignore")
            sampler = optuna.samplers.CmaEsSampler(x0=x0, sigma0=LOCAL_STEP, seed=seed)
        method = f"Optuna CMA-ES from an earlier best (first step {LOCAL_STEP:g} of each range)"
    else:
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(40, max(10, budget // 5)))
        method = "Optuna TPE"
    study = optuna.create_study(sampler=sampler, direction="minimize")
    run_seeds = [int(s) for s in np.random.SeedSequence(seed).generate_state(seeds_per_trial)]
    if start:
        study.enqueue_trial(x0)
    batch = BATCH  # fixed, so that the trials do not depend on --workers or --scheduler
    trials: list[tuple[dict[str, float], float]] = []
    bar = show_progress(budget, f"calibration ({window.label})")  # one bar (or line) over every batch
    try:
        while len(trials) < budget:
            asked = [study.ask() for _ in range(min(batch, budget - len(trials)))]
            vectors = [{name: t.suggest_float(name, lo, hi) for name, (lo, hi) in searched.items()} for t in asked]
            series = map_jobs(_history_job, [(v, run_seeds, agents, window) for v in vectors], workers,
                              scheduler=scheduler)
            for trial, vector, ts in zip(asked, vectors, series):
                loss = total_loss(ts, window)
                study.tell(trial, loss)
                trials.append((vector, loss))
            if bar is not None:
                bar.update(len(asked))
    finally:
        if bar is not None:
            bar.close()
    best_vector, best_loss = min(trials, key=lambda t: t[1])
    accepted = accepted_trials(trials, best_loss, len(searched))
    best_series = history_series(best_vector, run_seeds, agents, window)
    return CalibrationResult(best_vector, best_loss, target_losses(best_series, window), accepted, trials, seed,
                             budget, agents, run_seeds, best_series, window, method)


def accept_margin(fitted: int) -> float:
    """How far above the best loss a trial is still accepted: chi2(``ACCEPT_QUANTILE``, ``fitted``)."""
    from scipy import stats  # here: scipy.stats costs a run that does not calibrate 0.4 s to import

    return float(stats.chi2.ppf(ACCEPT_QUANTILE, fitted))


def accepted_trials(trials: list, best_loss: float, fitted: int) -> list:
    """The trials whose loss is within the profile-likelihood bound of ``best_loss``: loss <= best +
    ``accept_margin(fitted)``, ``fitted`` the number of parameters searched; best first."""
    bound = best_loss + accept_margin(fitted)
    return sorted([t for t in trials if t[1] <= bound], key=lambda t: t[1])


def loss_noise(vector: dict[str, float], window: Window, agents: int, seed: int, runs: int = 8,
               seeds_per_trial: int = 1, workers: int | None = None, scheduler: str | None = None) -> dict:
    """The loss of one parameter vector scored again with ``runs`` other run seeds (each score the mean
    series over ``seeds_per_trial`` seeds, as a search scores a trial): mean, sd, min and max, beside the
    accepted sets' margin (``accept_margin``).

    A search scores every trial with the same run seeds, so its best is partly those seeds' luck; when the
    sd is near or above the margin, the accepted set holds a few trials near a lucky best rather than the
    region the data accept, and searches that differ only in their seeds stop at incomparable bests.
    Deterministic for ``seed`` (the run seeds are drawn from ``[seed, 4099]``, apart from any search's)."""
    states = np.random.SeedSequence([seed, 4099]).generate_state(runs * seeds_per_trial)
    groups = [[int(s) for s in states[i * seeds_per_trial:(i + 1) * seeds_per_trial]] for i in range(runs)]
    series = map_jobs(_history_job, [(vector, g, agents, window) for g in groups], workers, scheduler=scheduler)
    losses = np.array([total_loss(ts, window) for ts in series])
    return {"runs": runs, "loss_mean": float(losses.mean()), "loss_sd": float(losses.std(ddof=1)) if runs > 1
            else 0.0, "loss_min": float(losses.min()), "loss_max": float(losses.max()),
            "accept_margin": accept_margin(len(fitted_for(window)))}


def accepted_band(result: CalibrationResult, workers: int | None = None, scheduler: str | None = None,
                  vectors: int = 20) -> list[pd.DataFrame]:
    """History runs (first seed) of the best ``vectors`` accepted parameter vectors: the band of fit.png."""
    jobs = [(vector, result.seeds[:1], result.agents, result.window) for vector, _ in result.accepted[:vectors]]
    return map_jobs(_history_job, jobs, workers, scheduler=scheduler)


def _toml_value(value) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def calibration_text(result: CalibrationResult, version: str) -> str:
    """The calibration file (TOML)."""
    lines = ["# Written by `python run_sim.py calibrate`; read by every run (sim/calibration.py).",
             f"# Fitted to official series from the {result.window.label}; no later data used.", "",
             "[meta]",
             f"seed = {result.seed}", f"budget = {result.budget}", f"agents = {result.agents}",
             f"seeds_per_trial = {len(result.seeds)}",
             f"date = {_toml_value(_dt.date.today().isoformat())}",
             f"package_version = {_toml_value(version)}",
             f"method = {_toml_value(result.method + '; accepted: loss <= best + chi2(0.90, k)')}",
             f"best_loss = {_toml_value(result.best_loss)}",
             f"accepted_count = {len(result.accepted)}", "",
             "[targets]  # loss per target at the best fit (sum over years of squared standardized errors)"]
    for column, quantity, scale, kind in TARGETS:
        lines.append(f"{column} = {{ quantity = {_toml_value(quantity)}, scale = {scale}, kind = "
                     f"{_toml_value(kind)}, loss = {result.losses[column]:.4f} }}")
    for name, _, scale, source in moments_for(result.window):
        lines.append(f"{name} = {{ target = {moment_targets()[name]:.6g}, scale = {scale}, "
                     f"loss = {result.losses[name]:.4f}, source = {_toml_value(source)} }}")
    lines += ["", "[best]"] + [f"{k} = {_toml_value(v)}" for k, v in result.best.items()]
    for vector, loss in result.accepted:
        lines += ["", "[[accepted]]", f"loss = {_toml_value(loss)}"] + [f"{k} = {_toml_value(v)}"
                                                                      for k, v in vector.items()]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- the calibration file
FILE_KEYS = ("meta", "targets", "best", "accepted")
META_KEYS = ("seed", "budget", "agents", "seeds_per_trial", "date", "package_version", "method", "best_loss",
             "accepted_count")


class CalibrationError(ScenarioError):
    """A calibration file is missing, unreadable or invalid (bad input, like a scenario file)."""

    def __reduce__(self):
        return (CalibrationError, (self.path, self.key, self.expected, self.got))


@dataclass(frozen=True)
class Calibration:
    """What runs read from the calibration file: the best fit and the accepted vectors."""

    best: dict[str, float]
    accepted: tuple[dict[str, float], ...]
    sha256: str
    path: str

    def draw(self, seed: int) -> dict[str, float]:
        """The accepted vector a replication with ``seed`` uses (the same for every scenario)."""
        if not self.accepted:
            return dict(self.best)
        index = int(np.random.default_rng([seed, 7919]).integers(len(self.accepted)))
        return dict(self.accepted[index])


def _table(path, key: str, table: object, allowed) -> dict:
    if not isinstance(table, dict):
        raise CalibrationError(path, key, "a table", type(table).__name__)
    for name in table:
        if name not in allowed:
            raise CalibrationError(path, f"{key}.{name}" if key else name, f"one of: {', '.join(allowed)}",
                                   "unknown key")
    return table


def _fitted_vector(path, key: str, table: object, extra: tuple[str, ...] = ()) -> dict[str, float]:
    """Every parameter of ``FITTED``, each a number within its searched range."""
    _table(path, key, table, (*FITTED, *extra))
    vector = {}
    for name, (low, high) in FITTED.items():
        if name not in table:
            raise CalibrationError(path, f"{key}.{name}", "a value for every fitted parameter", "missing")
        value = table[name]
        if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
                or not low <= value <= high):
            raise CalibrationError(path, f"{key}.{name}", f"a number in [{low}, {high}] (its searched range)", value)
        vector[name] = float(value)
    if "loss" in table and (isinstance(table["loss"], bool) or not isinstance(table["loss"], (int, float))
                            or not table["loss"] >= 0):
        raise CalibrationError(path, f"{key}.loss", "a number >= 0", table["loss"])
    return vector


def load_calibration(path: str | Path = CALIBRATION_FILE) -> Calibration:
    """Read and validate a calibration file written by ``calibrate``.

    Every key must be known and every fitted parameter present within its
    searched range, in ``[best]`` and in each ``[[accepted]]`` vector; anything
    else raises ``CalibrationError`` naming the file and the key.
    """
    path = Path(path)
    try:
        if not path.is_file():
            raise CalibrationError(path, "", "an existing calibration file (or --uncalibrated for the defaults)")
        raw = path.read_bytes()
    except (OSError, ValueError) as err:
        if isinstance(err, CalibrationError):
            raise
        raise CalibrationError(path, "", "a readable calibration file", getattr(err, "strerror", None) or str(err)) \
            from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))  # a byte-order mark is allowed
    except UnicodeDecodeError:
        raise CalibrationError(path, "", "a UTF-8 text file") from None
    except tomllib.TOMLDecodeError as err:
        raise CalibrationError(path, "", f"valid TOML ({err})") from None
    except RecursionError:
        raise CalibrationError(path, "", "valid TOML (nested too deeply)") from None
    _table(path, "", data, FILE_KEYS)
    _table(path, "meta", data.get("meta", {}), META_KEYS)
    _table(path, "targets", data.get("targets", {}), tuple(t[0] for t in TARGETS) + tuple(m[0] for m in MOMENTS))
    if "best" not in data:
        raise CalibrationError(path, "best", "a table of the best-fit parameters", "missing")
    best = _fitted_vector(path, "best", data["best"])
    rows = data.get("accepted", [])
    if not isinstance(rows, list):
        raise CalibrationError(path, "accepted", "an array of tables ([[accepted]])", type(rows).__name__)
    accepted = tuple(_fitted_vector(path, f"accepted[{i}]", row, ("loss",)) for i, row in enumerate(rows))
    return Calibration(best, accepted, hashlib.sha256(raw).hexdigest(), str(path))


def apply_calibration(scenario: Scenario, calibration: Calibration) -> Scenario:
    """A new scenario with the calibration's best fit; parameters its file sets keep their values."""
    best = {k: v for k, v in calibration.best.items() if k not in scenario.parameter_overrides}
    return dataclasses.replace(scenario, parameters=scenario.parameters.with_overrides(best))


def with_drawn_parameters(scenario: Scenario, seed: int, calibration: Calibration) -> Scenario:
    """A new scenario with the accepted vector drawn for ``seed``; parameters its file sets keep their values.

    The draw depends only on the seed, so scenarios compared with the same
    seeds share their parameters.
    """
    drawn = {k: v for k, v in calibration.draw(seed).items() if k not in scenario.parameter_overrides}
    return dataclasses.replace(scenario, parameters=scenario.parameters.with_overrides(drawn))


def start_vector(path: Path) -> dict[str, float]:
    """The ``[best]`` vector of a calibration file to start a search from: its values of ``FITTED``, checked like
    any calibration's (``_fitted_vector``), the defaults for parameters it does not have (one fitted before they
    were)."""
    from sim.parameters import Parameters

    try:
        best = tomllib.loads(path.read_text(encoding="utf-8-sig"))["best"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise ScenarioError(path, "best", f"a calibration file with a [best] table ({type(exc).__name__})") from None
    if isinstance(best, dict):
        defaults = Parameters.defaults()
        best = {**{name: defaults[name] for name in FITTED}, **best}
    return _fitted_vector(path, "best", best)
