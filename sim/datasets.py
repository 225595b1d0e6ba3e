"""Read the sourced data shipped in ``sim/data/``.

All official numbers the model uses pass through this module, so that a reader
can trace every datum to a row (with its source) in one of the CSV files.
Populations are returned in persons, rates in percent.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

DATA_DIR = Path(__file__).resolve().parent / "data"
TEN_THOUSAND = 10_000
MAX_AGE = 100
REGIONS = ("East", "Central", "West", "Northeast")
OFFICIAL_TABLES = ("official_statistics_to_2020.csv", "demography_and_drivers.csv", "urban_land_drivers.csv")


@lru_cache(maxsize=None)
def _table(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / name, dtype={"year": str})


def official(quantity: str, year: int | str) -> float:
    """One value of one of ``OFFICIAL_TABLES`` (the first that has it)."""
    for name in OFFICIAL_TABLES:
        table = _table(name)
        row = table[(table["quantity"] == quantity) & (table["year"] == str(year))]
        if len(row):
            return float(row["value"].iloc[0])
    raise KeyError(f"no official value for {quantity!r} in {year}")


def official_series(quantity: str) -> pd.Series:
    """All years of one quantity, indexed by integer year."""
    for name in OFFICIAL_TABLES:
        table = _table(name)
        rows = table[table["quantity"] == quantity]
        if len(rows):
            years = rows["year"].astype(int)
            return pd.Series(rows["value"].to_numpy(float), index=years.to_numpy(), name=quantity)
    raise KeyError(f"no official series {quantity!r}")


@lru_cache(maxsize=None)
def _driver(quantity: str) -> tuple[dict[int, float], int, int]:
    """A driver series as a plain dict (looked up every simulated year), with its first and last year."""
    series = official_series(quantity)
    return {int(y): float(v) for y, v in series.items()}, int(series.index.min()), int(series.index.max())


def census_age_2020() -> np.ndarray:
    """Population by single year of age 0..MAX_AGE (persons), 2020 census.

    Five-year groups are spread evenly over their years; the open 85+ group is
    spread over 85..100 with a geometric decline of 25 % a year (assumed shape;
    only its total enters any rate).
    """
    table = _table("census_2020_age_groups.csv")
    pop = np.zeros(MAX_AGE + 1)
    for row in table.itertuples():
        ages = np.arange(row.age_from, row.age_to + 1)
        total = row.population_10k * TEN_THOUSAND
        if row.age_to == MAX_AGE:
            weights = 0.75 ** np.arange(len(ages))
        else:
            weights = np.ones(len(ages))
        pop[ages] += total * weights / weights.sum()
    return pop


def regions() -> pd.DataFrame:
    """The four regions in ``REGIONS`` order."""
    table = _table("regions_2020.csv").set_index("region").loc[list(REGIONS)]
    return table


def named_cities() -> pd.DataFrame:
    """The 21 super-large and mega cities with their 2020 urban-district population."""
    return _table("cities_2020.csv").copy()


def size_classes() -> pd.DataFrame:
    """Count and population bounds of each city size class."""
    return _table("city_size_classes_2020.csv").set_index("size_class")


def births(year: int, population: float) -> float:
    """Births in ``year`` (persons): published where known, else the last crude rate.

    Years after the last published figure keep the last published crude birth
    rate (assumed; stated in docs/ODD.md).
    """
    series, first, _ = _driver("births")
    if year in series:
        return series[year] * TEN_THOUSAND
    if year < first:
        raise KeyError(f"no births before {first}")
    rates, _, last = _driver("crude_birth_rate")
    return rates[last] / 1000.0 * population


def crude_death_rate(year: int) -> float:
    """Deaths per person in ``year``: published where known, else the last published."""
    rates, first, last = _driver("crude_death_rate")
    if year < first:
        raise KeyError(f"no crude death rate before {first}")
    return rates[min(year, last)] / 1000.0


def gdp_growth(year: int, after_data: float) -> float:
    """Real GDP growth in ``year`` (fraction); ``after_data`` percent past the data."""
    series, first, _ = _driver("gdp_real_growth")
    if year in series:
        return series[year] / 100.0
    if year < first:
        raise KeyError(f"no GDP growth before {first}")
    return after_data / 100.0


def last_data_year() -> int:
    """The last year covered by the drivers (births, deaths, GDP)."""
    return int(min(official_series(q).index.max() for q in ("births", "crude_death_rate", "gdp_real_growth")))


# --- urban-land driver of reclassification (``urban_land_drivers.csv``) --------------
DRIVER_REFERENCE_YEARS = (2016, 2020)  # the calibration's fit window (inclusive)


@lru_cache(maxsize=None)
def built_up_area_filled() -> dict[int, float]:
    """City built-up area (km2) for every year from the first to the last sourced value.

    Years between sourced values are interpolated linearly in the level (so
    the yearly increment is the same within each gap); stated in
    ``sim/data/README.md``. Rows of low confidence are kept in the file but
    not used: the only one, 2019 (a rounded figure from a speech, its year
    inferred), would put a 420 km2 year in 2020 between years of 1,600-2,000,
    which the yearbook values around it do not support.
    """
    table = _table("urban_land_drivers.csv")
    rows = table[(table["quantity"] == "city_built_up_area") & (table["confidence"] != "low")]
    series = pd.Series(rows["value"].to_numpy(float), index=rows["year"].astype(int).to_numpy())
    years = np.arange(int(series.index.min()), int(series.index.max()) + 1)
    values = np.interp(years, series.index.to_numpy(), series.to_numpy())
    return {int(y): float(v) for y, v in zip(years, values)}


def built_up_increment(year: int, growth_after_data: float) -> float:
    """New city built-up area in ``year`` (km2): A(year) - A(year-1).

    After the last sourced year the area grows by ``growth_after_data``
    percent a year (an assumption, parameter ``built_up_growth_after_data``).
    """
    area = built_up_area_filled()
    first, last = min(area), max(area)
    if year - 1 < first:
        raise KeyError(f"no city built-up area before {first}")
    if year <= last:
        return area[year] - area[year - 1]
    level = area[last] * (1.0 + growth_after_data / 100.0) ** (year - 1 - last)
    return level * growth_after_data / 100.0


def reclassification_driver(year: int, growth_after_data: float) -> float:
    """New built-up area of ``year`` relative to its mean over ``DRIVER_REFERENCE_YEARS``.

    The yearly number of villagers reclassified is ``reclassification_pace`` times
    this index: 1 on average over the years the rate is fitted to.
    """
    lo, hi = DRIVER_REFERENCE_YEARS
    reference = np.mean([built_up_increment(y, growth_after_data) for y in range(lo, hi + 1)])
    return built_up_increment(year, growth_after_data) / reference


@lru_cache(maxsize=None)
def _shocks() -> dict[tuple[int, str], float]:
    table = pd.read_csv(DATA_DIR / "shocks.csv")
    return {(int(r.year), str(r.process)): float(r.share_of_2020) for r in table.itertuples()}


SHOCK_PROCESSES = ("leave", "return", "reclassify", "settle")
# the calibrated size of each process's 2020 shock (a factor on its yearly probability; none for reclassify)
SHOCK_SIZE_PARAMETERS = {"leave": "pandemic_leave_factor_2020", "return": "pandemic_return_factor_2020",
                         "settle": "pandemic_settle_factor_2020"}


def shock(process: str, year: int, params) -> float:
    """The dated exogenous factor on ``process`` in ``year``: 1 when none.

    ``shocks.csv`` dates the pandemic years and gives each year's shock as a
    share of the 2020 one; the 2020 size is a calibrated parameter
    (``SHOCK_SIZE_PARAMETERS``), so a year with share ``s`` has the factor
    ``1 + s * (size - 1)``.
    """
    if process not in SHOCK_PROCESSES:
        raise KeyError(f"no shock process {process!r}")
    share = _shocks().get((int(year), process), 0.0)
    if share == 0.0:
        return 1.0
    return 1.0 + share * (float(params[SHOCK_SIZE_PARAMETERS[process]]) - 1.0)
