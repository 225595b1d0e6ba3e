"""Overrides of a scenario's values by dotted key: ``--set KEY=VALUE`` and ``sim.with_overrides``.

A dotted key names a value of a scenario file: ``parameters.settle_land_coef``,
``settlement.mega.kind``, ``policies.settle_open_cities.strength``,
``run.end_year``. The overrides are laid over the scenario's resolved content
as one more file that ``extends`` it (``sim.scenario.extend``: a settlement
rule given another ``kind`` is replaced whole) and the result is validated
like a file. An error about an overridden key names the override
(``command line: --set parameters.nope: expected one of: ...``), not the file.
Setting a key of a measure the scenario does not enable enables it, as a
``[policies.<name>]`` table in a file does.

The calibration was fitted with every behavioural parameter at its default:
overriding one that it fits (``sim.calibration.FITTED``) replaces the fitted
value, overriding another changes what the fitted ones were fitted under.
``warn_calibrated`` says so in one line per parameter (logger ``sim.overrides``).
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Mapping

from sim.parameters import PARAMETERS
from sim.scenario import TOP_KEYS, Scenario, ScenarioError, extend, scenario_from_data

log = logging.getLogger(__name__)
KEY = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")
SETTABLE = tuple(k for k in TOP_KEYS if k != "extends")
EXAMPLE = "parameters.settle_land_coef"


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a dotted key of a scenario file (None if it is one)."""
    if not isinstance(key, str) or not KEY.fullmatch(key):
        return f"a dotted key such as {EXAMPLE}"
    if key.split(".")[0] not in SETTABLE:
        return f"a key starting with one of: {', '.join(SETTABLE)}"
    return None


def parse_assignment(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` with VALUE read as TOML (``-0.5``, ``true``, ``"open"``); an unquoted word is a string.

    Raises ValueError with a message fit for a usage error.
    """
    key, sep, value = text.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key:
        raise ValueError(f"expected KEY=VALUE such as {EXAMPLE}=-0.5, got {text!r}")
    problem = key_problem(key)
    if problem:
        raise ValueError(f"expected {problem} before '=', got {key!r}")
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value  # settlement.mega.kind=open: the shell has removed the quotes
    return key, parsed


def nested(overrides: Mapping[str, object]) -> dict:
    """Dotted keys as nested tables (a later key wins over an earlier one it overlaps)."""
    out: dict = {}
    for key, value in overrides.items():
        *tables, last = key.split(".")
        node = out
        for part in tables:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[last] = value
    return out


def _related(error_key: str, keys) -> bool:
    return any(error_key == k or error_key.startswith(k + ".") or k.startswith(error_key + ".") for k in keys)


def with_overrides(scenario: Scenario, overrides: Mapping[str, object] | None, *, source: str = "overrides",
                   option: str = "", run: dict | None = None) -> Scenario:
    """A new scenario: ``scenario``'s resolved content with ``overrides`` (dotted key -> value), validated.

    Args:
        scenario: a loaded scenario (its calibrated parameters, if any, are not kept: apply the calibration
            after, as every command does).
        overrides: ``{"parameters.settle_land_coef": -0.5, ...}``; a value may be a table.
        source, option: how errors name the overrides: ``source: option key: expected ...``
            (the command line: ``command line: --set parameters.nope: ...``).
        run: ``run`` values given elsewhere on the command line (agents, seed), as ``load_scenario`` takes them.

    Raises:
        ScenarioError: a key that is not a scenario key, or a value the file could not hold.
    """
    if not overrides:
        return scenario
    for key in overrides:
        problem = key_problem(key)
        if problem:
            raise ScenarioError(source, f"{option} {key}".strip(), problem)
    try:
        changed = scenario_from_data(extend(scenario.resolved, nested(overrides)), scenario.path, scenario.sha256,
                                     run)
    except ScenarioError as err:
        if err.path == "command line":  # --agents, --seed
            raise
        if _related(err.key, overrides):
            raise ScenarioError(source, f"{option} {err.key}".strip(), err.expected, err.got) from None
        # a key of the file that an override made invalid (run.start_year moved past a policy's start)
        raise ScenarioError(f"{err.path} (with {option or source} {', '.join(overrides)})", err.key, err.expected,
                            err.got) from None
    log.debug("%s: %s", scenario.name, ", ".join(f"{k} = {v!r}" for k, v in overrides.items()))
    return changed


def parameter_names(overrides: Mapping[str, object] | None) -> list[str]:
    """The behavioural parameters the overrides set."""
    table = nested(overrides or {}).get("parameters")
    return [name for name in table if name in PARAMETERS] if isinstance(table, dict) else []


def warn_calibrated(overrides: Mapping[str, object] | None, calibration, option: str = "--set") -> None:
    """One warning per overridden parameter that the calibration (if one is applied) fitted or was fitted under."""
    if calibration is None:
        return
    from sim.calibration import FITTED

    for name in parameter_names(overrides):
        shown = f"{option} parameters.{name}".strip()
        if name in FITTED:
            log.warning("warning: %s replaces the value the calibration fitted (%.4g, %s); the other fitted "
                        "parameters keep the values fitted with it", shown, calibration.best[name],
                        _file_name(calibration))
        else:
            log.warning("warning: %s: the calibration (%s) was fitted with this parameter at %g; its fitted "
                        "parameters are not refitted to the new value", shown, _file_name(calibration), PARAMETERS[name].default)


def _file_name(calibration) -> str:
    from sim.provenance import shown_path

    return shown_path(calibration.path)
