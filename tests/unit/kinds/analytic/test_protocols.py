"""Protocols: train/eval, create_graph, closures and wrapped optimizers, on analytic problems."""

import pytest
import torch

from pytest_optbench.kinds.analytic.config import AnalyticConfig
from pytest_optbench.kinds.analytic.functions import FUNCTIONS
from pytest_optbench.kinds.analytic.runner import run_analytic
from pytest_optbench.suite.cases import OptimizerConfig
from pytest_optbench.suite.resolve import detect_protocol, resolve_optimizer

CPU = torch.device("cpu")
SEEDS = (0, 1)


def problem(function="booth", steps=40, starts=4):
    info = FUNCTIONS[function]
    dim = info.bind().dim
    return AnalyticConfig(function, dim, {}, tuple([info.domain] * dim), None, starts, None,
                          steps, "loss", 1e-6, "float64")


def optimizer(class_name, protocol=None, wraps=None, **hyper):
    cls = resolve_optimizer(class_name)
    return OptimizerConfig("o", "o", class_name, hyper, (), None, None,
                           detect_protocol(cls, protocol), wraps)


def test_train_eval_is_detected_and_metrics_are_taken_at_the_evaluation_point():
    opt = optimizer("optbench_testing:AveragedSGD", lr=0.05)
    assert opt.protocol.train_eval
    run = run_analytic(problem(), opt, SEEDS, CPU)
    # The recorded loss at step t is the loss of the average of the training points so far:
    # replay the training points by hand and compare.
    from pytest_optbench.kinds.analytic.runner import start_points

    function = FUNCTIONS["booth"].bind()
    y = start_points(problem(), SEEDS).clone()
    x = y.clone()
    for t in range(1, 41):
        _, g = function.value_and_grad(y)
        y = y - 0.05 * g
        x = x + (y - x) / t
    assert torch.allclose(run.final_points, x, rtol=0, atol=1e-12)
    assert torch.allclose(run.loss[-1], function.value(x), rtol=1e-12)


def test_without_train_mode_the_optimizer_error_is_the_cases():
    opt = optimizer("optbench_testing:AveragedSGD", protocol={"train_eval": False}, lr=0.05)
    with pytest.raises(RuntimeError, match="not in train mode"):
        run_analytic(problem(), opt, SEEDS, CPU)


@pytest.mark.parametrize("function", [name for name in FUNCTIONS if name != "booth"])
def test_create_graph_runs_on_every_analytic_function(function):
    opt = optimizer("optbench_testing:NewtonDiagonal", protocol={"create_graph": True}, lr=0.01)
    run = run_analytic(problem(function, steps=3, starts=2), opt, SEEDS, CPU)
    assert run.steps_run == 3 and not torch.equal(run.loss[0], run.loss[-1])


def test_create_graph_gives_the_hessian_vector_product():
    """Booth's Hessian is [[10, 8], [8, 10]]: against ones, each coordinate's product is 18."""
    opt = optimizer("optbench_testing:NewtonDiagonal", protocol={"create_graph": True}, lr=0.5)
    run = run_analytic(problem(steps=1), opt, SEEDS, CPU)
    from pytest_optbench.kinds.analytic.runner import start_points

    x0 = start_points(problem(steps=1), SEEDS)
    _, g = FUNCTIONS["booth"].bind().value_and_grad(x0)
    assert torch.allclose(run.final_points, x0 - 0.5 * g / (18 + 1e-3), rtol=1e-12, atol=1e-12)


def test_without_create_graph_a_second_order_method_says_what_it_needs():
    opt = optimizer("optbench_testing:NewtonDiagonal", lr=0.5)
    with pytest.raises(RuntimeError, match="create_graph"):
        run_analytic(problem(), opt, SEEDS, CPU)


def test_a_closure_is_passed_whenever_step_accepts_one():
    run = run_analytic(problem(), optimizer("optbench_testing:ClosureOnlySGD", lr=0.05), SEEDS, CPU)
    assert float(run.loss[-1].max()) < float(run.loss[0].min()) / 100


def test_closure_and_plain_step_give_bitwise_the_same_run_for_torch_optimizers():
    with_closure = run_analytic(problem("rosenbrock"), optimizer("Adam", lr=0.01), SEEDS, CPU)
    plain = run_analytic(problem("rosenbrock"), optimizer("Adam", {"closure": False}, lr=0.01),
                         SEEDS, CPU)
    assert torch.equal(with_closure.loss, plain.loss)
    assert torch.equal(with_closure.final_points, plain.final_points)


def test_a_class_valued_option_is_passed_as_the_class():
    for base in ({"class": "SGD"}, "torch.optim:SGD"):
        opt = optimizer("optbench_testing:BaseClassSGD", base_optimizer=base, lr=0.05)
        halved = run_analytic(problem(), opt, SEEDS, CPU)
        reference = run_analytic(problem(), optimizer("SGD", lr=0.025), SEEDS, CPU)
        assert torch.allclose(halved.loss, reference.loss, rtol=1e-12, atol=0)


def test_a_wrapper_takes_the_inner_optimizer_instance():
    opt = optimizer("optbench_testing:Averaging", wraps={"class": "SGD", "lr": 0.05}, k=2)
    run = run_analytic(problem(), opt, SEEDS, CPU)
    plain = run_analytic(problem(), optimizer("SGD", lr=0.05), SEEDS, CPU)
    assert not torch.equal(run.loss, plain.loss)
    assert float(run.loss[-1].max()) < float(run.loss[0].min())


def test_muon_runs_its_matrix_path_on_matrix_problems_one_tensor_per_start():
    run = run_analytic(problem("matrix-least-squares", steps=30), optimizer("Muon", lr=0.05),
                       SEEDS, CPU)
    assert run.verdict.isolation == "tensor-per-start"
    assert "shared-tensor" in run.verdict.tried and run.verdict.tried["shared-tensor"] != "exact"
    assert float(run.loss[-1].median()) < float(run.loss[0].median())
