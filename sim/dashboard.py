"""The dashboard: a Mesa ``SolaraViz`` page of the plan's measures and what they do, 2020-2025.

Run it with ``python run_sim.py dashboard [SCENARIO.toml] [--port P] [--agents N]``
or, the same app, ``solara run sim/dashboard.py`` (the scenario and the agent
count then come from the environment variables ``URBSIM_DASHBOARD_SCENARIO``
and ``URBSIM_DASHBOARD_AGENTS``; defaults ``scenarios/plan.toml`` and
``sim.dashboard_model.DEFAULT_AGENTS``). Needs the ``viz`` extra
(``pip install -e ".[viz]"``).

The page is Mesa's ``SolaraViz`` around a ``DashboardModel``
(``sim.dashboard_model``): Mesa's ``make_plot_component`` (Altair backend: the
browser draws the charts) draws its ``DataCollector``'s curves (resident and
hukou urbanization, and the gap, for the chosen measures and, dashed, the
status quo, with the official points to 2020); bars give the gap in persons by
city class and by cause (``sim.breakdown``, drawn as HTML); the sidebar has a switch, a
strength and a start for each measure and the agent count. Moving a
control runs 2020 to the end year again (in a background thread: a newer
setting supersedes a run still going) and replaces the page's model, which
redraws every figure. SolaraViz's own Reset goes back to the scenario's
settings at the start year; its step and play buttons then replay the years.
"""

from __future__ import annotations

import os
from pathlib import Path

import solara
import solara.lab
from mesa.visualization import SolaraViz, make_plot_component
from mesa.visualization.utils import update_counter

from sim.dashboard_figures import bars_html, measure_colors, rates_post_process
from sim.dashboard_server import AGENTS_VARIABLE, SCENARIO_VARIABLE, offline_vega
from sim.dashboard_model import (AGENT_CHOICES, CHOSEN, DEFAULT_AGENTS, DEFAULT_SCENARIO, STATUS_QUO,
                                 DashboardModel, base_scenario, series_name)
from sim.policies import REGISTRY, article_number

TITLE = "urbanization-sim: the plan's measures"


def measure_label(name: str) -> str:
    """A measure's switch label: its registry name and the plan's article (tests find switches by it)."""
    return f"{name} (art. {article_number(REGISTRY[name].article)})"


@solara.component
def MeasureControl(name: str, enabled: bool, strength: float, start: float, years: tuple[int, int],
                   on_change):
    """One measure: a switch, its strength (0-1 of the plan's full measure) and its start (decimal year)."""
    with solara.Column(gap="0px", style={"margin-bottom": "6px"}):
        solara.Switch(label=measure_label(name), value=enabled, on_value=lambda v: on_change(name, enabled=v))
        solara.SliderFloat(f"strength {strength:.2f}", value=strength, min=0.0, max=1.0, step=0.05,
                           disabled=not enabled, on_value=lambda v: on_change(name, strength=v))
        solara.SliderFloat(f"start {start:.2f}", value=start, min=float(years[0]), max=float(years[1]), step=0.01,
                           disabled=not enabled, on_value=lambda v: on_change(name, start=v))


def make_controls(model_ref: solara.Reactive):
    """The controls component: a summary in the page, the measures and agent count in the sidebar.

    ``model_ref`` is the page's reactive model, which a finished run replaces.
    """

    @solara.component
    def Controls(model: DashboardModel):
        update_counter.get()
        pending = solara.use_reactive(model.choice)
        solara.use_effect(lambda: pending.set(model.choice), [model])  # a new run, or SolaraViz's Reset

        def rerun():
            choice = pending.value
            if choice == model_ref.value.choice:
                return
            result = DashboardModel(model.scenario_file, choice=choice).run_to_end()
            if pending.value == choice:  # nothing newer was asked meanwhile
                model_ref.value = result

        task = solara.lab.use_task(rerun, dependencies=[pending.value])

        def change(name, **setting):
            pending.set(pending.value.with_measure(name, **setting))

        agents = sorted({*AGENT_CHOICES, model.choice.agents})
        with solara.Sidebar():
            with solara.Card("The plan's measures"):
                solara.Select("agents", value=pending.value.agents, values=agents,
                              on_value=lambda v: pending.set(pending.value.with_agents(int(v))))
                for name, setting in pending.value.measures:
                    MeasureControl(name, setting.enabled, setting.strength, setting.start,
                                   (model.start_year, model.end_year), change)
        with solara.Card(f"{model.base.name}, {model.year}"):
            curves = model.curves().iloc[-1]
            rows = "".join(f"<tr><td>{rate}</td><td>{curves[series_name(rate, CHOSEN)]:.2f}{unit}</td>"
                           f"<td>{curves[series_name(rate, STATUS_QUO)]:.2f}{unit}</td></tr>"
                           for rate, unit in (("resident", " %"), ("hukou", " %"), ("gap", " pp")))
            solara.HTML(tag="table", unsafe_innerHTML=f"<tr><th></th><th>{CHOSEN}</th><th>{STATUS_QUO}</th></tr>{rows}",
                        classes=["dashboard-summary"], style={"width": "100%", "text-align": "right"})
            enabled = len(model.choice.enabled)
            solara.Text(f"{enabled} of {len(REGISTRY)} measures on; {model.choice.agents:,} agents; "
                        + ("running..." if task.pending or pending.value != model.choice else "up to date"),
                        classes=["dashboard-status"])

    return Controls


@solara.component
def CityClasses(model: DashboardModel):
    """Bars of the gap in persons by city class at the model's year (chosen beside status quo)."""
    update_counter.get()
    with solara.Card(f"The gap in persons by city class, {model.year}"):
        solara.Text("rural-hukou town residents, millions")
        solara.HTML(tag="div", unsafe_innerHTML=bars_html(model.city_classes(), "dashboard-classes"))


@solara.component
def Causes(model: DashboardModel):
    """Bars of the gap in persons by cause at the model's year (none at the start year)."""
    update_counter.get()
    causes = model.causes()
    with solara.Card(f"The gap in persons by cause, {model.year}"):
        if len(causes):
            solara.Text("why rural-hukou town residents have not converted, millions (last row: "
                        "converted this year, out of the gap)")
            solara.HTML(tag="div", unsafe_innerHTML=bars_html(causes, "dashboard-causes"))
        else:
            solara.Text("causes are known from the first simulated year on")


def initial_model() -> DashboardModel:
    """The model the page opens with: the scenario of the environment, run to its end year."""
    path = os.environ.get(SCENARIO_VARIABLE) or str(DEFAULT_SCENARIO)
    agents = int(os.environ.get(AGENTS_VARIABLE) or DEFAULT_AGENTS)
    return DashboardModel(path, agents=agents).run_to_end()


def build_page(model: DashboardModel):
    """The SolaraViz page around ``model``."""
    model_ref = solara.reactive(model)
    start = base_scenario(model.scenario_file).start_year
    components = [
        make_plot_component(measure_colors("resident", "hukou"), post_process=rates_post_process(start),
                            backend="altair"),
        make_plot_component(measure_colors("gap"), post_process=rates_post_process(start, gap=True), backend="altair"),
        CityClasses,
        Causes,
        make_controls(model_ref),
    ]
    return SolaraViz(model_ref, components=components, name=TITLE,
                     model_params={"scenario_file": model.scenario_file, "agents": model.choice.agents})


if solara.settings.assets.proxy:
    from solara.server.settings import assets
    offline_vega(Path(assets.proxy_cache_dir))
page = build_page(initial_model())
