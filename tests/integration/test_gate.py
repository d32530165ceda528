"""The gate catches a broken optimizer swapped in under the real one's name."""

import pytest
import torch

import optbench_testing
from suite_texts import GATE

# Records and gates a suite with the real optimizers, then with broken ones.
pytestmark = pytest.mark.slow


@pytest.fixture
def recorded(pytester):
    """The gate suite with baselines recorded by the real torch optimizers."""
    pytester.makefile(".yaml", gate=GATE)
    pytester.runpytest("gate.yaml", "--optbench-update-baselines").assert_outcomes(passed=4)
    return pytester


def test_the_real_optimizers_pass(recorded):
    result = recorded.runpytest("gate.yaml")
    result.assert_outcomes(passed=4)


@pytest.mark.parametrize("name, broken, failing", [
    ("Adam", optbench_testing.AdamWithoutBiasCorrection, "adam"),
    ("Adam", optbench_testing.AdamDoubledLR, "adam"),
    ("SGD", optbench_testing.SGDIgnoringMomentum, "momentum"),
    ("SGD", optbench_testing.SGDDoubledLR, "momentum"),
], ids=["adam-without-bias-correction", "adam-lr-doubled", "sgd-ignoring-momentum",
        "sgd-lr-doubled"])
def test_a_broken_optimizer_under_the_same_name_fails(recorded, monkeypatch, name, broken, failing):
    monkeypatch.setattr(torch.optim, name, broken)
    result = recorded.runpytest("gate.yaml")
    result.assert_outcomes(passed=2, failed=2)
    failed = [line for line in result.stdout.lines if line.startswith("FAILED")]
    assert all(f"[{failing}]" in line for line in failed), failed
    # Each failure names what changed: the loss trajectory moved by far more than its noise
    # envelope, which on these smooth cases is the resolution, 0.001 decades.
    for problem in ("quadratic", "booth"):
        result.stdout.fnmatch_lines([f"{problem}[[]{failing}[]] * trajectory * <= 0.001 * CHANGED"])
    assert "STALE" not in result.stdout.str()  # same configuration: compared, not set aside


@pytest.mark.parametrize("seeds", ["1", "2"])
def test_a_quick_run_with_fewer_seeds_passes_the_real_optimizers(recorded, seeds):
    """Deterministic metrics are compared with the stored values of the same seeds."""
    recorded.runpytest("gate.yaml", "--optbench-seeds", seeds).assert_outcomes(passed=4)


def test_a_quick_run_with_fewer_seeds_still_fails_a_broken_optimizer(recorded, monkeypatch):
    monkeypatch.setattr(torch.optim, "Adam", optbench_testing.AdamDoubledLR)
    recorded.runpytest("gate.yaml", "--optbench-seeds", "1").assert_outcomes(passed=2, failed=2)
