#!/usr/bin/env python3
"""Run the backtest for several seeds and say in how many the model beats the naive forecasts.

Writes seeds.csv (one row per seed and rate), errors.csv (every seed's forecast of each held-out point),
rmse_by_horizon.csv (the model's errors of every seed pooled),
forecast_errors.csv (the same errors in the form ``sim/model_error.py`` reads), summary.md and summary.json
(with the provenance manifest) to --out, whole or not at all (``sim/backtest_seeds.py``); with --install,
forecast_errors.csv also becomes the one the runs' model-error bands use (sim/data/forecast_errors.csv). At
the backtest's defaults each seed takes about 3 minutes on a 2-core machine.

    python scripts/backtest_seeds.py [--seeds 2010,1,2,3,4,5,6,7,99] [--out results/backtest_seeds] [--force]
                                     [--install]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from sim import backtest, backtest_seeds, model_error, output  # noqa: E402
from sim.cli import _positive_int  # noqa: E402
from sim.provenance import Provenance, shown_path  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seeds: expected integers separated by commas, got {text!r}") from None
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"--seeds: expected distinct non-negative integers, got {text!r}")
    return seeds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=_seeds, default=list(backtest_seeds.DEFAULT_SEEDS))
    parser.add_argument("--budget", type=_positive_int, default=80)
    parser.add_argument("--searches", type=_positive_int, default=6)
    parser.add_argument("--agents", type=_positive_int, default=20_000)
    parser.add_argument("--replications", type=_positive_int, default=12)
    parser.add_argument("--workers", type=_positive_int, default=None)
    parser.add_argument("--out", type=Path, default=PROJECT / "results" / "backtest_seeds")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    parser.add_argument("--install", action="store_true",
                        help="install the pooled errors by horizon as sim/data/forecast_errors.csv")
    args = parser.parse_args(argv)
    try:
        output.check_target(args.out, args.force)
        if args.install:
            output.check_file_target(model_error.ERRORS_FILE, True)
    except output.OutputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    settings = {"budget": args.budget, "searches": args.searches, "agents": args.agents,
                "replications": args.replications}
    provenance = Provenance(["scripts/backtest_seeds.py", *(sys.argv[1:] if argv is None else argv)])
    provenance.seeds = list(args.seeds)
    for origin in backtest.ORIGINS:
        provenance.add_scenario(load_scenario(origin.window.history), shown_path(origin.window.history))
    results = backtest_seeds.run(args.seeds, workers=args.workers, **settings)
    table = backtest_seeds.seed_table(results)
    rmse = backtest_seeds.rmse_by_horizon(results)
    text = backtest_seeds.summary_markdown(table, rmse, settings)
    command = " ".join(["scripts/backtest_seeds.py", "--seeds", ",".join(map(str, args.seeds)),
                        *(f"--{k} {v}" for k, v in settings.items())])
    errors = rmse[["series", "horizon", "rmse", "points"]].assign(source=f"{command} (pooled over the seeds)")
    with output.atomic_folder(args.out, args.force) as folder:
        output.write_timeseries(folder / "seeds.csv", table)
        output.write_timeseries(folder / "errors.csv", backtest_seeds.held_out_errors(results))
        output.write_timeseries(folder / "rmse_by_horizon.csv", rmse)
        output.write_timeseries(folder / "forecast_errors.csv", errors)
        (folder / "summary.md").write_text(text + "\n", encoding="utf-8")
        records = table.astype(object).where(table.notna(), None).to_dict(orient="records")  # NaN -> null
        output.write_json(folder / "summary.json", {"seeds": args.seeds, **settings, "table": records,
                                                    "provenance": provenance.manifest()})
    if args.install:
        with output.atomic_file(model_error.ERRORS_FILE) as tmp:
            output.write_timeseries(tmp, errors)
        text += f"\ninstalled the pooled errors by horizon as {shown_path(model_error.ERRORS_FILE)}"
    print(f"{text}\n-> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
