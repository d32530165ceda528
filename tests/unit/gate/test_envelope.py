"""Noise envelopes: measured from replicas, turned into margins, and used by the checks."""

import math

import pytest

from pytest_optbench.gate.checks import BaselineView, check_metric, tolerance_warnings
from pytest_optbench.gate.envelope import (Envelope, allowance, compared_value, measure,
                                           prediction_factor)
from pytest_optbench.gate.expectations import BaselineCheck, Expectation
from pytest_optbench.gate.record import BaselineState, Status
from pytest_optbench.kinds.analytic.metrics import METRICS

FRACTION, LOSS = METRICS["converged_fraction"], METRICS["final_loss"]
STEPS, TRAJECTORY = METRICS["steps_to_converge"], METRICS["trajectory"]
BASELINE = Expectation(baseline=True)


def stored(envelope, **metrics):
    return BaselineView(BaselineState.OK, metrics, {"device": "cpu"}, seeds=[0, 1],
                        envelope=Envelope(6, "test", envelope))


def check(metric, values, baseline, expectation=BASELINE, seeds_ratio=1.0):
    return check_metric("case", metric, expectation, values, baseline, False, False,
                        seeds_ratio=seeds_ratio)


def test_spread_is_the_rms_deviation_of_what_the_gate_compares():
    recorded = {"steps_to_converge": [100.0, 102.0], "final_loss": [1e-6, 1e-6],
                "trajectory": [[0.0, -3.0], [0.0, -5.0]]}
    replicas = [{"steps_to_converge": [101.0, 103.0], "final_loss": [1e-5, 1e-5],
                 "trajectory": [[0.0, -3.0], [0.0, -7.0]]},
                {"steps_to_converge": [99.0, 101.0], "final_loss": [1e-6, 1e-6],
                 "trajectory": [[0.0, -3.0], [0.0, -5.0]]}]
    envelope = measure(METRICS, recorded, replicas, "test")
    assert envelope.replicas == 2
    assert envelope.spread["steps_to_converge"] == pytest.approx(1.0)     # means 101 vs 102, 100
    assert envelope.spread["final_loss"] == pytest.approx(math.sqrt(0.5))  # one decade, once
    assert envelope.spread["trajectory"] == pytest.approx([0.0, math.sqrt(0.5)])


def test_a_replica_that_loses_a_value_makes_it_unbounded():
    envelope = measure(METRICS, {"steps_to_converge": [100.0]},
                       [{"steps_to_converge": [None]}], "test")
    assert envelope.spread["steps_to_converge"] is None
    assert not allowance(STEPS, None, 6, 100.0).gated


def test_log_scale_metrics_are_compared_in_decades_above_their_floor():
    assert compared_value(LOSS, [1e-3, 1e-3]) == pytest.approx(-3.0)
    assert compared_value(LOSS, [0.0]) == pytest.approx(-12.0)   # held to the 1e-12 floor


def test_margin_is_a_prediction_bound_held_to_the_resolution():
    factor = prediction_factor(6)
    assert 5.5 < factor < 6.5   # Student's t, 6 degrees of freedom, two-sided 1e-3
    assert allowance(STEPS, 2.0, 6, 300.0).margin == pytest.approx(factor * 2.0)
    assert allowance(STEPS, 0.0, 6, 300.0).margin == STEPS.resolution
    # A mean over a third of the stored seeds moves sqrt(3) times as much.
    assert allowance(STEPS, 2.0, 6, 300.0, seeds_ratio=3.0).margin == \
        pytest.approx(factor * 2.0 * math.sqrt(3.0))
    assert not allowance(STEPS, 50.0, 6, 300.0).gated   # 300 steps: 25% is 75 steps


def test_a_smooth_case_is_gated_far_tighter_than_the_fixed_tolerance():
    # The trajectory moved by 1e-15 decades under rounding: a change of 0.02 decades, a
    # fifth of the old fixed 0.1, fails.
    base = stored({"trajectory": [1e-15, 1e-15]}, trajectory=[[0.0, -6.0], [0.0, -6.0]])
    row = check(TRAJECTORY, [[0.0, -6.02], [0.0, -6.02]], base)
    assert row.status == Status.CHANGED
    assert "more than the 0.001 allowed there" in row.detail
    assert check(TRAJECTORY, [[0.0, -6.0], [0.0, -6.0]], base).status == Status.PASS


def test_a_chaotic_point_is_reported_not_gated():
    base = stored({"trajectory": [1e-15, 1e-15, 1e-15, 2.0]},
                  trajectory=[[0.0, -2.0, -4.0, -6.0], [0.0, -2.0, -4.0, -6.0]])
    row = check(TRAJECTORY, [[0.0, -2.0, -4.0, -2.0], [0.0, -2.0, -4.0, -2.0]], base)  # point 4
    assert row.status == Status.PASS
    # Points 2 and 3 are within two checkpoints of the chaotic one: not gated either.
    assert row.ungated.startswith("points 2-4 of 4 not gated: rounding alone may move them by")
    assert check(TRAJECTORY, [[0.5, -2.0, -4.0, -6.0], [0.5, -2.0, -4.0, -6.0]],
                 base).status == Status.CHANGED
    all_chaotic = stored({"trajectory": [3.0, 2.0]}, trajectory=[[0.0, -6.0]])
    row = check(TRAJECTORY, [[5.0, 5.0]], all_chaotic)
    assert row.status == Status.NOT_GATED and "points 1-2 of 2 not gated" in row.ungated


def test_a_point_near_a_noisy_one_is_allowed_its_neighbours_spread():
    """Where rounding differences grow visible varies between machines: a point whose own
    replicas agreed bitwise may move on another machine when a point up to two checkpoints
    later, or the one before, moves."""
    base = stored({"trajectory": [1e-15, 1e-15, 1e-15, 1e-15, 0.01, 1e-15]},
                  trajectory=[[0.0, -1.0, -2.0, -3.0, -4.0, -5.0]])
    allowed = prediction_factor(6) * 0.01
    for point in (2, 3, 5):   # 0-based: two before, one before, one after the noisy point
        moved = [0.0, -1.0, -2.0, -3.0, -4.0, -5.0]
        moved[point] += allowed * 0.9
        assert check(TRAJECTORY, [moved], base).status == Status.PASS, point
    moved = [0.0, -1.0 + allowed * 0.9, -2.0, -3.0, -4.0, -5.0]   # three points before
    row = check(TRAJECTORY, [moved], base)
    assert row.status == Status.CHANGED and "point 2 of 6" in row.detail


def test_scalar_within_and_beyond_the_envelope():
    base = stored({"steps_to_converge": 2.0}, steps_to_converge=[300.0, 300.0])
    allowed = prediction_factor(6) * 2.0
    assert check(STEPS, [300.0 + allowed * 0.9], base).status == Status.PASS
    row = check(STEPS, [300.0 + allowed * 1.1], base)
    assert row.status == Status.REGRESSION and "noise envelope" in row.detail
    # Improvements are told apart from regressions as before.
    assert check(STEPS, [300.0 - allowed * 1.1], base).status == Status.IMPROVED


def test_an_unmoved_metric_fails_on_any_change_beyond_its_resolution():
    base = stored({"converged_fraction": 0.0}, converged_fraction=[1.0, 1.0])
    row = check(FRACTION, [1.0, 31 / 32], base)
    assert row.status == Status.REGRESSION and "resolution" in row.detail


def test_a_log_scale_metric_moves_by_decades():
    base = stored({"final_loss": 0.01}, final_loss=[1e-6])
    allowed = prediction_factor(6) * 0.01    # decades
    assert check(LOSS, [1e-6 * 10 ** (allowed * 0.9)], base).status == Status.PASS
    assert check(LOSS, [1e-6 * 10 ** (allowed * 1.1)], base).status == Status.REGRESSION
    noisy = stored({"final_loss": 0.5}, final_loss=[1e-6])
    row = check(LOSS, [1.0], noisy)
    assert row.status == Status.NOT_GATED and "decades" in row.detail


def test_a_suite_tolerance_wins_and_is_warned_about_when_below_the_noise():
    base = stored({"steps_to_converge": 10.0}, steps_to_converge=[300.0])
    own = Expectation(baseline=BaselineCheck(tolerance=1.0, rel_tolerance=0.0))
    assert check(STEPS, [305.0], base, own).status == Status.REGRESSION   # the suite's 1 step
    warnings = tolerance_warnings({"steps_to_converge": own}, METRICS, base)
    assert len(warnings) == 1 and "cannot hold on another machine" in warnings[0]
    generous = Expectation(baseline=BaselineCheck(tolerance=100.0))
    assert tolerance_warnings({"steps_to_converge": generous}, METRICS, base) == []


def test_without_an_envelope_the_fixed_tolerances_apply():
    base = BaselineView(BaselineState.OK, {"steps_to_converge": [300.0]}, {"device": "cpu"})
    assert check(STEPS, [320.0], base).status == Status.PASS       # within 10%
    assert check(STEPS, [340.0], base).status == Status.REGRESSION


def test_the_starts_that_end_elsewhere_widen_the_margin_to_their_band():
    # No replica moved the median, but starts that changed basin could: the band holds.
    envelope = {"steps_to_converge": 0.0}
    base = BaselineView(BaselineState.OK, {"steps_to_converge": [110.0]}, {"device": "cpu"},
                        seeds=[0], envelope=Envelope(6, "test", envelope,
                                                     {"steps_to_converge": 4.0}, (2, 32)))
    assert check(STEPS, [113.0], base).status == Status.PASS
    row = check(STEPS, [115.0], base)
    assert row.status == Status.REGRESSION and "moves by up to 4 with the starts" in row.detail
    unbounded = BaselineView(BaselineState.OK, {"steps_to_converge": [110.0]}, {"device": "cpu"},
                             seeds=[0], envelope=Envelope(6, "test", envelope,
                                                          {"steps_to_converge": None}, (20, 32)))
    row = check(STEPS, [300.0], unbounded)
    assert row.status == Status.NOT_GATED and "20 of 32 starts end elsewhere" in row.detail


def test_corners_bound_a_median_that_jumps():
    recorded = {"steps_to_converge": [110.0]}
    corners = [{"steps_to_converge": [104.0]}, {"steps_to_converge": [118.0]},
               {"steps_to_converge": [None]}]
    envelope = measure(METRICS, recorded, [recorded], "test", 1, corners[:2], (1, 32))
    assert envelope.band["steps_to_converge"] == 8.0 and envelope.free == (1, 32)
    assert measure(METRICS, recorded, [recorded], "test", 1, corners).band["steps_to_converge"] \
        is None
    stored = Envelope.from_json(envelope.to_json())
    assert stored == envelope


def test_a_limit_below_every_possible_value_cannot_fail():
    from pytest_optbench.kinds.data.metrics import METRICS as DATA

    accuracy = DATA["test_accuracy"]
    at_chance = BaselineView(BaselineState.OK, {"test_accuracy": [0.05, 0.15, 0.098]},
                             {"device": "cpu"}, seeds=[0, 1, 2])
    row = check(accuracy, [0.1, 0.06, 0.13], at_chance)
    assert row.status == Status.PASS
    assert row.powerless.startswith("cannot fail: its limit >= -")
    learning = BaselineView(BaselineState.OK, {"test_accuracy": [0.97, 0.971, 0.969]},
                            {"device": "cpu"}, seeds=[0, 1, 2])
    assert check(accuracy, [0.97, 0.97, 0.97], learning).powerless == ""
