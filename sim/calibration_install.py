"""Installing a ``calibrate`` fit as the model's calibration: the calibration file and its fit table, both
or neither (``run_sim.py install-calibration``, ``calibrate --install``)."""

from __future__ import annotations

import os
import tempfile
import tomllib
from pathlib import Path

from sim import output
from sim.calibration import CALIBRATION_FILE, CalibrationError, load_calibration
from sim.interrupts import deferred

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
        output.umask_mode(name)  # installed files readable as the user's umask allows, like any file written
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


