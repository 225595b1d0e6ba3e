"""Scenario files: TOML, strict, with ``extends``.

A scenario file has these top-level keys (all optional in a file that
``extends`` another, which it overrides table by table):

    name, description, extends
    [run]            start_year, end_year, agents, seed
    [parameters]     overrides of sim.parameters (name = number)
    [city_classes.<class>]  service_access, school_access (0..1)
    [settlement.<class>]    kind = "open" | "conditions" | "points", and thresholds
    [policies.<name>]       enabled, start, ramp_years, strength, and the policy's own keys
    [rule_changes.<label>]  start, classes, adoption_years, and the rule keys that change
    [[targets]]             quantity, op, value, year, reason (sim.scenario_targets)

Anything else is an error naming the file, the dotted key and what was
expected. Loading reads nothing but the file and what it extends: calibrated
parameters are applied by the caller (``sim.calibration.apply_calibration``).
Errors are ``ScenarioError``; the command line turns them into exit status 2.
"""

from __future__ import annotations

import copy
import hashlib
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sim.cities import SIZE_CLASSES
from sim.levers import CLASS_DEFAULTS, CLASS_KEYS
from sim.parameters import PARAMETERS, Parameters
from sim.policies import COMMON_KEYS, REGISTRY, Policy, make_policy
from sim.scenario_targets import Target, parse_targets
from sim.settlement import RULE_KEYS, RULE_KINDS, RuleChange, SettlementRule

SUPPORTED_START_YEARS = (2010, 2015, 2020)
MAX_END_YEAR = 2060
MAX_AGENTS = 20_000_000
TOP_KEYS = ("name", "description", "extends", "run", "parameters", "city_classes", "settlement", "rule_changes",
            "policies", "targets")
RUN_KEYS = ("start_year", "end_year", "agents", "seed")
MAX_EXTENDS = 32  # deepest chain of extends
MAX_NAME = 100  # longest scenario name (it names the results folder)

# The keys of a settlement rule each kind reads (sim.settlement: ``eligible``,
# ``points_score``, ``apply_quotas``; sim.destinations: ``settle_prospects``).
# Any other key in a rule of that kind would be silently ignored: an error.
KIND_KEYS = {
    "open": ("min_residence_years",),
    "conditions": ("min_residence_years", "min_insurance_years"),
    "points": ("min_insurance_years", "threshold", "annual_quota_share", "age_limit", "points_per_insurance_year",
               "points_per_residence_year", "points_senior_high", "points_college"),
}
RULE_DEFAULTS = {key: getattr(SettlementRule(), key) for key in RULE_KEYS}


class ScenarioError(ValueError):
    """A scenario file is missing, unreadable or invalid."""

    def __init__(self, path: str | Path, key: str, expected: str, got: object = None):
        self.path, self.key, self.expected, self.got = str(path), key, expected, got
        where = f"{self.path}: {key}: " if key else f"{self.path}: "
        detail = f" (got {got!r})" if got is not None else ""
        super().__init__(f"{where}expected {expected}{detail}")

    def __reduce__(self):  # picklable, so that it crosses from a worker process intact
        return (ScenarioError, (self.path, self.key, self.expected, self.got))


@dataclass
class Scenario:
    """A resolved, validated scenario."""

    name: str
    description: str
    path: str
    sha256: str
    resolved: dict
    start_year: int
    end_year: int
    agents: int
    seed: int
    parameters: Parameters
    class_values: dict[str, dict[str, float]]
    rules: dict[str, SettlementRule]
    policy_settings: dict[str, dict] = field(default_factory=dict)
    rule_changes: tuple[RuleChange, ...] = ()
    parameter_overrides: dict = field(default_factory=dict)  # set in the file: replications never redraw them
    targets: tuple[Target, ...] = ()  # goals the file declares (reported, never acted on)

    def build_policies(self) -> list[Policy]:
        """Fresh policy objects for the enabled policies, in registry order."""
        return [make_policy(name, settings) for name, settings in self.policy_settings.items()]

    @property
    def years(self) -> range:
        return range(self.start_year, self.end_year + 1)


def _read_bytes(path: Path, where: Path, key: str, what: str) -> bytes:
    """The file's bytes; ScenarioError (naming ``where`` and ``key``) if it is missing or unreadable."""
    try:
        if not path.is_file():
            raise ScenarioError(where, key, f"an existing {what}")
        return path.read_bytes()
    except ScenarioError:
        raise
    except (OSError, ValueError) as err:  # permission, a name too long, a NUL, a loop of links
        raise ScenarioError(where, key, f"a readable {what.removeprefix('existing ')}",
                            getattr(err, "strerror", None) or str(err)) from None


def _read_toml(path: Path, chain: tuple[Path, ...]) -> dict:
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError(chain[-1], "extends", "no circular extends", cycle)
    if len(chain) > MAX_EXTENDS:
        raise ScenarioError(chain[0], "extends", f"a chain of at most {MAX_EXTENDS} files", f"{len(chain)} or more")
    where = chain[-1] if chain else path
    raw = _read_bytes(path, where, "extends" if chain else "", f"scenario file {str(path)!r}" if chain else "file")
    if not raw.strip():
        raise ScenarioError(path, "", "a non-empty TOML file")
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark is allowed
    except UnicodeDecodeError:
        raise ScenarioError(path, "", "a UTF-8 text file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(path, "", f"valid TOML ({err})") from None
    except RecursionError:
        raise ScenarioError(path, "", "valid TOML (nested too deeply)") from None
    if "extends" in data:
        parent_name = data["extends"]
        if not isinstance(parent_name, str) or not parent_name or "\0" in parent_name:
            raise ScenarioError(path, "extends", "a file name string", parent_name)
        try:
            parent_path = (path.parent / parent_name).resolve()
        except (OSError, ValueError, RuntimeError):  # RuntimeError: a loop of symbolic links
            raise ScenarioError(path, "extends", "a valid file name", parent_name) from None
        parent = _read_toml(parent_path, (*chain, path))
        parent.pop("name", None)
        parent.pop("description", None)
        data = extend(parent, {k: v for k, v in data.items() if k != "extends"})
    return data


def extend(parent: dict, own: dict) -> dict:
    """``own`` over ``parent`` table by table (``extends``, ``--set``); a rule of another kind replaces the parent's."""
    parent = copy.deepcopy(parent)
    settlement = own.get("settlement")
    if isinstance(settlement, dict) and isinstance(parent.get("settlement"), dict):
        for cls, rule in settlement.items():
            inherited = parent["settlement"].get(cls)
            if (isinstance(rule, dict) and isinstance(inherited, dict) and "kind" in rule
                    and rule["kind"] != inherited.get("kind", "open")):
                parent["settlement"].pop(cls)
    return _merge(parent, own)


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _check_keys(path, prefix: str, table: object, allowed: tuple[str, ...]) -> dict:
    if not isinstance(table, dict):
        raise ScenarioError(path, prefix, "a table", type(table).__name__)
    for key in table:
        if key not in allowed:
            dotted = f"{prefix}.{key}" if prefix else key
            raise ScenarioError(path, dotted, f"one of: {', '.join(allowed)}", "unknown key")
    return table


def _number(path, key: str, value: object, low: float, high: float, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = "an integer" if integer else "a number"
        raise ScenarioError(path, key, f"{kind} in [{low}, {high}]", value)
    if integer and not (isinstance(value, int) or float(value).is_integer()):
        raise ScenarioError(path, key, f"an integer in [{low}, {high}]", value)
    try:
        finite = math.isfinite(float(value))
    except OverflowError:
        finite = False
    if not finite or not low <= value <= high:
        raise ScenarioError(path, key, f"a value in [{low}, {high}]", value)
    return int(value) if integer else float(value)


def _run_values(shown: Path, run: dict) -> tuple[int, int, int, int]:
    start = _number(shown, "run.start_year", run.get("start_year", 2020), 1900, MAX_END_YEAR, integer=True)
    if start not in SUPPORTED_START_YEARS:
        raise ScenarioError(shown, "run.start_year",
                            f"a year with a starting state in the data ({', '.join(map(str, SUPPORTED_START_YEARS))})",
                            start)
    end = _number(shown, "run.end_year", run.get("end_year", 2025), start + 1, MAX_END_YEAR, integer=True)
    agents = _number(shown, "run.agents", run.get("agents", 200_000), 1_000, MAX_AGENTS, integer=True)
    seed = _number(shown, "run.seed", run.get("seed", 1), 0, 2**32 - 1, integer=True)
    return start, end, agents, seed


def _check_change_kinds(shown: Path, rules: dict[str, SettlementRule], changes: list[RuleChange]) -> None:
    """Every key a rule change sets is one the rule in force after it uses in each class it covers.

    A change may also set an unused key back to its default (a rule then
    equals one written afresh), as ``history_2015.toml`` does when it opens
    a class that had conditions.
    """
    kinds = {cls: rule.kind for cls, rule in rules.items()}
    for change in changes:
        after = {cls: change.values.get("kind", kinds[cls]) for cls in change.classes}
        for key, value in change.values.items():
            if key == "kind" or value == RULE_DEFAULTS[key]:
                continue
            for cls, kind in after.items():
                if key not in KIND_KEYS[kind]:
                    raise ScenarioError(shown, f"rule_changes.{change.label}.{key}",
                                        f"only keys the rule in force uses (class {cls}: kind = \"{kind}\", which "
                                        f"uses {', '.join(KIND_KEYS[kind])}), or the key's default "
                                        f"{RULE_DEFAULTS[key]:g}", value)
        kinds.update(after)


def load_scenario(path: str | Path, overrides: dict | None = None) -> Scenario:
    """Read, resolve (``extends``) and validate a scenario file.

    Depends on the file and the files it extends only: the parameters are the
    defaults of ``sim.parameters`` with the file's ``[parameters]`` applied.
    Calibrated values are applied by the caller
    (``sim.calibration.apply_calibration``).

    Args:
        path: the TOML file.
        overrides: optional ``run`` values from the command line (agents, seed).
    """
    path = Path(path)
    try:
        resolved = path.resolve()
    except (OSError, ValueError, RuntimeError) as err:  # RuntimeError: a loop of symbolic links
        raise ScenarioError(path, "", "a readable file", getattr(err, "strerror", None) or str(err)) from None
    data = _read_toml(resolved, ())
    raw = _read_bytes(resolved, path, "", "file")
    return scenario_from_data(data, path, hashlib.sha256(raw).hexdigest(), overrides)


def scenario_from_data(data: dict, path: str | Path, sha256: str, overrides: dict | None = None) -> Scenario:
    """Validate resolved scenario content (as in a file after ``extends``).

    ``path`` names the source in error messages (a file, or the summary.json a
    run is reproduced from); ``sha256`` is recorded as the source's hash.
    """
    shown = Path(path)  # errors name the file as the user gave it
    try:
        data = copy.deepcopy(data)
    except RecursionError:
        raise ScenarioError(shown, "", "a scenario (values nested too deeply)") from None
    _check_keys(shown, "", data, TOP_KEYS)
    data.pop("extends", None)

    name = data.get("name", shown.stem)
    if (not isinstance(name, str) or not name.strip() or name.startswith(".") or len(name) > MAX_NAME
            or any(c in name for c in "/\\") or not name.isprintable()):
        raise ScenarioError(shown, "name", f"a name of 1 to {MAX_NAME} printable characters, without '/' or '\\', "
                                           "not starting with '.' (it names the results folder)", name)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ScenarioError(shown, "description", "a string", description)

    run = dict(_check_keys(shown, "run", data.get("run", {}), RUN_KEYS))
    start, end, agents, seed = _run_values(shown, run)  # the file's own values must be valid
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    for key, value in given.items():  # a value from the command line is blamed on the command line
        low, high = {"agents": (1_000, MAX_AGENTS), "seed": (0, 2**32 - 1)}.get(key, (-math.inf, math.inf))
        _number("command line", f"--{key}", value, low, high, integer=True)
    if given:
        start, end, agents, seed = _run_values(shown, {**run, **given})

    overrides_p = _check_keys(shown, "parameters", data.get("parameters", {}), tuple(PARAMETERS))
    checked = {}
    for key, value in overrides_p.items():
        spec = PARAMETERS[key]
        checked[key] = _number(shown, f"parameters.{key}", value, spec.low, spec.high)
    parameters = Parameters.defaults().with_overrides(checked)  # calibrated values: sim.calibration

    classes_in = _check_keys(shown, "city_classes", data.get("city_classes", {}), SIZE_CLASSES)
    class_values = copy.deepcopy(CLASS_DEFAULTS)
    for cls, table in classes_in.items():
        _check_keys(shown, f"city_classes.{cls}", table, CLASS_KEYS)
        for key, value in table.items():
            class_values[cls][key] = _number(shown, f"city_classes.{cls}.{key}", value, 0.0, 1.0)

    rules_in = _check_keys(shown, "settlement", data.get("settlement", {}), SIZE_CLASSES)
    missing = [c for c in SIZE_CLASSES if c not in rules_in]
    if missing:
        raise ScenarioError(shown, f"settlement.{missing[0]}", "a settlement rule for every size class", "missing")
    rules = {}
    for cls in SIZE_CLASSES:
        table = _check_keys(shown, f"settlement.{cls}", rules_in[cls], RULE_KEYS)
        kind = table.get("kind", "open")
        if kind not in RULE_KINDS:
            raise ScenarioError(shown, f"settlement.{cls}.kind", f"one of {', '.join(RULE_KINDS)}", kind)
        values = {"kind": kind}
        for key, value in table.items():
            if key == "kind":
                continue
            if key not in KIND_KEYS[kind]:
                raise ScenarioError(shown, f"settlement.{cls}.{key}", f"only keys a rule of kind = \"{kind}\" uses "
                                                                     f"({', '.join(KIND_KEYS[kind])})", "unused key")
            high = 1.0 if key == "annual_quota_share" else 1000.0
            values[key] = _number(shown, f"settlement.{cls}.{key}", value, 0.0, high)
        rules[cls] = SettlementRule(**values)

    changes_in = data.get("rule_changes", {})
    if not isinstance(changes_in, dict):
        raise ScenarioError(shown, "rule_changes", "a table of named tables", type(changes_in).__name__)
    rule_changes = []
    for label, table in changes_in.items():
        prefix = f"rule_changes.{label}"
        _check_keys(shown, prefix, table, ("start", "classes", "adoption_years", *RULE_KEYS))
        if "start" not in table or "classes" not in table:
            raise ScenarioError(shown, prefix, "keys start and classes", "missing")
        change_start = _number(shown, f"{prefix}.start", table["start"], start, MAX_END_YEAR + 1)
        classes = table["classes"]
        if not isinstance(classes, list) or not classes or any(c not in SIZE_CLASSES for c in classes):
            raise ScenarioError(shown, f"{prefix}.classes", f"a list of size classes from {', '.join(SIZE_CLASSES)}",
                                classes)
        values = {}
        for key, value in table.items():
            if key in ("start", "classes", "adoption_years"):
                continue
            if key == "kind":
                if value not in RULE_KINDS:
                    raise ScenarioError(shown, f"{prefix}.kind", f"one of {', '.join(RULE_KINDS)}", value)
                values[key] = value
            else:
                high = 1.0 if key == "annual_quota_share" else 1000.0
                values[key] = _number(shown, f"{prefix}.{key}", value, 0.0, high)
        adoption = _number(shown, f"{prefix}.adoption_years", table.get("adoption_years", 0.0), 0.0, 20.0)
        rule_changes.append(RuleChange(label, change_start, tuple(classes), values, adoption))
    rule_changes.sort(key=lambda c: c.start)
    _check_change_kinds(shown, rules, rule_changes)

    policies_in = _check_keys(shown, "policies", data.get("policies", {}), tuple(REGISTRY))
    policy_settings = {}
    for policy in REGISTRY:  # registry order: the order policies act each year
        if policy not in policies_in:
            continue
        cls = REGISTRY[policy]
        prefix = f"policies.{policy}"
        table = _check_keys(shown, prefix, policies_in[policy], (*COMMON_KEYS, *cls.params))
        enabled = table.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ScenarioError(shown, f"{prefix}.enabled", "true or false", enabled)
        settings = {}
        if "start" in table:
            settings["start"] = _number(shown, f"{prefix}.start", table["start"], start, end + 1)
        if "ramp_years" in table:
            settings["ramp_years"] = _number(shown, f"{prefix}.ramp_years", table["ramp_years"], 0.0, 50.0)
        if "strength" in table:
            settings["strength"] = _number(shown, f"{prefix}.strength", table["strength"], 0.0, 1.0)
        for key, spec in cls.params.items():
            if key in table:
                settings[key] = _number(shown, f"{prefix}.{key}", table[key], spec.low, spec.high)
        if enabled:
            policy_settings[policy] = settings

    targets = parse_targets(shown, data.get("targets", []), start, end, ScenarioError)
    resolved = copy.deepcopy(data)
    resolved["name"] = name
    resolved["run"] = {"start_year": start, "end_year": end, "agents": agents, "seed": seed}
    return Scenario(
        name=name, description=description, path=str(path), sha256=sha256, resolved=resolved,
        start_year=start, end_year=end, agents=agents, seed=seed, parameters=parameters,
        class_values=class_values, rules=rules, policy_settings=policy_settings, rule_changes=tuple(rule_changes),
        parameter_overrides=checked, targets=targets,
    )
