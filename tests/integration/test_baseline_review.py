"""Updates that can be reviewed: what an update replaced and by how much, an update that only
adds, and entries that no case uses, which pruning removes only after a complete, passing run."""

import json

import pytest

from suite_texts import TINY


def literal(text: str) -> str:
    """`text` as an fnmatch pattern that matches it as written: case ids have brackets."""
    return text.replace("[", "\0").replace("]", "[]]").replace("\0", "[[]")


@pytest.fixture
def recorded(pytester):
    pytester.makefile(".yaml", tiny=TINY)
    pytester.runpytest("tiny.yaml", "--optbench-update-baselines").assert_outcomes(passed=4)
    return pytester


def entries(pytester):
    return json.loads((pytester.path / "baselines" / "tiny.json").read_text())["entries"]["cpu"]


def test_an_update_lists_each_replaced_value_old_and_new_as_accepted(recorded):
    before = entries(recorded)["booth[sgd]"]["metrics"]["distance"]
    (recorded.path / "tiny.yaml").write_text(TINY.replace("lr: 0.02", "lr: 0.015"))
    result = recorded.runpytest("tiny.yaml", "--optbench-update-baselines",
                                "--optbench-report", "report")
    text = result.stdout.str()
    old = sum(before) / len(before)
    accepted = [line for line in text.splitlines() if line.endswith(" accepted")]
    # Both sgd cases changed; the adam cases, whose configuration did not, are not accepted.
    assert {line.split()[0] for line in accepted} == {"booth[sgd]", "himmelblau[sgd]"}
    distance = next(line for line in accepted if line.startswith("booth[sgd]")
                    and " distance " in line).split()
    assert float(distance[3]) == pytest.approx(old, rel=1e-3)          # the baseline it replaced
    assert float(distance[2]) != pytest.approx(old, rel=1e-3)          # the new value
    result.stdout.fnmatch_lines(["baselines */tiny.json: 0 added, 2 updated, 2 unchanged",
                                 literal("  updated: cpu: booth[sgd], cpu: himmelblau[sgd]")])
    report = (recorded.path / "report" / "report.md").read_text()
    assert "| booth[sgd] | distance |" in report and "| accepted |" in report
    assert "accepted: the stored baseline" in (recorded.path / "report" / "index.html").read_text()


def test_an_unchanged_update_accepts_nothing(recorded):
    result = recorded.runpytest("tiny.yaml", "--optbench-update-baselines")
    assert " accepted" not in result.stdout.str()
    result.stdout.fnmatch_lines(["baselines */tiny.json: 0 added, 0 updated, 4 unchanged"])


def test_add_only_records_what_is_missing_and_checks_the_rest(recorded):
    path = recorded.path / "baselines" / "tiny.json"
    data = json.loads(path.read_text())
    del data["entries"]["cpu"]["booth[adam]"]
    path.write_text(json.dumps(data))
    stored_sgd = entries(recorded)["booth[sgd]"]
    (recorded.path / "tiny.yaml").write_text(TINY.replace("lr: 0.02", "lr: 0.015"))
    result = recorded.runpytest("tiny.yaml", "--optbench-add-baselines")
    # The changed sgd cases are checked, not recorded: STALE fails them, their entries stay.
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["baselines */tiny.json: 1 added, 0 updated, 0 unchanged, "
                                 "kept as stored"])
    assert "STALE" in result.stdout.str()
    assert entries(recorded)["booth[sgd]"] == stored_sgd
    assert "booth[adam]" in entries(recorded)
    # What add-only recorded is then a baseline like any other.
    recorded.runpytest("tiny.yaml", "-k", "adam").assert_outcomes(passed=2)


def test_update_and_add_together_are_refused(recorded):
    result = recorded.runpytest("tiny.yaml", "--optbench-update-baselines",
                                "--optbench-add-baselines")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*found both; expected one*"])


def _drop_himmelblau(pytester):
    text = TINY.replace("  himmelblau: {function: himmelblau, steps: 100}\n", "")
    (pytester.path / "tiny.yaml").write_text(text)


def test_unused_entries_are_reported_with_the_command_that_prunes_them(recorded):
    _drop_himmelblau(recorded)
    result = recorded.runpytest("tiny.yaml")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([
        "baselines */tiny.json: " + literal(
            "2 entries that no case of tiny.yaml uses (cpu: himmelblau[adam], cpu: "
            "himmelblau[sgd]); remove them with: pytest --optbench tiny.yaml "
            "--optbench-prune-baselines")])
    assert set(entries(recorded)) == {"booth[sgd]", "booth[adam]", "himmelblau[sgd]",
                                      "himmelblau[adam]"}


def test_pruning_refuses_a_partial_run(recorded):
    _drop_himmelblau(recorded)
    before = (recorded.path / "baselines" / "tiny.json").read_bytes()
    result = recorded.runpytest("tiny.yaml", "--optbench-prune-baselines", "-k", "adam")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["NOT PRUNED: baselines */tiny.json: the run reported 1 of the "
                                 "suite's 2 cases (-k, deselection, -x or a crash)*unchanged"])
    assert (recorded.path / "baselines" / "tiny.json").read_bytes() == before


def test_pruning_refuses_a_run_with_failures(recorded):
    _drop_himmelblau(recorded)
    path = recorded.path / "baselines" / "tiny.json"
    data = json.loads(path.read_text())
    data["entries"]["cpu"]["booth[adam]"]["metrics"]["converged_fraction"] = [1.0, 1.0]
    path.write_text(json.dumps(data))
    before = path.read_bytes()
    result = recorded.runpytest("tiny.yaml", "--optbench-prune-baselines")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["NOT PRUNED: baselines */tiny.json: 1 of its cases failed; "
                                 "prune after a run in which every case passes*"])
    assert path.read_bytes() == before


def test_pruning_after_a_complete_passing_run_removes_only_the_unused(recorded):
    _drop_himmelblau(recorded)
    kept = {k: v for k, v in entries(recorded).items() if k.startswith("booth")}
    result = recorded.runpytest("tiny.yaml", "--optbench-prune-baselines")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["baselines */tiny.json: " + literal(
        "pruned 2 unused entries: cpu: himmelblau[adam], cpu: himmelblau[sgd]")])
    assert entries(recorded) == kept
    again = recorded.runpytest("tiny.yaml", "--optbench-prune-baselines")
    again.stdout.fnmatch_lines(["baselines: no unused entries to prune"])


def test_unused_entries_are_found_under_xdist_too(recorded):
    _drop_himmelblau(recorded)
    result = recorded.runpytest("tiny.yaml", "-n", "2", "--optbench-prune-baselines")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["baselines */tiny.json: pruned 2 unused entries*"])
    assert set(entries(recorded)) == {"booth[sgd]", "booth[adam]"}


def test_deselected_cases_are_not_unused_under_xdist(recorded):
    result = recorded.runpytest("tiny.yaml", "-n", "2", "-k", "adam")
    result.assert_outcomes(passed=2)
    assert "no case of tiny.yaml uses" not in result.stdout.str()
