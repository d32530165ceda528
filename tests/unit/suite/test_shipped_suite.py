"""The shipped analytic suite: what it covers, and that its committed baselines match it."""

from pathlib import Path

import pytest

from pytest_optbench.gate.baselines import read
from pytest_optbench.kinds.analytic.functions import FUNCTIONS
from pytest_optbench.api import load_suite
from pytest_optbench.suite.cases import config_hash

ROOT = Path(__file__).resolve().parents[3]
ORIGIN_OPTIMIZERS = {"SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam",
                     "ASGD", "RAdam", "Rprop"}


@pytest.fixture(scope="module")
def suite():
    return load_suite(ROOT / "suites" / "analytic.yaml", "suites/analytic.yaml")


def test_every_function_meets_every_origin_optimizer(suite):
    """Every vector function; the matrix problems are for matrix optimizers
    (suites/third_party.yaml)."""
    pairs = {(c.problem.function, c.optimizer.class_name) for c in suite.cases}
    for function in (name for name, info in FUNCTIONS.items() if info.shape_of is None):
        for name in ORIGIN_OPTIMIZERS:
            assert (function, name) in pairs, (function, name)
    keys = {c.optimizer.key for c in suite.cases if c.problem_key == "rosenbrock"}
    assert {"sgd", "momentum", "nesterov"} <= keys  # plain, heavy-ball and Nesterov SGD


@pytest.mark.parametrize("option", [
    "dampening", "weight_decay", "nesterov", "maximize", "amsgrad", "centered", "lr_decay",
    "initial_accumulator_value", "decoupled_weight_decay"])
def test_each_option_has_its_own_cases(suite, option):
    assert any(option in c.optimizer.hyperparameters and c.optimizer.key not in
               ("sgd", "momentum", "adam") for c in suite.cases)


def test_parameter_groups_and_schedules_have_their_own_cases(suite):
    assert any(c.optimizer.param_groups for c in suite.cases)
    assert {c.optimizer.schedule["class"] for c in suite.cases if c.optimizer.schedule} == \
        {"StepLR", "CosineAnnealingLR"}


def test_non_convergence_is_declared_with_a_reason(suite):
    declared = [c for c in suite.cases if c.does_not_converge]
    assert declared and all(len(c.does_not_converge) > 10 for c in declared)
    assert all(c.does_not_converge for c in suite.cases if c.problem_key == "ackley")


def test_committed_baselines_cover_every_case_and_are_current(suite):
    entries = read(ROOT / "baselines" / "analytic.json")["entries"]["cpu"]
    for case in suite.cases:
        assert case.case_id in entries, f"no baseline for {case.case_id}"
        assert entries[case.case_id]["config_hash"] == config_hash(case), \
            f"stale: {case.case_id}"
        # Every shipped optimizer is element-wise: the probe batches its starts in one tensor
        # (test_probe checks that choice), and the entry keeps it as an observation.
        assert entries[case.case_id]["observed"] == {"isolation": "shared-tensor"}
        # Recorded with a noise envelope, so that the gate holds on another machine.
        assert entries[case.case_id]["envelope"]["replicas"] >= 1
        assert entries[case.case_id]["seeds"] == [0, 1, 2]
