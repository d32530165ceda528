"""Smaller ways to lose a run's data or record nonsense: a user function of the wrong shape,
names too long for a file system, a process that dies inside a step."""

import json
import os
import subprocess
import sys

import pytest

from subprocess_env import with_tests_path
from suite_texts import TINY



def test_a_user_function_that_returns_a_scalar_is_a_located_error(pytester):
    pytester.makefile(".yaml", s="""\
optbench: 1
optimizers:
  sgd: {class: SGD, lr: 0.1}
problems:
  bowl:
    function: "optbench_testing:summed_bowl"
    dim: 2
    domain: [-1, 1]
    minima: [[0, 0]]
""")
    result = pytester.runpytest("s.yaml", "--optbench-update-baselines")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*s.yaml:6: problems.bowl.function: found "
                                 "'optbench_testing:summed_bowl' returning a tensor of shape () "
                                 "for X of shape (2, 2); expected shape (2,): one value per row "
                                 "of X (do not sum or average over the rows)*"])
    assert not (pytester.path / "baselines").exists()


@pytest.mark.parametrize("edit, found", [
    (("suite: tiny", "suite: " + "s" * 300), "suite: found 'sss"),
    (("  booth: {function: booth}", "  " + "b" * 300 + ": {function: booth}"),
     "found a name of 300 characters; expected at most 100"),
])
def test_a_name_too_long_for_a_file_name_is_refused_before_training(pytester, edit, found):
    pytester.makefile(".yaml", tiny=TINY.replace(*edit))
    result = pytester.runpytest("tiny.yaml", "--optbench-update-baselines")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert found in result.stdout.str()
    assert "passed" not in result.stdout.str()


@pytest.mark.slow
def test_a_process_that_dies_in_a_step_leaves_a_results_file_naming_the_case(pytester):
    pytester.makefile(".yaml", tiny=TINY.replace(
        "adam: {class: Adam, lr: 0.1}", "adam: {class: 'optbench_testing:CrashingSGD', lr: 0.01}"))
    done = subprocess.run([sys.executable, "-m", "pytest", "tiny.yaml", "--optbench-json",
                           "out.json", "-p", "no:cacheprovider", "-p", "no:xdist"],
                          cwd=pytester.path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": with_tests_path()})
    assert done.returncode == 13   # the step's own os._exit
    document = json.loads((pytester.path / "out.json").read_text())
    assert document["complete"] is False
    assert document["running"] == "tiny.yaml::booth[adam]"
    assert [c["case"] for c in document["cases"]] == ["booth[sgd]"]   # what finished before
