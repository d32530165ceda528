"""Hyperparameter values of the wrong type never reach torch: each is a located collection
error before anything trains, with a suggestion where one fits."""


import pytest

from pytest_optbench.api import build_suite
from pytest_optbench.suite.errors import SuiteError
from pytest_optbench.suite.loader import load_text

SUITE = """\
optbench: 1
optimizers:
  o: {entry}
problems:
  booth: {{function: booth, steps: 5}}
"""


def errors_of(entry):
    with pytest.raises(SuiteError) as caught:
        build_suite(load_text(SUITE.format(entry=entry), "s.yaml"), "s")
    return str(caught.value)


@pytest.mark.parametrize("entry, found, expected, hint", [
    ("{class: SGD, lr: 0.1, momentum: 0.9, nesterov: no}", "optimizers.o.nesterov: found the string 'no'",
     "expected true or false", "write true or false"),
    ("{class: SGD, lr: 0.1, maximize: off}", "optimizers.o.maximize: found the string 'off'",
     "expected true or false", "non-empty string as true"),
    ("{class: Adam, lr: 0.1, foreach: off}", "optimizers.o.foreach: found the string 'off'",
     "expected true or false", "write true or false"),
    ("{class: Adam, lr: true}", "optimizers.o.lr: found true", "expected a positive learning rate",
     "a boolean is not a number"),
    ("{class: Adam, lr: 0}", "optimizers.o.lr: found 0", "expected a positive learning rate", ""),
    ("{class: Adam, lr: .inf}", "optimizers.o.lr: found .inf", "expected a positive learning rate", ""),
    ('{class: Adam, lr: "1e-3"}', "optimizers.o.lr: found the string '1e-3'",
     "expected a positive learning rate", "remove the quotes"),
    ("{class: Adam, lr: 0.1, weight_decay: .nan}", "optimizers.o.weight_decay: found .nan",
     "expected a finite number", ""),
    ("{class: Adam, lr: 0.1, betas: [0.9]}", "optimizers.o.betas: found a list of 1",
     "expected a list of 2 numbers, e.g. [0.9, 0.999]", ""),
    ("{class: Adam, lr: 0.1, betas: (0.9, 0.999)}", "unknown parameter '0.999)'",
     "expected one of", "YAML has no tuples: write a list"),
    ("{class: Adam, lr: 0.1, grid: {eps: [1e-8, .nan]}}", "optimizers.o.grid.eps: found .nan",
     "expected a finite number", ""),
    ("{class: Adam, lr: 0.1, param_groups: [{dims: [0, 1], amsgrad: 'no'}]}",
     "optimizers.o.param_groups[0].amsgrad: found the string 'no'", "expected true or false", ""),
])
def test_a_value_of_the_wrong_type_is_a_located_error(entry, found, expected, hint):
    text = errors_of(entry)
    assert "s.yaml:3: " in text
    assert found in text and expected in text and hint in text, text


def test_a_tuple_written_in_block_style_says_to_write_a_list():
    text = errors_of("\n    class: Adam\n    lr: 0.1\n    betas: (0.9, 0.999)")
    assert ("s.yaml:6: optimizers.o.betas: found the string '(0.9, 0.999)'; expected a list of 2 "
            "numbers; YAML has no tuples: write a list, e.g. [0.9, 0.999]") in text


@pytest.mark.parametrize("entry", [
    "{class: SGD, lr: 0.1, momentum: 0.9, nesterov: false}",
    "{class: Adam, lr: 1e-3, betas: [0.8, 0.99], foreach: null, fused: false}",
    "{class: Adam, lr: 1e-3, grid: {eps: [1e-8, 1e-6]}}",
])
def test_well_typed_values_are_accepted(entry):
    suite = build_suite(load_text(SUITE.format(entry=entry), "s.yaml"), "s")
    assert suite.cases


def test_nesterov_no_would_have_run_nesterov():
    """Why the check exists: torch takes the string 'no' as true."""
    import torch

    def final(nesterov):
        p = torch.tensor([1.0, -2.0], requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=nesterov)
        for _ in range(3):
            opt.zero_grad()
            (p ** 2).sum().backward()
            opt.step()
        return p.detach()

    assert torch.equal(final("no"), final(True)) and not torch.equal(final(False), final(True))
