"""What a run's record means as a whole: its claims' verdicts, the stored entries no case uses,
the warnings that must not look like a pass, the exit status, and the files to write. The same
for a live session, a report redrawn from a file, and a merge of shards.

Nothing here writes; reading baseline files (to find unused entries) is all it does outside
the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from pytest_optbench.gate.record import Outcome, Status
from pytest_optbench.session.record import NO_TESTS_COLLECTED, OK, TESTS_FAILED, RunRecord
from pytest_optbench.settings import OptbenchOptions


@dataclass
class Conclusion:
    record: RunRecord
    verdicts: list[Any] = field(default_factory=list)    # ClaimVerdicts
    claims_deferred: str = ""     # why the claims were not judged here, or ""
    unused: list[Any] = field(default_factory=list)      # gate.unused.Unused
    warnings: list[str] = field(default_factory=list)
    exitstatus: int = OK
    write_baselines: bool = False
    baselines_deferred: str = ""  # why measured baselines are not written here, or ""
    prune: bool = False

    @property
    def claims_failed(self) -> bool:
        return any(v.failed for v in self.verdicts)


def conclude(record: RunRecord, options: OptbenchOptions, collect_only: bool = False,
             look_for_unused: bool = True,
             other_tiers: Callable[[str], set[str]] | None = None) -> Conclusion:
    """`record.exitstatus`: the status the run ended with so far (pytest's, for a session).
    `look_for_unused`: read the baseline files for entries no case uses (not for a report
    redrawn from a file, which says nothing of them). `other_tiers(suite_file)`: the case ids
    the suite has under its other tiers, whose entries are in use too."""
    conclusion = Conclusion(record, exitstatus=record.exitstatus)
    if _empty_shard(record) and record.exitstatus == NO_TESTS_COLLECTED:
        conclusion.exitstatus = OK   # more shards than cases: an empty shard is not a failure
    if record.shard is not None and record.shard.count > 1:
        conclusion.claims_deferred = (f"this is {record.shard.label}: claims are judged after "
                                      f"the shards are merged (optbench merge)")
    else:
        conclusion.verdicts = _judge_claims(record)
    record.verdicts = [v.to_json() for v in conclusion.verdicts]
    recording = options.update_baselines or options.add_baselines
    if recording and not record.interrupted:
        if record.shard is not None and record.shard.count > 1:
            conclusion.baselines_deferred = (
                f"baselines measured, not written: this is {record.shard.label}; merge the "
                f"shards' results files, then write them once with: optbench accept MERGED.json")
        else:
            conclusion.write_baselines = True
    if record.cases and not collect_only and look_for_unused:
        conclusion.unused = _unused(record, other_tiers)
        conclusion.prune = options.prune_baselines
    conclusion.warnings = _warnings(record)
    if conclusion.exitstatus == OK and (
            conclusion.claims_failed or record.missing
            or (unchecked(record) and not options.allow_unchecked and not collect_only)):
        conclusion.exitstatus = TESTS_FAILED
    return conclusion


def _judge_claims(record: RunRecord) -> list[Any]:
    definitions = [claim for name in sorted(record.suites)
                   for claim in record.suites[name].claims]
    if not definitions:
        return []
    from pytest_optbench.gate.claims import Claim, judge

    return judge([Claim.from_json(c) for c in definitions], record.results)


def _unused(record: RunRecord, other_tiers: Callable[[str], set[str]] | None) -> list[Any]:
    from pytest_optbench.gate.unused import find_unused

    def case_ids(suite_file: str) -> set[str] | None:
        info = record.suites.get(suite_file)
        return set(info.cases) if info is not None else None

    found = find_unused(record.results, case_ids)
    if not found or other_tiers is None:
        return found

    def in_any_tier(suite_file: str) -> set[str] | None:
        ids = case_ids(suite_file)
        return None if ids is None else ids | other_tiers(suite_file)

    return find_unused(record.results, in_any_tier)


def _warnings(record: RunRecord) -> list[str]:
    from pytest_optbench.report.table import run_warnings

    warnings = [f"INCOMPLETE MERGE: {line}" for line in record.missing]
    if record.shard is not None and record.shard.count > 1 and _empty_shard(record):
        return [f"{record.shard.label} holds none of the selected cases: nothing to run here"]
    return warnings + run_warnings(record.results, record.selected)


def _empty_shard(record: RunRecord) -> bool:
    return record.shard is not None and record.shard.size_of(record.shard.index) == 0 \
        and not record.cases


def unchecked(record: RunRecord) -> bool:
    """Selected cases exist, but none ran, or those that ran expected stored baselines and
    met none: a CI gate must not read that as a pass. A shard the plan left empty is not."""
    if _empty_shard(record):
        return False
    results = record.results
    ran = [r for r in results if r.status not in (Outcome.SKIPPED, Outcome.NOT_TIMED)]
    if not ran:
        return bool(record.selected or results)
    if any(r.update for r in ran) or any(row.compared for r in ran for row in r.rows):
        return False
    return any(row.status in (Status.NOT_COMPARABLE, Status.MISSING, Status.STALE_CONFIG)
               for r in ran for row in r.rows)
