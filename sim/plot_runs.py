"""The ``plot`` command: overlay the urbanization curves of finished runs, checked and labelled by scenario.

Each results folder's ``timeseries.csv`` is checked whole (every rate, one row
per consecutive year, the years its ``summary.json`` names); runs are labelled
by the scenario name their ``summary.json`` records (the folder name only for
a folder without one); runs that differ in agents or replications draw a
warning (``logging``: on standard error unless logging is set otherwise), since their bands are not
alike. The figure is written in the format its file name asks for (PNG, PDF,
SVG), whole or not at all; any other suffix is refused in one line.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from sim import ensemble, output, plots
from sim.experiments import InputError, Outcome

PLOT_FORMATS = (".png", ".pdf", ".svg")
log = logging.getLogger(__name__)


def _summary(folder: Path) -> dict | None:
    try:
        recorded = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return recorded if isinstance(recorded, dict) else None


def read_timeseries(folder: Path, recorded: dict | None = None) -> pd.DataFrame:
    """A run's timeseries.csv, checked whole: the rate columns, one row per year, numbers, its summary's years."""
    csv = folder / "timeseries.csv"
    if not csv.is_file():
        raise InputError(f"{folder}: no timeseries.csv (expected a folder written by 'run')")

    def bad(detail: str) -> InputError:
        return InputError(f"{csv}: expected a timeseries.csv written by 'run' ({detail})")

    try:
        table = pd.read_csv(csv)
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise bad(f"{type(err).__name__}: {err}") from None
    missing = [c for c in ("year", *ensemble.RATE_COLUMNS) if c not in table.columns]
    if missing:
        raise bad(f"column {missing[0]} missing")
    if table.empty or table.isna().any().any():
        raise bad("empty or incomplete rows: truncated?")
    years = table["year"].tolist()
    if years != list(range(int(years[0]), int(years[0]) + len(years))):
        raise bad("one row per consecutive year")
    try:
        expected = [int(recorded["start_year"]), int(recorded["end_year"])]
    except (KeyError, TypeError, ValueError):
        expected = None  # a folder without its summary: the table alone is checked
    if expected and [int(years[0]), int(years[-1])] != expected:
        raise bad(f"years {expected[0]}-{expected[1]} as its summary.json says, found {years[0]}-{years[-1]}: "
                  "truncated?")
    return table


def _mismatch(runs: list[tuple[str, dict | None]], key: str) -> str | None:
    values = {name: (s or {}).get(key) for name, s in runs}
    if len(set(map(str, values.values()))) > 1:
        return f"warning: the runs differ in {key} ({', '.join(f'{n}: {v}' for n, v in values.items())}); " \
               "their bands are not comparable"
    return None


def plot(results: list[Path], *, out: Path, force: bool = False, command_line=()) -> Outcome:
    """Overlay the urbanization curves of finished runs in one figure."""
    if out.suffix.lower() not in PLOT_FORMATS:
        raise InputError(f"{out}: expected a file name ending in {', '.join(PLOT_FORMATS)} (the format written)")
    output.check_file_target(out, force)
    summaries = [_summary(folder) for folder in results]
    names = [str((s or {}).get("scenario") or folder.name) for folder, s in zip(results, summaries)]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):  # two runs of one scenario: the folder tells them apart
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1 or names.count(name) > 1:
            names[i] = f"{name} ({results[i].name})"
    runs = [(name, read_timeseries(folder, s)) for name, folder, s in zip(names, results, summaries)]
    warnings = [w for key in ("agents", "replications")
                if (w := _mismatch(list(zip(names, summaries)), key))]
    for line in warnings:
        log.warning(line)
    with output.atomic_file(out, force) as tmp:
        plots.plot_scenarios(runs, tmp)
    return Outcome(f"wrote {out} ({out.suffix.lower().lstrip('.')})")
