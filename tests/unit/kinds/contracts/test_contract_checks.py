"""Each contract holds on the genuine torch.optim class and fails on a copy with one bug."""

import pytest
import torch

import contract_doubles as doubles
from pytest_optbench.kinds.contracts.catalogue import CONTRACTS
from pytest_optbench.kinds.contracts.problems import (Broken, Factory, NotApplicable,
                                                      accepted_shapes, first_difference, initial,
                                                      on_device, options_of)
from pytest_optbench.kinds.contracts.state import across_devices
from pytest_optbench.suite.resolve import step_takes_closure


def factory(cls, elementwise=True, bitwise=frozenset(), **hyper):
    def build(params, **overrides):
        return cls(params, **{**hyper, **overrides})
    return Factory(build, cls, options_of(cls), step_takes_closure(cls), hyperparameters=hyper,
                   elementwise=elementwise, bitwise=frozenset(bitwise))


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


def test_which_implementations_agree_bitwise_is_recorded_and_a_declared_promise_is_checked():
    adam = factory(torch.optim.Adam, lr=0.01)
    CONTRACTS["implementations"].check(adam, accepted_shapes(adam))
    assert adam.recorded["agreement"]["foreach float32"] == "bitwise"
    # NAdam's foreach kernel rounds differently from its for-loop: close, not bitwise.
    nadam = factory(torch.optim.NAdam, lr=0.01)
    CONTRACTS["implementations"].check(nadam, accepted_shapes(nadam))
    assert nadam.recorded["agreement"]["foreach float32"] == "within rtol 1e-05"
    promised = factory(torch.optim.NAdam, bitwise={"foreach"}, lr=0.01)
    with pytest.raises(Broken, match="which the suite declares bitwise equal: tensor"):
        CONTRACTS["implementations"].check(promised, accepted_shapes(promised))
    drifting = factory(doubles.AdamForeachRoundsDifferently, lr=0.01)
    CONTRACTS["implementations"].check(drifting, accepted_shapes(drifting))
    assert drifting.recorded["agreement"]["foreach float32"] == "within rtol 1e-05"


def test_contract_tensors_are_made_on_the_case_device():
    with on_device("meta"):
        assert {p.device.type for p in initial([(2,), (3, 1)])} == {"meta"}
    assert initial([(2,)])[0].device.type == "cpu"


def test_a_resume_across_devices_checks_the_loaded_state():
    """CPU to CPU here (the path a CUDA machine runs between devices); a state that is lost
    on load fails it."""
    cpu = torch.device("cpu")
    adam = factory(torch.optim.Adam, lr=0.01)
    assert across_devices(adam, [(5,), (4, 3)], cpu, cpu) == "saved on cpu, resumed on cpu"
    forgets = factory(doubles.AdamForgetsStateOnLoad, lr=0.01)
    with pytest.raises(Broken, match="saved on cpu after 3 steps, resumed on cpu for 3 more"):
        across_devices(forgets, [(5,), (4, 3)], cpu, cpu)


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@cuda
def test_on_cuda_fused_and_capturable_kernels_agree_with_the_for_loop():
    adam = factory(torch.optim.Adam, lr=0.01)
    with on_device("cuda"):
        held = CONTRACTS["implementations"].check(adam, accepted_shapes(adam))
    assert {"fused float32", "capturable float32"} <= set(adam.recorded["agreement"]), held


@cuda
def test_a_state_saved_on_one_device_resumes_on_the_other():
    for saved, resumed in (("cpu", "cuda"), ("cuda", "cpu")):
        adam = factory(torch.optim.Adam, lr=0.01)
        assert across_devices(adam, [(5,), (4, 3)], torch.device(saved), torch.device(resumed))


def test_a_class_for_sparse_gradients_alone_is_checked_on_them():
    """SparseAdam steps on no dense problem, yet its sparse contract applies."""
    made = factory(torch.optim.SparseAdam, lr=0.01)
    assert CONTRACTS["sparse"].dense is False
    held = CONTRACTS["sparse"].check(made, [])
    assert held == "rows without a gradient stay; the class takes no dense gradients to compare"
