"""Each contract holds on the genuine torch.optim class and fails on a copy with one bug."""

import pytest
import torch

import contract_doubles as doubles
from pytest_optbench.kinds.contracts.catalogue import CONTRACTS
from pytest_optbench.kinds.contracts.problems import (Broken, Factory, NotApplicable,
                                                      accepted_shapes, first_difference, options_of)
from pytest_optbench.suite.resolve import step_takes_closure


def factory(cls, elementwise=True, **hyper):
    def build(params, **overrides):
        return cls(params, **{**hyper, **overrides})
    return Factory(build, cls, options_of(cls), step_takes_closure(cls), hyperparameters=hyper,
                   elementwise=elementwise)


def check(name, cls, **hyper):
    made = factory(cls, **hyper)
    return CONTRACTS[name].check(made, accepted_shapes(made))


# (contract, the broken copy, the genuine class, hyperparameters, words of the failure)
BROKEN = [
    ("resume", doubles.AdamForgetsStateOnLoad, torch.optim.Adam, {"lr": 0.01},
     "resumed through load_state_dict after 3 steps"),
    ("param-groups", doubles.AdamFirstGroupLR, torch.optim.Adam, {"lr": 0.01},
     r"group 1 \(lr 0.003\) of two"),
    ("implementations", doubles.AdamForeachDrifts, torch.optim.Adam, {"lr": 0.01},
     "foreach=True against the for-loop"),
    ("dtypes", doubles.SGDUpcasts, torch.optim.SGD, {"lr": 0.01}, "came back as torch.float32"),
    ("shape-invariance", doubles.AdamOneDimensionalBug, torch.optim.Adam, {"lr": 0.01},
     "as one flat tensor"),
    ("maximize", doubles.SGDIgnoresMaximize, torch.optim.SGD, {"lr": 0.01},
     "maximize=True on f against minimising -f"),
    ("untouched", doubles.SGDTouchesIdle, torch.optim.SGD, {"lr": 0.01},
     "a parameter whose grad is None moved"),
    ("closure", doubles.SGDLosesTheLoss, torch.optim.SGD, {"lr": 0.01},
     "returned None; expected the closure's loss"),
    ("determinism", doubles.SGDUnseededNoise, torch.optim.SGD, {"lr": 0.01},
     "two identical runs of 4 steps differ"),
    ("sparse", doubles.SGDSparseSpill, torch.optim.SGD, {"lr": 0.01},
     "rows without a sparse gradient moved"),
    ("differentiable", doubles.SGDDetachedGradient, torch.optim.SGD, {"lr": 0.01},
     "gradcheck through one step"),
]


@pytest.mark.parametrize("name,broken,genuine,hyper,words", BROKEN, ids=[b[0] for b in BROKEN])
def test_each_contract_fails_on_an_optimizer_that_breaks_it(name, broken, genuine, hyper, words):
    assert check(name, genuine, **hyper)  # the promise holds on the real class, saying how
    with pytest.raises(Broken, match=words) as caught:
        check(name, broken, **hyper)
    # The smallest example: what was compared, and what was expected against what was found.
    assert "expected" in str(caught.value) or "gradcheck" in str(caught.value)


@pytest.mark.slow
def test_the_compiled_step_agrees_with_eager_and_fails_where_it_does_not():
    """torch.compile takes tens of seconds on a CPU: a slow test, one class each way."""
    assert "agrees" in check("compile", torch.optim.SGD, lr=0.01)
    with pytest.raises(Broken, match="the step under torch.compile against the eager step"):
        check("compile", doubles.SGDCompiledDiffers, lr=0.01)
    with pytest.raises(NotApplicable, match="needs a closure"):
        check("compile", torch.optim.LBFGS, lr=0.1)


def test_every_contract_is_shown_to_fail_here_or_through_its_baseline():
    shown = {b[0] for b in BROKEN} | {"defaults", "compile"}  # defaults: tests/integration/test_contracts.py
    assert shown == set(CONTRACTS)


def test_a_failure_names_the_tensor_element_and_both_values():
    expected = [torch.zeros(3), torch.tensor([[1.0, 2.0], [3.0, 4.0]])]
    found = [torch.zeros(3), torch.tensor([[1.0, 2.0], [3.0, 4.5]])]
    text = first_difference(expected, found)
    assert text.startswith("tensor 1 (shape (2, 2), float32), element [1, 1]: expected 4, found 4.5")
    assert "1 of 4 elements differ" in text
    assert first_difference(expected, expected) is None
    assert first_difference(expected, found, rtol=0.2) is None


def test_contracts_that_do_not_apply_say_why():
    with pytest.raises(NotApplicable, match="no foreach, fused or capturable"):
        check("implementations", torch.optim.LBFGS, lr=0.1)
    with pytest.raises(NotApplicable, match="not declared elementwise"):
        made = factory(torch.optim.LBFGS, elementwise=False, lr=0.1)
        CONTRACTS["shape-invariance"].check(made, accepted_shapes(made))
    with pytest.raises(NotApplicable, match="single parameter group"):
        check("param-groups", torch.optim.LBFGS, lr=0.1)
    with pytest.raises(NotApplicable, match="steps on none of the shapes"):
        accepted_shapes(factory(torch.optim.SparseAdam, lr=0.01))


def test_a_class_for_matrices_runs_on_the_shapes_it_takes():
    made = factory(torch.optim.Muon, lr=0.01)
    assert accepted_shapes(made) == [(4, 3)]
    assert set(made.rejected_shapes) == {(), (5,), (2, 3, 3, 3)}
