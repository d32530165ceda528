"""Batched multi-start runs are bitwise what each start does alone.

The reference here is written independently of the runner: a plain loop over one start, one
parameter tensor per group and one optimizer, evaluated on a batch of one point.
"""

import pytest
import torch

from pytest_optbench.kinds.analytic.runner import bind_function, run_analytic, start_points
from pytest_optbench.kinds.analytic.config import AnalyticConfig
from pytest_optbench.suite.cases import OptimizerConfig
from pytest_optbench.kinds.analytic.functions import FUNCTIONS
from pytest_optbench.suite.resolve import resolve_optimizer, resolve_scheduler

CPU = torch.device("cpu")
SEEDS = (0, 1)


def problem(function="rosenbrock", dim=None, steps=60, starts=6):
    info = FUNCTIONS[function]
    dim = dim or info.fixed_dim or 2
    return AnalyticConfig(function, dim, {}, tuple([info.domain] * dim), None, starts, None,
                          steps, "distance", 1e-3, "float64")


def optimizer(class_name, isolation, groups=(), schedule=None, **hyper):
    return OptimizerConfig("o", "o", class_name, hyper, tuple(groups), schedule, isolation)


def alone(config: AnalyticConfig, opt: OptimizerConfig, start: torch.Tensor):
    """One start, run by itself: (loss at every step, final point)."""
    function = bind_function(config)
    columns = [list(g["dims"]) for g in opt.param_groups] or [list(range(config.dim))]
    options = [{k: v for k, v in g.items() if k != "dims"} for g in opt.param_groups] or [{}]
    tensors = [start[cols].clone().requires_grad_(True) for cols in columns]
    instance = resolve_optimizer(opt.class_name)(
        [{"params": [t], **o} for t, o in zip(tensors, options)], **opt.hyperparameters)
    scheduler = None
    if opt.schedule:
        spec = dict(opt.schedule)
        scheduler = resolve_scheduler(spec.pop("class"))(instance, **spec)

    def point():
        x = torch.empty(config.dim, dtype=start.dtype)
        for t, cols in zip(tensors, columns):
            x[cols] = t.detach()
        return x

    def evaluate():
        value, grad = function.value_and_grad(point().unsqueeze(0))
        for t, cols in zip(tensors, columns):
            t.grad = grad[0, cols]
        return value[0]

    losses = []
    for _ in range(config.steps):
        losses.append(evaluate())
        if opt.class_name.endswith("LBFGS"):
            instance.step(evaluate)
        else:
            instance.step()
        if scheduler is not None:
            scheduler.step()
    losses.append(function.value_and_grad(point().unsqueeze(0))[0][0])
    return torch.stack(losses), point()


def identical(a, b) -> bool:
    """Bitwise equal, with NaN equal to NaN."""
    return a.shape == b.shape and bool(((a == b) | (a.isnan() & b.isnan())).all())


def assert_equivalent(config, opt):
    run = run_analytic(config, opt, SEEDS, CPU)
    starts = start_points(config, SEEDS)
    assert bool(torch.isfinite(run.loss).all()), "pick a setting that does not diverge"
    for i in range(starts.shape[0]):
        losses, final = alone(config, opt, starts[i])
        assert identical(run.loss[:, i], losses), f"start {i}: loss history differs"
        assert identical(run.final_points[i], final), f"start {i}: final point differs"


ELEMENTWISE = [
    ("SGD", {"lr": 2e-4}),
    ("SGD", {"lr": 2e-4, "momentum": 0.9, "dampening": 0.1, "weight_decay": 1e-3}),
    ("SGD", {"lr": 2e-4, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 1e-2, "amsgrad": True}),
    ("AdamW", {"lr": 1e-2}),
    ("Adamax", {"lr": 1e-2}),
    ("NAdam", {"lr": 1e-2}),
    ("RAdam", {"lr": 1e-3}),  # its first steps are un-normalised: 1e-2 diverges here
    ("Adagrad", {"lr": 0.1, "lr_decay": 1e-3, "initial_accumulator_value": 0.1}),
    ("Adadelta", {"lr": 1.0}),
    ("RMSprop", {"lr": 1e-2, "centered": True, "momentum": 0.5}),
    ("Rprop", {"lr": 1e-2}),
    ("ASGD", {"lr": 2e-4, "t0": 10}),
]


@pytest.mark.parametrize("function", ["rosenbrock", "ackley", "himmelblau"])
@pytest.mark.parametrize("class_name, hyper", ELEMENTWISE, ids=lambda v: str(v))
def test_shared_tensor_is_exact_for_elementwise_optimizers(function, class_name, hyper):
    assert_equivalent(problem(function), optimizer(class_name, "shared-tensor", **hyper))


def test_shared_tensor_is_exact_in_five_dimensions():
    assert_equivalent(problem("rosenbrock", dim=5), optimizer("Adam", "shared-tensor", lr=1e-2))


@pytest.mark.parametrize("isolation", ["shared-tensor", "tensor-per-start"])
def test_parameter_groups_and_schedule(isolation):
    groups = ({"dims": [1], "lr": 1e-2}, {"dims": [0], "lr": 3e-3})
    schedule = {"class": "StepLR", "step_size": 20, "gamma": 0.5}
    assert_equivalent(problem(), optimizer("Adam", isolation, groups, schedule))


@pytest.mark.parametrize("class_name, hyper", [
    ("optbench_testing:Lamb", {"lr": 1e-2}),
    ("Adafactor", {"lr": 1e-2}),
])
def test_tensor_per_start_is_exact_for_per_tensor_optimizers(class_name, hyper):
    assert_equivalent(problem(), optimizer(class_name, "tensor-per-start", **hyper))


@pytest.mark.parametrize("hyper", [{"lr": 1.0}, {"lr": 1.0, "line_search_fn": "strong_wolfe"}])
def test_optimizer_per_start_is_exact_for_lbfgs(hyper):
    assert_equivalent(problem(steps=8, starts=4), optimizer("LBFGS", "optimizer-per-start", **hyper))


def test_optimizer_per_start_with_a_step_without_closure():
    assert_equivalent(problem(steps=20, starts=3), optimizer("Adam", "optimizer-per-start", lr=1e-2))


# Negative controls: an isolation that is not exact changes trajectories, and is refused.

def unverified(config, opt, isolation):
    """The runner's batched run under `isolation`, without the probe's check."""
    from pytest_optbench.kinds.analytic.history import Criterion, History
    from pytest_optbench.kinds.analytic.runner import _simulate
    from pytest_optbench.kinds.analytic.stepping import Objective

    function = bind_function(config)
    starts = start_points(config, SEEDS)
    history = History(config.steps, starts.shape[0], config.dim, torch.float64, CPU,
                      Criterion("loss", function, torch.float64, CPU))
    _simulate(starts, opt, resolve_optimizer(opt.class_name), isolation,
              Objective(function, 1.0), history, config.steps, None, None)
    return history.loss


@pytest.mark.parametrize("class_name, isolation, config", [
    ("optbench_testing:Lamb", "shared-tensor", problem()),
    ("LBFGS", "tensor-per-start", problem(steps=5, starts=3)),
])
def test_an_inexact_isolation_changes_trajectories(class_name, isolation, config):
    opt = optimizer(class_name, isolation, lr=1e-2 if class_name != "LBFGS" else 1.0)
    loss = unverified(config, opt, isolation)
    starts = start_points(config, SEEDS)
    assert any(not identical(loss[:, i], alone(config, opt, starts[i])[0])
               for i in range(starts.shape[0]))


@pytest.mark.parametrize("class_name, isolation, config", [
    ("optbench_testing:Lamb", "shared-tensor", problem()),
    ("LBFGS", "tensor-per-start", problem(steps=5, starts=3)),
])
def test_an_explicit_inexact_isolation_is_refused_with_the_difference(class_name, isolation,
                                                                      config):
    from pytest_optbench.kinds.base import CaseTrouble

    opt = optimizer(class_name, isolation, lr=1e-2 if class_name != "LBFGS" else 1.0)
    with pytest.raises(CaseTrouble, match=rf"line 7: start_isolation: found {isolation}, which is "
                                          r"not exact.*start \d+ differs by [0-9.e+-]+ after \d+ steps"
                                          r".*use optimizer-per-start"):
        run_analytic(config, opt, SEEDS, CPU, line=7)


def test_isolation_modes_agree_with_each_other():
    config = problem("beale", steps=80, starts=8)
    runs = [run_analytic(config, optimizer("Adam", iso, lr=1e-2), SEEDS, CPU)
            for iso in ("shared-tensor", "tensor-per-start", "optimizer-per-start")]
    for other in runs[1:]:
        assert identical(runs[0].loss, other.loss)
        assert identical(runs[0].final_points, other.final_points)


def test_an_inexact_isolation_written_in_a_suite_is_refused_at_its_own_line():
    import textwrap

    from pytest_optbench.api import build_suite
    from pytest_optbench.kinds.base import CaseTrouble
    from pytest_optbench.suite.loader import load_text

    suite = build_suite(load_text(textwrap.dedent("""\
        optbench: 1
        optimizers:
          lamb:
            class: "optbench_testing:Lamb"
            lr: 0.01
            start_isolation: shared-tensor
        problems:
          rosenbrock: {function: rosenbrock, steps: 12, starts: 4}
        """), "s.yaml"), "s")
    case = suite.cases[0]
    with pytest.raises(CaseTrouble, match=r"^s\.yaml:6: optimizers\.lamb\.start_isolation: found "
                                          r"shared-tensor, which is not exact for "
                                          r"optbench_testing:Lamb: start \d+ differs by"):
        run_analytic(case.problem, case.optimizer, SEEDS, CPU, line=case.line)
