"""The drift test: Kendall's S against run order, exact p-values."""

import pytest

from pytest_optbench.history.trend import Point, Series, drift, kendall_p, kendall_s


def series(values):
    one = Series("s", "p[o]", "final_loss", "cpu")
    one.points = [Point(i + 1, f"#{i + 1}", v, v, v) for i, v in enumerate(values)]
    return one


def test_a_strictly_monotone_window_of_five_has_p_two_in_120():
    assert kendall_s([1, 2, 3, 4, 5]) == 10
    assert kendall_p([1, 2, 3, 4, 5]) == pytest.approx(2 / 120)
    assert kendall_p([5, 4, 3, 2, 1]) == pytest.approx(2 / 120)


def test_one_swap_in_five_is_not_drift_at_five_percent():
    assert kendall_p([1, 2, 4, 3, 5]) > 0.05
    assert drift(series([1, 2, 4, 3, 5])) is None


def test_steady_runs_drift_and_say_which_way():
    found = drift(series([0.10, 0.101, 0.102, 0.103, 0.104]))
    assert found is not None and found.direction == "up" and found.runs == 5
    assert "0.1 -> 0.104" in found.describe()
    down = drift(series([3.0, 2.0, 1.5, 1.0, 0.5, 0.4]))
    assert down is not None and down.direction == "down" and down.runs == 5


def test_an_unchanged_metric_never_drifts():
    assert drift(series([0.5] * 6)) is None
    assert kendall_p([0.5] * 5) == 1.0


def test_too_few_runs_say_nothing():
    assert drift(series([1.0, 2.0])) is None


def test_exchangeable_noise_is_flagged_at_the_stated_rate():
    """Every ordering of five distinct values is equally likely under no drift: exactly 2 of
    the 120 are flagged (1.7%), below the 5% the test states."""
    import itertools

    orders = list(itertools.permutations([0.1, 0.2, 0.3, 0.4, 0.5]))
    flagged = sum(drift(series(list(order))) is not None for order in orders)
    assert flagged == 2 and flagged / len(orders) <= 0.05


def test_a_figure_draws_when_rounding_puts_the_mean_outside_the_seed_range(tmp_path):
    pytest.importorskip("matplotlib")
    from pytest_optbench.history.render import draw

    one = Series("s", "p[o]", "final_loss", "cpu")
    one.points = [Point(1, "#1", 0.30000000000000004, 0.3, 0.3), Point(2, "#2", 0.3, 0.3, 0.3)]
    [(caption, name)] = draw([one], tmp_path, set())
    assert (tmp_path / name).stat().st_size > 0 and "final_loss" in caption


def test_a_curve_that_moves_away_run_by_run_departs():
    from pytest_optbench.history.trend import Curves, departure

    moving = Curves("s", "p[o]", "trajectory", "cpu",
                    [(run, [1.0, 0.5 - 0.01 * run, -1.0 + 0.02 * (run % 2)]) for run in range(5)])
    found = departure(moving)
    assert found is not None and found.direction == "away"
    assert "moves away run by run over the last 5 runs" in found.describe()
    still = Curves("s", "p[o]", "trajectory", "cpu", [(run, [1.0, 0.5, None]) for run in range(5)])
    assert departure(still) is None


def test_a_curve_that_comes_back_does_not_depart():
    from pytest_optbench.history.trend import Curves, departure

    back = Curves("s", "p[o]", "trajectory", "cpu",
                  [(run, [0.1 * d]) for run, d in enumerate([0, 3, 1, 2, 1])])
    assert departure(back) is None


@pytest.mark.parametrize("values", [[0.3, 0.1, 0.4, 0.5, 0.2, 0.9, 0.7, 0.6],
                                    [1, 1, 2, 3, 3, 3, 4, 5], [2, 1, 3], [5, 4, 3, 2, 1, 0]])
def test_the_counted_distribution_agrees_with_every_ordering(values):
    import itertools

    observed = abs(kendall_s(values))
    orders = list(itertools.permutations(values))
    enumerated = sum(abs(kendall_s(o)) >= observed for o in orders) / len(orders) \
        if observed else 1.0
    assert kendall_p(values) == pytest.approx(enumerated)
