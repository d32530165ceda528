"""A case that ignores its time limit still ends: a watchdog ends its process a grace period
later, serially with the session's files written, under xdist with the worker replaced."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from subprocess_env import with_tests_path
from suite_texts import TINY



LIMIT = 3.0


def run(pytester, double, *args):
    pytester.makefile(".yaml", tiny=TINY.replace(
        "adam: {class: Adam, lr: 0.1}", f"adam: {{class: 'optbench_testing:{double}', lr: 0.01}}"))
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tiny.yaml", "--optbench-timeout", str(LIMIT),
         "--optbench-json", "out.json", "--optbench-report", "report", "-p", "no:cacheprovider",
         *args], cwd=pytester.path, capture_output=True, text=True, timeout=150,
        env={**os.environ, "PYTHONPATH": with_tests_path()})
    return done, time.monotonic() - began


def detail(case):
    return " ".join(row["detail"] for row in case["rows"])


@pytest.mark.slow
def test_serially_the_session_ends_with_its_files_and_says_which_case_stopped_it(pytester):
    done, took = run(pytester, "TimeoutSwallowingSGD", "-p", "no:xdist")
    output = done.stdout + done.stderr
    assert took < 2 * LIMIT + 30 + 15, output          # 15 s: interpreter and torch start-up
    assert done.returncode == pytest.ExitCode.INTERRUPTED, output
    assert "SESSION STOPPED by tiny.yaml::booth[adam]: did not stop within 5 s after its time " \
           "limit of 3 s (--optbench-timeout) at step 19" in output, output
    assert "where it was:" in output and "optbench_testing.py" in output   # the stack
    document = json.loads((pytester.path / "out.json").read_text())
    assert not document["complete"]
    cases = {c["case"]: c for c in document["cases"]}
    assert cases["booth[sgd]"]["status"] in ("passed", "failed")   # ran before, kept
    assert cases["booth[adam]"]["status"] == "error"
    assert "did not stop within" in detail(cases["booth[adam]"])
    assert (pytester.path / "report" / "report.md").exists()
    assert "optbench: " in done.stdout                     # the summary line


@pytest.mark.slow
def test_under_xdist_the_worker_is_replaced_and_the_other_cases_run(pytester):
    pytest.importorskip("xdist")
    done, took = run(pytester, "TimeoutSwallowingSGD", "-n", "2", "-p", "xdist")
    output = done.stdout + done.stderr
    assert took < 2 * (2 * LIMIT + 30) + 30, output     # two hanging cases, two workers
    document = json.loads((pytester.path / "out.json").read_text())
    cases = {c["case"]: c for c in document["cases"]}
    assert {cases[c]["status"] for c in ("booth[sgd]", "himmelblau[sgd]")} <= {"passed", "failed"}
    for case in ("booth[adam]", "himmelblau[adam]"):
        assert cases[case]["status"] == "error"
        assert "did not stop within 5 s after its time limit of 3 s" in detail(cases[case]), \
            detail(cases[case])


@pytest.mark.slow
def test_a_step_with_the_alarm_signal_blocked_still_times_out_and_the_session_goes_on(pytester):
    """The watchdog thread starts before the step and keeps SIGALRM unblocked, so the kernel
    delivers the limit's signal there, and the interpreter raises it in the step all the same."""
    done, took = run(pytester, "SignalBlockingSGD", "-p", "no:xdist")
    output = done.stdout + done.stderr
    assert took < 2 * LIMIT + 30 + 15, output
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, output
    cases = {c["case"]: c for c in json.loads((pytester.path / "out.json").read_text())["cases"]}
    assert len(cases) == 4
    assert "timed out after 3 s at step 19" in detail(cases["booth[adam]"])


def options(**fields):
    from pytest_optbench.settings import OptbenchOptions

    fields.setdefault("update_baselines", False)
    return OptbenchOptions(enabled=True, cli_device=None, ini_device=None, baseline_dir=Path("b"),
                           seeds=None, json_path=None, verbose=0, rootdir=Path("."), **fields)


def test_every_case_has_a_limit_by_default_and_each_setting_overrides_the_next():
    from pytest_optbench.settings import DEFAULT_CASE_TIMEOUT

    assert options().time_limit_for(None) == (DEFAULT_CASE_TIMEOUT,
                                              "the default limit; set optbench_timeout")
    assert options(ini_timeout=50.0).time_limit_for(None) == (50.0, "optbench_timeout (ini)")
    assert options(ini_timeout=50.0).time_limit_for(7.0) == (7.0, "the suite's timeout")
    assert options(timeout=3.0, ini_timeout=50.0).time_limit_for(7.0) == (3.0, "--optbench-timeout")
    # Recording runs each analytic case 1 + 1 + 6 times: the limit for one run grows as much.
    limit, origin = options(update_baselines=True, replicas=6).time_limit_for(7.0)
    assert limit == 7.0 * 8 and "× 8 for the runs this session makes of each case" in origin


def test_the_ini_limit_is_checked(pytester):
    pytester.makefile(".yaml", tiny=TINY)
    pytester.makeini("[pytest]\noptbench_timeout = soon\n")
    result = pytester.runpytest("tiny.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*optbench_timeout (ini): found 'soon'; expected a positive "
                                 "number of seconds*"])
