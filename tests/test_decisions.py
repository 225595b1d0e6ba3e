import numpy as np
import pytest
from scipy import stats

from sim import decisions as d
from sim.parameters import Parameters

PARAMS = Parameters.defaults()


def test_choice_frequencies_match_logit_probabilities():
    """Chi-square goodness of fit of choose() against the logit probabilities (alpha 0.001)."""
    rng = np.random.default_rng(42)
    utilities = rng.normal(size=(3, 12))
    utilities[1, 4] = -np.inf  # unavailable alternative
    cdf, logsum = d.choice_cdf(utilities)
    prob = np.exp(utilities - logsum[:, None])
    n = 60_000
    group = rng.integers(0, 3, n)
    choice = d.choose(cdf, group, rng.random(n))
    for g in range(3):
        observed = np.bincount(choice[group == g], minlength=12)
        expected = prob[g] * (group == g).sum()
        keep = expected > 0
        assert observed[~keep].sum() == 0
        _, pvalue = stats.chisquare(observed[keep], expected[keep])
        assert pvalue > 0.001, (g, observed, expected)


def test_choose_is_a_pure_function_of_its_draws():
    cdf, _ = d.choice_cdf(np.log(np.array([[0.2, 0.3, 0.5]])))
    got = d.choose(cdf, np.zeros(5, dtype=np.int64), np.array([0.0, 0.19, 0.21, 0.49, 0.99]))
    assert list(got) == [0, 0, 1, 1, 2]


def test_logsum_is_log_of_sum():
    u = np.array([[0.0, np.log(3.0)]])
    _, logsum = d.choice_cdf(u)
    assert logsum[0] == pytest.approx(np.log(4.0))


def _utilities(**changes):
    k = 3
    base = dict(wage=np.full(k, 4000.0), employment_rate=np.full(k, 0.95), housing=np.full(k, 0.2),
                jobs=np.full(k, 1e6), population=np.full(k, 1e6), service_access=np.full(k, 0.6),
                school_access=np.full(k, 0.8), prospects=np.ones(k), distance_km=np.full((1, k), 500.0),
                same_region=np.zeros((1, k)), network=np.zeros((1, k)), constant=np.zeros(k), params=PARAMS)
    base.update(changes)
    return d.destination_utilities(**base)


def test_income_distance_elasticity():
    """Utility is unchanged if income rises 15 % when distance rises 10 % (Zhang & Zhao 2013)."""
    v = _utilities(wage=np.array([4000.0, 4000.0 * 1.1 ** 1.5, 4000.0]),
                   distance_km=np.array([[500.0, 550.0, 500.0]]))
    assert v[0, 0, 0, 0] == pytest.approx(v[0, 0, 0, 1])


def test_utility_directions():
    v = _utilities(service_access=np.array([0.5, 0.9, 0.5]), network=np.array([[0.0, 0.0, 0.3]]))
    assert v[0, 0, 0, 1] > v[0, 0, 0, 0]  # services attract
    assert v[0, 0, 0, 2] > v[0, 0, 0, 0]  # networks attract
    v = _utilities(school_access=np.array([0.5, 0.9, 0.5]))
    gain_with_kids = v[0, 0, 1, 1] - v[0, 0, 1, 0]
    gain_without = v[0, 0, 0, 1] - v[0, 0, 0, 0]
    assert gain_with_kids > gain_without == 0
    v = _utilities(distance_km=np.array([[500.0, np.inf, 500.0]]))
    assert v[0, 0, 0, 1] == -np.inf


def test_leave_probability_falls_with_age_and_rises_with_value():
    kw = dict(rural_income=np.full(3, 2000.0), education=np.ones(3, dtype=np.int64), params=PARAMS)
    p_age = d.leave_probability(logsum=np.full(3, 15.0), age=np.array([20, 40, 65]), **kw)
    assert p_age[0] > p_age[1] > p_age[2] == 0.0
    p_value = d.leave_probability(logsum=np.array([14.0, 15.0, 16.0]), age=np.full(3, 30), **kw)
    assert np.all(np.diff(p_value) > 0)


def test_land_lowers_conversion_and_policy_removes_it():
    kw = dict(service_access=np.full(2, 0.6), has_school_children=np.zeros(2, bool),
              years_in_city=np.full(2, 5), age=np.full(2, 35), params=PARAMS)
    land = np.array([False, True])
    p = d.settle_probability(land=land, land_penalty_factor=1.0, **kw)
    assert p[1] < p[0]
    p_kept = d.settle_probability(land=land, land_penalty_factor=0.0, **kw)
    assert p_kept[1] == pytest.approx(p_kept[0])
    # more to gain from hukou where non-hukou services are poor
    kw["service_access"] = np.array([0.4, 0.9])
    p = d.settle_probability(land=np.zeros(2, bool), land_penalty_factor=1.0, **kw)
    assert p[0] > p[1]


def test_return_rises_with_age_and_unemployment():
    zeros = np.zeros(3, bool)
    p = d.return_probability(age=np.array([30, 50, 62]), unemployed=zeros, left_behind_children=zeros,
                             land=zeros, params=PARAMS)
    assert p[0] < p[1] < p[2]
    p_unemp = d.return_probability(age=np.full(3, 30), unemployed=np.ones(3, bool), left_behind_children=zeros,
                                   land=zeros, params=PARAMS)
    assert p_unemp[0] > p[0]


def test_stochastic_round_is_unbiased():
    rng = np.random.default_rng(3)
    x = np.full(100_000, 2.3)
    r = d.stochastic_round(x, rng.random(x.size))
    assert set(np.unique(r)) == {2, 3}
    se = np.sqrt(0.3 * 0.7 / x.size)
    assert abs(r.mean() - 2.3) < 4 * se


def test_housing_share_grows_with_size_and_is_capped():
    s = d.housing_share(np.array([1e5, 1e6, 1e7, 1e9]), np.ones(4), 0.3, 0.35)
    assert np.all(np.diff(s[:3]) > 0)
    assert s[2] == pytest.approx(0.3)
    assert s[3] <= 0.9
