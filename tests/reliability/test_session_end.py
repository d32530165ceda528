"""Where the session writes: checked in its first second, and a write that fails at the end
costs only itself: the table, the results file and the report still appear."""

import errno
import json
import math
import os

import pytest

from suite_texts import TINY

from pytest_optbench.gate.record import CaseResult
from pytest_optbench.session.record import RunRecord
from pytest_optbench.gate.baselines import dumps


@pytest.fixture
def tiny(pytester):
    pytester.makefile(".yaml", tiny=TINY)
    return pytester


@pytest.mark.parametrize("args, expected", [
    (("--optbench-json", "."), "--optbench-json: found *, which is a folder; expected the path of a file*"),
    (("--optbench-report", "tiny.yaml"), "--optbench-report: found */tiny.yaml, which is a file; expected a folder*"),
    (("--optbench-baseline-dir", "tiny.yaml"), "--optbench-baseline-dir: found */tiny.yaml, which is a file*"),
    (("--optbench-baseline-dir", "tiny.yaml/deeper", "--optbench-update-baselines"),
     "--optbench-baseline-dir: */tiny.yaml/deeper cannot be created: */tiny.yaml is a file*"),
])
def test_an_unusable_output_path_is_a_usage_error_before_anything_runs(tiny, args, expected):
    result = tiny.runpytest("tiny.yaml", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {expected}"])
    assert "booth[sgd]" not in result.stdout.str()


def test_a_folder_that_cannot_be_written_is_a_usage_error(tiny, monkeypatch):
    # These tests may run as root, for whom no permission bit refuses a write; the check's own
    # question to the system is answered "no" instead.
    import pytest_optbench.writable as writable

    refused = tiny.path / "readonly"
    refused.mkdir()
    monkeypatch.setattr(writable.os, "access", lambda path, mode: str(path) != str(refused))
    result = tiny.runpytest("tiny.yaml", "--optbench-update-baselines",
                            "--optbench-baseline-dir", "readonly")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --optbench-baseline-dir: */readonly cannot be written: "
                                 "*readonly is not writable by this user*"])


def fail_replacing(monkeypatch, suffix, error):
    """os.replace raises `error` (errno, text) for targets ending in `suffix`, as a full disk
    or a folder made read-only during the run would."""
    real_replace = os.replace

    def replace(source, target):
        if str(target).endswith(suffix):
            raise OSError(*error, str(target))
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)


def test_a_baseline_write_that_fails_at_the_end_loses_nothing_else(tiny, monkeypatch):
    fail_replacing(monkeypatch, "tiny.json", (errno.ENOSPC, "No space left on device"))
    result = tiny.runpytest("tiny.yaml", "--optbench-update-baselines", "--optbench-json",
                            "out.json", "--optbench-report", "report")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # every case passed; the write did not
    result.stdout.fnmatch_lines(["optbench: 4 cases, 4 passed*",
                                 "NOT WRITTEN: baselines (*/baselines/tiny.json): No space left on device"])
    assert json.loads((tiny.path / "out.json").read_text())["reported"] == 4
    assert (tiny.path / "report" / "report.md").is_file()
    folder = tiny.path / "baselines"
    assert not folder.exists() or sorted(p.name for p in folder.iterdir()) == []


def test_a_results_file_that_cannot_be_written_still_leaves_the_baselines_and_report(tiny,
                                                                                  monkeypatch):
    fail_replacing(monkeypatch, "out.json", (errno.EACCES, "Permission denied"))
    result = tiny.runpytest("tiny.yaml", "--optbench-update-baselines", "--optbench-json",
                            "out.json", "--optbench-report", "report")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["baselines */tiny.json: 4 added*",
                                 "NOT WRITTEN: results */out.json (*/out.json): Permission denied"])
    assert "results written to" not in result.stdout.str()
    assert (tiny.path / "report" / "results.json").is_file()


def test_non_finite_numbers_reach_the_results_file_as_names():
    result = CaseResult(suite="s", suite_file="s.yaml", case="c[o]", nodeid="s.yaml::c[o]",
                        line=1, order=0, tier=None, kind="analytic", problem="c", optimizer="o",
                        optimizer_class="mypkg:Open", config_hash="h",
                        config={"optimizer": {"hyperparameters": {"clip": math.inf}}}, expect={},
                        does_not_converge=None, baseline_file="b.json", update=False)
    record = RunRecord()
    record.add(result)
    text = dumps(record.to_json())
    assert '"clip": "inf"' in text and json.loads(text)["reported"] == 1
