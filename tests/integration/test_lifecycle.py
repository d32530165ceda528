"""Baselines over their life: missing, recorded, passing, perturbed, stale; xdist; Ctrl-C."""

import json
from pathlib import Path

import pytest

from suite_texts import TINY


@pytest.fixture
def tiny(pytester):
    pytester.makefile(".yaml", tiny=TINY)
    return pytester


def stored(pytester, name="tiny"):
    return json.loads((pytester.path / "baselines" / f"{name}.json").read_text())


def test_missing_then_recorded_then_passing_then_perturbed(tiny):
    missing = tiny.runpytest("tiny.yaml")
    missing.assert_outcomes(failed=4)
    missing.stdout.fnmatch_lines([
        "*converged_fraction: MISSING*no baseline for cpu; record it with: "
        "pytest --optbench 'tiny.yaml::booth[[]sgd[]]' --optbench-update-baselines*"])
    table = missing.stdout.str().split("= optbench =")[1].split("optbench: 4 cases")[0]
    # The table does not list a MISSING row per metric: one line says it, with the command.
    assert [line for line in table.splitlines() if "MISSING" in line] == [
        line for line in table.splitlines() if line.startswith("MISSING: tiny.yaml has no")]
    missing.stdout.fnmatch_lines([
        "MISSING: tiny.yaml has no stored baseline for cpu yet (* metrics of 4 cases not "
        "compared); record them with: pytest --optbench tiny.yaml --optbench-update-baselines"])

    recorded = tiny.runpytest("tiny.yaml", "--optbench-update-baselines")
    recorded.assert_outcomes(passed=4)
    recorded.stdout.fnmatch_lines(["baselines */baselines/tiny.json: 4 added, 0 updated, 0 unchanged"])
    entry = stored(tiny)["entries"]["cpu"]["booth[sgd]"]
    assert entry["seeds"] == [0, 1] and len(entry["metrics"]["converged_fraction"]) == 2
    for key in ("torch", "optbench", "device", "dtype", "recorded"):
        assert key in entry["provenance"]

    tiny.runpytest("tiny.yaml").assert_outcomes(passed=4)

    data = stored(tiny)
    data["entries"]["cpu"]["booth[adam]"]["metrics"]["converged_fraction"] = [1.0, 1.0]
    data["entries"]["cpu"]["booth[adam]"]["metrics"]["final_loss"] = [1e-30, 1e-30]
    (tiny.path / "baselines" / "tiny.json").write_text(json.dumps(data))
    perturbed = tiny.runpytest("tiny.yaml")
    perturbed.assert_outcomes(passed=3, failed=1)
    perturbed.stdout.fnmatch_lines([
        # The recorded envelope says it did not move under rounding: any change fails.
        "*converged_fraction: REGRESSION: value *, baseline 1, delta -*, limit >= 1 *",
        "*baseline recorded with torch *",
    ])


def test_a_changed_configuration_is_stale_not_a_regression(tiny):
    tiny.runpytest("tiny.yaml", "--optbench-update-baselines")
    (tiny.path / "tiny.yaml").write_text(TINY.replace("lr: 0.02", "lr: 0.03"))
    result = tiny.runpytest("tiny.yaml")
    result.assert_outcomes(passed=2, failed=2)
    text = result.stdout.str()
    assert "STALE" in text and "REGRESSION" not in text
    result.stdout.fnmatch_lines(["*stale baseline: the case's configuration changed since it was "
                                 "recorded (changed: optimizer.hyperparameters.lr: 0.02 -> 0.03); "
                                 "record it again with: pytest --optbench*"])


def test_an_entry_recorded_without_its_configuration_names_the_hashes(tiny):
    tiny.runpytest("tiny.yaml", "--optbench-update-baselines")
    path = tiny.path / "baselines" / "tiny.json"
    data = json.loads(path.read_text())
    for entry in data["entries"]["cpu"].values():
        del entry["config"]
    path.write_text(json.dumps(data))
    (tiny.path / "tiny.yaml").write_text(TINY.replace("lr: 0.02", "lr: 0.03"))
    tiny.runpytest("tiny.yaml").stdout.fnmatch_lines([
        "*configuration changed since it was recorded (hash * -> *); record it again*"])


def test_updating_a_subset_keeps_every_other_entry(tiny):
    tiny.runpytest("tiny.yaml", "--optbench-update-baselines")
    before = stored(tiny)["entries"]["cpu"]
    (tiny.path / "tiny.yaml").write_text(TINY.replace("lr: 0.1", "lr: 0.05"))
    tiny.runpytest("tiny.yaml", "--optbench-update-baselines", "-k", "booth")
    after = stored(tiny)["entries"]["cpu"]
    assert set(after) == set(before)
    assert after["himmelblau[adam]"] == before["himmelblau[adam]"]   # not selected: untouched
    assert after["booth[adam]"] != before["booth[adam]"]             # re-recorded
    assert after["booth[sgd]"] == before["booth[sgd]"]               # same result: untouched


def test_a_diverged_case_is_never_recorded(pytester):
    pytester.makefile(".yaml", tiny=TINY.replace("lr: 0.02", "lr: 5.0"))
    result = pytester.runpytest("tiny.yaml", "--optbench-update-baselines")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["*DIVERGED: the loss * at step * (seed 0, start *)*",
                                 "not recorded: booth[[]sgd[]] (diverged)"])
    assert set(stored(pytester)["entries"]["cpu"]) == {"booth[adam]", "himmelblau[adam]"}


@pytest.mark.slow
def test_xdist_records_once_and_reports_every_case(tiny):
    recorded = tiny.runpytest("-n", "2", "tiny.yaml", "--optbench-update-baselines")
    recorded.assert_outcomes(passed=4)
    recorded.stdout.fnmatch_lines(["baselines */tiny.json: 4 added, 0 updated, 0 unchanged"])
    assert len(stored(tiny)["entries"]["cpu"]) == 4
    assert sorted(p.name for p in (tiny.path / "baselines").iterdir()) == ["tiny.json"]
    checked = tiny.runpytest("-n", "2", "tiny.yaml", "-v", "--optbench-json", "out.json")
    checked.assert_outcomes(passed=4)
    checked.stdout.fnmatch_lines(["optbench: 4 cases, 4 passed; 20 metrics compared with a baseline"])
    table_cases = {line.split()[0] for line in checked.stdout.lines if " pass " in line}
    assert table_cases == {"booth[sgd]", "booth[adam]", "himmelblau[sgd]", "himmelblau[adam]"}
    assert len(json.loads((tiny.path / "out.json").read_text())["cases"]) == 4


@pytest.mark.slow
def test_ctrl_c_during_an_update_leaves_the_files_byte_for_byte(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parents[1]))  # for optbench_testing
    pytester.makefile(".yaml", tiny=TINY)
    pytester.runpytest("tiny.yaml", "--optbench-update-baselines", "-k", "booth")
    path = pytester.path / "baselines" / "tiny.json"
    before = path.read_bytes()
    # The last case raises KeyboardInterrupt in its 50th step, after three cases have finished.
    pytester.makefile(".yaml", tiny=TINY.replace(
        "adam: {class: Adam, lr: 0.1}", "adam: {class: 'optbench_testing:InterruptingSGD', lr: 0.01}"))
    # A real process: what matters is what is on disk after pytest exits on Ctrl-C.
    result = pytester.runpytest_subprocess("tiny.yaml", "--optbench-update-baselines")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["baselines NOT written: the run was interrupted; the files are unchanged",
                                 "*KeyboardInterrupt*"])
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["tiny.json"]


def test_an_unusable_baseline_file_fails_clearly_and_is_left_alone(tiny):
    folder = tiny.mkdir("baselines")
    folder.joinpath("tiny.json").write_text("{broken")
    result = tiny.runpytest("tiny.yaml")
    result.assert_outcomes(errors=1)  # at collection: nothing trains against an unusable file
    result.stdout.fnmatch_lines(["*baseline file unusable: */baselines/tiny.json:1:2: found invalid JSON*"])
    assert folder.joinpath("tiny.json").read_text() == "{broken"
