"""Faults while cases run: state leaking between cases, a loss that explodes without
overflowing, a step that hangs, a worker that dies, real signals."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import optbench_testing
from subprocess_env import with_tests_path
from suite_texts import TINY

TESTS = str(Path(__file__).parents[1])   # for optbench_testing in subprocesses

LEAKY = """\
optbench: 1
suite: leaky
seeds: [0]
defaults: {starts: 4, steps: 20}
optimizers:
  changer: {class: "optbench_testing:DtypeChangingSGD", lr: 0.01}
  recorder: {class: "optbench_testing:DefaultDtypeRecorder", lr: 0.01}
problems:
  booth: {function: booth}
"""


def test_a_case_that_changes_torch_global_state_is_reported_and_the_next_starts_clean(pytester):
    import torch

    pytester.makefile(".yaml", leaky=LEAKY)
    optbench_testing.DefaultDtypeRecorder.seen.clear()
    result = pytester.runpytest("leaky.yaml", "--optbench-json", "out.json",
                                "--optbench-update-baselines")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*GlobalStateChanged: booth[[]changer[]] changed torch's global "
                                 "state (default dtype: torch.float32 -> torch.float64; "
                                 "deterministic algorithms: False -> True); it was put back*"])
    # Constructed once at collection (before any case) and once in its case, after `changer`.
    assert optbench_testing.DefaultDtypeRecorder.seen[-1] == (torch.float32, False)
    assert torch.get_default_dtype() == torch.float32
    assert not torch.are_deterministic_algorithms_enabled()
    cases = {c["case"]: c for c in json.loads((pytester.path / "out.json").read_text())["cases"]}
    assert cases["booth[changer]"]["global_state_changed"]
    assert "global_state_changed" not in cases["booth[recorder]"]


PROCESS_LEAKY = LEAKY.replace('changer: {class: "optbench_testing:DtypeChangingSGD", lr: 0.01}',
                             'changer: {class: "optbench_testing:ProcessStateChangingSGD", lr: 0.01}')


@pytest.mark.parametrize("workers", [(), ("-n", "2", "-p", "xdist")])
def test_a_step_that_changes_the_default_device_cwd_or_environment_breaks_no_other_case(
        pytester, workers, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", with_tests_path())
    pytester.makefile(".yaml", leaky=PROCESS_LEAKY)
    result = pytester.runpytest_subprocess("leaky.yaml", "--optbench-json", "out.json",
                                           "--optbench-update-baselines", *workers)
    # The changer's own later steps run on "meta" and fail; the case after it is untouched.
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*GlobalStateChanged: booth[[]changer[]] changed torch's global "
                                 "state (default device: cpu -> meta; anomaly detection: False -> "
                                 "True; working directory: * -> *; environment variable "
                                 "OPTBENCH_TESTING_LEAK: (unset) -> '1'); it was put back*"])
    cases = {c["case"]: c for c in json.loads((pytester.path / "out.json").read_text())["cases"]}
    assert cases["booth[recorder]"]["status"] == "passed"
    assert "global_state_changed" not in cases["booth[recorder]"]


def test_a_loss_that_explodes_without_overflowing_is_diverged_and_never_recorded(pytester):
    pytester.makefile(".yaml", tiny=TINY.replace(
        "adam: {class: Adam, lr: 0.1}", "adam: {class: 'optbench_testing:ExplodingSGD', lr: 0.1}"
    ).replace("steps: 150", "steps: 30").replace("steps: 100", "steps: 30"))
    result = pytester.runpytest("tiny.yaml", "--optbench-update-baselines")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines([
        "*DIVERGED: the loss grew to more than 1e+06 times its initial gap to the minimum "
        "and stayed there (divergence_factor) at step 1 (seed 0, start 0)*", "not recorded: booth[[]adam[]] (diverged)"])
    stored = json.loads((pytester.path / "baselines" / "tiny.json").read_text())
    assert set(stored["entries"]["cpu"]) == {"booth[sgd]", "himmelblau[sgd]"}


def test_the_divergence_factor_is_a_suite_setting(pytester):
    pytester.makefile(".yaml", tiny=TINY.replace(
        "adam: {class: Adam, lr: 0.1}", "adam: {class: 'optbench_testing:ExplodingSGD', lr: 0.1}"
    ).replace("steps: 150", "steps: 3\n  divergence_factor: 1e300").replace("steps: 100", "steps: 3"))
    result = pytester.runpytest("tiny.yaml", "-k", "adam")
    assert "DIVERGED" not in result.stdout.str()  # 1e8 a step in the loss, for 3 steps, stays under 1e300


def test_a_hanging_step_times_out_with_its_step_and_the_session_goes_on(pytester):
    pytester.makefile(".yaml", tiny=TINY.replace(
        "adam: {class: Adam, lr: 0.1}", "adam: {class: 'optbench_testing:HangingSGD', lr: 0.01}"))
    result = pytester.runpytest("tiny.yaml", "--optbench-timeout", "2", "--optbench-json",
                                "out.json", "--optbench-update-baselines")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["*timed out after 2 s at step 19 (--optbench-timeout); the case "
                                 "ran 2.* s*"])
    document = json.loads((pytester.path / "out.json").read_text())
    assert document["complete"] and document["counts"] == {"error": 2, "passed": 2}


def test_a_suite_timeout_applies_without_the_option(pytester):
    pytester.makefile(".yaml", tiny=TINY.replace(
        "adam: {class: Adam, lr: 0.1}", "adam: {class: 'optbench_testing:HangingSGD', lr: 0.01}"
    ).replace("  starts: 8\n", "  starts: 8\n  timeout: 1.5\n"))
    result = pytester.runpytest("tiny.yaml", "-k", "adam")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*timed out after 1.5 s at step 19 (the suite's timeout)*"])


@pytest.mark.slow
def test_a_worker_that_dies_is_counted_as_an_error_in_the_summary(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", TESTS)
    pytester.makefile(".yaml", tiny=TINY.replace(
        "adam: {class: Adam, lr: 0.1}", "adam: {class: 'optbench_testing:CrashingSGD', lr: 0.01}"))
    result = pytester.runpytest_subprocess("tiny.yaml", "-n", "2", "--optbench-json", "out.json",
                                           "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["optbench: 4 cases, 0 passed, 2 failed, 2 error*"])
    document = json.loads((pytester.path / "out.json").read_text())
    assert document["reported"] == 4 and document["counts"]["error"] == 2


def _default_signals():
    """In the child before it starts: SIGINT handled as a fresh shell would and no signal
    blocked. An ignored or blocked SIGINT is inherited through exec, and Python then never
    installs its own handler: the child would sit out the signal whatever the plugin does."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def _update_in_a_process(pytester, signal_number):
    """Start an update whose last case hangs, then signal the process once it hangs."""
    pytester.makefile(".yaml", tiny=TINY)
    pytester.runpytest("tiny.yaml", "--optbench-update-baselines").assert_outcomes(passed=4)
    path = pytester.path / "baselines" / "tiny.json"
    before = path.read_bytes()
    pytester.makefile(".yaml", tiny=TINY.replace("steps: 150", "steps: 140").replace(
        "adam: {class: Adam, lr: 0.1}", "adam: {class: 'optbench_testing:HangingSGD', lr: 0.01}"))
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "tiny.yaml", "--optbench-update-baselines", "-p",
         "no:cacheprovider", "-p", "no:xdist"], cwd=pytester.path, preexec_fn=_default_signals,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": TESTS}, text=True)
    deadline = time.monotonic() + 120
    output = ""
    while "tiny.yaml ." not in output and time.monotonic() < deadline:  # a case has finished
        output += process.stdout.read(1)
    time.sleep(1.0)  # inside the hanging case now, or about to be
    process.send_signal(signal_number)
    rest, _ = process.communicate(timeout=60)
    return process.returncode, output + rest, path, before


@pytest.mark.slow
def test_sigint_during_an_update_writes_nothing(pytester):
    code, output, path, before = _update_in_a_process(pytester, signal.SIGINT)
    assert code == pytest.ExitCode.INTERRUPTED, output
    assert "baselines NOT written: the run was interrupted" in output
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["tiny.json"]


@pytest.mark.slow
def test_sigkill_during_an_update_leaves_the_file_byte_for_byte(pytester):
    code, output, path, before = _update_in_a_process(pytester, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["tiny.json"]
