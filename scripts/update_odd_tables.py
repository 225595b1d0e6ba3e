#!/usr/bin/env python3
"""Rewrite the generated tables of docs/ODD.md from the code.

    python scripts/update_odd_tables.py            # parameter table only (instant)
    python scripts/update_odd_tables.py --residuals  # also the calibration residuals (about 10 s)

Tables sit between ``<!-- name -->`` and ``<!-- /name -->`` markers.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "scripts"))
sys.path.insert(0, str(PROJECT))

import parameter_table  # noqa: E402

ODD = PROJECT / "docs" / "ODD.md"


def replace_block(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"<!-- {name} -->\n.*?<!-- /{name} -->", re.S)
    if not pattern.search(text):
        raise SystemExit(f"docs/ODD.md has no <!-- {name} --> block")
    return pattern.sub(lambda m: f"<!-- {name} -->\n{body}\n<!-- /{name} -->", text)


def calibration_table() -> str:
    import fit_intercepts

    defaults = fit_intercepts.load_scenario(PROJECT / "scenarios" / "status_quo.toml").parameters
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        fit_intercepts.report([defaults[n] for n in fit_intercepts.NAMES])
    rows = ["| target (first simulated year; 2015-2020 average) | official | simulated |", "|---|---|---|"]
    for line in buffer.getvalue().strip().splitlines()[1:]:
        label, official, simulated = line.rsplit(None, 2)
        rows.append(f"| {label.strip()} | {official} | {simulated} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residuals", action="store_true", help="also rerun the calibration check")
    args = parser.parse_args()
    text = replace_block(ODD.read_text(encoding="utf-8"), "parameter-table", parameter_table.table())
    text = replace_block(text, "policy-table", parameter_table.policy_table())
    if args.residuals:
        text = replace_block(text, "calibration-table", calibration_table())
    ODD.write_text(text, encoding="utf-8")
    print(f"updated {ODD.relative_to(PROJECT)}")


if __name__ == "__main__":
    main()
