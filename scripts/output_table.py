"""The ODD's table of outputs, from their declarations in ``sim/outputs.py``."""

from __future__ import annotations


def output_table() -> str:
    from sim.outputs import OUTPUTS

    rows = ["| column | kind | unit | scaled by persons per agent | meaning |", "|---|---|---|---|---|"]
    for o in OUTPUTS:
        rows.append(f"| `{o.name}` | {o.kind} | {o.unit} | {'yes' if o.scaled else 'no'} | {o.doc} |")
    return "\n".join(rows)


def breakdown_table() -> str:
    """The quantities of ``breakdown.csv``, from their declarations in ``sim/breakdown.py``."""
    from sim.breakdown import CAUSES, GAP_FLOWS, PLACE_QUANTITIES

    rows = ["| quantity | unit | rows | meaning |", "|---|---|---|---|"]
    for q in PLACE_QUANTITIES:
        rows.append(f"| `{q.name}` | {q.unit} | country, classes, regions, named cities | {q.doc} |")
    for q in CAUSES:
        rows.append(f"| `cause_{q.name}` | {q.unit} | country, classes, regions | {q.doc} |")
    for f in GAP_FLOWS:
        terms = " ".join(f"{'+' if sign > 0 else '-'} `{column}`" for column, sign in f.terms.items())
        rows.append(f"| `gap_flow_{f.name}` | persons | country | {f.doc}: {terms} |")
    return "\n".join(rows)
