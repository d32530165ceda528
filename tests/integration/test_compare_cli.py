"""`python -m pytest_optbench compare OLD NEW` outside pytest."""

import json
import subprocess
import sys

import pytest

from pytest_optbench.cli import main
from suite_texts import TINY


@pytest.fixture
def files(pytester):
    """A recorded baseline file and a results file of the same suite."""
    pytester.makefile(".yaml", tiny=TINY)
    pytester.runpytest("tiny.yaml", "--optbench-update-baselines")
    pytester.runpytest("tiny.yaml", "--optbench-json", "results.json")
    return pytester.path / "baselines" / "tiny.json", pytester.path / "results.json"


def perturb(path, case, metric, values):
    data = json.loads(path.read_text())
    data["entries"]["cpu"][case]["metrics"][metric] = values
    path.write_text(json.dumps(data))


def test_identical_files_pass(files, capsys):
    baseline, results = files
    assert main(["compare", str(baseline), str(results), "--fail-on-regression"]) == 0
    out = capsys.readouterr().out
    assert "4 cases, 4 passed" in out and "case " in out


def test_a_regression_exits_one_and_shows_the_row(files, capsys):
    baseline, results = files
    perturb(baseline, "booth[adam]", "converged_fraction", [1.0, 1.0])
    assert main(["compare", str(baseline), str(results)]) == 0
    assert main(["compare", str(baseline), str(results), "--fail-on-regression"]) == 1
    out = capsys.readouterr().out
    assert "booth[adam] (cpu)" in out and "REGRESSION" in out
    assert ("to accept the new values as baselines:\n  pytest --optbench "
            "'tiny.yaml::booth[adam]' --optbench-update-baselines") in out


def test_a_changed_configuration_is_stale_and_not_a_pass(files, capsys):
    baseline, results = files
    data = json.loads(baseline.read_text())
    data["entries"]["cpu"]["booth[sgd]"]["config_hash"] = "0000"
    baseline.write_text(json.dumps(data))
    assert main(["compare", str(baseline), str(results)]) == 0  # reported; gating is opt-in
    assert main(["compare", str(baseline), str(results), "--fail-on-regression"]) == 1
    out = capsys.readouterr().out
    assert "stale" in out and "REGRESSION" not in out
    assert "1 case(s) with a changed configuration (not comparable): booth[sgd] (cpu)" in out


def test_a_removed_case_is_not_a_pass(files, capsys):
    baseline, results = files
    data = json.loads(results.read_text())
    data["cases"] = [c for c in data["cases"] if c["case"] != "himmelblau[adam]"]
    results.write_text(json.dumps(data))
    assert main(["compare", str(baseline), str(results), "--fail-on-regression"]) == 1
    out = capsys.readouterr().out
    assert "1 case(s) only in the old file (removed): himmelblau[adam] (cpu)" in out
    assert "3 passed, 1 failed" in out


def test_two_unrelated_files_compare_nothing_and_fail(files, tmp_path, capsys):
    baseline, _ = files
    other = json.loads(baseline.read_text())
    other["suite"] = "other"
    other["entries"] = {"cpu": {f"x{case}": entry for case, entry in other["entries"]["cpu"].items()}}
    unrelated = tmp_path / "other.json"
    unrelated.write_text(json.dumps(other))
    assert main(["compare", str(baseline), str(unrelated), "--fail-on-regression"]) == 1
    out = capsys.readouterr().out
    assert "NOTHING WAS COMPARED: the files share no case" in out
    assert "4 case(s) only in the old file (removed)" in out


def test_unusable_input_exits_two(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"neither": 1}')
    assert main(["compare", str(bad), str(bad)]) == 2
    assert "found neither an optbench results file" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "none.json"), str(bad)]) == 2


def test_runs_as_a_module(files):
    baseline, results = files
    done = subprocess.run([sys.executable, "-m", "pytest_optbench", "compare", str(baseline),
                           str(results)], capture_output=True, text=True)
    assert done.returncode == 0 and "compare" in done.stdout


def test_device_type_selects_step_time_entries_kept_by_device_name(tmp_path, capsys):
    """Step-time baselines are kept per device name ('cpu@AMD EPYC'); --device-type cpu must
    still find them, and --device-type cuda must not."""
    from pytest_optbench.gate.baselines import dumps, make_entry

    entry = make_entry("h", [0], {"step_time": [1e-4], "peak_memory": [0.0]}, {})
    baseline = tmp_path / "steps.json"
    baseline.write_text(dumps({"optbench_baseline": 1, "suite": "steps", "entries": {
        "cpu@AMD EPYC 7B13": {"step_time[a-sgd]": entry},
        "cuda@NVIDIA H200": {"step_time[a-sgd]": entry}}}))
    assert main(["compare", str(baseline), str(baseline), "--device-type", "cpu", "-v"]) == 0
    out = capsys.readouterr().out
    assert "1 cases, 1 passed; 2 metrics compared" in out and "cpu (AMD EPYC 7B13)" in out
    assert "H200" not in out
    assert main(["compare", str(baseline), str(baseline), "--device-type", "cuda", "-v"]) == 0
    assert "cuda (NVIDIA H200)" in capsys.readouterr().out


UNGATED = TINY.replace("  converge: {criterion: distance, tol: 1e-2}",
                       "  converge: {criterion: distance, tol: 1e-2}\n"
                       "  expect:\n    final_loss: {baseline: false}")


def test_compare_judges_what_the_suite_gates_and_says_so(pytester, capsys):
    """A metric the suite does not gate against its baseline moves: the gate passes, and so
    does compare, which reads the suite's expectations from the results file."""
    pytester.makefile(".yaml", tiny=UNGATED)
    pytester.runpytest("tiny.yaml", "--optbench-update-baselines")
    baseline = pytester.path / "baselines" / "tiny.json"
    perturb(baseline, "booth[adam]", "final_loss", [0.5, 0.5])
    gate = pytester.runpytest("tiny.yaml", "--optbench-json", "results.json")
    assert gate.ret == 0
    results = pytester.path / "results.json"
    assert main(["compare", str(baseline), str(results), "--fail-on-regression"]) == 0
    out = capsys.readouterr().out
    assert "judged by the suite's own expectations (from NEW)" in out
    # two baseline files carry no expectations: every shared metric, at its defaults
    assert main(["compare", str(baseline), str(baseline)]) == 0
    assert "judged by every metric both files hold" in capsys.readouterr().out


def test_an_expectation_of_the_wrong_shape_is_unusable_input(files, capsys):
    baseline, results = files
    data = json.loads(results.read_text())
    data["cases"][0]["expect"] = {"final_loss": {"baseline": {"tolerance": "tight"}}}
    results.write_text(json.dumps(data))
    assert main(["compare", str(baseline), str(results)]) == 2
    assert "expect.final_loss: found" in capsys.readouterr().err
