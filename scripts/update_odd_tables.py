#!/usr/bin/env python3
"""Rewrite the generated tables of docs/ODD.md from the code and the calibration file.

    python scripts/update_odd_tables.py

Tables sit between ``<!-- name -->`` and ``<!-- /name -->`` markers:
parameters (with the calibrated values), policies, sensitivity ranges, the
calibration fit, the outputs and the quantities of breakdown.csv.
tests/test_docs.py fails when any of them is stale.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "scripts"))
sys.path.insert(0, str(PROJECT))

import output_table  # noqa: E402
import parameter_table  # noqa: E402

ODD = PROJECT / "docs" / "ODD.md"
BLOCKS = {"parameter-table": parameter_table.table, "policy-table": parameter_table.policy_table,
          "sensitivity-ranges": parameter_table.sensitivity_table,
          "calibration-fit": parameter_table.calibration_fit_table, "output-table": output_table.output_table,
          "breakdown-table": output_table.breakdown_table}


def replace_block(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"<!-- {name} -->\n.*?<!-- /{name} -->", re.S)
    if not pattern.search(text):
        raise SystemExit(f"docs/ODD.md has no <!-- {name} --> block")
    return pattern.sub(lambda m: f"<!-- {name} -->\n{body}\n<!-- /{name} -->", text)


def main() -> None:
    text = ODD.read_text(encoding="utf-8")
    for name, generate in BLOCKS.items():
        text = replace_block(text, name, generate())
    ODD.write_text(text, encoding="utf-8")
    print(f"updated {ODD.relative_to(PROJECT)}")


if __name__ == "__main__":
    main()
