import numpy as np
import pytest

from sim.streams import Streams


def test_same_seed_same_draws_and_prefix_stable():
    a, b = Streams(7), Streams(7)
    assert np.array_equal(a.uniform("leave", 2021, 100), b.uniform("leave", 2021, 100))
    # an agent's draw does not depend on how many agents there are (rows appended later)
    assert np.array_equal(a.uniform("leave", 2021, 1000)[:100], a.uniform("leave", 2021, 100))


def test_streams_differ_by_decision_year_and_seed():
    s = Streams(7)
    base = s.uniform("leave", 2021, 1000)
    assert not np.array_equal(base, s.uniform("return", 2021, 1000))
    assert not np.array_equal(base, s.uniform("leave", 2022, 1000))
    assert not np.array_equal(base, Streams(8).uniform("leave", 2021, 1000))
    assert abs(np.corrcoef(base, s.uniform("return", 2021, 1000))[0, 1]) < 0.1


def test_uniform_draws_are_uniform():
    from scipy import stats

    u = Streams(1).uniform("settle", 2023, 50_000)
    assert stats.kstest(u, "uniform").pvalue > 0.001


def test_streams_are_keyed_by_name_not_position(monkeypatch):
    """Adding a decision's stream changes no other stream's draws."""
    import sim.streams as streams

    before = Streams(7).uniform("settle", 2022, 50)
    monkeypatch.setattr(streams, "STREAMS", frozenset({"a_new_decision", *streams.STREAMS}))
    after = Streams(7).uniform("settle", 2022, 50)
    assert np.array_equal(before, after)
    assert not np.array_equal(Streams(7).uniform("a_new_decision", 2022, 50), after)


def test_one_row_draw_is_the_rows_element():
    s = Streams(3)
    u = s.uniform("leave", 2024, 500)
    assert [s.draw("leave", 2024, r) for r in (0, 17, 499)] == [u[0], u[17], u[499]]


def test_unknown_stream_and_negative_seed_refused():
    with pytest.raises(ValueError):
        Streams(-1)
    with pytest.raises(ValueError):
        Streams(1).uniform("no_such_decision", 2021, 3)
