"""The hints that save a round trip: a dot for the colon, `defaults:` named when it is the
cause, a contract that owns its settings, and the protocol option that fixes a failing step."""

import pytest

from subprocess_env import with_tests_path

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def tests_importable(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", with_tests_path())


def test_a_dot_for_the_colon_gets_the_right_spelling(pytester):
    pytester.makefile(".yaml", s="""\
optbench: 1
optimizers:
  lion: {class: "mylib.Lion", lr: 1e-4}
problems:
  booth: {function: "mylib.booth"}
""")
    result = pytester.runpytest("s.yaml")
    result.stdout.fnmatch_lines([
        "*s.yaml:3: optimizers.lion.class: *did you mean 'mylib:Lion'? a name of your own is "
        "written 'package.module:Class', with a colon before the class",
        "*s.yaml:5: problems.booth.function: *did you mean 'mylib:booth'?*"])


def test_expectations_from_defaults_on_a_contracts_problem_name_defaults(pytester):
    pytester.makefile(".yaml", s="""\
optbench: 1
defaults:
  expect: {final_loss: {max: 1}}
optimizers:
  sgd: {class: SGD, lr: 0.01}
problems:
  contract: {contracts: [resume]}
""")
    result = pytester.runpytest("s.yaml")
    result.stdout.fnmatch_lines(["*s.yaml:7: problems.contract: found expectations on a "
                                 "contracts problem, from `defaults: expect:` (final_loss)*move "
                                 "`expect:` out of `defaults:` into the problems it is for"])


def test_a_contract_says_which_of_its_own_settings_a_constructor_refused(pytester):
    pytester.makefile(".yaml", s="""\
optbench: 1
device: cpu
optimizers:
  positive: {class: "optbench_testing:PositiveLRSGD", lr: 0.01}
problems:
  contract: {contracts: [param-groups]}
""")
    result = pytester.runpytest_subprocess("s.yaml", "-rs", "--optbench-allow-unchecked")
    result.stdout.fnmatch_lines(["*its constructor refuses lr 0, which this contract sets (not "
                                 "the suite) to check that a frozen group stays put: "
                                 "ValueError: Invalid learning rate: 0.0*"])
    assert result.ret == 0


def test_a_step_that_needs_a_protocol_names_the_option(pytester):
    pytester.makefile(".yaml", s="""\
optbench: 1
optimizers:
  newton: {class: "optbench_testing:NewtonDiagonal", lr: 0.5}
problems:
  booth: {function: booth, steps: 20, starts: 2, expect: {}}
""")
    result = pytester.runpytest_subprocess("s.yaml", "--optbench-json", "out.json")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*hint: the optimizer looks like it needs `protocol: "
                                 "{create_graph: true}` in its suite entry*"])
    assert "create_graph: true" in (pytester.path / "out.json").read_text()
