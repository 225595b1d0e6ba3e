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


def policy_table() -> str:
    from sim.policies import NEGLIGIBLE_PP, REGISTRY, article_number

    signs = {1: "up", -1: "down", 0: f"negligible (< {NEGLIGIBLE_PP} pp)"}
    lines = ["| policy | article | what it changes | expected 2025 effect: resident / hukou | mechanism |",
             "|---|---|---|---|---|"]
    for name, cls in REGISTRY.items():
        params = ", ".join(f"{k} = {p.default:g}" for k, p in cls.params.items())
        lines.append(f"| `{name}` | {cls.article} ({article_number(cls.article)}) | {cls.summary}; {params} "
                     f"| {signs[cls.expected[0]]} / {signs[cls.expected[1]]} | {cls.mechanism} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
