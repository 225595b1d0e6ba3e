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
    lines = ["| parameter | value | range | unit | kind | source or reason |", "|---|---|---|---|---|---|"]
    for name, spec in PARAMETERS.items():
        lines.append(f"| `{name}` | {spec.default:g} | {spec.low:g} to {spec.high:g} | {spec.unit} | {spec.kind} "
                     f"| {spec.source} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
