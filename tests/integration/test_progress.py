"""A long case says where it is: plain lines under -v, nothing under -q or -qq."""

import re

import pytest

from subprocess_env import with_tests_path

SLOW = """\
optbench: 1
suite: slow
seeds: [0, 1]
optimizers:
  sleepy: {class: "optbench_testing:SleepingSGD", lr: 0.02}
problems:
  booth: {function: booth, starts: 4, steps: 600, expect: {}}
"""
EVERY = ("-o", "optbench_progress_every=0.4", "-p", "no:cacheprovider")
pytestmark = pytest.mark.slow


@pytest.fixture
def slow_suite(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", with_tests_path())
    pytester.makefile(".yaml", slow=SLOW)
    return pytester


def test_under_verbose_a_long_case_prints_where_it_is(slow_suite):
    result = slow_suite.runpytest_subprocess("slow.yaml", "-v", "--optbench-allow-unchecked",
                                             *EVERY)
    lines = [line for line in result.outlines if line.startswith("    slow.yaml::booth[sleepy]: ")]
    assert len(lines) >= 2, result.stdout.str()
    assert all(re.search(r"step \d+ of 600, \d+ s", line) for line in lines), lines
    assert any("left" in line for line in lines)
    # the verdict still follows the case's id
    result.stdout.fnmatch_lines(["slow.yaml::booth?sleepy? PASSED*"])


@pytest.mark.parametrize("quiet", [[], ["-q"], ["-qq"]], ids=["default", "q", "qq"])
def test_without_verbose_a_log_shows_no_progress(slow_suite, quiet):
    result = slow_suite.runpytest_subprocess("slow.yaml", "--optbench-allow-unchecked", *quiet,
                                             *EVERY)
    assert result.ret == 0
    assert "booth[sleepy]: step" not in result.stdout.str()


def test_a_bad_interval_is_a_usage_error(slow_suite):
    result = slow_suite.runpytest("slow.yaml", "-o", "optbench_progress_every=soon")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*optbench_progress_every (ini): found 'soon'; expected a "
                                 "positive number of seconds*"])
