"""The year, written once: the stages of one simulated year, in order.

``YEAR`` is the only place the order is written; ``UrbanizationModel.step``
and the agent engine both run it. One call of ``step()`` is one year, ending
on 31 December of ``model.year``:

1. ``policies``     the levers are rebuilt from the scenario's baseline and
                    every policy acts at its strength reached by 31 December.
                    First, because everything after reads the year's levers.
2. ``demography``   deaths, ageing, coming of age, births. Before the labour
                    market, so that the dead hold no job and the new adults
                    join the labour force in the year they turn 16.
3. ``labour``       jobs grow with GDP, wages and employment rates answer the
                    ratio of jobs to workers; farming villagers may take up
                    non-farm work; every migrant worker's employment is drawn.
                    Before the moves, which respond to this year's
                    unemployment and wages.
4. ``reclassify``   villages become urban, some with hukou (in situ). Before
                    return and leave: a reclassified villager is already in
                    town, and does not also "leave".
5. ``returns``      rural-hukou town residents go home (village or county
                    town). Before leave, so that a returner does not leave
                    again in the same year, and so that the destination table
                    sees this year's networks.
6. ``moves``        the destination table is rebuilt; college entrants,
                    leavers and unemployed searchers choose a city; children
                    follow or stay behind; left-behind children join a parent.
7. ``settle``       eligible migrants who want to convert apply; points
                    cities admit within their quota. Last: a person who moved
                    this year cannot settle in the same year.
8. collect          the model records every declared output (``sim.outputs``).

Each stage is a module with ``run(model)``. It selects its candidates and
computes their probabilities with the pure functions of ``sim.decisions``,
asks the model which candidates say yes (``model.decide(stream, rows,
probability)``) and which city a mover picks (``model.choose_destinations
(rows)``), and applies the outcomes. Only those two calls differ between the
engines: the vector engine compares one uniform per row with the array of
probabilities; the agent engine asks each Mesa agent for its own probability
(``MigrantAgent.chance``) and compares it with the same uniform at its row.
For the same seed both engines therefore give the same results.

What a stage may read and write on the model (its narrow interface):
``year``, ``people`` (the person arrays), ``params``, ``levers``, ``cities``,
``streams``, ``tally`` (the year's flows), ``inputs`` (per-row values a stage
prepares for the agents' decisions), the labour market (``jobs``, ``wage``,
``employment_rate``, ``wage_index``), the destination table (``choice_cdf``,
``choice_logsum``, ``destination_constant``), the urban-hukou stock
(``urban_hukou``) and the settlement record (``settled_by_year``).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from sim.stages import demography, labour, moves, policies, reclassify, returns, settle


class Stage(NamedTuple):
    name: str
    run: Callable


YEAR: tuple[Stage, ...] = (
    Stage("policies", policies.run),
    Stage("demography", demography.run),
    Stage("labour", labour.run),
    Stage("reclassify", reclassify.run),
    Stage("returns", returns.run),
    Stage("moves", moves.run),
    Stage("settle", settle.run),
)
