"""The start-isolation probe: the cheapest exact isolation, found by running, for any class."""

import pytest
import torch

from pytest_optbench.kinds.analytic import probe as probe_module
from pytest_optbench.kinds.analytic.config import AnalyticConfig
from pytest_optbench.kinds.analytic.functions import FUNCTIONS
from pytest_optbench.kinds.analytic.probe import Difference, first_difference
from pytest_optbench.kinds.analytic.runner import run_analytic, start_points
from pytest_optbench.kinds.base import CaseTrouble
from pytest_optbench.suite.cases import OptimizerConfig
from pytest_optbench.suite.resolve import detect_protocol, resolve_optimizer

from unit.kinds.analytic.test_isolation import alone, identical

CPU = torch.device("cpu")
SEEDS = (0, 1)


def problem(function="beale", steps=30, starts=5):
    info = FUNCTIONS[function]
    dim = info.fixed_dim or 2
    return AnalyticConfig(function, dim, {}, tuple([info.domain] * dim), None, starts, None,
                          steps, "distance", 1e-3, "float64")


def optimizer(class_name, isolation=None, **hyper):
    return OptimizerConfig("o", "o", class_name, hyper, (), None, isolation,
                           detect_protocol(resolve_optimizer(class_name)))


@pytest.mark.parametrize("class_name, hyper, expected", [
    ("SGD", {"lr": 1e-3}, "shared-tensor"),
    ("torch.optim:Adam", {"lr": 1e-2}, "shared-tensor"),
    ("optbench_testing:Lamb", {"lr": 1e-2}, "tensor-per-start"),
    ("LBFGS", {"lr": 1.0}, "optimizer-per-start"),
    ("torch.optim:LBFGS", {"lr": 1.0}, "optimizer-per-start"),
    ("optbench_testing:GlobalNormSGD", {"lr": 0.05}, "optimizer-per-start"),
])
def test_the_cheapest_exact_isolation_is_chosen_by_behaviour(class_name, hyper, expected):
    run = run_analytic(problem(), optimizer(class_name, **hyper), SEEDS, CPU)
    assert run.verdict.isolation == expected
    assert run.verdict.chosen_by == "probe" and not run.verdict.seeded


@pytest.mark.parametrize("class_name, hyper", [
    ("optbench_testing:GlobalNormSGD", {"lr": 0.05}),
    ("optbench_testing:Lamb", {"lr": 1e-2}),
    ("torch.optim:LBFGS", {"lr": 1.0}),
])
def test_the_chosen_isolation_reproduces_every_start_alone(class_name, hyper):
    config, opt = problem(steps=12, starts=4), optimizer(class_name, **hyper)
    run = run_analytic(config, opt, SEEDS, CPU)
    starts = start_points(config, SEEDS)
    for i in range(starts.shape[0]):
        losses, final = alone(config, opt, starts[i])
        assert identical(run.loss[:, i], losses), f"start {i} differs from its run alone"


def test_a_coupled_optimizer_under_the_old_default_would_be_wrong():
    """The negative control: a shared batch changes a global-norm optimizer's trajectories."""
    config = problem(steps=12, starts=4)
    shared = optimizer("optbench_testing:GlobalNormSGD", "tensor-per-start", lr=0.05)
    with pytest.raises(CaseTrouble, match="not exact.*differs by"):
        run_analytic(config, shared, SEEDS, CPU)


def test_a_random_optimizer_runs_alone_seeded_per_start_and_says_so():
    config = problem(steps=10, starts=3)
    opt = optimizer("optbench_testing:NoisySGD", lr=1e-3, noise=1e-2)
    first = run_analytic(config, opt, SEEDS, CPU)
    again = run_analytic(config, opt, SEEDS, CPU)
    assert first.verdict.isolation == "optimizer-per-start" and first.verdict.seeded
    assert "random numbers" in first.verdict.describe()
    assert identical(first.loss, again.loss)
    # Each start's run is its own: the same start in a run of fewer starts is unchanged.
    fewer = run_analytic(problem(steps=10, starts=2), opt, SEEDS, CPU)
    assert identical(fewer.loss[:, 0], first.loss[:, 0])
    with pytest.raises(CaseTrouble, match="draws random numbers"):
        run_analytic(config, optimizer("optbench_testing:NoisySGD", "shared-tensor", lr=1e-3),
                     SEEDS, CPU)


def test_verdicts_are_cached_per_configuration(monkeypatch):
    calls = []
    real = probe_module.decide

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr("pytest_optbench.kinds.analytic.runner.decide", counting)
    cache: dict = {}
    for steps in (20, 30):
        run_analytic(problem(steps=steps), optimizer("Adam", lr=1e-2), SEEDS, CPU, cache)
    assert len(calls) == 1
    run_analytic(problem(), optimizer("Adam", lr=2e-2), SEEDS, CPU, cache)
    assert len(calls) == 2


def test_first_difference_locates_start_step_and_size():
    alone_points = torch.zeros(4, 3, 2)
    found = alone_points.clone()
    found[2, 1, 0] = 0.5
    found[3, 1, 0] = 3.0
    assert first_difference(alone_points, alone_points.clone()) is None
    assert first_difference(found, alone_points) == Difference(start=1, step=2, size=3.0)
    nan = torch.full((2, 1, 1), float("nan"))
    assert first_difference(nan, nan.clone()) is None


@pytest.mark.parametrize("class_name", ["optbench_testing:ClosureIgnoringSGD",
                                        "optbench_testing:GradientsFirstSGD"])
def test_an_optimizer_that_ignores_its_closure_steps_on_gradients_computed_first(class_name):
    """A step that never calls its closure and moves nothing (or fails for want of gradients)
    is started over with gradients ready: bitwise the run with `closure: false`."""
    given = run_analytic(problem(), optimizer(class_name, lr=1e-3), SEEDS, CPU)
    plain = OptimizerConfig("o", "o", class_name, {"lr": 1e-3}, (), None, None,
                            detect_protocol(resolve_optimizer(class_name), {"closure": False}))
    expected = run_analytic(problem(), plain, SEEDS, CPU)
    assert given.closure_ignored and not expected.closure_ignored
    assert identical(given.final_points, expected.final_points)
    assert identical(given.loss, expected.loss)
    assert given.steps_run == 30


@pytest.mark.parametrize("class_name, step", [("optbench_testing:ClosureOnceSGD", 1),
                                              ("optbench_testing:DecayWithoutClosure", 0)])
def test_a_step_that_moves_without_calling_its_closure_is_a_clear_error(class_name, step):
    with pytest.raises(CaseTrouble, match=rf"never called the closure \(step {step}\).*"
                                          r"protocol: \{closure: false\}"):
        run_analytic(problem(), optimizer(class_name, lr=1e-3), SEEDS, CPU)
