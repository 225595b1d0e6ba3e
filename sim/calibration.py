"""Fit the behavioural parameters no study pins down to the official record, 2015-2020.

The model starts from the 2015 state (``scenarios/history_2015.toml``: the
settlement rules actually in force each year) and runs to 2020. The loss is a
sum of squared standardized errors over the targets and years in ``TARGETS``;
each target's scale says how far off a simulated value may be before it
counts as one standard error:

- resident and hukou urbanization (2016-2020): 0.1 point. They are the
  headline quantities and the fit is required to stay within 0.3 point.
- migrant workers, total and outside their township (NBS monitoring survey,
  2016-2020): 1 % of the value, about the survey's sampling error.
- migrant workers living in towns (2016-2020): 2 %, since two years are
  derived in the source.
- migrant income growth since 2015 (2016-2020): 2 %. The model's wages are in
  2020 yuan, so only the nominal index (``wage_gdp_elasticity``) can match it.
- three flows the series above leave free (``MOMENTS``): hukou conversions a
  year (NDRC's 100 million in 2014-2020), the return rate of migrants (Bai,
  Wang & Zhang 2018) and the in-situ share of the flow into towns (studies of
  the sources of urban growth). Without them the fit reproduces the series
  with almost no migration and nearly all growth in situ, which the evidence
  rules out.

No figure after 2020 enters: forecasts are checked out of sample, elsewhere.

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
keep their values). Loading a scenario never reads it.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import math
import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim import datasets, output
from sim.executor import map_jobs
from sim.interrupts import deferred
from sim.runs import RunSpec, execute
from sim.scenario import Scenario, ScenarioError, load_scenario

CALIBRATION_FILE = Path(__file__).resolve().parent / "data" / "calibration.toml"
HISTORY = Path(__file__).resolve().parent.parent / "scenarios" / "history_2015.toml"

# parameter -> (low, high) searched; the rest keep their defaults
FITTED = {
    "leave_intercept": (-8.5, -4.0),
    "settle_intercept": (-4.5, -1.5),
    "return_intercept": (-7.0, -4.0),
    "reclassification_rate": (0.003, 0.05),
    "reclassified_hukou_share": (0.05, 0.7),
    "college_transfer_rate": (0.05, 0.4),
    "job_gdp_elasticity": (0.05, 0.6),
    "wage_gdp_elasticity": (0.4, 1.6),
    "offfarm_entry_rate": (0.0, 0.05),
    "leave_age_slope": (-0.15, -0.02),
}

# (model column, official quantity, scale, scale kind: "abs" or "rel", years)
TARGETS = (
    ("resident_urbanization_pct", "resident_urbanization_rate_revised", 0.1, "abs"),
    ("hukou_urbanization_pct", "hukou_urbanization_rate", 0.1, "abs"),
    ("migrant_workers_total", "migrant_workers_total", 0.01, "rel"),
    ("migrant_workers_outside_township", "migrant_workers_outside_township", 0.01, "rel"),
    ("migrants_in_cities", "migrant_workers_living_in_cities", 0.02, "rel"),
    ("mean_migrant_wage", "migrant_worker_monthly_income", 0.02, "growth"),
)
FIT_YEARS = range(2016, 2021)
BATCH = 4  # trials asked from the sampler per round
ACCEPT_QUANTILE = 0.90

# Flows over 2016-2020 that the official series alone do not pin down, from
# the record and from studies (all before 2021): (name, target, scale, source)
MOMENTS = (
    ("hukou_conversions_per_year", None, 0.10,
     "100 million settled in 2014-2020 (NDRC; sim/data): 14.3 million a year; scale 10 %"),
    ("migrant_settlements_share", 0.70, 0.10,
     "share of those conversions that are migrants settling where they live (the plan's '100 million "
     "agricultural migrants settled'); the split against village conversions and college is not "
     "published: 0.7 assumed, scale 0.1"),
    ("return_rate", 0.015, 0.005,
     "about 1.5 % of migrants return each year (village panel 1998-2015, Bai, Wang & Zhang 2018); "
     "scale 0.5 point"),
    ("in_situ_share", 0.40, 0.15,
     "reclassification about a third of urban growth in 1991-2010 and dominant after 2010 (China Population "
     "Science 2014(2); Wang 2021): 0.4 of the net flow into towns, scale 0.15"),
)


def moment_values(simulated: pd.DataFrame) -> dict[str, float]:
    """The simulated flows of ``MOMENTS``, averaged over 2016-2020."""
    sim = simulated[simulated["year"].isin(FIT_YEARS)]
    conversions = (sim["settlements_in_year"] + sim["other_hukou_conversions_in_year"]).mean()
    lagged = simulated.set_index("year")["rural_hukou_migrants_in_towns"].shift(1)
    returns = (sim.set_index("year")["returns_in_year"] / lagged.loc[list(FIT_YEARS)]).mean()
    inflow = (sim["reclassified_in_year"] + sim["departures_in_year"] - sim["returns_in_year"]).sum()
    settled = sim["settlements_in_year"].mean()
    return {"hukou_conversions_per_year": float(conversions),
            "migrant_settlements_share": float(settled / conversions) if conversions > 0 else 0.0,
            "return_rate": float(returns),
            "in_situ_share": float(sim["reclassified_in_year"].sum() / inflow) if inflow > 0 else 1.0}


def moment_targets() -> dict[str, float]:
    cumulative = datasets.official("hukou_settlements_cumulative", "2014-2020") * datasets.TEN_THOUSAND
    return {"hukou_conversions_per_year": cumulative / 7, "migrant_settlements_share": 0.70, "return_rate": 0.015,
            "in_situ_share": 0.40}


def observed() -> pd.DataFrame:
    """Official values of every target, 2015-2020, persons and percent."""
    rows = []
    for column, quantity, _, kind in TARGETS:
        series = datasets.official_series(quantity)
        for year in range(2015, 2021):
            if year in series.index:
                value = series[year] * (datasets.TEN_THOUSAND if kind == "rel" else 1.0)
                rows.append({"target": column, "year": year, "observed": float(value)})
    return pd.DataFrame(rows)


def target_losses(simulated: pd.DataFrame) -> dict[str, float]:
    """Squared standardized errors per target: the series summed over years, then the flows."""
    return {**series_losses(simulated), **moment_losses(simulated)}


def moment_losses(simulated: pd.DataFrame) -> dict[str, float]:
    values, targets = moment_values(simulated), moment_targets()
    out = {}
    for name, _, scale, _ in MOMENTS:
        if name == "hukou_conversions_per_year":
            out[name] = ((values[name] / targets[name] - 1.0) / scale) ** 2
        else:
            out[name] = ((values[name] - targets[name]) / scale) ** 2
    return out


def series_losses(simulated: pd.DataFrame) -> dict[str, float]:
    """Squared standardized errors summed over years, per official series."""
    obs = observed()
    out = {}
    sim = simulated.set_index("year")
    for column, _, scale, kind in TARGETS:
        o = obs[obs["target"] == column].set_index("year")["observed"]
        total = 0.0
        for year in FIT_YEARS:
            if year not in o.index:
                continue
            s = sim.loc[year, column]
            if kind == "abs":
                z = (s - o[year]) / scale
            elif kind == "rel":
                z = (s / o[year] - 1.0) / scale
            else:  # growth since 2015
                z = ((s / sim.loc[2015, column]) / (o[year] / o[2015]) - 1.0) / scale
            total += float(z * z)
        out[column] = total
    return out


def history_series(values: dict[str, float], seeds: list[int], agents: int) -> pd.DataFrame:
    """Mean time series of the history scenario over ``seeds``, with the parameters ``values``."""
    scenario = load_scenario(HISTORY, {"agents": agents})
    scenario = dataclasses.replace(scenario, parameters=scenario.parameters.with_overrides(values))
    runs = [execute(RunSpec(scenario, seed=s)).timeseries for s in seeds]
    return sum(runs[1:], runs[0]) / len(runs) if len(runs) > 1 else runs[0]


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


def calibrate(budget: int = 300, seed: int = 2015, agents: int = 50_000, seeds_per_trial: int = 2,
              workers: int | None = None, scheduler: str | None = None) -> CalibrationResult:
    """Search ``FITTED`` for the smallest loss with Optuna TPE (deterministic for a seed)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(40, max(10, budget // 5)))
    study = optuna.create_study(sampler=sampler, direction="minimize")
    run_seeds = [int(s) for s in np.random.SeedSequence(seed).generate_state(seeds_per_trial)]
    batch = BATCH  # fixed, so that the trials do not depend on --workers or --scheduler
    trials: list[tuple[dict[str, float], float]] = []
    while len(trials) < budget:
        asked = [study.ask() for _ in range(min(batch, budget - len(trials)))]
        vectors = [{name: t.suggest_float(name, lo, hi) for name, (lo, hi) in FITTED.items()} for t in asked]
        series = map_jobs(_history_job, [(v, run_seeds, agents) for v in vectors], workers, scheduler=scheduler,
                          progress=f"calibration {len(trials)}/{budget}")
        for trial, vector, ts in zip(asked, vectors, series):
            loss = float(sum(target_losses(ts).values()))
            study.tell(trial, loss)
            trials.append((vector, loss))
    best_vector, best_loss = min(trials, key=lambda t: t[1])
    from scipy import stats  # here: scipy.stats costs a run that does not calibrate 0.4 s to import

    bound = best_loss + stats.chi2.ppf(ACCEPT_QUANTILE, len(FITTED))
    accepted = sorted([t for t in trials if t[1] <= bound], key=lambda t: t[1])
    best_series = history_series(best_vector, run_seeds, agents)
    return CalibrationResult(best_vector, best_loss, target_losses(best_series), accepted, trials, seed, budget,
                             agents, run_seeds, best_series)


def accepted_band(result: CalibrationResult, workers: int | None = None, scheduler: str | None = None,
                  vectors: int = 20) -> list[pd.DataFrame]:
    """History runs (first seed) of the best ``vectors`` accepted parameter vectors: the band of fit.png."""
    jobs = [(vector, result.seeds[:1], result.agents) for vector, _ in result.accepted[:vectors]]
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
             "# Fitted to official series 2016-2020 from the 2015 state; no later data used.", "",
             "[meta]",
             f"seed = {result.seed}", f"budget = {result.budget}", f"agents = {result.agents}",
             f"seeds_per_trial = {len(result.seeds)}",
             f"date = {_toml_value(_dt.date.today().isoformat())}",
             f"package_version = {_toml_value(version)}",
             f"method = {_toml_value('Optuna TPE; accepted: loss <= best + chi2(0.90, k)')}",
             f"best_loss = {_toml_value(result.best_loss)}",
             f"accepted_count = {len(result.accepted)}", "",
             "[targets]  # loss per target at the best fit (sum over years of squared standardized errors)"]
    for column, quantity, scale, kind in TARGETS:
        lines.append(f"{column} = {{ quantity = {_toml_value(quantity)}, scale = {scale}, kind = "
                     f"{_toml_value(kind)}, loss = {result.losses[column]:.4f} }}")
    for name, _, scale, source in MOMENTS:
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


# ----------------------------------------------------------------------------- installing a fit
RESULTS_CALIBRATION = "calibration.toml"  # in a calibrate results folder, beside fit.csv
RESULTS_FIT = "fit.csv"
FIT_COLUMNS = ("target", "year", "observed", "simulated")


def fit_path(calibration_path: Path) -> Path:
    """The fit table installed beside a calibration file (``calibration.toml`` -> ``calibration_fit.csv``)."""
    return calibration_path.with_name(calibration_path.stem + "_fit.csv")


def _checked_fit(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
        header, *rows = raw.decode("utf-8").splitlines()
    except (OSError, UnicodeDecodeError, ValueError):
        raise CalibrationError(path, "", "the fit table written by 'calibrate' (fit.csv)") from None
    if tuple(header.split(",")) != FIT_COLUMNS or not rows or any(len(r.split(",")) != len(FIT_COLUMNS) for r in rows):
        raise CalibrationError(path, "", f"the fit table written by 'calibrate' (columns {', '.join(FIT_COLUMNS)})")
    return raw


def _meta(path: Path) -> dict:
    try:
        meta = tomllib.loads(path.read_text(encoding="utf-8-sig")).get("meta", {})
    except (OSError, ValueError, RecursionError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _temporary_copy(data: bytes, beside: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".tmp-{beside.stem}-", suffix=beside.suffix, dir=beside.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def install_calibration(results: str | Path, destination: str | Path = CALIBRATION_FILE) -> list[str]:
    """Install the fit in a ``calibrate`` results folder as ``destination`` and its fit table: both or neither.

    The calibration is validated like any (``load_calibration``) and the fit
    table checked before anything is replaced. Both files are first copied
    beside their destinations; then, with signals held, the fit table and the
    calibration are renamed into place, and if the second rename fails the
    old fit table is put back. A lock beside the destination keeps two
    installs apart. Returns notes on what was replaced (standard error).
    """
    results, destination = Path(results), Path(destination)
    source = results / RESULTS_CALIBRATION
    if not source.is_file():
        raise CalibrationError(results, "", f"a results folder written by 'calibrate' (with {RESULTS_CALIBRATION} "
                                            f"and {RESULTS_FIT})")
    load_calibration(source)  # validated like every calibration file
    text, fit = source.read_bytes(), _checked_fit(results / RESULTS_FIT)
    new, old = _meta(source), _meta(destination) if destination.is_file() else {}
    notes = []
    if old:
        notes.append(f"note: replaced the calibration of {old.get('date', '?')} (budget {old.get('budget', '?')}, "
                     f"best loss {old.get('best_loss', float('nan')):.2f}) with the fit of {new.get('date', '?')} "
                     f"(budget {new.get('budget', '?')}, best loss {new.get('best_loss', float('nan')):.2f})")
        if isinstance(old.get("budget"), int) and isinstance(new.get("budget"), int) and new["budget"] < old["budget"]:
            notes.append(f"warning: the installed fit had a budget of {old['budget']} trials; this one has "
                         f"{new['budget']}")
    fit_destination = fit_path(destination)
    lock = destination.parent / f".lock-{destination.name}"
    fd = output.acquire_lock(lock, str(destination))
    try:
        tmp_text = tmp_fit = backup = None
        try:
            tmp_text, tmp_fit = _temporary_copy(text, destination), _temporary_copy(fit, fit_destination)
            with deferred():
                if fit_destination.exists():
                    backup = fit_destination.with_name(f".old-{fit_destination.name}-{os.getpid()}")
                    os.link(fit_destination, backup)
                os.replace(tmp_fit, fit_destination)
                try:
                    os.replace(tmp_text, destination)
                except BaseException:
                    if backup is not None:
                        os.replace(backup, fit_destination)
                    else:
                        fit_destination.unlink(missing_ok=True)
                    raise
        finally:
            with deferred():
                for leftover in (tmp_text, tmp_fit, backup):
                    if leftover is not None:
                        leftover.unlink(missing_ok=True)
    finally:
        output.release_lock(lock, fd)
    return notes


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


def fit_table(result_series: pd.DataFrame) -> pd.DataFrame:
    """Simulated against observed for every target and year (fit.csv)."""
    obs = observed()
    sim = result_series.set_index("year")
    obs["simulated"] = [float(sim.loc[y, t]) if y in sim.index else math.nan for t, y in zip(obs["target"], obs["year"])]
    return obs
