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
    """The measures of sim.policies: article, summary and defaults, lever operations, expected effects."""
    from sim.policies import NEGLIGIBLE_PP, article_number
    from sim.policies import policy_table as rows

    signs = {1: "up", -1: "down", 0: f"negligible (< {NEGLIGIBLE_PP} pp)"}
    lines = ["| policy | article | what it changes | lever operations (s: intensity) "
             "| expected 2025 effect: resident / hukou | mechanism |",
             "|---|---|---|---|---|---|"]
    for row in rows():
        params = ", ".join(f"{k} = {default:g}" for k, (default, *_) in row["params"].items())
        ops = "; ".join(f"`{op['lever']}` {op['op']} {op['value']} ({op['where']})" for op in row["operations"])
        lines.append(f"| `{row['name']}` | {row['article']} ({article_number(row['article'])}) "
                     f"| {row['summary']}; {params} | {ops} "
                     f"| {signs[row['expected'][0]]} / {signs[row['expected'][1]]} | {row['mechanism']} |")
    return "\n".join(lines)

if __name__ == "__main__":
    print(table())
