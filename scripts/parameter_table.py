#!/usr/bin/env python3
"""Print the parameter table of docs/ODD.md from sim.parameters (paste it in after a change).

tests/test_parameters.py checks that the ODD lists every parameter with its
current default and kind.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.parameters import PARAMETERS  # noqa: E402


def table() -> str:
    """Every parameter with the value runs use (the calibration's best fit for calibrated ones)."""
    from sim.calibration import load_calibration

    best = load_calibration().best
    lines = ["| parameter | value | allowed range | unit | kind | source or reason |", "|---|---|---|---|---|---|"]
    for name, spec in PARAMETERS.items():
        value = best.get(name, spec.default)
        shown = f"{value:.4g}" + (" (sim/data/calibration.toml)" if name in best else "")
        lines.append(f"| `{name}` | {shown} | {spec.low:g} to {spec.high:g} | {spec.unit} | {spec.kind} "
                     f"| {spec.source} |")
    return "\n".join(lines)


def sensitivity_table() -> str:
    from sim.sensitivity import RANGES

    lines = ["| parameter | low | high | why |", "|---|---|---|---|"]
    lines += [f"| `{name}` | {lo:g} | {hi:g} | {why} |" for name, (lo, hi, why) in RANGES.items()]
    return "\n".join(lines)


def calibration_fit_table() -> str:
    from sim.calibration import CALIBRATION_FILE, FITTED

    fit_csv = CALIBRATION_FILE.with_name(CALIBRATION_FILE.stem + "_fit.csv")
    lines = [f"Fitted: {', '.join(f'`{n}`' for n in FITTED)}.", "",
             "| target | year | official | simulated (best fit) |", "|---|---|---|---|"]
    if fit_csv.is_file():
        import pandas as pd

        fit = pd.read_csv(fit_csv)
        for row in fit.itertuples():
            big = abs(row.observed) > 1e5
            fmt = (lambda v: f"{v / 1e6:.1f} M") if big else (lambda v: f"{v:.2f}")
            lines.append(f"| {row.target} | {row.year} | {fmt(row.observed)} | {fmt(row.simulated)} |")
    return "\n".join(lines)


def policy_table() -> str:
    """The measures of sim.policies: article, key phrase, lever operations, sizes with source and range,
    expected 2025 directions with the reasoning."""
    from sim.policies import NEGLIGIBLE_PP, article_number
    from sim.policies import policy_table as rows

    lines = [f"Expected: the 2025 effect against the plan without the measure, reasoned before running the model "
             f"(negligible: below {NEGLIGIBLE_PP} pp; ambiguous: mechanisms of opposite sign).", "",
             "| policy | article | key phrase | lever operations (s: intensity) "
             "| sizes: default [range], source | expected 2025: resident / hukou / gap | reasoning |",
             "|---|---|---|---|---|---|---|"]
    for row in rows():
        sizes = "; ".join(f"{k} = {default:g} [{low:g}, {high:g}], {row['sources'][k]}"
                          for k, (default, low, high, _) in row["params"].items())
        ops = "; ".join(f"`{op['lever']}` {op['op']} {op['value']} ({op['where']})" for op in row["operations"])
        lines.append(f"| `{row['name']}` | {row['article']} ({article_number(row['article'])}) | 「{row['quote']}」 "
                     f"| {ops} | {sizes} | {' / '.join(row['expected'])} | {row['mechanism']} |")
    return "\n".join(lines)

if __name__ == "__main__":
    print(table())
