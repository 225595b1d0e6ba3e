"""Serving the dashboard: ``python run_sim.py dashboard`` starts ``solara run sim/dashboard.py``.

The command checks what it can before starting anything: that the ``viz``
extra is installed (else one line saying how to install it, exit 2), that the
scenario file is valid (the same errors as ``run``, exit 2). The scenario and
the agent count reach the app through environment variables (the app is a
module Solara imports). Solara's usage statistics are switched off.
``start`` runs the server in the background on a loopback port and waits
until it answers (the browser test and the screenshot use it).
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
