import numpy as np
import pytest

from sim import datasets
from sim.cities import SIZE_CLASSES, _pareto_quantiles, build_city_system


@pytest.fixture(scope="module")
def cities():
    return build_city_system(902.2e6)


def test_class_counts_match_census(cities):
    classes = datasets.size_classes()
    for name in SIZE_CLASSES[:-1]:
        assert cities.class_mask(name).sum() == classes.loc[name, "count"], name
    assert (~cities.is_county).sum() == 683
    assert cities.is_county.sum() == len(datasets.REGIONS)


def test_city_populations_match_census_total_and_bounds(cities):
    city = ~cities.is_county
    assert cities.population[city].sum() == pytest.approx(575.0e6, rel=1e-6)
    classes = datasets.size_classes()
    for name in SIZE_CLASSES[:-1]:
        pops = cities.population[cities.class_mask(name)]
        lower = classes.loc[name, "lower_10k"] * 1e4
        upper = classes.loc[name, "upper_10k"]
        assert pops.min() >= lower - 1
        if not np.isnan(upper):
            assert pops.max() <= upper * 1e4 + 1
    # county towns hold the urban residents outside city districts
    assert cities.population.sum() == pytest.approx(902.2e6)


def test_named_cities_kept(cities):
    named = dict(zip(cities.name, cities.population))
    assert named["Shanghai"] == pytest.approx(19.87e6)
    assert named["Beijing"] == pytest.approx(17.75e6)


def test_regions_spread_over_generated_classes(cities):
    for name in ("large_2", "medium", "small"):
        mask = cities.class_mask(name)
        counts = np.bincount(cities.region[mask], minlength=4) / mask.sum()
        shares = datasets.regions()["population_share_pct"].to_numpy() / 100
        assert np.all(np.abs(counts - shares) < 0.02), name


def test_county_towns_only_reachable_from_own_region(cities):
    for r in range(4):
        county = np.flatnonzero(cities.is_county)
        finite = np.isfinite(cities.distance_km[r, county])
        assert finite.sum() == 1 and cities.region[county[finite]][0] == r
    assert np.all(np.isfinite(cities.distance_km[:, ~cities.is_county]))


def test_pareto_quantiles_within_bounds_and_decreasing_density():
    q = _pareto_quantiles(1.0, 3.0, 100, 1.0)
    assert q.min() > 1.0 and q.max() < 3.0
    assert np.all(np.diff(q) > 0)
    assert np.median(q) < 2.0  # mass concentrated near the lower bound
