"""Bad suite files: each gives a located, specific error, and none runs anything."""

import textwrap
from pathlib import Path

import pytest

from suite_texts import GOOD

from pytest_optbench.suite.errors import SuiteError
from pytest_optbench.suite.loader import load_text
from pytest_optbench.api import build_suite


# (name, suite text, expected fragments of one reported problem: "file:line: field: found ...")
BAD = [
    ("misspelt hyperparameter",
     GOOD.replace("lr: 0.01", "lr: 0.01, momentun: 0.9"),
     ["s.yaml:4: optimizers.sgd.momentun", "unknown parameter 'momentun' of torch.optim.SGD",
      "expected one of", "did you mean 'momentum'?"]),
    ("unknown optimizer class",
     GOOD.replace("class: SGD", "class: Adamm"),
     ["s.yaml:4: optimizers.sgd.class", "unknown optimizer class 'Adamm'", "did you mean 'Adam'"]),
    ("misspelt problem field",
     GOOD.replace("{function: booth}", "{function: booth, stpes: 10}"),
     ["s.yaml:6: problems.booth.stpes", "unknown field 'stpes'", "did you mean 'steps'"]),
    ("unknown function",
     GOOD.replace("function: booth", "function: rosenbrok"),
     ["s.yaml:6: problems.booth.function", "unknown function 'rosenbrok'",
      "did you mean 'rosenbrock'?"]),
    ("wrong type",
     GOOD.replace("{function: booth}", "{function: booth, steps: many}"),
     ["s.yaml:6: problems.booth.steps", "found 'many' (string)", "expected a valid integer"]),
    ("not positive",
     GOOD.replace("{function: booth}", "{function: booth, starts: 0}"),
     ["problems.booth.starts", "found 0 (integer)", "expected a value greater than 0"]),
    ("duplicate key",
     GOOD + "  booth: {function: beale}\n",
     ["s.yaml:7: problems.booth", "the key 'booth' a second time", "first at line 6"]),
    ("object tag",
     GOOD.replace("suite: s", "suite: !!python/object:os.system s"),
     ["s.yaml:2: suite", "the tag !!python/object:os.system", "cannot construct objects"]),
    ("wrong format version",
     GOOD.replace("optbench: 1", "optbench: 2"),
     ["s.yaml:1: optbench", "found 2 (integer)", "expected 1"]),
    ("missing optimizers",
     "optbench: 1\nproblems:\n  booth: {function: booth}\n",
     ["optimizers: found nothing; expected the required field 'optimizers'"]),
    ("bad device",
     GOOD.replace("suite: s", "suite: s\ndevice: gpu"),
     ["s.yaml:3: device", "found 'gpu' (string)", "expected auto, cpu, cuda or cuda:N"]),
    ("wrong dimension for a 2-D function",
     GOOD.replace("{function: booth}", "{function: booth, dim: 3}"),
     ["problems.booth.dim", "found 3 (integer)", "expected 2: booth is 2-dimensional"]),
    ("unknown metric",
     GOOD.replace("{function: booth}", "{function: booth, expect: {acuracy: {min: 1}}}"),
     ["problems.booth.expect.acuracy", "unknown metric 'acuracy'"]),
    ("unknown criterion",
     GOOD.replace("{function: booth}", "{function: booth, converge: {criterion: los, tol: 1e-3}}"),
     ["problems.booth.converge.criterion", "found 'los' (string)", "'loss', 'distance' or 'step'"]),
    ("unknown optimizer in a problem's list",
     GOOD.replace("{function: booth}", "{function: booth, optimizers: [sdg]}"),
     ["problems.booth.optimizers", "unknown optimizer 'sdg'", "did you mean 'sgd'"]),
    ("grid over an unknown parameter",
     GOOD.replace("lr: 0.01}", "lr: 0.01, grid: {lrr: [0.1, 0.2]}}"),
     ["optimizers.sgd.grid.lrr", "unknown parameter 'lrr'", "did you mean 'lr'"]),
    ("parameter groups that miss a coordinate",
     GOOD.replace("lr: 0.01}", "lr: 0.01, param_groups: [{dims: [0]}]}"),
     ["optimizers.sgd.param_groups", "found dims [0]", "each coordinate 0..1 in exactly one group"]),
    ("unknown scheduler",
     GOOD.replace("lr: 0.01}", "lr: 0.01, schedule: {class: StepLRR, step_size: 5}}"),
     ["optimizers.sgd.schedule.class", "unknown scheduler class 'StepLRR'", "did you mean 'StepLR'"]),
    ("unimportable user class",
     GOOD.replace("class: SGD", "class: 'no_such_package.optim:Lion'"),
     ["optimizers.sgd.class", "importing 'no_such_package.optim' failed"]),
    ("a problem that is not a mapping",
     GOOD.replace("booth: {function: booth}", "booth: [1, 2]"),
     ["problems.booth", "found [1, 2] (list)", "expected a valid dictionary"]),
    ("an optimizer restricted to an unknown problem",
     GOOD.replace("lr: 0.01}", "lr: 0.01, problems: [boot]}"),
     ["s.yaml:4: optimizers.sgd.problems", "unknown problem 'boot'", "expected one of booth",
      "did you mean 'booth'?"]),
    ("an override of an optimizer's class",
     GOOD.replace("{function: booth}", "{function: booth, overrides: {sgd: {class: Adam}}}"),
     ["problems.booth.overrides.sgd.class", "'class' in an override",
      "define a separate optimizer entry instead"]),
    ("invalid YAML",
     GOOD.replace("{class: SGD, lr: 0.01}", "{class: SGD, lr: 0.01"),
     ["(syntax): found invalid YAML"]),
]


@pytest.mark.parametrize("text, fragments", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_each_bad_suite_gives_a_located_specific_error(text, fragments):
    with pytest.raises(SuiteError) as info:
        build_suite(load_text(text, "s.yaml"), "s")
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"


def test_a_value_the_optimizer_rejects_fails_its_cases_alone_with_a_located_message():
    """The class's own constructor raising is the optimizer's verdict, not a typo: its cases
    fail with the located message and every other case of the suite still runs."""
    suite = build_suite(load_text(GOOD.replace("lr: 0.01", "lr: 0.01, momentum: -1"), "s.yaml"), "s")
    rejected = {c.case_id: c.optimizer.rejected for c in suite.cases}
    assert rejected and all(rejected.values())
    message = next(iter(rejected.values()))
    for fragment in ["s.yaml:4: optimizers.sgd", "torch.optim.SGD rejects",
                     "Invalid momentum value: -1", "expected hyperparameters the class accepts"]:
        assert fragment in message, f"{fragment!r} not in:\n{message}"


def test_every_problem_is_reported_at_once():
    text = textwrap.dedent("""\
        optbench: 1
        optimizers:
          sgd: {class: SGD, lr: 0.01, momentun: 0.9}
          adam: {class: Adamm}
        problems:
          booth: {function: booth, stpes: 10}
          beale: {function: bael}
        """)
    with pytest.raises(SuiteError) as info:
        build_suite(load_text(text, "s.yaml"), "s")
    lines = [p.line for p in info.value.findings]
    assert lines == [3, 4, 6, 7]
    assert str(info.value).startswith("4 errors in suite file:")


def test_a_name_that_a_kwargs_class_never_reads_is_an_error(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parents[2]))  # for optbench_testing
    text = textwrap.dedent("""\
        optbench: 1
        optimizers:
          mine: {class: "optbench_testing:KwargsSGD", lr: 0.1, weight_decy: 0.1}
        problems:
          booth: {function: booth, steps: 5}
        """)
    with pytest.raises(SuiteError) as info:
        build_suite(load_text(text, "s.yaml"), "s")
    (finding,) = info.value.findings
    assert finding.line == 3 and "'weight_decy'" in finding.found and "never reads" in finding.found
    assert "did you mean 'weight_decay'?" in finding.found
    fine = text.replace("weight_decy", "weight_decay")
    (case,) = build_suite(load_text(fine, "s.yaml"), "s").cases
    assert case.optimizer.hyperparameters == {"lr": 0.1, "weight_decay": 0.1}
