"""Thresholds and baseline comparisons."""

import pytest

from pytest_optbench.gate.checks import BaselineView, check_metric, failure_message, margin
from pytest_optbench.gate.expectations import BaselineCheck, Expectation
from pytest_optbench.gate.metrics import Metric
from pytest_optbench.gate.record import BaselineState, Status
from pytest_optbench.kinds.analytic.metrics import METRICS as ANALYTIC_METRICS

PASS, FAIL, IMPROVED, KNOWN = Status.PASS, Status.FAIL, Status.IMPROVED, Status.KNOWN
MISSING, RECORDED, REGRESSION, STALE = Status.MISSING, Status.RECORDED, Status.REGRESSION, \
    Status.STALE
CHANGED = Status.CHANGED

FRACTION = ANALYTIC_METRICS["converged_fraction"]   # higher is better, tolerance 0.05
LOSS = ANALYTIC_METRICS["final_loss"]               # lower is better


def ok(**metrics):
    return BaselineView(BaselineState.OK, metrics, {"torch": "2.0", "device": "cpu"})


def check(metric, expectation, values, baseline=None, relaxed=False, updating=False):
    return check_metric("case", metric, expectation, values, baseline or ok(), relaxed, updating)


def test_absolute_bounds():
    assert check(FRACTION, Expectation(min=0.9), [0.95, 0.97]).status == PASS
    row = check(FRACTION, Expectation(min=0.9), [0.8, 0.9])
    assert row.status == FAIL and "below the minimum 0.9" in row.detail
    assert check(LOSS, Expectation(max=1e-3), [1e-2]).status == FAIL


def test_baseline_regression_direction_aware():
    base = ok(converged_fraction=[1.0, 1.0], final_loss=[1.0, 1.0])
    assert check(FRACTION, Expectation(baseline=True), [0.96], base).status == PASS
    row = check(FRACTION, Expectation(baseline=True), [0.9], base)
    assert row.status == REGRESSION
    assert row.limit == ">= 0.95" and row.baseline == 1.0 and row.delta == pytest.approx(-0.1)
    assert check(LOSS, Expectation(baseline=True), [1.6], base).status == REGRESSION
    assert check(LOSS, Expectation(baseline=True), [0.4], base).status == IMPROVED


def test_tolerance_override_and_relative_tolerance():
    base = ok(converged_fraction=[0.5])
    tight = Expectation(baseline=BaselineCheck(tolerance=0.0))
    assert check(FRACTION, tight, [0.49], base).status == REGRESSION
    relative = Expectation(baseline=BaselineCheck(tolerance=0.0, rel_tolerance=0.1))
    assert check(FRACTION, relative, [0.46], base).status == PASS   # 0.5 - 10% = 0.45
    assert margin(FRACTION, BaselineCheck(tolerance=0.01, rel_tolerance=0.1), 0.5) == 0.05


def test_two_sided_flags_any_change():
    base = ok(final_loss=[1.0])
    two_sided = Expectation(baseline=BaselineCheck(rel_tolerance=0.1, tolerance=0.0, two_sided=True))
    assert check(LOSS, two_sided, [0.5], base).status == CHANGED
    assert check(LOSS, two_sided, [1.05], base).status == PASS


def test_missing_values():
    steps = ANALYTIC_METRICS["steps_to_converge"]
    base = ok(steps_to_converge=[100.0])
    assert check(steps, Expectation(baseline=True), [None], base).status == REGRESSION
    assert check(steps, Expectation(baseline=True), [50.0], ok(steps_to_converge=[None])).status == IMPROVED
    assert check(steps, Expectation(baseline=True), [None], ok(steps_to_converge=[None])).status == PASS


def test_missing_and_stale_baselines_fail_with_their_reason():
    missing = BaselineView(BaselineState.MISSING, detail="no cpu baseline; record it with: pytest ...")
    row = check(FRACTION, Expectation(baseline=True), [1.0], missing)
    assert row.status == MISSING and "record it with" in row.detail
    stale = BaselineView(BaselineState.STALE, {"converged_fraction": [1.0]}, detail="stale baseline: ...")
    assert check(FRACTION, Expectation(baseline=True), [1.0], stale).status == STALE
    # Without a baseline expectation, a missing baseline does not matter.
    assert check(FRACTION, Expectation(min=0.5), [1.0], missing).status == PASS


def test_recording_keeps_thresholds():
    missing = BaselineView(BaselineState.MISSING)
    assert check(FRACTION, Expectation(baseline=True), [1.0], missing, updating=True).status == RECORDED
    assert check(FRACTION, Expectation(min=0.9, baseline=True), [0.5], missing,
                 updating=True).status == FAIL


def test_known_nonconvergence_relaxes_bounds_but_not_the_baseline():
    base = ok(converged_fraction=[0.2])
    assert check(FRACTION, Expectation(min=0.9, baseline=True), [0.2], base, relaxed=True).status == KNOWN
    assert check(FRACTION, Expectation(min=0.9, baseline=True), [0.0], base,
                 relaxed=True).status == REGRESSION


def test_failure_message_names_value_baseline_delta_limit_and_provenance():
    base = ok(converged_fraction=[1.0])
    row = check(FRACTION, Expectation(baseline=True), [0.5], base)
    text = failure_message([row], None, base)
    assert "converged_fraction: REGRESSION: value 0.5, baseline 1, delta -0.5, limit >= 0.95" in text
    assert "baseline recorded with torch 2.0, device cpu" in text
    assert failure_message([check(FRACTION, Expectation(baseline=True), [1.0], base)], None, base) is None


def test_higher_is_better_metric_without_defaults():
    metric = Metric("accuracy", True, "", tolerance=0.01, rel_tolerance=0.0)
    assert check(metric, Expectation(baseline=True), [0.98], ok(accuracy=[0.995])).status == REGRESSION


def test_fewer_seeds_meet_the_stored_values_of_the_same_seeds():
    from pytest_optbench.gate.checks import check_case
    from pytest_optbench.kinds.data.metrics import METRICS as DATA_METRICS

    definitions = {**ANALYTIC_METRICS, **DATA_METRICS}
    stored = BaselineView(BaselineState.OK, {"distance": [0.1, 0.5, 0.9],
                                             "test_accuracy": [0.90, 0.91, 0.92]}, seeds=[0, 1, 2])
    expect = {"distance": Expectation(baseline=BaselineCheck(tolerance=0.0, rel_tolerance=0.01)),
              "test_accuracy": Expectation(baseline=True)}

    def rows(values, seeds):
        return {r.metric: r for r in check_case("c", values, expect, definitions, stored, None,
                                                False, seeds=seeds)}

    quick = rows({"distance": [0.1], "test_accuracy": [0.90]}, [0])
    assert quick["distance"].status is PASS and quick["distance"].baseline == 0.1
    # Seed-noisy metrics still weigh one seed against all three stored.
    assert quick["test_accuracy"].baseline == pytest.approx(0.91)
    assert rows({"distance": [0.9]}, [2])["distance"].status is PASS
    assert rows({"distance": [0.5]}, [0])["distance"].status is REGRESSION  # seed 0 moved
    # All stored seeds: the mean of all, as before.
    assert rows({"distance": [0.1, 0.5, 0.9]}, [0, 1, 2])["distance"].baseline == pytest.approx(0.5)


def test_final_loss_is_compared_as_a_ratio_above_its_floor():
    gate = Expectation(baseline=True)
    tiny = ok(final_loss=[6.7e-19])
    # Seven decades worse: an absolute slack of 1e-8 would have passed it.
    row = check(LOSS, gate, [1.6e-12], tiny)
    assert row.status == REGRESSION and row.limit == "<= 1.5e-12"
    # Below the floor (1e-12) every value counts as equal.
    assert check(LOSS, gate, [4e-14], tiny).status == PASS
    assert check(LOSS, gate, [0.0], tiny).status == PASS
    moderate = ok(final_loss=[2e-6])
    assert check(LOSS, gate, [2.9e-6], moderate).status == PASS
    assert check(LOSS, gate, [3.1e-6], moderate).status == REGRESSION
    assert check(LOSS, gate, [1.2e-6], moderate).status == IMPROVED


def test_a_negative_final_loss_falls_back_to_the_linear_tolerance():
    # Functions whose minimum is below zero (six-hump camel: -1.0316) have no log scale.
    base = ok(final_loss=[-1.0316])
    assert check(LOSS, Expectation(baseline=True), [-1.0316], base).status == PASS
    assert check(LOSS, Expectation(baseline=True), [0.2], base).status == REGRESSION
