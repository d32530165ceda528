"""Which cases each of N shards runs (--optbench-shard K/N): a pure function of the selected case
ids and the durations of an earlier run, so that every CI job computes the same plan.

With durations, shards are balanced greedily, longest case first onto the least loaded shard
(the LPT rule: its longest shard is within 4/3 of the best possible). A case never timed counts
as the mean of those that were. Without durations, cases are dealt round-robin in the order of
a hash of their ids: equal counts, and a plan that does not move when a suite gains a case at
its end.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

SHARD_RE = re.compile(r"^\s*([0-9]+)\s*/\s*([0-9]+)\s*$")
MAX_SHARDS = 10_000


class ShardSpecError(ValueError):
    """--optbench-shard was given something that is not K/N with 1 <= K <= N."""


def parse_shard(text: str) -> tuple[int, int]:
    match = SHARD_RE.match(text or "")
    index, count = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if not match or not 1 <= index <= count <= MAX_SHARDS:
        raise ShardSpecError(f"--optbench-shard: found '{text}'; expected K/N with 1 <= K <= N, "
                             f"e.g. 2/4 for the second of four shards")
    return index, count


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ShardPlan:
    count: int
    shard_of: dict[str, int]     # case id -> its shard, 1-based
    loads: tuple[float, ...]     # predicted seconds (or cases, by hash) per shard
    by_durations: bool

    @property
    def sizes(self) -> tuple[int, ...]:
        counts = [0] * self.count
        for shard in self.shard_of.values():
            counts[shard - 1] += 1
        return tuple(counts)

    @property
    def fingerprint(self) -> str:
        return _hash(json.dumps(sorted(self.shard_of.items())))[:16]


def plan_shards(ids: Sequence[str], count: int,
                durations: Mapping[str, float] | None = None) -> ShardPlan:
    unique = sorted(set(ids))
    known = {i: float(durations[i]) for i in unique if durations and i in durations}
    if not known:
        order = sorted(unique, key=_hash)
        shard_of = {case: position % count + 1 for position, case in enumerate(order)}
        loads = [0.0] * count
        for shard in shard_of.values():
            loads[shard - 1] += 1.0
        return ShardPlan(count, shard_of, tuple(loads), by_durations=False)
    typical = sum(known.values()) / len(known)
    weight = {case: known.get(case, typical) for case in unique}
    heap = [(0.0, shard) for shard in range(1, count + 1)]
    shard_of = {}
    for case in sorted(unique, key=lambda c: (-weight[c], _hash(c))):
        load, shard = heapq.heappop(heap)
        shard_of[case] = shard
        heapq.heappush(heap, (load + weight[case], shard))
    loads = [0.0] * count
    for load, shard in heap:
        loads[shard - 1] = load
    return ShardPlan(count, shard_of, tuple(loads), by_durations=True)
