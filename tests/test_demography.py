import numpy as np
import pytest

from sim import datasets
from sim.demography import (INFANT_MORTALITY, age_urban_stock, calibrate_mortality, mortality_schedule,
                            split_births)


def test_mortality_schedule_shape():
    q = mortality_schedule(0.01)
    assert q[0] == INFANT_MORTALITY
    assert np.all(q[1:15] < 0.001)
    assert np.all(np.diff(q[30:]) >= 0)  # rises with adult age
    assert q.max() <= 0.7


def test_calibrated_deaths_match_the_published_rate():
    pop = datasets.census_age_2020()
    target = 0.00718 * pop.sum()  # 2021 crude death rate
    q = calibrate_mortality(pop, target)
    assert float(pop @ q) == pytest.approx(target, rel=1e-9)


def test_older_population_loses_more():
    pop = datasets.census_age_2020()
    q = calibrate_mortality(pop, 0.0072 * pop.sum())
    old = np.zeros_like(pop)
    old[50:] = pop[50:]
    young = np.zeros_like(pop)
    young[:50] = pop[:50]
    assert old @ q / old.sum() > 5 * (young @ q / young.sum())


def test_ageing_conserves_survivors():
    stock = np.full(101, 1000.0)
    q = np.full(101, 0.1)
    aged, deaths = age_urban_stock(stock, q)
    assert deaths == pytest.approx(10100.0)
    assert aged[0] == 0.0 and aged[1] == pytest.approx(900.0)
    assert aged.sum() + deaths == pytest.approx(stock.sum())
    assert aged[-1] == pytest.approx(1800.0)  # the open age group keeps its survivors


def test_split_births_weights_rural_fertility():
    urban, rural = split_births(100.0, urban_fertile=50.0, rural_fertile=50.0, rural_relative=1.5)
    assert urban + rural == pytest.approx(100.0)
    assert rural == pytest.approx(60.0)
    assert split_births(100.0, 0.0, 0.0, 1.0) == (0.0, 0.0)
