"""Serving the dashboard: ``python run_sim.py dashboard`` starts ``solara run sim/dashboard.py``.

The command checks what it can before starting anything: that the ``viz``
extra is installed (else one line saying how to install it, exit 2), that the
scenario file is valid (the same errors as ``run``, exit 2). The scenario and
the agent count reach the app through environment variables (the app is a
module Solara imports). Solara's usage statistics are switched off.
``start`` runs the server in the background on a loopback port and waits
until it answers (the browser test and the screenshot use it). ``offline_vega``
lets the page draw its charts with no network (see there).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from sim.dashboard_model import DEFAULT_AGENTS, DEFAULT_SCENARIO
from sim.experiments import InputError, Outcome

APP = Path(__file__).resolve().parent / "dashboard.py"
SCENARIO_VARIABLE, AGENTS_VARIABLE = "URBSIM_DASHBOARD_SCENARIO", "URBSIM_DASHBOARD_AGENTS"  # read by sim.dashboard
INSTALL_HINT = 'the dashboard needs the viz extra: pip install -e ".[viz]"'
VIZ_MODULES = ("solara", "altair", "mesa.visualization")
VEGA_BUNDLES = ("vega@5", "vega-lite@5", "vega-embed@6")  # what Solara's chart widget asks its CDN proxy for


class MissingExtra(InputError):
    """The ``viz`` extra is not installed (exit status 2, one line)."""


def check_viz_extra() -> None:
    """Raise ``MissingExtra`` (with the install line) when a package of the ``viz`` extra is missing."""
    for module in VIZ_MODULES:
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:  # the parent package (mesa) is there, its subpackage's imports are not
            found = False
        if not found:
            raise MissingExtra(INSTALL_HINT)


def offline_vega(cache_dir: Path) -> None:
    """Let Solara's CDN proxy serve the Vega bundles that ``solara-assets`` ships, with no network.

    Solara's chart widget (``solara.FigureAltair``) asks the proxy for
    ``vega@5``, ``vega-lite@5`` and ``vega-embed@6``, while ``solara-assets``
    puts them in the proxy's cache (``cache_dir``) under exact versions
    (``vega@5.21.0``, ...), so the proxy would fetch them from the network. Each
    missing name becomes a link to the newest shipped version, as if the proxy
    had fetched and cached it. Nothing happens where no version is shipped or
    the cache cannot be written (the proxy then fetches, as before).
    """
    for wanted in VEGA_BUNDLES:
        link = Path(cache_dir) / wanted
        name, major = wanted.split("@")
        shipped = sorted(Path(cache_dir).glob(f"{name}@{major}.*"),
                         key=lambda p: tuple(int(n) if n.isdigit() else 0 for n in p.name.split("@")[1].split(".")))
        if shipped and not link.exists():
            try:
                link.symlink_to(shipped[-1].name, target_is_directory=True)
            except OSError:  # read-only, or another server made it meanwhile
                pass


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def command(port: int, host: str = "127.0.0.1", open_browser: bool = True) -> list[str]:
    """The ``solara run`` command line of the dashboard."""
    return [sys.executable, "-m", "solara", "run", str(APP), "--host", host, "--port", str(port), "--production",
            "--open" if open_browser else "--no-open", "--log-level", "warning"]


def environment(scenario: Path, agents: int) -> dict[str, str]:
    return {**os.environ, SCENARIO_VARIABLE: str(Path(scenario).resolve()), AGENTS_VARIABLE: str(int(agents)),
            "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}


def dashboard(scenario: Path | None = None, port: int = 8765, agents: int | None = None, host: str = "127.0.0.1",
              no_browser: bool = False, command_line=()) -> Outcome:
    """``run_sim.py dashboard``: check the extra and the scenario, then serve until stopped (Ctrl-C)."""
    if not 0 < port < 65536:
        raise InputError(f"--port: expected a port number from 1 to 65535, got {port}")
    check_viz_extra()
    from sim.dashboard_model import base_scenario

    scenario = Path(scenario) if scenario is not None else DEFAULT_SCENARIO
    base_scenario(scenario)  # a ScenarioError here is exit 2, before the server starts
    agents = agents or DEFAULT_AGENTS
    print(f"dashboard of {scenario} at {agents:,} agents: http://{host}:{port}/ (Ctrl-C stops it)", file=sys.stderr)
    status = subprocess.call(command(port, host, not no_browser), env=environment(scenario, agents))
    return Outcome(status=0 if status in (0, -2, 130) else 1)


def start(scenario: Path = DEFAULT_SCENARIO, agents: int = DEFAULT_AGENTS, timeout: float = 120.0,
          log: Path | None = None) -> tuple[subprocess.Popen, str]:
    """Start the dashboard on a free loopback port; return the process and its address once it answers."""
    check_viz_extra()
    port = free_port()
    out = open(log, "wb") if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(command(port, open_browser=False),
                               env=environment(Path(scenario), agents), stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the dashboard stopped at start (exit status {process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return process, url
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    stop(process)
    raise TimeoutError(f"the dashboard did not answer at {url} within {timeout:.0f} s")


def stop(process: subprocess.Popen) -> None:
    """Stop a server started by ``start``."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
