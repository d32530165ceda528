"""The one place where run records are combined: an xdist controller's results with its workers'
payloads, and the shard files of a CI matrix (`optbench merge`)."""

from __future__ import annotations

from typing import Sequence

from pytest_optbench.session.record import OK, TESTS_FAILED, RunRecord, ShardInfo, SuiteInfo


class MergeError(ValueError):
    """The records cannot be one run: which records, and what is wrong."""


def merge(records: Sequence[RunRecord], as_shards: bool = False) -> RunRecord:
    """One record of all of `records`. `as_shards`: they are the shard files of one run (their
    shards become `merged_from`, a shard not among them is `missing`); otherwise they are parts of
    one session (xdist's controller and workers), which share their shard, if any."""
    merged = RunRecord(suites=_suites(records), interrupted=any(r.interrupted for r in records))
    for record in records:
        for result in record.results:
            earlier = merged.cases.get(result.nodeid)
            if earlier is not None:
                raise MergeError(f"{result.nodeid}: reported twice, by {_owner(records, earlier)} "
                                 f"and by {record.label}; expected each case in one shard")
            merged.add(result)
    if as_shards:
        _join_shards(merged, records)
    else:
        shards = {r.shard for r in records if r.shard is not None}
        if len(shards) > 1:
            raise MergeError(f"parts of one session name different shards: "
                             f"{', '.join(s.label for s in sorted(shards))}")
        merged.shard = next(iter(shards), None)
        known = [r.selected for r in records if r.selected is not None]
        merged.selected = max(known) if known else None
        merged.exitstatus = max((r.exitstatus for r in records), default=OK)
        merged.complete = all(r.complete for r in records)
    return merged


def _suites(records: Sequence[RunRecord]) -> dict[str, SuiteInfo]:
    suites: dict[str, SuiteInfo] = {}
    origin: dict[str, str] = {}
    for record in records:
        for name, info in record.suites.items():
            if name in suites and suites[name].version != info.version:
                raise MergeError(
                    f"{name}: {origin[name]} ran suite version {suites[name].version} and "
                    f"{record.label} version {info.version}; expected every shard to run the "
                    f"same suite and baselines (the same commit)")
            suites.setdefault(name, info)
            origin.setdefault(name, record.label)
    return suites


def _owner(records: Sequence[RunRecord], result: object) -> str:
    return next((r.label for r in records if result in r.cases.values()), "another record")


def _join_shards(merged: RunRecord, records: Sequence[RunRecord]) -> None:
    """CI shards: one plan, each shard at most once; the ones not given are named with the
    number of cases they hold."""
    shards = [r.shard or ShardInfo(1, 1) for r in records]
    counts = {s.count for s in shards}
    if len(counts) > 1:
        raise MergeError("the files are shards of different splits (" + ", ".join(
            sorted({s.label for s in shards})) + "); expected the shards of one --optbench-shard "
            "K/N run")
    plans = {s.plan for s in shards}
    if len(plans) > 1:
        raise MergeError(
            "the shards were planned differently (" + ", ".join(
                f"{s.label}: plan {s.plan or 'none'}" for s in sorted(set(shards))) + "); expected "
            "every shard job to select the same cases and read the same durations: give each "
            "job the same pytest cache, or none")
    seen: dict[int, str] = {}
    for record, shard in zip(records, shards):
        if shard.index in seen:
            raise MergeError(f"{shard.label} given twice: {seen[shard.index]} and "
                             f"{record.source or record.label}")
        seen[shard.index] = record.source or record.label
    count = shards[0].count
    merged.merged_from = sorted(set(shards))
    for index in range(1, count + 1):
        if index not in seen:
            size = shards[0].size_of(index)
            held = f"{size} cases not reported" if size is not None else "its cases not reported"
            merged.missing.append(f"shard {index}/{count} missing: {held}")
    known = [r.selected for r in records if r.selected is not None]
    merged.selected = sum(known) if len(known) == len(records) else None
    merged.complete = not merged.missing and all(r.complete for r in records)
    failed = [r for r in records if r.exitstatus != OK]
    merged.exitstatus = TESTS_FAILED if failed else OK
    merged.missing += [f"{r.label} exited with status {r.exitstatus}" for r in failed
                       if r.exitstatus not in (OK, TESTS_FAILED)]
