"""A CI job that records baselines by mistake throws the recording away when it ends: under
CI=true recording needs --optbench-allow-ci-update."""

import pytest

from suite_texts import TINY


@pytest.mark.parametrize("flag", ["--optbench-update-baselines", "--optbench-add-baselines"])
def test_recording_under_ci_needs_the_explicit_option(pytester, monkeypatch, flag):
    pytester.makefile(".yaml", tiny=TINY)
    monkeypatch.setenv("CI", "true")
    result = pytester.runpytest("tiny.yaml", flag)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {flag}: found CI='true'; a CI job's checkout is "
                                 f"discarded when the job ends*--optbench-allow-ci-update*"])
    assert not (pytester.path / "baselines").exists()
    pytester.runpytest("tiny.yaml", flag, "--optbench-allow-ci-update").assert_outcomes(passed=4)


def test_checking_under_ci_is_unaffected(pytester, monkeypatch):
    pytester.makefile(".yaml", tiny=TINY)
    pytester.runpytest("tiny.yaml", "--optbench-update-baselines").assert_outcomes(passed=4)
    monkeypatch.setenv("CI", "1")
    pytester.runpytest("tiny.yaml").assert_outcomes(passed=4)
    monkeypatch.setenv("CI", "false")
    pytester.runpytest("tiny.yaml", "--optbench-update-baselines").assert_outcomes(passed=4)
