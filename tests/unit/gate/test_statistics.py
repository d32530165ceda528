"""The seed-aware gate on synthetic metric values: its false-alarm rate and detection power.

An unchanged optimizer must fail a case at most 1 time in 1000. The simulations draw baseline
and current per-seed values from the same distribution (normal, and a skewed one like real
accuracies near a ceiling) and count how often the gate fires; then they shift the current
distribution by a known amount and count how often the change is caught.
"""

import numpy as np
import pytest

from pytest_optbench.gate.statistics import DEFAULT_FALSE_ALARM_RATE, seed_margin

TRIALS = 200_000


def alarm_rate(current: np.ndarray, baseline: np.ndarray, floor: float, alpha: float) -> float:
    """Fraction of trials (rows) where the mean fell by more than the allowed margin."""
    n, k = current.shape[1], baseline.shape[1]
    df = n + k - 2
    squares = ((current - current.mean(1, keepdims=True)) ** 2).sum(1) + \
        ((baseline - baseline.mean(1, keepdims=True)) ** 2).sum(1)
    spread = np.maximum(np.sqrt(squares / df), floor)
    # The margin's quantile and scale, from the function under test:
    unit = seed_margin([0.0] * n, [0.0] * k, 1.0, alpha)
    factor = unit.margin / unit.spread
    return float(((baseline.mean(1) - current.mean(1)) > factor * spread).mean())


def test_the_margin_matches_hand_computed_values():
    margin = seed_margin([0.97, 0.972, 0.968], [0.971, 0.969, 0.970], 0.001, 1e-3)
    pooled = np.sqrt((8e-6 + 2e-6) / 4)  # sums of squares 8e-6 and 2e-6, 4 degrees of freedom
    assert margin.spread == pytest.approx(pooled)
    assert margin.quantile == pytest.approx(7.1732, abs=1e-4)
    assert margin.margin == pytest.approx(7.1732 * pooled * np.sqrt(2 / 3), rel=1e-4)
    floored = seed_margin([0.5, 0.5], [0.5, 0.5], 0.01, 1e-3)
    assert floored.spread == 0.01  # identical seeds: the noise floor holds the margin open
    single = seed_margin([0.5], [0.5], 0.01, 1e-3)
    assert single.quantile == pytest.approx(3.0902, abs=1e-4)  # normal quantile, no spread estimate


@pytest.mark.parametrize("seeds", [(3, 3), (2, 3), (5, 5), (3, 10)])
def test_false_alarms_stay_below_one_in_a_thousand(seeds):
    rng = np.random.default_rng(sum(seeds))
    n, k = seeds
    baseline = rng.normal(0.97, 0.002, (TRIALS, k))
    current = rng.normal(0.97, 0.002, (TRIALS, n))
    rate = alarm_rate(current, baseline, floor=0.0005, alpha=DEFAULT_FALSE_ALARM_RATE)
    # Expected 1e-3 exactly for a t-test; allow for Monte Carlo noise (200 alarms, sd ~14).
    assert rate <= 1.25e-3, rate


def test_false_alarms_with_skewed_values_near_a_ceiling():
    rng = np.random.default_rng(7)
    # Accuracy-like: 1 - gamma noise, skewed towards the ceiling.
    draw = lambda size: 0.99 - rng.gamma(2.0, 0.001, size)  # noqa: E731
    rate = alarm_rate(draw((TRIALS, 3)), draw((TRIALS, 3)), floor=0.0005, alpha=1e-3)
    assert rate <= 1.5e-3, rate


def test_the_noise_floor_makes_the_gate_more_conservative():
    rng = np.random.default_rng(3)
    baseline = rng.normal(0.9, 0.001, (TRIALS, 3))
    current = rng.normal(0.9, 0.001, (TRIALS, 3))
    assert alarm_rate(current, baseline, 0.01, 1e-3) < alarm_rate(current, baseline, 0.0, 1e-3)


@pytest.mark.parametrize("seeds, shift_in_sd, least_power", [
    ((3, 3), 10.0, 0.9), ((3, 3), 6.0, 0.5), ((5, 5), 5.0, 0.9), ((10, 10), 3.0, 0.9)])
def test_detection_power(seeds, shift_in_sd, least_power):
    rng = np.random.default_rng(11)
    n, k = seeds
    sd = 0.002
    baseline = rng.normal(0.97, sd, (20_000, k))
    current = rng.normal(0.97 - shift_in_sd * sd, sd, (20_000, n))
    power = alarm_rate(current, baseline, floor=0.0005, alpha=1e-3)
    assert power >= least_power, power
