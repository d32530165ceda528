"""Baseline files that are hostile or subtly wrong: each is one located error naming the file,
never a raw traceback inside a case or pytest's hooks, and the file keeps its bytes."""

import os
import re

import pytest

from suite_texts import TINY


@pytest.fixture
def tiny(pytester):
    pytester.makefile(".yaml", tiny=TINY)
    pytester.runpytest("tiny.yaml", "--optbench-update-baselines").assert_outcomes(passed=4)
    return pytester


def path_of(pytester):
    return pytester.path / "baselines" / "tiny.json"


def refused(tester, found):
    result = tester.runpytest("tiny.yaml")
    text = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.INTERRUPTED, text   # a collection error
    assert "baseline file unusable: " in text and "tiny.json" in text, text
    assert found in text, text
    for crash in ("Traceback", "INTERNALERROR", "AttributeError", "RecursionError"):
        assert crash not in text, text


@pytest.mark.parametrize("name, replace, found", [
    ("huge integer", lambda t: t.replace('"seeds": [0, 1]', '"seeds": [' + "9" * 5000 + ", 1]", 1),
     "found Exceeds the limit"),
    ("deep nesting", lambda t: t.replace('"config_hash"', '"deep": ' + "[" * 20000 + "]" * 20000
                                         + ', "config_hash"', 1),
     "nesting too deep to be a baseline"),
    ("provenance a string", lambda t: re.sub(r'"provenance": \{[^}]*\}', '"provenance": "x"', t, 1),
     ".provenance: found 'x'; expected a mapping"),
    ("curve a number", lambda t: t.replace('"config_hash"', '"curve": 5, "config_hash"', 1),
     ".curve: found 5; expected a mapping"),
    ("nested-list metric", lambda t: re.sub(r'"final_loss": \[[^\]]*\]',
                                            '"final_loss": [[[1.0]], [[2.0]]]', t, 1),
     ".metrics.final_loss: found [[1.0]]"),
    ("Latin-1 byte", lambda t: t.replace('"seeds"', '"s\xe9eds"', 1), "cannot be read"),
])
def test_a_malformed_baseline_is_a_located_error_and_left_alone(tiny, name, replace, found):
    path = path_of(tiny)
    text = replace(path.read_text())
    data = text.encode("latin-1") if name == "Latin-1 byte" else text.encode()
    path.write_bytes(data)
    refused(tiny, found)
    assert path.read_bytes() == data


def test_a_fifo_at_the_baseline_path_is_refused_without_blocking(tiny):
    path = path_of(tiny)
    path.unlink()
    os.mkfifo(path)    # reading it would block forever
    refused(tiny, "not a regular file")


def test_a_symlinked_baseline_is_updated_through_its_link(tiny):
    shared = tiny.path / "shared"
    shared.mkdir()
    path = path_of(tiny)
    target = shared / "tiny.json"
    path.rename(target)
    path.symlink_to(target)
    (tiny.path / "tiny.yaml").write_text(TINY.replace("sgd:  {class: SGD, lr: 0.02}",
                                                      "sgd:  {class: SGD, lr: 0.021}"))
    tiny.runpytest("tiny.yaml", "--optbench-update-baselines").assert_outcomes(passed=4)
    assert path.is_symlink() and path.resolve() == target
    assert '"lr": 0.021' in target.read_text()
