"""Suite files that are not clean UTF-8 YAML, or that would exhaust the parser or memory:
each is one located error at collection, never a raw traceback, and nothing trains."""

import os

import pytest

from suite_texts import TINY


def collection_error(pytester, raw: bytes, *args):
    (pytester.path / "s.yaml").write_bytes(raw)
    result = pytester.runpytest("s.yaml", *args)
    text = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.INTERRUPTED, text
    assert "1 error in suite file:" in text, text
    for crash in ("Traceback", "INTERNALERROR", "RecursionError", "UnicodeDecodeError",
                  "ReaderError", "MemoryError", "ValueError"):
        assert crash not in text, text
    return text


@pytest.mark.parametrize("raw, found", [
    (b"optbench: 1\nproblems: " + b"[" * 20000 + b"]" * 20000 + b"\n",
     "s.yaml:2: (file): found brackets nested more than 100 deep"),
    (b"optbench: 1\nproblems: " + b"{a: " * 20000 + b"1" + b"}" * 20000 + b"\n",
     "s.yaml:2: (file): found brackets nested more than 100 deep"),
    (b"optbench: 1\nsuite: caf\xe9\n", "s.yaml:2: (file): found the byte 0xe9 at column 11, "
                                        "which is not UTF-8; expected UTF-8 text"),
    (b"optbench: 1\nsuite: a\x00b\n", "s.yaml:2: (file): found the control character U+0000"),
    ("optbench: 1\nsuite: x\n".encode("utf-16"), "s.yaml:1: (file): found a UTF-16 file"),
    (b"optbench: 1\nseeds: [" + b"9" * 5000 + b"]\n",
     "s.yaml:2: seeds[0]: found a number of 5,000 characters"),
])
def test_unreadable_bytes_are_a_located_error(pytester, raw, found):
    assert found in collection_error(pytester, raw)


def test_a_utf8_byte_order_mark_is_fine(pytester):
    (pytester.path / "s.yaml").write_bytes(b"\xef\xbb\xbf" + TINY.encode())
    pytester.runpytest("s.yaml", "--optbench-update-baselines").assert_outcomes(passed=4)


@pytest.mark.parametrize("edit, found", [
    (("  booth: {function: booth}", "  booth: {function: sphere, dim: 100000000}"),
     "dim: found dim 100,000,000 x 8 starts = 800,000,000 values; expected at most 10,000,000"),
    (("steps: 150", "steps: 100000000"),
     "steps: found 100,000,000 steps x 8 starts = 800,000,000 loss values"),
    (("sgd:  {class: SGD, lr: 0.02}",
      "sgd:  {class: SGD, lr: 0.02, grid: {lr: [" + ", ".join(f"0.{i + 1:04d}" for i in range(1000))
      + "], momentum: [" + ", ".join(f"0.{i + 1:04d}" for i in range(1000)) + "]}}"),
     "found a grid of 1,000,000 configurations; expected at most 1,000 per optimizer and problem"),
])
def test_sizes_are_checked_before_anything_is_allocated(pytester, edit, found):
    import time

    began = time.monotonic()
    text = collection_error(pytester, TINY.replace(*edit).encode())
    assert found in text, text
    assert time.monotonic() - began < 60   # before: minutes of collecting, or a MemoryError


def test_a_fifo_named_as_a_suite_is_refused_without_blocking(pytester):
    from pytest_optbench.api import load_suite
    from pytest_optbench.suite.errors import SuiteError

    os.mkfifo(pytester.path / "pipe.yaml")        # opening it to read would block forever
    result = pytester.runpytest("--optbench", "pipe.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR   # pytest's own "not found"
    with pytest.raises(SuiteError, match="found something that is not a regular file"):
        load_suite(pytester.path / "pipe.yaml")
    # Scanning a folder that holds one skips it instead of blocking on it.
    pytester.makefile(".yaml", tiny=TINY)
    pytester.runpytest("--optbench", ".", "--optbench-update-baselines").assert_outcomes(passed=4)


def test_a_suite_with_too_many_cases_stops_at_the_problem_that_crosses_the_limit(monkeypatch):
    import pytest_optbench.suite.build as build
    from pytest_optbench.api import build_suite
    from pytest_optbench.suite.errors import SuiteError
    from pytest_optbench.suite.loader import load_text

    monkeypatch.setattr(build, "MAX_CASES", 3)   # TINY has 2 problems x 2 optimizers
    with pytest.raises(SuiteError, match=r"problems: found more than 3 cases \(at problem "
                                         r"'himmelblau'\); expected at most 3 cases in one suite"):
        build_suite(load_text(TINY, "tiny.yaml"), "tiny")
