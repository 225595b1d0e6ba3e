"""Results folders, written whole or not at all.

A run writes into a temporary folder beside its target and renames it into
place only when every file is complete. An existing folder is replaced only
with ``force``; the old one is removed after the new one is in place.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

PACKAGES = ("urbanization-sim", "mesa", "numpy", "pandas", "scipy", "matplotlib")


class OutputExistsError(FileExistsError):
    """The results folder exists and ``--force`` was not given."""


def check_target(target: Path, force: bool) -> None:
    """Refuse, before any work, to overwrite results without ``force``."""
    if target.exists() and not force:
        raise OutputExistsError(f"{target}: results folder exists; use --force to replace it")
    if target.exists() and not target.is_dir():
        raise OutputExistsError(f"{target}: exists and is not a folder")


@contextmanager
def atomic_folder(target: Path, force: bool):
    """Yield a temporary folder; on success it replaces ``target`` in one rename."""
    check_target(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=target.parent))
    try:
        yield tmp
        if target.exists():
            old = target.with_name(f".old-{target.name}-{tmp.name}")
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def atomic_file(target: Path):
    """Yield a temporary path beside ``target``; on success it replaces ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".tmp-{target.stem}-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def package_versions() -> dict[str, str]:
    versions = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit(where: Path) -> str | None:
    """The project's commit, with ``-dirty`` if the work tree differs; None outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=where,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("-dirty" if dirty else "")


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=float) + "\n", encoding="utf-8")


def timeseries_bytes(frame) -> bytes:
    """CSV with fixed formatting so that equal numbers give equal bytes."""
    return frame.to_csv(index=False, float_format="%.6f", lineterminator="\n").encode("utf-8")


def write_timeseries(path: Path, frame) -> None:
    path.write_bytes(timeseries_bytes(frame))
