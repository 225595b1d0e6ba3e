"""The ODD's table of outputs, from their declarations in ``sim/outputs.py``."""

from __future__ import annotations


def output_table() -> str:
    from sim.outputs import OUTPUTS

    rows = ["| column | kind | unit | scaled by persons per agent | meaning |", "|---|---|---|---|---|"]
    for o in OUTPUTS:
        rows.append(f"| `{o.name}` | {o.kind} | {o.unit} | {'yes' if o.scaled else 'no'} | {o.doc} |")
    return "\n".join(rows)
