"""merge(): xdist parts of one session, and the shard files of a CI matrix."""

import pytest

from pytest_optbench.session.merge import MergeError, merge
from pytest_optbench.session.record import RunRecord, ShardInfo, SuiteInfo
from records import case_result as result

CASES = [f"p[o{i}]" for i in range(8)]
SUITE = SuiteInfo.of("s.yaml", [(case, "h") for case in CASES], [])


def shard(index: int, count: int = 4, suite: SuiteInfo = SUITE, plan: str = "p1") -> RunRecord:
    sizes = tuple(2 for _ in range(count))
    record = RunRecord(suites={suite.file: suite}, shard=ShardInfo(index, count, plan, sizes),
                       selected=2, source=f"shard-{index}.json")
    for case in CASES[2 * (index - 1): 2 * index]:
        record.add(result(case))
    return record


def test_all_shards_make_one_complete_record():
    merged = merge([shard(k) for k in (3, 1, 4, 2)], as_shards=True)
    assert sorted(r.case for r in merged.results) == CASES
    assert merged.complete and not merged.missing and merged.shard is None
    assert [s.index for s in merged.merged_from] == [1, 2, 3, 4]
    assert merged.selected == 8


def test_a_missing_shard_is_named_with_its_case_count():
    merged = merge([shard(1), shard(2), shard(4)], as_shards=True)
    assert merged.missing == ["shard 3/4 missing: 2 cases not reported"]
    assert not merged.complete


def test_a_case_reported_twice_is_an_error():
    twice = shard(2)
    twice.add(result(CASES[0]))
    with pytest.raises(MergeError, match=r"s.yaml::p\[o0\]: reported twice, by shard 1/4 and by "
                                         r"shard 2/4"):
        merge([shard(1), twice], as_shards=True)


def test_the_same_shard_given_twice_is_an_error():
    empty = RunRecord(suites={SUITE.file: SUITE}, shard=ShardInfo(1, 4, "p1", (2, 2, 2, 2)),
                      source="again.json")
    with pytest.raises(MergeError, match="shard 1/4 given twice: shard-1.json and again.json"):
        merge([shard(1), empty], as_shards=True)


def test_shards_of_different_suite_versions_do_not_merge():
    changed = SuiteInfo.of("s.yaml", [(case, "other") for case in CASES], [])
    with pytest.raises(MergeError, match="s.yaml: shard 1/4 ran suite version .* and shard 2/4 "
                                         "version .*same commit"):
        merge([shard(1), shard(2, suite=changed)], as_shards=True)


def test_shards_planned_differently_do_not_merge():
    with pytest.raises(MergeError, match="planned differently.*same durations"):
        merge([shard(1), shard(2, plan="p2")], as_shards=True)


def test_shards_of_different_splits_do_not_merge():
    with pytest.raises(MergeError, match="different splits"):
        merge([shard(1), shard(2, count=3)], as_shards=True)


def test_an_interrupted_shard_leaves_the_merge_incomplete():
    stopped = shard(2)
    stopped.interrupted, stopped.exitstatus, stopped.complete = True, 2, False
    merged = merge([shard(1), stopped, shard(3), shard(4)], as_shards=True)
    assert merged.interrupted and not merged.complete
    assert merged.missing == ["shard 2/4 exited with status 2"]


def test_xdist_parts_keep_their_shard_and_the_controller_count():
    controller = shard(2)
    worker = RunRecord(suites={SUITE.file: SUITE}, shard=controller.shard)
    merged = merge([controller, worker, worker])
    assert merged.shard == controller.shard and len(merged.cases) == 2
    assert merged.selected == 2 and not merged.missing


def test_the_merged_record_survives_its_json_form():
    merged = merge([shard(1), shard(2), shard(4)], as_shards=True)
    again = RunRecord.from_json(merged.to_json())
    assert again.to_json() == merged.to_json()
    assert again.suites == merged.suites and again.merged_from == merged.merged_from
