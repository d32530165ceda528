"""The shard plan: every case in exactly one shard, the same plan in every job, balanced by
durations where there are any."""

import pytest

from pytest_optbench.session.shards import ShardSpecError, parse_shard, plan_shards

IDS = [f"s.yaml::p{p}[o{o}]" for p in range(7) for o in range(5)]


@pytest.mark.parametrize("count", [1, 2, 3, 4, 8, 35, 50])
def test_every_case_is_in_exactly_one_shard(count):
    plan = plan_shards(IDS, count)
    assert sorted(plan.shard_of) == sorted(IDS)
    assert set(plan.shard_of.values()) <= set(range(1, count + 1))
    assert sum(plan.sizes) == len(IDS)
    # without durations, counts differ by at most one
    assert max(plan.sizes) - min(plan.sizes) <= 1


def test_the_plan_does_not_depend_on_the_order_the_cases_come_in():
    durations = {case: float(i % 7) for i, case in enumerate(IDS)}
    assert plan_shards(IDS, 4, durations).shard_of == \
        plan_shards(list(reversed(IDS)), 4, durations).shard_of
    assert plan_shards(IDS, 4).fingerprint == plan_shards(sorted(IDS), 4).fingerprint


def test_durations_balance_the_shards_better_than_counts():
    # one long case per problem: dealt by hash, shards get unequal shares of the long ones
    durations = {case: (60.0 if case.endswith("[o0]") else 1.0) for case in IDS}
    by_time = plan_shards(IDS, 4, durations)
    by_hash = plan_shards(IDS, 4)
    load = lambda plan: [sum(durations[c] for c, s in plan.shard_of.items() if s == k)  # noqa: E731
                         for k in range(1, 5)]
    assert by_time.by_durations and not by_hash.by_durations
    assert max(load(by_time)) <= max(load(by_hash))
    assert max(load(by_time)) - min(load(by_time)) <= 60.0
    assert tuple(load(by_time)) == by_time.loads


def test_a_case_never_timed_counts_as_a_typical_one():
    durations = {case: 2.0 for case in IDS[:-1]}
    plan = plan_shards(IDS, 5, durations)
    assert sum(plan.loads) == pytest.approx(2.0 * len(IDS))


def test_different_durations_make_a_different_plan_fingerprint():
    first = plan_shards(IDS, 4, {**{case: 1.0 for case in IDS}, IDS[0]: 100.0})
    second = plan_shards(IDS, 4, {**{case: 1.0 for case in IDS}, IDS[1]: 100.0})
    assert first.fingerprint != second.fingerprint


@pytest.mark.parametrize("text", ["0/4", "5/4", "2", "a/b", "2/0", "-1/4", ""])
def test_a_shard_spec_outside_1_to_n_is_refused(text):
    with pytest.raises(ShardSpecError, match="expected K/N with 1 <= K <= N"):
        parse_shard(text)


def test_a_shard_spec_is_read():
    assert parse_shard("2/4") == (2, 4) and parse_shard(" 1 / 1 ") == (1, 1)
