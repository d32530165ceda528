"""The YAML loader: YAML 1.2 scalars, duplicate keys, refused tags, line numbers."""

import math

import pytest

from pytest_optbench.suite.errors import SuiteError
from pytest_optbench.suite.loader import load_text


def load(text):
    return load_text(text, "suite.yaml")


@pytest.mark.parametrize("text, value", [
    ("1e-3", 1e-3), ("3E5", 3e5), ("-2.5", -2.5), (".5", 0.5), ("10", 10), ("010", 10),
    ("0o17", 15), ("0x1f", 31), (".inf", math.inf), ("-.Inf", -math.inf),
    ("true", True), ("False", False), ("null", None), ("~", None),
    # YAML 1.1 would turn these into booleans, sexagesimal integers or dates.
    ("no", "no"), ("on", "on"), ("yes", "yes"), ("1:30", "1:30"), ("2001-12-14", "2001-12-14"),
    ("'1e-3'", "1e-3"), ('"true"', "true"),
])
def test_scalars_follow_yaml_1_2(text, value):
    assert load(f"x: {text}\n").data == {"x": value}


def test_nan_is_read():
    assert math.isnan(load("x: .nan\n").data["x"])


def test_lines_of_every_path():
    doc = load("a: 1\nb:\n  c: [1, 2]\n  d:\n    - e: 3\n")
    assert doc.lines[("a",)] == 1
    assert doc.lines[("b", "c")] == 3
    assert doc.lines[("b", "d", 0, "e")] == 5
    assert doc.line_of(("b", "missing", "deeper")) == 2


def test_duplicate_key_names_both_lines():
    with pytest.raises(SuiteError) as info:
        load("a: 1\nb: 2\na: 3\n")
    (problem,) = info.value.findings
    assert problem.line == 3 and "first at line 1" in problem.expected
    assert problem.format().startswith("suite.yaml:3: a: found the key 'a' a second time")


@pytest.mark.parametrize("tag", ["!!python/object:os.system", "!!python/name:os.system",
                                 "!custom", "!!binary", "!!set", "!!timestamp"])
def test_object_tags_are_refused(tag):
    with pytest.raises(SuiteError) as info:
        load(f"x: {tag} ls\n")
    assert "cannot construct objects" in str(info.value)
    assert info.value.findings[0].line == 1


def test_merge_keys_and_aliases():
    doc = load("base: &b {lr: 0.1, momentum: 0.9}\nsgd:\n  momentum: 0.5\n  <<: *b\n")
    assert doc.data["sgd"] == {"lr": 0.1, "momentum": 0.5}
    assert doc.lines[("sgd", "momentum")] == 3


def test_syntax_error_is_located():
    with pytest.raises(SuiteError) as info:
        load("a: [1, 2\nb: 3\n")
    assert info.value.findings[0].field == "(syntax)"
    assert info.value.findings[0].line is not None


def test_alias_bomb_is_bounded():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(SuiteError) as info:
        load("\n".join(lines) + "\n")
    assert "aliases expanding" in str(info.value)


def test_empty_file():
    with pytest.raises(SuiteError, match="an empty file"):
        load("")
