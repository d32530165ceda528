"""The analytic runner and its metrics: determinism, criteria, divergence, options."""

import math

import pytest
import torch

from pytest_optbench.kinds.analytic.summary import summarize
from pytest_optbench.kinds.analytic.runner import run_analytic
from pytest_optbench.kinds.analytic.config import AnalyticConfig
from pytest_optbench.suite.cases import OptimizerConfig
from pytest_optbench.kinds.analytic.functions import FUNCTIONS

CPU = torch.device("cpu")


def problem(function="quadratic", steps=300, criterion="distance", tol=1e-3, starts=16,
            start_points=None, domain=None):
    info = FUNCTIONS[function]
    dim = info.fixed_dim or 2
    return AnalyticConfig(function, dim, {}, tuple(domain or [info.domain] * dim), None,
                          starts, start_points, steps, criterion, tol, "float64")


def optimizer(class_name="SGD", isolation="shared-tensor", groups=(), schedule=None, **hyper):
    return OptimizerConfig("o", "o", class_name, hyper, tuple(groups), schedule, isolation)


def outcome(config, opt, seeds=(0, 1)):
    return summarize(run_analytic(config, opt, seeds, CPU), config.tol)


def test_a_case_run_twice_gives_identical_metrics():
    config, opt = problem("ackley"), optimizer("Adam", lr=0.05)
    first, second = outcome(config, opt), outcome(config, opt)
    assert first.metrics == second.metrics
    assert first.curves == second.curves


def test_seeds_draw_different_starts_and_give_per_seed_values():
    result = outcome(problem("himmelblau", steps=5), optimizer(lr=1e-3), seeds=(0, 1, 2))
    assert all(len(v) == 3 for v in result.metrics.values())
    assert len(set(result.metrics["final_loss"])) == 3


def test_plain_gradient_descent_converges_on_a_convex_quadratic():
    # Condition number 100: the slow direction contracts by (1 - lr) = 0.985 a step.
    result = outcome(problem("quadratic", steps=600, tol=1e-2), optimizer(lr=0.015))
    assert result.metrics["converged_fraction"] == [1.0, 1.0]
    assert all(d < 1e-2 for d in result.metrics["distance"])
    assert all(0 < s < 600 for s in result.metrics["steps_to_converge"])


def test_settling_step_counts_from_the_last_break():
    # From (4, 0) with lr 0.25 on the sphere each step halves the point: |x_t| = 4 / 2**t.
    config = problem("sphere", steps=20, start_points=((4.0, 0.0),), tol=0.1)
    result = outcome(config, optimizer(lr=0.25), seeds=(0,))
    assert result.metrics["steps_to_converge"] == [6.0]   # 4 / 2**6 = 0.0625 <= 0.1 < 0.125


@pytest.mark.parametrize("criterion, tol", [("loss", 1e-6), ("distance", 1e-3), ("step", 1e-6)])
def test_each_criterion(criterion, tol):
    result = outcome(problem("booth", steps=500, criterion=criterion, tol=tol), optimizer(lr=0.02))
    assert result.metrics["converged_fraction"] == [1.0, 1.0]


def test_step_criterion_counts_points_at_rest_in_a_local_minimum():
    config = problem("rastrigin", steps=300, criterion="step", tol=1e-8)
    result = outcome(config, optimizer(lr=1e-3))
    distance = outcome(problem("rastrigin", steps=300, tol=1e-3), optimizer(lr=1e-3))
    assert result.metrics["converged_fraction"] == [1.0, 1.0]            # all came to rest
    assert distance.metrics["converged_fraction"][0] < 0.5               # few at the global one


def test_divergence_is_reported_with_its_step():
    result = outcome(problem("quadratic", steps=200), optimizer(lr=0.5))
    assert result.divergence is not None
    assert result.divergence["starts"] == result.divergence["of"] == 32
    assert 0 < result.divergence["step"] < 200
    assert result.steps_run <= 200  # the run stops early once every start has diverged


def test_maximize_is_handed_the_negated_objective():
    plain = outcome(problem(), optimizer("Adam", lr=0.05))
    flipped = outcome(problem(), optimizer("Adam", lr=0.05, maximize=True))
    assert plain.metrics == flipped.metrics


def test_an_optimizer_ignoring_maximize_climbs():
    class IgnoresMaximize(torch.optim.SGD):
        def __init__(self, params, lr=0.01, maximize=False):
            super().__init__(params, lr=lr)

    import sys
    import types
    module = types.ModuleType("ignores_maximize_module")
    module.IgnoresMaximize = IgnoresMaximize
    sys.modules[module.__name__] = module
    result = outcome(problem(steps=100),
                     optimizer("ignores_maximize_module:IgnoresMaximize", lr=0.01, maximize=True))
    assert result.metrics["converged_fraction"] == [0.0, 0.0]


def test_parameter_groups_with_different_learning_rates():
    groups = [{"dims": [0], "lr": 0.015}, {"dims": [1], "lr": 0.0}]
    result = run_analytic(problem(steps=50), optimizer(groups=groups, lr=0.015), (0,), CPU)
    assert torch.equal(result.final_points[:, 1], result.start_points[:, 1])
    assert not torch.equal(result.final_points[:, 0], result.start_points[:, 0])


def test_a_schedule_changes_the_trajectory():
    base = outcome(problem(), optimizer(lr=0.015))
    scheduled = outcome(problem(), optimizer(lr=0.015, schedule={"class": "StepLR", "step_size": 10,
                                                                 "gamma": 0.5}))
    assert scheduled.metrics["final_loss"] != base.metrics["final_loss"]
    assert scheduled.metrics["converged_fraction"] == [0.0, 0.0]  # lr halves every 10 steps


def test_parameter_groups_that_disagree_on_maximize_are_refused():
    opt = optimizer(groups=[{"dims": [0], "maximize": True}, {"dims": [1]}], lr=0.01)
    with pytest.raises(ValueError, match="disagree on 'maximize'"):
        run_analytic(problem(steps=2), opt, (0,), CPU)


def test_curves_hold_quantiles_of_the_loss_gap_at_plot_precision():
    result = outcome(problem(steps=1000), optimizer(lr=0.015))
    curves = result.curves
    assert curves["of"] == "gap"
    assert curves["step"][0] == 0 and curves["step"][-1] == 1000
    assert len(curves["step"]) <= 81
    for q25, median, q75 in zip(curves["q25"], curves["median"], curves["q75"]):
        assert 0 <= q25 <= median <= q75
        assert float(f"{median:.4g}") == median
    assert curves["median"][-1] < curves["median"][0]


def test_user_function_through_autograd(tmp_path, monkeypatch):
    (tmp_path / "my_functions.py").write_text(
        "def bowl(X):\n    return ((X - 1.0) ** 2).sum(1)\n")
    monkeypatch.syspath_prepend(tmp_path)
    config = AnalyticConfig("my_functions:bowl", 3, {}, ((-2.0, 2.0),) * 3, ((1.0, 1.0, 1.0),),
                            8, None, 200, "distance", 1e-3, "float64")
    result = outcome(config, optimizer(lr=0.1))
    assert result.metrics["converged_fraction"] == [1.0, 1.0]


def test_long_histories_compute_the_criterion_online(monkeypatch):
    from pytest_optbench.kinds.analytic import history as analytic_history

    config, opt = problem("beale", steps=200, criterion="step", tol=1e-6), optimizer("Adam", lr=0.01)
    kept = outcome(config, opt)
    monkeypatch.setattr(analytic_history, "POINT_HISTORY_LIMIT", 10)
    online = outcome(config, opt)
    assert kept.metrics == online.metrics


def test_float32_runs():
    config = AnalyticConfig("booth", 2, {}, ((-10.0, 10.0),) * 2, None, 8, None, 300,
                            "distance", 1e-2, "float32")
    run = run_analytic(config, optimizer(lr=0.02), (0,), CPU)
    assert run.loss.dtype == torch.float32
    assert math.isfinite(float(run.loss[-1].max()))
