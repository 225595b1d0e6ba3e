"""How long the dashboard takes to redraw after a control moves, by agent count.

    python scripts/bench_dashboard.py [--agents 10000 20000 50000 100000] [--repeats 5] [--browser]

Server side (no browser): the status quo already cached, as on the page, each
repeat switches one measure off or on, runs the model 2020-2025
(``DashboardModel.run_to_end``) and makes the figures as the page does (the
Vega-Lite specifications of Mesa's Altair plots of the DataCollector's curves
with the dashboard's ``post_process``, which the browser draws, and the HTML
bars of the breakdown by city class and by cause). With ``--browser`` (needs the
``viz`` extra, Playwright and Debian's Chromium): the dashboard is served at
each agent count and the time from a click on a measure's switch to the page
saying "up to date" with new figures is measured in headless Chromium, with
the CPU seconds the dashboard's server process spent on it (on a machine busy
with other work the wall time stretches; the CPU time is what an idle machine
would wait, the browser's own share aside). Prints medians; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.dashboard_figures import as_mesa_draws, bars_html, measure_colors, rates_post_process  # noqa: E402
from sim.dashboard_model import DashboardModel  # noqa: E402

MEASURE = "settlement_open_small"


def draw_as_mesa(model: DashboardModel, rates: tuple[str, ...], gap: bool) -> dict:
    """What Mesa's Altair plot component does with the DataCollector, then the specification sent to the page."""
    chart = as_mesa_draws(model.datacollector.get_model_vars_dataframe(), measure_colors(*rates))
    return rates_post_process(model.start_year, gap=gap)(chart).to_dict()


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_side(agents: int, repeats: int) -> tuple[float, float, float]:
    """Median seconds of (run 2020-2025, run and draw, CPU of run and draw) over ``repeats`` switches."""
    model = DashboardModel(agents=agents).run_to_end()  # caches the status quo, as the page's first build
    runs, totals, cpu = [], [], []
    for i in range(repeats):
        choice = model.choice.with_measure(MEASURE, enabled=i % 2 == 1)
        c0 = time.process_time()
        t0 = time.perf_counter()
        model = DashboardModel(model.scenario_file, choice=choice).run_to_end()
        t1 = time.perf_counter()
        draw_as_mesa(model, ("resident", "hukou"), gap=False)
        draw_as_mesa(model, ("gap",), gap=True)
        bars_html(model.city_classes(), "classes") + bars_html(model.causes(), "causes")
        runs.append(t1 - t0)
        totals.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(runs), statistics.median(totals), statistics.median(cpu)


def in_browser(agents: int, repeats: int) -> tuple[float, float]:
    """Median seconds from a click on the switch to the page up to date, and the server's CPU seconds."""
    from playwright.sync_api import sync_playwright

    from sim.dashboard_server import start, stop
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from test_dashboard_browser import CHROMIUM, FLAGS, _wait_up_to_date

    process, url = start(agents=agents)
    times, cpu = [], []
    try:
        with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), headless=True, args=FLAGS,
                viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.goto(url, timeout=120_000)
            _wait_up_to_date(page, 24)
            for i in range(repeats):
                c0, t0 = cpu_seconds(process.pid), time.perf_counter()
                page.get_by_text(f"{MEASURE} (art. 6)", exact=True).click()
                _wait_up_to_date(page, 23 if i % 2 == 0 else 24)
                times.append(time.perf_counter() - t0)
                cpu.append(cpu_seconds(process.pid) - c0)
                page.wait_for_timeout(300)
            context.close()
    finally:
        stop(process)
    return statistics.median(times), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, nargs="+", default=[10_000, 20_000, 50_000, 100_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--browser", action="store_true", help="also time the redraw in headless Chromium")
    args = parser.parse_args()
    print("agents   run 2020-2025   run + figures (CPU)" + ("   click to redrawn page (server CPU)"
                                                            if args.browser else ""))
    for agents in args.agents:
        run, total, cpu = server_side(agents, args.repeats)
        line = f"{agents:>7,}   {run:>10.2f} s   {total:>8.2f} s ({cpu:.2f} s)"
        if args.browser:
            wall, server_cpu = in_browser(agents, args.repeats)
            line += f"   {wall:>16.2f} s ({server_cpu:.2f} s)"
        print(line, flush=True)


if __name__ == "__main__":
    main()
