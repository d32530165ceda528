"""--optbench-shard K/N: this process keeps shard K of the selected optbench cases.

Registered in every process that collects (a serial session, each xdist worker), so that all of
them keep the same cases: the plan (session/shards.py) is a pure function of the selected case
ids and the durations pytest's cache held when the session started, which xdist's controller
hands every worker (schedule.py). Items that are not optbench cases are left to other plugins.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_optbench import schedule


class ShardSelection:
    def __init__(self, config: pytest.Config, index: int, count: int):
        self.config, self.index, self.count = config, index, count

    @pytest.hookimpl(trylast=True)   # after -k, -m, --lf and other plugins have selected
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        from pytest_optbench.collect import SHARD_KEY
        from pytest_optbench.session.record import ShardInfo
        from pytest_optbench.session.shards import plan_shards

        cases = [item.nodeid for item in items if item.get_closest_marker("optbench")]
        plan = plan_shards(cases, self.count, schedule.durations_of(self.config))
        self.config.stash[SHARD_KEY] = ShardInfo(self.index, self.count, plan.fingerprint,
                                                 plan.sizes)
        kept: list[pytest.Item] = []
        dropped: list[pytest.Item] = []
        for item in items:
            elsewhere = item.nodeid in plan.shard_of and plan.shard_of[item.nodeid] != self.index
            (dropped if elsewhere else kept).append(item)
        if dropped:
            self.config.hook.pytest_deselected(items=dropped)
            items[:] = kept


def register(config: pytest.Config, shard: Any) -> None:
    if shard is not None:
        config.pluginmanager.register(ShardSelection(config, *shard), "optbench-shard")
