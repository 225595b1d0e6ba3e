"""The provenance manifest every command writes with its results.

One schema for all commands (``summary.json``, key ``provenance``; ``bench``
puts it in its JSON): the command line, package versions, git commit, the
seeds, each scenario file with its SHA-256, the overrides given with
``--set`` (dotted key -> value; the scenarios' resolved content recorded
beside the manifest includes them), the calibration file with its SHA-256
(None when run ``--uncalibrated``), and the wall time.
"""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path

from sim import output

PROJECT_DIR = Path(__file__).resolve().parent.parent


def shown_path(path: str | Path) -> str:
    """A path as it is recorded: relative to the project when inside it, else as given."""
    path = Path(path)
    try:
        return path.resolve().relative_to(PROJECT_DIR).as_posix()
    except ValueError:
        return str(path)


@dataclass
class Provenance:
    """What a command records about itself; ``manifest()`` when its results are complete."""

    command_line: list[str]
    started: float = field(default_factory=time.perf_counter)
    seeds: list[int] = field(default_factory=list)
    scenarios: list[dict] = field(default_factory=list)
    calibration: dict | None = None
    overrides: dict = field(default_factory=dict)  # --set KEY=VALUE, in the order given

    def add_scenario(self, scenario, file: str | Path | None = None) -> None:
        """Record a scenario (name, the file it came from, that file's SHA-256)."""
        self.scenarios.append({"name": scenario.name, "file": str(file if file is not None else scenario.path),
                               "sha256": scenario.sha256})

    def set_calibration(self, calibration) -> None:
        """Record the calibration file applied (None: run with the defaults)."""
        self.calibration = None if calibration is None else {"file": shown_path(calibration.path),
                                                             "sha256": calibration.sha256}

    def wall_time(self) -> float:
        return round(time.perf_counter() - self.started, 3)

    def manifest(self) -> dict:
        return {
            "command_line": shlex.join(self.command_line),
            "package_versions": output.package_versions(),
            "git_commit": output.git_commit(PROJECT_DIR),
            "seeds": [int(s) for s in self.seeds],
            "scenarios": list(self.scenarios),
            "overrides": dict(self.overrides),
            "calibration": self.calibration,
            "wall_time_seconds": self.wall_time(),
        }
