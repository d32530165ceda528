"""A suite with errors is a collection error of its own: nothing of it runs, nothing else half-runs."""

import pytest

from suite_texts import GOOD


def test_a_bad_suite_is_a_collection_error_and_nothing_runs(pytester):
    pytester.makefile(".yaml", good=GOOD, bad=GOOD.replace("lr: 0.01", "lr: 0.01, momentun: 0.9"))
    result = pytester.runpytest("good.yaml", "bad.yaml")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([
        "*ERROR collecting bad.yaml*",
        "1 error in suite file:",
        "  bad.yaml:4: optimizers.sgd.momentun: found unknown parameter 'momentun'*did you mean 'momentum'?",
        "*Interrupted: 1 error during collection*",
    ])
    assert "Traceback" not in result.stdout.str()
    assert "passed" not in result.stdout.str()  # the good suite did not half-run either
