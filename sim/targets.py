"""What the model is fitted to: official series and flows, over a window of years before 2021.

A calibration ``Window`` names the history scenario it starts from (the
settlement rules actually in force each year) and the years it is fitted to.
The default is the 2015 state fitted to 2016-2020; the backtest
(``sim/backtest.py``) fits shorter windows and forecasts the years after them.

The loss is a sum of squared standardized errors; each target's scale says
how far off a simulated value may be before it counts as one standard error:

- resident urbanization: 0.1 point, against NBS's series revised after the
  2020 census, the series the 2020 start and every forecast are measured by
  (annual rates between censuses are sample-survey estimates rolled forward
  from the last census; the revision re-based them on the 2020 census);
- hukou urbanization: 0.1 point, from 2015 on only: the 2012-2014 figures
  (Ministry of Public Security) are on an earlier basis, and the 4-point jump
  to 2015 is a re-basing, not a flow the model could reproduce;
- migrant workers (NBS monitoring survey; definitions in ``sim/outputs.py``):
  all migrant workers and those working outside their township, 1 % (about
  the survey's sampling error); those living in towns (进城农民工, published
  from 2016), 2 %;
- migrant income growth since the window's first year: 2 %;
- flows the series leave free (``MOMENTS``): hukou conversions a year, the
  share of them that are migrants settling, the return rate of migrants, and
  the share of urban growth that comes from villages reclassified in place.
  The first two come from the 2014-2020 record and enter only windows whose
  years lie mostly in 2014-2020.

No figure after 2020 enters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim import datasets

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
HUKOU_MEASURED_FROM = 2015  # the hukou rate's current basis (see the module doc)


@dataclass(frozen=True)
class Window:
    """A calibration window: the history scenario (its start is the window's base year) and the years fitted."""

    history: Path
    fit_years: tuple[int, ...]

    @property
    def base_year(self) -> int:
        return self.fit_years[0] - 1

    @property
    def label(self) -> str:
        return f"{self.base_year} state, fitted to {self.fit_years[0]}-{self.fit_years[-1]}"


DEFAULT_WINDOW = Window(SCENARIOS / "history_2015.toml", tuple(range(2016, 2021)))

# (model column, official quantity, scale, kind: "abs" difference, "rel" ratio, "growth" since the base year)
TARGETS = (
    ("resident_urbanization_pct", "resident_urbanization_rate_revised", 0.1, "abs"),
    ("hukou_urbanization_pct", "hukou_urbanization_rate", 0.1, "abs"),
    ("migrant_workers_total", "migrant_workers_total", 0.01, "rel"),
    ("migrant_workers_outside_township", "migrant_workers_outside_township", 0.01, "rel"),
    ("migrants_in_cities", "migrant_workers_living_in_cities", 0.02, "rel"),
    ("mean_migrant_wage", "migrant_worker_monthly_income", 0.02, "growth"),
)

# Flows the official series do not pin down, from the record and from studies
# (all before 2021): (name, target, scale, source)
MOMENTS = (
    ("hukou_conversions_per_year", None, 0.10,
     "100 million settled in 2014-2020 (NDRC; sim/data): 14.3 million a year; scale 10 %"),
    ("migrant_settlements_share", 0.70, 0.15,
     "share of those conversions that are migrants settling where they live (the plan's '100 million "
     "agricultural migrants settled'); the split against village conversions and college is not "
     "published: 0.7 assumed, scale 0.15"),
    ("return_rate", 0.015, 0.005,
     "about 1.5 % of migrants return each year (village panel 1998-2015, Bai, Wang & Zhang 2018); "
     "scale 0.5 point"),
    ("reclassification_share", 0.45, 0.15,
     "share of the growth of urban residents that comes from villages reclassified in place: about 31 % in "
     "1991-2010 (China Population Science 2014(2)), over a third in 2010-2015 (Gan, He, Si & Yi 2025, "
     "J. Population Economics 38:14), the main source after 2010 and especially in 2016-2020 (Wang 2021, "
     "Population and Economics 2021(5)); 0.45, scale 0.15 spans the three"),
)
RECORD_YEARS = range(2014, 2021)  # the years of the settlement record behind the first two moments


def moments_for(window: Window) -> tuple:
    """The moments that apply to a window (the settlement record's only where it covers most of it)."""
    covered = sum(y in RECORD_YEARS for y in window.fit_years) * 2 > len(window.fit_years)
    return tuple(m for m in MOMENTS if covered or m[0] not in ("hukou_conversions_per_year",
                                                                "migrant_settlements_share"))


def moment_values(simulated: pd.DataFrame, window: Window = DEFAULT_WINDOW) -> dict[str, float]:
    """The simulated flows of ``MOMENTS`` over the window's years."""
    years = list(window.fit_years)
    frame = simulated.set_index("year")
    sim = frame.loc[years]
    conversions = (sim["settlements_in_year"] + sim["other_hukou_conversions_in_year"]).mean()
    lagged = frame["rural_hukou_migrants_in_towns"].shift(1).loc[years]
    growth = frame["urban_residents"].diff().loc[years].sum()
    return {"hukou_conversions_per_year": float(conversions),
            "migrant_settlements_share": float(sim["settlements_in_year"].mean() / conversions)
            if conversions > 0 else 0.0,
            "return_rate": float((sim["returns_in_year"] / lagged).mean()),
            "reclassification_share": float(sim["reclassified_in_year"].sum() / growth) if growth > 0 else 1.0}


def moment_targets() -> dict[str, float]:
    cumulative = datasets.official("hukou_settlements_cumulative", "2014-2020") * datasets.TEN_THOUSAND
    return {"hukou_conversions_per_year": cumulative / 7,
            **{name: target for name, target, _, _ in MOMENTS if target is not None}}


def observed(first: int = 2010, last: int = 2020) -> pd.DataFrame:
    """Official values of every target in ``first``-``last`` measured as the model is, persons and percent."""
    rows = []
    for column, quantity, _, kind in TARGETS:
        series = datasets.official_series(quantity)
        for year in range(first, last + 1):
            if year in series.index and not (column == "hukou_urbanization_pct" and year < HUKOU_MEASURED_FROM):
                value = series[year] * (datasets.TEN_THOUSAND if kind == "rel" else 1.0)
                rows.append({"target": column, "year": year, "observed": float(value)})
    return pd.DataFrame(rows)


def series_losses(simulated: pd.DataFrame, window: Window = DEFAULT_WINDOW) -> dict[str, float]:
    """Squared standardized errors summed over the window's years, per official series."""
    obs = observed(window.base_year, window.fit_years[-1])
    sim = simulated.set_index("year")
    out = {}
    for column, _, scale, kind in TARGETS:
        o = obs[obs["target"] == column].set_index("year")["observed"]
        total = 0.0
        for year in window.fit_years:
            if year not in o.index or (kind == "growth" and window.base_year not in o.index):
                continue
            s = sim.loc[year, column]
            if kind == "abs":
                z = (s - o[year]) / scale
            elif kind == "rel":
                z = (s / o[year] - 1.0) / scale
            else:  # growth since the base year
                base = window.base_year
                z = ((s / sim.loc[base, column]) / (o[year] / o[base]) - 1.0) / scale
            total += float(z * z)
        out[column] = total
    return out


def moment_losses(simulated: pd.DataFrame, window: Window = DEFAULT_WINDOW) -> dict[str, float]:
    values, targets = moment_values(simulated, window), moment_targets()
    out = {}
    for name, _, scale, _ in moments_for(window):
        if name == "hukou_conversions_per_year":
            out[name] = ((values[name] / targets[name] - 1.0) / scale) ** 2
        else:
            out[name] = ((values[name] - targets[name]) / scale) ** 2
    return out


def target_losses(simulated: pd.DataFrame, window: Window = DEFAULT_WINDOW) -> dict[str, float]:
    """Squared standardized errors per target: the series summed over years, then the flows."""
    return {**series_losses(simulated, window), **moment_losses(simulated, window)}


def fit_table(result_series: pd.DataFrame, window: Window = DEFAULT_WINDOW) -> pd.DataFrame:
    """Simulated against observed for every target and year of the window's run (fit.csv)."""
    obs = observed(window.base_year, window.fit_years[-1])
    sim = result_series.set_index("year")
    obs["simulated"] = [float(sim.loc[y, t]) if y in sim.index else math.nan
                        for t, y in zip(obs["target"], obs["year"])]
    return obs
