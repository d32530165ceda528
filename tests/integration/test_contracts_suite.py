"""The shipped contracts suite against the three bugs that pass the analytic suite unnoticed:
each, swapped in under the real class's name, fails its contract; the genuine class passes."""

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# (the broken copy of torch.optim.Adam, the case that must fail, words of its failure)
BUGS = [
    ("AdamDefaultLR", "contract[adam-defaults]", "run.defaults.instance.lr: 0.001 -> 0.002"),
    ("AdamFirstGroupLR", "contract[adam-param-groups]", "group 1 (lr 0.003) of two"),
    ("AdamOneDimensionalBug", "contract[adam-shape-invariance]", "as one flat tensor"),
]


@pytest.fixture
def project(pytester):
    (pytester.path / "suites").mkdir()
    (pytester.path / "baselines").mkdir()
    shutil.copy(ROOT / "suites" / "contracts.yaml", pytester.path / "suites")
    shutil.copy(ROOT / "baselines" / "contracts.json", pytester.path / "baselines")
    return pytester


def adam_cases(pytester):
    return [f"suites/contracts.yaml::contract[adam-{name}]" for name in
            ("defaults", "param-groups", "shape-invariance", "resume", "maximize",
             "implementations")]


def test_the_genuine_adam_keeps_its_contracts(project):
    result = project.runpytest(*adam_cases(project), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)


@pytest.mark.parametrize("double,case,words", BUGS, ids=[b[0] for b in BUGS])
def test_each_bug_fails_its_contract(project, double, case, words):
    # In a process of its own: the swap must not outlive the run.
    project.makeconftest(f"import sys\nsys.path.insert(0, {str(ROOT / 'tests')!r})\n"
                         f"import torch\nimport contract_doubles\n"
                         f"torch.optim.Adam = contract_doubles.{double}\n")
    result = project.runpytest_subprocess(*adam_cases(project), "-p", "no:cacheprovider")
    assert result.ret == 1
    failed = [line for line in result.stdout.lines if line.startswith("FAILED ")]
    assert any(case in line for line in failed), result.stdout.str()[-3000:]
    assert words in result.stdout.str()


def test_a_kernel_that_stops_agreeing_bitwise_is_reported_not_failed(project):
    """Which kernels agree with the for-loop bitwise belongs to the CPU: a foreach path that
    rounds differently, still within float32's tolerance, passes and is reported."""
    project.makeconftest(f"import sys\nsys.path.insert(0, {str(ROOT / 'tests')!r})\n"
                         f"import torch\nimport contract_doubles\n"
                         f"torch.optim.Adam = contract_doubles.AdamForeachRoundsDifferently\n")
    result = project.runpytest_subprocess(*adam_cases(project), "-p", "no:cacheprovider",
                                          "--optbench-json", "out.json")
    assert result.ret == 0, result.stdout.str()[-3000:]
    result.stdout.fnmatch_lines(["observed, not configured: 1 cases found*"])
    cases = {c["case"]: c for c in
             json.loads((project.path / "out.json").read_text())["cases"]}
    assert cases["contract[adam-implementations]"]["observed_changes"].startswith(
        "agreement.foreach float32: bitwise -> within rtol 1e-05")


SMALL = """optbench: 1
suite: small
device: cpu
optimizers:
  sgd: {{class: SGD, lr: 0.01}}
problems:
  contract:
    contracts: {contracts}
{extra}"""


def test_a_misspelt_contract_is_a_located_collection_error(pytester):
    pytester.makefile(".yaml", small=SMALL.format(contracts="[resume, param-group]", extra=""))
    result = pytester.runpytest("small.yaml")
    result.stdout.fnmatch_lines(["*small.yaml:8: problems.contract.contracts[[]1[]]: found unknown "
                                 "contract 'param-group' (string); expected one of closure, *"
                                 "did you mean 'param-groups'?"])
    assert result.ret == pytest.ExitCode.INTERRUPTED


def test_not_applicable_and_known_problems_are_skipped_with_their_reason(pytester):
    pytester.makefile(".yaml", small=SMALL.format(
        contracts="[sparse, implementations]",
        extra="    known: {sgd-implementations: \"a declared problem\"}\n"))
    pytester.runpytest("small.yaml", "--optbench-update-baselines")
    result = pytester.runpytest("small.yaml", "-rs")
    # SGD takes sparse gradients; its implementations agree, so the declared problem is gone.
    result.stdout.fnmatch_lines(["*the contract holds, though the suite declares it broken "
                                 "(a declared problem)*remove it from 'known:'*"])
    assert result.ret == 1


def test_a_contract_that_does_not_apply_is_skipped_not_passed(pytester):
    pytester.makefile(".yaml", small=SMALL.format(contracts="[differentiable]", extra="").replace(
        "{class: SGD, lr: 0.01}", "{class: LBFGS, lr: 0.1}"))
    result = pytester.runpytest("small.yaml", "-rs", "--optbench-allow-unchecked")
    result.stdout.fnmatch_lines(["*not applicable: it has no differentiable option*"])
    result.assert_outcomes(skipped=1)


def test_a_malformed_bitwise_declaration_is_a_located_error(pytester):
    pytester.makefile(".yaml", small=SMALL.format(contracts="[implementations]",
                                                  extra="    bitwise: [sgd-foreach, sgd-fast]\n"))
    result = pytester.runpytest("small.yaml")
    result.stdout.fnmatch_lines(["*small.yaml:9: problems.contract.bitwise[[]1[]]: found "
                                 "'sgd-fast' (string); expected 'optimizer-implementation', with "
                                 "the implementation one of capturable, foreach, fused*"])
    assert result.ret == pytest.ExitCode.INTERRUPTED
