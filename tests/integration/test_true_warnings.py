"""Warnings that are true, and output that honours -q: no "incomplete" warning after a
deliberate narrowing (--lf), no prune hint for entries another tier uses, -q shortens the
optbench summary and -qq leaves only failures."""

import pytest

from suite_texts import TINY

FAILING = TINY.replace("  adam: {class: Adam, lr: 0.1}",
                       "  adam: {class: Adam, lr: 0.1}\n"
                       "  raising: {class: \"optbench_testing:RaisingSGD\", lr: 0.02}")
pytestmark = pytest.mark.slow


def test_last_failed_is_a_narrowed_selection_not_an_incomplete_run(pytester):
    pytester.makefile(".yaml", tiny=FAILING)
    first = pytester.runpytest("tiny.yaml", "--optbench-update-baselines")
    assert first.ret == 1
    again = pytester.runpytest("tiny.yaml", "--lf")
    again.assert_outcomes(failed=2)
    text = again.stdout.str()
    assert "INCOMPLETE RUN" not in text and "2 cases" in text
    assert "entries that no case" not in text


CONTRACTS = """optbench: 1
suite: small
device: cpu
optimizers:
  sgd: {class: SGD, lr: 0.01}
problems:
  contract:
    contracts: [resume, determinism%s]
    tiers:
      cpu: {contracts: [resume]}
"""


def test_entries_of_cases_another_tier_builds_are_not_offered_for_pruning(pytester):
    """The cpu tier leaves a contract out: its entry, recorded under the full budget, is in
    use all the same; an entry of a contract removed from the suite is not."""
    pytester.makefile(".yaml", small=CONTRACTS % ", maximize")
    recorded = pytester.runpytest("small.yaml", "--optbench-update-baselines",
                                  "--optbench-tier", "none")
    assert recorded.ret == 0
    cpu = pytester.runpytest("small.yaml", "--optbench-tier", "cpu")
    assert cpu.ret == 0 and "no case of small.yaml uses" not in cpu.stdout.str()
    pytester.makefile(".yaml", small=CONTRACTS % "")
    removed = pytester.runpytest("small.yaml", "--optbench-tier", "cpu")
    removed.stdout.fnmatch_lines(["*1 entries that no case of small.yaml uses "
                                  "(cpu: contract?sgd-maximize?)*"])


def test_quiet_shows_what_needs_attention_and_the_summary(pytester):
    pytester.makefile(".yaml", tiny=TINY)
    pytester.runpytest("tiny.yaml", "--optbench-update-baselines")
    quiet = pytester.runpytest("tiny.yaml", "-q")
    text = quiet.stdout.str()
    assert "optbench: 4 cases, 4 passed" in text
    assert " pass " not in text and "start isolation" not in text
    quietest = pytester.runpytest("tiny.yaml", "-qq")
    assert quietest.ret == 0 and "optbench" not in quietest.stdout.str()


def test_quietest_still_shows_every_failure(pytester):
    pytester.makefile(".yaml", tiny=TINY)
    pytester.runpytest("tiny.yaml", "--optbench-update-baselines")
    pytester.makefile(".yaml", tiny=TINY.replace("lr: 0.02", "lr: 0.021"))
    failed = pytester.runpytest("tiny.yaml", "-qq")
    assert failed.ret == 1
    text = failed.stdout.str()
    assert "STALE" in text and " pass " not in text
    assert "optbench: 4 cases" not in text
