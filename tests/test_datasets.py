import numpy as np
import pytest

from sim import datasets


def test_census_age_reproduces_bulletin_shares():
    pop = datasets.census_age_2020()
    total = pop.sum()
    # census bulletin No.5: 0-14 17.95 %, 60+ 18.70 %, 65+ 13.50 % (of 1,411.78 M incl. military)
    assert abs(100 * pop[:15].sum() / total - 17.95) < 0.1
    assert abs(100 * pop[60:].sum() / total - 18.70) < 0.1
    assert abs(100 * pop[65:].sum() / total - 13.50) < 0.1
    assert abs(total - 1_409_780_000) < 1e6  # yearbook table 1-5 total, 31 provinces


def test_official_lookup_and_errors():
    assert datasets.official("resident_urbanization_rate_revised", 2020) == pytest.approx(63.89)
    assert datasets.official("hukou_urbanization_rate", 2020) == pytest.approx(45.4)
    with pytest.raises(KeyError):
        datasets.official("hukou_urbanization_rate", 2021)  # later data are kept out on purpose


def test_drivers_use_data_then_last_rate():
    assert datasets.births(2021, 1.4e9) == pytest.approx(10.62e6)
    # after the data: the last crude birth rate (2024: 6.77 per mille)
    assert datasets.births(2030, 1.0e9) == pytest.approx(6.77e6)
    assert datasets.crude_death_rate(2022) == pytest.approx(0.00737)
    assert datasets.crude_death_rate(2040) == datasets.crude_death_rate(datasets.last_data_year())
    assert datasets.gdp_growth(2021, 4.5) == pytest.approx(0.084)
    assert datasets.gdp_growth(2030, 4.5) == pytest.approx(0.045)


def test_every_data_row_has_a_source():
    for name in ("official_statistics_to_2020.csv", "demography_and_drivers.csv", "census_2020_age_groups.csv",
                 "regions_2020.csv", "cities_2020.csv", "city_size_classes_2020.csv"):
        table = datasets._table(name)
        assert "source" in table.columns, name
        assert table["source"].notna().all() and (table["source"].str.len() >= 3).all(), name


def test_regions_in_order_and_shares_sum():
    regions = datasets.regions()
    assert list(regions.index) == list(datasets.REGIONS)
    assert regions["population_share_pct"].sum() == pytest.approx(99.86, abs=0.01)
    assert regions["migrant_workers_by_origin_10k"].sum() == pytest.approx(datasets.official("migrant_workers_total", 2020))
    assert np.all(regions["within_region_km"] > 0)
