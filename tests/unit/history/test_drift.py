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
    [figure] = draw([one], tmp_path, set())
    assert (tmp_path / figure.name).stat().st_size > 0 and "final_loss" in figure.caption
    assert not figure.drifting


def test_a_figure_draws_each_runs_baseline_and_its_band_on_a_log_scale(tmp_path):
    """Baselines that changed between runs, limits on one side, a run with no baseline, and
    values four decades apart from another optimizer's."""
    pytest.importorskip("matplotlib")
    from pytest_optbench.history.render import _spans_decades, draw

    gated = Series("s", "p[adam]", "distance", "cpu")
    gated.points = [Point(1, "#1", 0.14, 0.12, 0.16, 0.14, None, 0.15),
                    Point(2, "#2", 0.13, 0.11, 0.15, None, None, None),
                    Point(3, "#3", 0.12, 0.10, 0.14, 0.12, None, 0.125)]
    other = Series("s", "p[sgd]", "distance", "cpu")
    other.points = [Point(run, f"#{run}", 1e-5, 1e-5, 1e-5) for run in (1, 2, 3)]
    [figure] = draw([gated, other], tmp_path, {gated.key})
    assert figure.drifting and (tmp_path / figure.name).stat().st_size > 0
    assert _spans_decades(gated.points + other.points) and not _spans_decades(gated.points)


@pytest.mark.parametrize("text, limits", [
    ("<= 223.5", (None, 223.5)), (">= 0.1875", (0.1875, None)), ("0.25..0.5", (0.25, 0.5)),
    ("<= 1.2e-11", (None, 1.2e-11)), ("", (None, None)), ("not gated", (None, None)),
    ("<= 3 ms", (None, None)), (None, (None, None))])
def test_older_rows_give_their_limits_from_the_text(text, limits):
    from pytest_optbench.history.trend import limits_from_text

    assert limits_from_text(text) == limits


def test_a_curve_that_moves_run_by_run_drifts():
    from pytest_optbench.history.trend import Curves, curve_drift

    moving = Curves("s", "p[o]", "trajectory", "cpu",
                    [(run, [1.0, 0.5 - 0.01 * run, -1.0 + 0.02 * run]) for run in range(5)])
    found = curve_drift(moving)
    assert found is not None and found.direction == "away"
    assert "moves run by run over the last 5 runs" in found.describe()
    assert "2 of 3 checkpoints move one way in every run" in found.describe()
    still = Curves("s", "p[o]", "trajectory", "cpu", [(run, [1.0, 0.5, None]) for run in range(5)])
    assert curve_drift(still) is None


def test_checkpoints_that_move_opposite_ways_still_drift():
    """A larger update: the early checkpoints fall run by run, the middle ones rise, the
    tail sits on a floor where rounding decides (the shape of sphere[adam] in the drift
    benchmark). A sum of signed S would cancel; the sum of |S| does not."""
    from pytest_optbench.history.trend import Curves, curve_drift

    floor = [-12.0, -11.9, -12.0, -12.1, -12.0]
    runs = [(run, [0.9 - 0.003 * run, 0.6 - 0.005 * run, -0.1 + 0.006 * run,
                   0.13 + 0.008 * run, floor[run]]) for run in range(5)]
    found = curve_drift(Curves("s", "sphere[adam]", "trajectory", "cpu", runs))
    assert found is not None and found.steady == 4 and found.checkpoints == 5


def test_a_curve_that_comes_back_does_not_drift():
    from pytest_optbench.history.trend import Curves, curve_drift

    back = Curves("s", "p[o]", "trajectory", "cpu",
                  [(run, [0.1 * d]) for run, d in enumerate([0, 3, 1, 2, 1])])
    assert curve_drift(back) is None


@pytest.mark.parametrize("runs", [5, 8])
def test_curves_of_exchangeable_noise_are_flagged_at_most_at_the_stated_rate(runs):
    """Runs that are noise around one curve, correlated from checkpoint to checkpoint as real
    trajectories are: the permutation test holds its level whatever the correlation."""
    import numpy as np

    from pytest_optbench.history.trend import Curves, curve_drift

    rng = np.random.default_rng(7)
    trials = 4000 if runs == 5 else 60   # 8 runs: 40320 orderings a curve
    flagged = 0
    for trial in range(trials):
        shape = np.linspace(1.0, -8.0, 15)
        noise = np.cumsum(rng.normal(0.0, 0.05, size=(runs, 15)), axis=1)  # correlated
        curves = [(run, list(shape + noise[run])) for run in range(runs)]
        found = curve_drift(Curves("s", "p[o]", "trajectory", "cpu", curves), window=runs)
        flagged += found is not None
    rate = flagged / trials
    print(f"{runs} runs: {flagged} of {trials} noise curves flagged ({rate:.1%})")
    assert rate <= 0.05 + 3 * (0.05 * 0.95 / trials) ** 0.5   # 5% and three standard errors


@pytest.mark.parametrize("values", [[0.3, 0.1, 0.4, 0.5, 0.2, 0.9, 0.7, 0.6],
                                    [1, 1, 2, 3, 3, 3, 4, 5], [2, 1, 3], [5, 4, 3, 2, 1, 0]])
def test_the_counted_distribution_agrees_with_every_ordering(values):
    import itertools

    observed = abs(kendall_s(values))
    orders = list(itertools.permutations(values))
    enumerated = sum(abs(kendall_s(o)) >= observed for o in orders) / len(orders) \
        if observed else 1.0
    assert kendall_p(values) == pytest.approx(enumerated)
