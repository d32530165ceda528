"""A suite split over shards (--optbench-shard K/N), then merged (optbench merge), is one run:
the same cases, metrics and claims as an unsharded run; what a merge lacks fails it; baselines
measured by shards are written once, by optbench accept."""

import json

import pytest

from pytest_optbench.cli import main
from suite_texts import SHARDED as SUITE

NO_CACHE = ("-p", "no:cacheprovider")


@pytest.fixture
def project(pytester):
    pytester.makefile(".yaml", sharded=SUITE)
    recorded = pytester.runpytest("sharded.yaml", "--optbench-update-baselines", *NO_CACHE)
    assert recorded.ret == 0
    return pytester


def run_shards(pytester, count, *extra, skip=()):
    results = {}
    for index in range(1, count + 1):
        if index in skip:
            continue
        out = f"shard-{index}.json"
        results[index] = pytester.runpytest("sharded.yaml", "--optbench-shard", f"{index}/{count}",
                                            "--optbench-json", out, *NO_CACHE, *extra)
    return results


def cases_of(path):
    return {case["nodeid"]: case for case in json.loads(path.read_text())["cases"]}


def test_four_shards_merged_equal_one_unsharded_run(project, capsys):
    whole = project.runpytest("sharded.yaml", "--optbench-json", "whole.json", *NO_CACHE)
    assert whole.ret == 0
    shards = run_shards(project, 4)
    for index, result in shards.items():
        assert result.ret == 0
        # claims are not judged inside a shard, and a shard does not say UNCHECKED
        result.stdout.fnmatch_lines([f"claims: not judged in a shard; this is shard {index}/4*"])
        assert "not checked" not in result.stdout.str()
    reported = [set(cases_of(project.path / f"shard-{k}.json")) for k in range(1, 5)]
    assert sum(map(len, reported)) == 6 and len(set().union(*reported)) == 6
    status = main(["merge", *(str(project.path / f"shard-{k}.json") for k in (2, 4, 1, 3)),
                   "--out", str(project.path / "merged.json"), "--fail-on-regression"])
    out = capsys.readouterr().out
    assert status == 0, out
    merged, unsharded = cases_of(project.path / "merged.json"), cases_of(project.path / "whole.json")
    assert sorted(merged) == sorted(unsharded)
    for nodeid, case in unsharded.items():
        # the same numbers, bitwise, and the same verdict on every row
        assert merged[nodeid]["metrics"] == case["metrics"], nodeid
        assert merged[nodeid]["fingerprint"] == case["fingerprint"]
        assert [(r["metric"], r["status"]) for r in merged[nodeid]["rows"]] == \
            [(r["metric"], r["status"]) for r in case["rows"]]
    document = json.loads((project.path / "merged.json").read_text())
    whole_claims = json.loads((project.path / "whole.json").read_text())["claims"]
    assert [(c["claim"]["name"], c["verdict"]) for c in document["claims"]] == \
        [(c["claim"]["name"], c["verdict"]) for c in whole_claims] == [("fast-wins", "holds")]
    assert document["complete"] and [s["index"] for s in document["merged_from"]] == [1, 2, 3, 4]
    assert "fast-wins" in out and "holds" in out


def test_merging_three_of_four_shards_names_the_missing_one(project, capsys):
    run_shards(project, 4, skip={3})
    plan = json.loads((project.path / "shard-1.json").read_text())["shard"]
    missing = plan["sizes"][2]
    status = main(["merge", *(str(project.path / f"shard-{k}.json") for k in (1, 2, 4)),
                   "--out", str(project.path / "merged.json")])
    out = capsys.readouterr().out
    assert status == 1
    assert f"INCOMPLETE MERGE: shard 3/4 missing: {missing} cases not reported" in out
    assert not json.loads((project.path / "merged.json").read_text())["complete"]


def test_a_shard_given_twice_or_from_another_suite_version_is_refused(project, capsys):
    run_shards(project, 2)
    first = str(project.path / "shard-1.json")
    assert main(["merge", first, first, "--out", "m.json"]) == 2
    assert "reported twice" in capsys.readouterr().err
    project.makefile(".yaml", sharded=SUITE.replace("lr: 0.1}", "lr: 0.2}"))
    project.runpytest("sharded.yaml", "--optbench-shard", "2/2", "--optbench-json", "new-2.json",
                      *NO_CACHE)
    assert main(["merge", first, str(project.path / "new-2.json"), "--out", "m.json"]) == 2
    assert "ran suite version" in capsys.readouterr().err


def test_a_contradicted_claim_fails_the_merge_not_the_shards(project, capsys):
    project.makefile(".yaml", sharded=SUITE.replace("better: fast\n    than: slow",
                                                    "better: slow\n    than: fast"))
    shards = run_shards(project, 2)
    assert all(result.ret == 0 for result in shards.values())
    files = [str(project.path / f"shard-{k}.json") for k in (1, 2)]
    assert main(["merge", *files, "--out", "m.json", "--fail-on-regression"]) == 1
    assert "CLAIM FAILED: claim fast-wins" in capsys.readouterr().out
    assert main(["merge", *files, "--out", "m.json"]) == 0   # a report, not a gate
    capsys.readouterr()


def test_shards_record_nothing_until_accept_writes_the_merged_record(pytester, capsys):
    pytester.makefile(".yaml", sharded=SUITE)
    shards = run_shards(pytester, 3, "--optbench-update-baselines")
    for result in shards.values():
        result.stdout.fnmatch_lines(["baselines measured, not written: this is shard */3*"])
    assert not (pytester.path / "baselines").exists()
    files = [str(pytester.path / f"shard-{k}.json") for k in (1, 2, 3)]
    assert main(["accept", files[0]]) == 2
    assert "found shard 1/3 alone" in capsys.readouterr().err
    main(["merge", *files[:2], "--out", str(pytester.path / "partial.json")])
    assert main(["accept", str(pytester.path / "partial.json")]) == 2
    assert "incomplete merge" in capsys.readouterr().err
    assert main(["merge", *files, "--out", str(pytester.path / "merged.json")]) == 0
    capsys.readouterr()
    assert main(["accept", str(pytester.path / "merged.json"),
                 "--baseline-dir", str(pytester.path / "baselines")]) == 0
    assert "6 added, 0 updated, 0 unchanged" in capsys.readouterr().out
    checked = pytester.runpytest("sharded.yaml", *NO_CACHE)
    assert checked.ret == 0 and "MISSING" not in checked.stdout.str()


def test_accept_refuses_a_run_that_recorded_nothing(project, capsys):
    project.runpytest("sharded.yaml", "--optbench-json", "gate.json", *NO_CACHE)
    assert main(["accept", str(project.path / "gate.json")]) == 2
    assert "recorded nothing" in capsys.readouterr().err


def test_more_shards_than_cases_leaves_empty_shards_that_pass(project):
    shards = run_shards(project, 8)
    assert all(result.ret == 0 for result in shards.values()), \
        [r.stdout.str()[-600:] for r in shards.values() if r.ret]
    empty = [k for k, r in shards.items() if "holds none of the selected cases" in r.stdout.str()]
    assert len(empty) == 2


def test_under_xdist_a_shard_keeps_the_same_cases(project):
    serial = run_shards(project, 2)
    project.runpytest_subprocess("sharded.yaml", "--optbench-shard", "1/2", "-n", "2",
                                 "--optbench-json", "xdist-1.json", *NO_CACHE)
    assert serial[1].ret == 0
    assert set(cases_of(project.path / "xdist-1.json")) == set(cases_of(project.path / "shard-1.json"))
    document = json.loads((project.path / "xdist-1.json").read_text())
    assert document["shard"]["index"] == 1 and document["suites"]["sharded.yaml"]["cases"]


def test_durations_of_an_earlier_run_balance_the_shards(project):
    project.runpytest("sharded.yaml")   # fills pytest's cache with each case's duration
    by_durations = run_shards(project, 2, "-p", "cacheprovider")
    assert by_durations[1].ret == 0
    from pytest_optbench.schedule import CACHE_KEY, valid_durations
    from pytest_optbench.session.shards import plan_shards

    cache = json.loads((project.path / ".pytest_cache" / "v" / CACHE_KEY).read_text())
    stored = json.loads((project.path / "shard-1.json").read_text())["shard"]
    plan = plan_shards(sorted(cases_of(project.path / "shard-1.json"))
                       + sorted(cases_of(project.path / "shard-2.json")), 2, valid_durations(cache))
    assert stored["plan"] == plan.fingerprint and plan.by_durations
    # shards run one after another on one machine plan from the same durations: a shard writes
    # none back, so the second keeps exactly the cases the first did not
    first, second = (set(cases_of(project.path / f"shard-{k}.json")) for k in (1, 2))
    assert not first & second and len(first | second) == 6


def test_a_bad_shard_option_is_a_usage_error(pytester):
    pytester.makefile(".yaml", sharded=SUITE)
    result = pytester.runpytest("sharded.yaml", "--optbench-shard", "5/4")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--optbench-shard: found '5/4'; expected K/N with 1 <= K <= N*"])
