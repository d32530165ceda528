"""The suite schema editors read, and `optbench validate` for pre-commit."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from pytest_optbench.cli import main
from pytest_optbench.schema import SCHEMA_FILE, schema_text
from pytest_optbench.suite.loader import load_file, load_text

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "suites").rglob("*.yaml"))
GOOD = """\
optbench: 1
suite: good
seeds: [0, 1]
defaults: {steps: 100}
optimizers:
  adam: {class: Adam, lr: 1e-3}
  lion: {class: "mylib.optim:Lion", lr: 1e-4, protocol: {closure: false}}
problems:
  rosen:
    function: rosenbrock
    expect: {final_loss: {max: 1e-3, baseline: true}}
"""
# The mistakes users make most, each of which the schema must flag in an editor.
MISTAKES = {
    "a misspelt field": ("    function: rosenbrock\n", "    function: rosenbrock\n    step: 10\n"),
    "a misspelt metric": ("final_loss: {max", "final_los: {max"),
    "a dot for the colon": ('"mylib.optim:Lion"', '"mylib.optim.Lion"'),
    "an unknown function": ("function: rosenbrock", "function: rosenbrok"),
    "seeds that are not a list": ("seeds: [0, 1]", "seeds: 3"),
}


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_shipped_schema_is_the_one_the_models_generate():
    assert SCHEMA_FILE.read_text() == schema_text(), \
        "regenerate: python -m pytest_optbench.schema > pytest_optbench/suite.schema.json"


@pytest.mark.parametrize("suite", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_suite_validates_against_the_schema(validator, suite):
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in validator.iter_errors(load_file(str(suite), str(suite)).data)]
    assert not errors


def test_a_correct_suite_validates(validator):
    assert not list(validator.iter_errors(load_text(GOOD, "good.yaml").data))


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_the_schema_rejects_each_typical_mistake(validator, mistake):
    old, new = MISTAKES[mistake]
    assert old in GOOD
    errors = list(validator.iter_errors(load_text(GOOD.replace(old, new), "bad.yaml").data))
    assert errors, mistake


def test_schema_command_prints_the_shipped_schema(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "optbench suite"


FOUR_ERRORS = """\
optbench: 1
suite: four
optimizers:
  adam: {class: Adam, lr: 1e-3, momentun: 0.9}
  lion: {class: "mylib.Lion", lr: 1e-4}
problems:
  rosen: {function: rosenbrok, steps: 100}
  booth: {function: booth, expect: {final_los: {max: 1}}}
"""


def test_validate_reports_four_independent_errors_in_one_run(tmp_path, capsys):
    (tmp_path / "four.yaml").write_text(FOUR_ERRORS)
    assert main(["validate", str(tmp_path / "four.yaml")]) == 1
    out = capsys.readouterr().out
    assert out.startswith("4 errors in suite file:")
    for where, what in (("four.yaml:4", "momentun"), ("four.yaml:5", "mylib:Lion"),
                        ("four.yaml:7", "rosenbrock"), ("four.yaml:8", "final_loss")):
        assert any(where in line and what in line for line in out.splitlines()), (where, out)


def test_validate_passes_the_shipped_suites_and_builds_every_tier(capsys):
    suites = [str(ROOT / "suites" / name) for name in ("analytic.yaml", "contracts.yaml")]
    assert main(["validate", *suites]) == 0
    out = capsys.readouterr().out
    assert "analytic.yaml: valid, 198 cases" in out
    assert "contracts.yaml: valid" in out and "(tiers: cpu)" in out


def test_validate_checks_each_tier(tmp_path, capsys):
    (tmp_path / "t.yaml").write_text(GOOD.replace("problems:", "tiers:\n  cpu: {stepz: 5}\n"
                                                               "problems:"))
    assert main(["validate", str(tmp_path / "t.yaml")]) == 1
    assert "stepz" in capsys.readouterr().out


def test_validate_on_a_missing_file_exits_two(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "none.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_the_pre_commit_hook_runs_validate_on_suite_files():
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "optbench-validate" and hook["entry"] == "optbench validate"
    import re

    assert re.search(hook["files"], "suites/analytic.yaml")
    assert not re.search(hook["files"], "src/model.py")


def test_schema_command_writes_a_file(tmp_path, capsys):
    assert main(["schema", "--out", str(tmp_path / "s.json")]) == 0
    assert (tmp_path / "s.json").read_text() == SCHEMA_FILE.read_text()
    assert main(["schema", "--out", str(tmp_path / "no" / "s.json")]) == 2
    assert "cannot be written" in capsys.readouterr().err
