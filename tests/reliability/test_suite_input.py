"""Suite files that are malformed, misleading or huge: each a located error, in a second."""

import pytest

from suite_texts import TINY

from pytest_optbench.suite.build import load_suite
from pytest_optbench.suite.errors import SuiteError
from pytest_optbench.suite.loader import MAX_SUITE_BYTES, load_text


def errors(text, name="s.yaml"):
    with pytest.raises(SuiteError) as caught:
        from pytest_optbench.api import build_suite

        build_suite(load_text(text, name), "s")
    return str(caught.value)


def test_an_unclosed_bracket_is_located_where_it_opens_with_its_column():
    text = errors("optbench: 1\noptimizers:\n  sgd: {class: SGD, lr: [0.1, 0.2\nproblems:\n"
                  "  booth: {function: booth}\n")
    assert ("s.yaml:3: (syntax): found invalid YAML: expected ',' or ']', but got ':' at line 4, "
            "column 9; expected well-formed YAML; the flow sequence that starts here, at column "
            "25, is not closed or not continued correctly") in text


def test_a_suite_name_read_as_a_number_says_to_quote_it():
    text = errors("optbench: 1\nsuite: 012\noptimizers:\n  sgd: {class: SGD, lr: 0.1}\n"
                  "problems:\n  booth: {function: booth}\n")
    assert "s.yaml:2: suite: found 12 (integer)" in text
    assert "quote the value as written (suite: '...')" in text


def test_a_self_referencing_alias_is_located_not_a_recursion_error():
    text = errors("optbench: 1\noptimizers: &o\n  sgd: {class: SGD, lr: 0.1, x: *o}\n"
                  "problems:\n  booth: {function: booth}\n")
    assert "s.yaml:2: optimizers.sgd.x: found an alias that refers to the value that contains it" in text


def user_module(tmp_path, monkeypatch, name, text):
    """A module of the user's own, importable by the suite."""
    (tmp_path / f"{name}.py").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))


def test_a_module_that_raises_on_import_is_named_with_the_line_that_raised(tmp_path, monkeypatch):
    user_module(tmp_path, monkeypatch, "broken_optim", "x = 1\nraise RuntimeError('broken at import')\n")
    text = errors("optbench: 1\noptimizers:\n  o: {class: 'broken_optim:Fancy', lr: 0.1}\n"
                  "problems:\n  booth: {function: booth}\n")
    assert ("s.yaml:3: optimizers.o.class: found 'broken_optim:Fancy', but importing "
            "'broken_optim' raised RuntimeError: broken at import (at ") in text
    assert "broken_optim.py:2)" in text


def test_a_scheduler_that_is_not_one_is_refused(tmp_path, monkeypatch):
    user_module(tmp_path, monkeypatch, "not_schedulers", "class Plain:\n    pass\n")
    text = errors("optbench: 1\noptimizers:\n  o:\n    class: SGD\n    lr: 0.1\n"
                  "    schedule: {class: 'not_schedulers:Plain'}\nproblems:\n  booth: {function: booth}\n")
    assert "s.yaml:6: optimizers.o.schedule.class: found 'not_schedulers:Plain', which is not a " \
           "learning-rate scheduler class" in text


def test_negative_seeds_are_refused():
    text = errors("optbench: 1\nseeds: [0, -3]\noptimizers:\n  sgd: {class: SGD, lr: 0.1}\n"
                  "problems:\n  booth: {function: booth}\n")
    assert "s.yaml:2: seeds[1]: found -3" in text and "greater than or equal to 0" in text


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    import pytest_optbench.suite.loader as loader

    monkeypatch.setattr(loader, "load_text", lambda *a: pytest.fail("the file was parsed"))
    path = tmp_path / "huge.yaml"
    with open(path, "w") as handle:
        handle.write("optbench: 1\nproblems:\n")
        line = "  p{}: {{function: booth, steps: 10}}\n"
        for i in range(MAX_SUITE_BYTES // 30 + 10):
            handle.write(line.format(i))
    with pytest.raises(SuiteError, match=r"huge.yaml: \(file\): found a file of 1\.\d MiB; "
                                         r"expected a suite file of at most 1 MiB"):
        load_suite(path)


def test_two_suites_with_one_name_are_refused_before_they_share_entries(pytester):
    pytester.makefile(".yaml", first=TINY, second=TINY.replace("steps: 150", "steps: 120"))
    result = pytester.runpytest("first.yaml", "second.yaml", "--optbench-update-baselines")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*second.yaml:2: suite: found 'tiny', the name of first.yaml too; "
                                 "expected a suite name unique in the session*"])
    assert not (pytester.path / "baselines").exists()
