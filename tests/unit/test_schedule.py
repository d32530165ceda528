"""Longest cases first under xdist: the order, the stored durations, and what is ignored."""

import math

import pytest

from pytest_optbench.schedule import (KEPT, DurationKeeper, longest_first, merged,
                                      reorder_cases, valid_durations)


def test_timed_cases_run_longest_first_after_the_never_timed_ones():
    ids = ["s.yaml::a[sgd]", "s.yaml::a[adam]", "s.yaml::b[sgd]", "s.yaml::b[adam]"]
    durations = {"s.yaml::a[sgd]": 1.0, "s.yaml::a[adam]": 9.0, "s.yaml::b[adam]": 4.0}
    assert [ids[i] for i in longest_first(ids, durations)] == [
        "s.yaml::b[sgd]", "s.yaml::a[adam]", "s.yaml::b[adam]", "s.yaml::a[sgd]"]


def test_equal_durations_keep_the_suite_order():
    ids = ["x", "y", "z"]
    assert longest_first(ids, {"x": 2.0, "y": 2.0, "z": 2.0}) == [0, 1, 2]


def test_other_tests_keep_their_places_and_cases_fill_the_places_of_cases():
    items = ["test_a", "case1", "test_b", "case2", "case3"]
    is_case = [False, True, False, True, True]
    durations = {"case1": 1.0, "case2": 3.0, "case3": 2.0}
    assert reorder_cases(items, is_case, items, durations) == [
        "test_a", "case2", "test_b", "case3", "case1"]


def test_nothing_stored_changes_nothing():
    items = ["case1", "case2", "case3"]
    assert reorder_cases(items, [True] * 3, items, {}) == items
    # and nothing of these cases stored: all are never timed, so their order stays
    assert reorder_cases(items, [True] * 3, items, {"other": 5.0}) == items


def test_unreadable_entries_are_ignored_not_fatal():
    stored = {"ok": 1.5, "int": 2, "negative": -1.0, "nan": math.nan, "inf": math.inf,
              "text": "3", "flag": True, "none": None, 7: 1.0}
    assert valid_durations(stored) == {"ok": 1.5, "int": 2.0}
    assert valid_durations(["not", "a", "mapping"]) == {}
    assert valid_durations(None) == {}


def test_this_runs_times_replace_the_stored_and_the_rest_are_kept():
    stored = {"a": 1.0, "b": 2.0}
    assert merged(stored, {"b": 5.0, "c": 3.0}) == {"a": 1.0, "b": 5.0, "c": 3.0}


def test_the_stored_durations_are_bounded_and_the_oldest_go_first():
    stored = {f"old{i}": 1.0 for i in range(KEPT)}
    kept = merged(stored, {"new": 2.0})
    assert len(kept) == KEPT and "new" in kept and "old0" not in kept and f"old{KEPT - 1}" in kept


class _Report:
    def __init__(self, nodeid, when="call", duration=1.5, case=True):
        self.nodeid, self.when, self.duration = nodeid, when, duration
        if case:   # a case's call report carries its result
            self.optbench = {"case": nodeid}


class _FailingCache:
    def __init__(self, error):
        self.error = error

    def get(self, key, default):
        return default

    def set(self, key, value):
        raise self.error


class _Config:
    def __init__(self, cache):
        self.cache = cache


@pytest.mark.parametrize("error", [OSError(30, "Read-only file system"),
                                   pytest.PytestCacheWarning("could not create cache path")],
                         ids=["os-error", "warning-as-error"])
def test_a_cache_that_cannot_be_written_never_breaks_the_session(error):
    keeper = DurationKeeper(_Config(_FailingCache(error)))
    keeper.pytest_runtest_logreport(_Report("s.yaml::a[sgd]"))
    keeper.pytest_sessionfinish()   # must not raise


def test_only_the_call_of_a_case_is_timed():
    keeper = DurationKeeper(_Config(None))
    for report in (_Report("s.yaml::a[sgd]", when="setup"),
                   _Report("tests/test_x.py::test_y", case=False),
                   _Report("api.tavern.yaml::get users", case=False),   # another plugin's YAML
                   _Report("s.yaml::a[adam]", duration=2.0)):
        keeper.pytest_runtest_logreport(report)
    assert keeper.timed == {"s.yaml::a[adam]": 2.0}
