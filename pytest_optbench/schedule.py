"""Longest cases first under xdist.

xdist hands out cases in collection order; a suite whose heaviest cases come last leaves one
worker finishing them while the others idle. Each case's wall time is kept in pytest's cache at
the end of a run, and the next run under xdist starts its cases longest first (cases never timed
before go first, since nothing says they are short). A serial run keeps the suite's order, which
reads best and gains nothing from another.

xdist refuses workers whose collections differ, so the workers never read the cache themselves:
the controller reads it once and hands every worker the same copy through `workerinput`.
Imports no torch.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence, TypeVar

import pytest

CACHE_KEY = "optbench/durations"
WORKERINPUT_KEY = "optbench_durations"
# Entries kept in the cache; the least recently timed go first beyond it.
KEPT = 20_000

T = TypeVar("T")


def valid_durations(stored: Any) -> dict[str, float]:
    """The usable entries of a stored mapping: node id -> finite seconds >= 0. A cache file
    edited by hand or by another version never breaks a run; what cannot be read is ignored."""
    if not isinstance(stored, dict):
        return {}
    return {key: float(value) for key, value in stored.items()
            if isinstance(key, str) and isinstance(value, (int, float))
            and not isinstance(value, bool) and math.isfinite(value) and value >= 0}


def read_durations(config: Any) -> dict[str, float]:
    cache = getattr(config, "cache", None)   # absent with -p no:cacheprovider
    if cache is None:
        return {}
    return valid_durations(cache.get(CACHE_KEY, {}))


def durations_of(config: Any) -> dict[str, float]:
    """The durations this process goes by: an xdist worker's, as the controller sent them;
    otherwise those in pytest's cache."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        return valid_durations(workerinput.get(WORKERINPUT_KEY))
    return read_durations(config)


def merged(stored: dict[str, float], timed: dict[str, float]) -> dict[str, float]:
    """This run's times over the stored ones; cases not run this time are kept (a run of a
    selection must not forget the rest), the oldest dropped beyond KEPT."""
    combined = {key: value for key, value in stored.items() if key not in timed}
    combined.update(timed)   # insertion order: the most recently timed last
    return dict(list(combined.items())[-KEPT:])


def longest_first(ids: Sequence[str], durations: dict[str, float]) -> list[int]:
    """The order (indexes into `ids`) to run them in: never-timed first, then the timed ones
    from longest to shortest; the sort is stable, so ties keep their own order."""
    return sorted(range(len(ids)),
                  key=lambda i: (ids[i] in durations, -durations.get(ids[i], 0.0)))


def reorder_cases(items: list[T], is_case: Iterable[bool], ids: Sequence[str],
                  durations: dict[str, float]) -> list[T]:
    """`items` with its cases reordered longest first among the places cases hold; every
    other item stays where it is."""
    places = [i for i, case in enumerate(is_case) if case]
    result = list(items)
    for place, chosen in zip(places, longest_first([ids[i] for i in places], durations)):
        result[place] = items[places[chosen]]
    return result


class WorkerOrder:
    """An xdist worker's hook: its cases longest first, by the durations the controller sent."""

    def __init__(self, durations: dict[str, float]):
        self.durations = durations

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        # The marker every case carries: another plugin's YAML tests are not ours to reorder.
        is_case = [item.get_closest_marker("optbench") is not None for item in items]
        items[:] = reorder_cases(items, is_case, [item.nodeid for item in items], self.durations)


class DurationKeeper:
    """The controller's hooks: each case's duration into pytest's cache at the end of the run,
    and the stored ones to every xdist worker at its start."""

    def __init__(self, config: pytest.Config, keep: bool = True):
        """`keep`: write this run's durations to the cache at its end. A shard does not: the
        shards of one run must all plan from the same durations (sharding.py), and a shard run
        after another on this machine would otherwise plan from the first one's times and keep
        cases the first already ran, or none of them."""
        self.config = config
        self.keep = keep
        self.timed: dict[str, float] = {}     # case node id -> seconds its call took
        self.stored: dict[str, float] | None = None

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        if self.stored is None:   # read once: a copy read per worker could differ
            self.stored = read_durations(self.config)
        node.workerinput[WORKERINPUT_KEY] = self.stored

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # A case's call report carries its result (plugin.py), under xdist too.
        if report.when == "call" and getattr(report, "optbench", None) is not None:
            self.timed[report.nodeid] = report.duration

    def pytest_sessionfinish(self) -> None:
        cache = getattr(self.config, "cache", None)
        if not self.timed or cache is None or not self.keep:
            return
        try:
            cache.set(CACHE_KEY, merged(read_durations(self.config), self.timed))
        except (OSError, Warning):
            # pytest's cache warns when it cannot write, which -W error turns into an
            # exception; the durations only order the next run, so losing them costs nothing.
            pass


def register(config: pytest.Config) -> None:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        keep = not config.getoption("optbench_shard", None)
        config.pluginmanager.register(DurationKeeper(config, keep), "optbench-durations")
    else:
        durations = valid_durations(workerinput.get(WORKERINPUT_KEY))
        config.pluginmanager.register(WorkerOrder(durations), "optbench-worker-order")
