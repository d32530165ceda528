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


@pytest.fixture(scope="module")
def third_party():
    for package in ("pytorch_optimizer", "prodigyopt", "schedulefree", "dadaptation",
                    "lion_pytorch"):
        pytest.importorskip(package, reason="suites/third_party.yaml needs "
                                            "requirements/third_party.txt")
    return load_suite(ROOT / "suites" / "third_party.yaml", "suites/third_party.yaml")


def test_every_third_party_case_approaches_its_minimum_or_says_why_not(third_party):
    """A case whose every start stays above the tolerance is nearly powerless (a converged
    fraction of 0 cannot drop): it converges somewhere in the committed baseline, or the suite
    declares it non-converging with a reason."""
    entries = read(ROOT / "baselines" / "third_party.json")["entries"]["cpu"]
    never = [c.case_id for c in third_party.cases
             if max(entries[c.case_id]["metrics"]["converged_fraction"]) == 0
             and not c.does_not_converge]
    assert never == []
    assert all(len(c.does_not_converge) > 20 for c in third_party.cases if c.does_not_converge)
    for case in third_party.cases:
        assert entries[case.case_id]["config_hash"] == config_hash(case), \
            f"stale: {case.case_id}"
        assert entries[case.case_id]["envelope"]["replicas"] >= 1


def test_every_third_party_class_with_weight_decay_runs_with_it(third_party):
    """A decay that is applied unscaled, twice or coupled is invisible at weight_decay 0."""
    import inspect

    from pytest_optbench.suite.resolve import resolve_optimizer

    decayed = {c.optimizer.class_name for c in third_party.cases
               if float(c.optimizer.hyperparameters.get("weight_decay", 0)) > 0}
    # torch.optim classes run with their options in suites/analytic.yaml.
    for name in {c.optimizer.class_name for c in third_party.cases if ":" in c.optimizer.class_name}:
        if "weight_decay" in inspect.signature(resolve_optimizer(name)).parameters:
            assert name in decayed, f"{name} never runs with weight_decay > 0"
    # Lookahead at an alpha where alpha and 1 - alpha differ.
    assert any(c.optimizer.hyperparameters.get("alpha", 0.5) != 0.5 for c in third_party.cases
               if c.optimizer.class_name.endswith("Lookahead"))
