"""conclude(): claims, the exit status and what is written, decided from a record alone."""

from pytest_optbench.gate.claims import Claim
from pytest_optbench.gate.record import Outcome
from pytest_optbench.session.conclude import conclude
from pytest_optbench.session.record import RunRecord, ShardInfo, SuiteInfo
from pytest_optbench.settings import OptbenchOptions

from records import case_result as result

CASES = [f"p[o{i}]" for i in range(8)]

OPTIONS = OptbenchOptions.for_files()


def claim(better: str, than: str) -> dict:
    return Claim(name="c", suite_file="s.yaml", line=3, says="x beats y", measure="final_loss",
                 argument=None, problem="p", better=(better,), than=(than,),
                 higher_is_better=False).to_json()


def record_with(*claims: dict, shard: ShardInfo | None = None) -> RunRecord:
    suite = SuiteInfo.of("s.yaml", [(case, "h") for case in CASES], list(claims))
    record = RunRecord(suites={"s.yaml": suite}, selected=2, shard=shard)
    for case, value in ((CASES[0], 1.0), (CASES[1], 3.0)):
        found = result(case)
        found.metrics = {"final_loss": [value, value + 0.01, value - 0.01]}
        found.seeds = [0, 1, 2]
        record.add(found)
    return record


def test_a_contradicted_claim_fails_a_passing_run():
    conclusion = conclude(record_with(claim("o1", "o0")), OPTIONS, look_for_unused=False)
    assert conclusion.claims_failed and conclusion.exitstatus == 1
    assert conclusion.record.verdicts[0]["verdict"] == "contradicted"


def test_a_claim_that_holds_passes():
    conclusion = conclude(record_with(claim("o0", "o1")), OPTIONS, look_for_unused=False)
    assert not conclusion.claims_failed and conclusion.exitstatus == 0


def test_a_shard_defers_its_claims_and_its_baseline_writes():
    record = record_with(claim("o1", "o0"), shard=ShardInfo(1, 4, "p", (2, 2, 2, 2)))
    options = OptbenchOptions.for_files(update_baselines=True)
    conclusion = conclude(record, options, look_for_unused=False)
    assert conclusion.verdicts == [] and "claims are judged after" in conclusion.claims_deferred
    assert not conclusion.write_baselines
    assert "optbench accept" in conclusion.baselines_deferred
    assert conclusion.exitstatus == 0


def test_an_empty_shard_is_not_a_failure():
    record = RunRecord(suites={}, selected=0, shard=ShardInfo(4, 4, "p", (1, 1, 1, 0)),
                       exitstatus=5)
    conclusion = conclude(record, OPTIONS)
    assert conclusion.exitstatus == 0
    assert conclusion.warnings == ["shard 4/4 holds none of the selected cases: nothing to run "
                                   "here"]


def test_a_missing_shard_fails_and_is_warned_about():
    record = record_with()
    record.missing = ["shard 3/4 missing: 2 cases not reported"]
    conclusion = conclude(record, OPTIONS, look_for_unused=False)
    assert conclusion.exitstatus == 1
    assert conclusion.warnings[0] == "INCOMPLETE MERGE: shard 3/4 missing: 2 cases not reported"


def test_nothing_that_ran_is_unchecked_unless_allowed():
    record = RunRecord(selected=3)
    assert conclude(record, OPTIONS).exitstatus == 1
    allowed = OptbenchOptions.for_files(allow_unchecked=True)
    assert conclude(RunRecord(selected=3), allowed).exitstatus == 0


def test_a_failing_status_is_kept():
    record = record_with()
    record.cases[f"s.yaml::{CASES[0]}"].status = Outcome.FAILED
    record.exitstatus = 1
    assert conclude(record, OPTIONS, look_for_unused=False).exitstatus == 1
