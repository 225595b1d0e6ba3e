"""Policy targets a scenario declares (``[[targets]]``) and the chance of meeting them; not calibration targets.

(The observed series the calibration fits are in ``sim.targets``.) A
scenario file may declare goals for its rates, each as an array entry:

    [[targets]]
    quantity = "resident_urbanization_pct"   # or hukou_urbanization_pct, gap_pp
    op = ">="                                # >=, >, <=, <
    value = 65.0                             # percent, or percentage points for the gap
    year = 2025                              # a year the run reaches (after its start year)
    reason = "..."                           # optional: where the number comes from

Every key is checked like the rest of the scenario (unknown key, wrong
type, a year the run does not reach: an error naming the file and
``targets[i].key``). On the command line (``design --target``) a target is
written ``QUANTITY OP VALUE@YEAR``, e.g. ``gap_pp<=17.5@2025``.

A run meets a target when its value in that year satisfies the comparison;
the probability of meeting it is the share of replications that do (each
replication draws its own chance and, when calibrated, its own parameters).
A second probability adds the model's own error, measured out of sample by
the backtest, to each replication's value (``probability_with_model_error``).
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass

import numpy as np

QUANTITIES = ("resident_urbanization_pct", "hukou_urbanization_pct", "gap_pp")
UNITS = {"resident_urbanization_pct": "%", "hukou_urbanization_pct": "%", "gap_pp": "pp"}
OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
KEYS = ("quantity", "op", "value", "year", "reason")
TEXT = re.compile(r"^\s*([a-z_]+)\s*(<=|>=|<|>)\s*([-+]?[0-9]+(?:\.[0-9]*)?)\s*@\s*([0-9]{4})\s*$")


@dataclass(frozen=True)
class Target:
    quantity: str
    op: str
    value: float
    year: int
    reason: str = ""

    def __str__(self) -> str:
        return f"{self.quantity} {self.op} {self.value:g} in {self.year}"

    def met(self, values) -> np.ndarray:
        """Which values meet the target."""
        return OPS[self.op](np.asarray(values, float), self.value)

    def margin(self, values) -> np.ndarray:
        """How far each value is on the good side of the threshold (negative: short of it), in its unit."""
        values = np.asarray(values, float)
        return values - self.value if self.op in (">=", ">") else self.value - values

    def to_dict(self) -> dict:
        return {"quantity": self.quantity, "op": self.op, "value": self.value, "year": self.year,
                "reason": self.reason}


def parse_targets(path, entries: object, start: int, end: int, ScenarioError) -> tuple[Target, ...]:  # noqa: N803
    """The ``[[targets]]`` of a scenario file, validated; ``ScenarioError`` (sim.scenario's) naming ``targets[i].key``."""
    if not isinstance(entries, list):
        raise ScenarioError(path, "targets", "an array of tables ([[targets]])", type(entries).__name__)
    out = []
    for i, entry in enumerate(entries):
        key = f"targets[{i}]"
        if not isinstance(entry, dict):
            raise ScenarioError(path, key, "a table with quantity, op, value, year (and reason)", type(entry).__name__)
        for name in entry:
            if name not in KEYS:
                raise ScenarioError(path, f"{key}.{name}", f"one of: {', '.join(KEYS)}", "unknown key")
        for name in KEYS[:4]:
            if name not in entry:
                raise ScenarioError(path, f"{key}.{name}", "a value", "missing")
        if entry["quantity"] not in QUANTITIES:
            raise ScenarioError(path, f"{key}.quantity", f"one of {', '.join(QUANTITIES)}", entry["quantity"])
        if entry["op"] not in OPS:
            raise ScenarioError(path, f"{key}.op", f"one of {', '.join(OPS)}", entry["op"])
        value = entry["value"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not -100.0 <= value <= 100.0:
            raise ScenarioError(path, f"{key}.value", "a number in [-100, 100] (percent or points)", value)
        year = entry["year"]
        if isinstance(year, bool) or not isinstance(year, int) or not start < year <= end:
            raise ScenarioError(path, f"{key}.year", f"a year the run reaches, {start + 1} to {end}", year)
        reason = entry.get("reason", "")
        if not isinstance(reason, str):
            raise ScenarioError(path, f"{key}.reason", "a string", reason)
        out.append(Target(entry["quantity"], entry["op"], float(value), year, reason))
    return tuple(out)


def parse_target_text(text: str) -> Target:
    """``QUANTITY OP VALUE@YEAR`` (e.g. ``gap_pp<=17.5@2025``); ValueError naming what was expected."""
    match = TEXT.match(text)
    if not match or match.group(1) not in QUANTITIES:
        raise ValueError(f"--target: expected QUANTITY OP VALUE@YEAR with QUANTITY one of {', '.join(QUANTITIES)} "
                         f"and OP one of {', '.join(OPS)} (e.g. gap_pp<=17.5@2025), got {text!r}")
    return Target(match.group(1), match.group(2), float(match.group(3)), int(match.group(4)), "command line")


def values_at(tables, target: Target) -> np.ndarray:
    """The target's quantity in its year in each replication's time series (a list of tables)."""
    return np.array([float(t.loc[t["year"] == target.year, target.quantity].iloc[0]) for t in tables])


def probability_with_model_error(target: Target, values: np.ndarray, start_year: int) -> float:
    """The chance of meeting ``target`` when each replication's value also carries the model's own error: a
    normal error with the backtest's root mean square error at the target's horizon (``sim.model_error``),
    averaged over the replications."""
    from sim import model_error

    sd = model_error.rmse(target.quantity, target.year - start_year)
    margin = target.margin(values)
    if sd <= 0:
        return float((margin >= 0).mean())
    return float(np.mean([0.5 * (1 + math.erf(m / (sd * math.sqrt(2)))) for m in margin]))


def evaluate(targets, tables) -> list[dict]:
    """Per target: the probability of meeting it over the replications, their count, each replication's value,
    and the probability once the model's hindcast error is added (``probability_with_model_error``)."""
    rows = []
    for target in targets:
        values = values_at(tables, target)
        met = target.met(values)
        start = int(tables[0]["year"].iloc[0])
        rows.append({**target.to_dict(), "probability": float(met.mean()), "replications_meeting": int(met.sum()),
                     "replications": int(met.size), "values": values.tolist(),
                     "probability_with_model_error": probability_with_model_error(target, values, start)})
    return rows


def joint(targets, tables) -> float:
    """The probability of meeting every target at once (the share of replications meeting all)."""
    if not targets:
        return math.nan
    return float(np.logical_and.reduce([t.met(values_at(tables, t)) for t in targets]).mean())


def report_lines(rows: list[dict], both: float | None) -> list[str]:
    """One line per target and one for all at once (stdout and summary.md)."""
    lines = [f"target {r['quantity']} {r['op']} {r['value']:g} {UNITS[r['quantity']]} in {r['year']}: "
             f"probability {r['probability']:.2f} ({r['replications_meeting']} of {r['replications']} replications; "
             f"median {np.median(r['values']):.2f}); with the model's hindcast error "
             f"{r['probability_with_model_error']:.2f}" for r in rows]
    if len(rows) > 1:
        lines.append(f"all {len(rows)} targets at once: probability {both:.2f}")
    return lines


def summary_keys(targets, tables) -> dict:
    """The keys a run's summary.json carries for its targets (empty lists when it declares none)."""
    both = joint(targets, tables)
    return {"targets": evaluate(targets, tables), "targets_all_probability": None if math.isnan(both) else both}


def run_markdown(summary: dict) -> str:
    """A run's summary.md: its final rates and the probability of meeting each target it declares."""
    final = summary["final_year"]
    lines = [f"# Run of '{summary['scenario']}'", "",
             f"{summary['replications']} replication(s) at {summary['agents']:,} agents, seed {summary['seed']}. "
             f"{summary['end_year']} (median over replications, each its own median): resident "
             f"{final['resident_urbanization_pct']:.2f} %, hukou {final['hukou_urbanization_pct']:.2f} %, "
             f"gap {final['gap_pp']:.2f} pp.", "", "## Targets", ""]
    rows = summary["targets"]
    if not rows:
        return "\n".join(lines + ["The scenario declares no targets ([[targets]]).", ""])
    lines += ["Probability of meeting each target: the share of replications that meet it; and with the model's "
              "own hindcast error at that horizon added to each replication (sim/model_error.py).", "",
              "| target | probability | with model error | replications meeting | median value | reason |",
              "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['quantity']} {r['op']} {r['value']:g} {UNITS[r['quantity']]} in {r['year']} | "
                     f"{r['probability']:.2f} | {r['probability_with_model_error']:.2f} | "
                     f"{r['replications_meeting']} of {r['replications']} | "
                     f"{np.median(r['values']):.2f} | {r['reason']} |")
    if len(rows) > 1:
        lines += ["", f"All {len(rows)} targets at once: probability {summary['targets_all_probability']:.2f}."]
    return "\n".join(lines) + "\n"
