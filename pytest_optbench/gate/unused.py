"""Baseline entries that no case uses any more (a problem or optimizer was renamed or removed),
and the pruning that removes them, which refuses any run that did not check every case."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from pytest_optbench.gate.baselines import BaselineFileError, read, remove_entries
from pytest_optbench.gate.record import CaseResult, Outcome

SHOWN = 5   # unused case ids named per file; the rest are counted


@dataclass
class Unused:
    """The entries of one baseline file, in the contexts this run used, that no case of its
    suite has."""

    path: Path
    suite: str
    suite_file: str
    entries: dict[str, list[str]]   # context -> case ids
    cases: int                      # cases the suite has, of which the run reported `reported`
    reported: int

    @property
    def count(self) -> int:
        return sum(len(ids) for ids in self.entries.values())

    def describe(self) -> str:
        labels = [f"{context}: {case}" for context, ids in sorted(self.entries.items())
                  for case in ids]
        more = f" and {len(labels) - SHOWN} more" if len(labels) > SHOWN else ""
        return (f"baselines {self.path}: {self.count} entries that no case of "
                f"{self.suite_file} uses ({', '.join(labels[:SHOWN])}{more}); remove them with: "
                f"pytest --optbench {shlex.quote(self.suite_file)} --optbench-prune-baselines")


def find_unused(results: Sequence[CaseResult],
                case_ids: Callable[[str], set[str] | None]) -> list[Unused]:
    """`case_ids(suite_file)`: every case id of that suite, or None where it cannot be built."""
    by_file: dict[str, list[CaseResult]] = {}
    for result in results:
        if result.baseline_file:
            by_file.setdefault(result.baseline_file, []).append(result)
    found = []
    for path, cases in sorted(by_file.items()):
        contexts = {r.baseline_context.format() for r in cases if r.baseline_context}
        known = case_ids(cases[0].suite_file)
        if not contexts or known is None:
            continue
        try:
            stored = read(Path(path), cases[0].suite)["entries"]
        except BaselineFileError:
            continue   # said where the cases met it
        entries = {context: sorted(set(stored.get(context, {})) - known)
                   for context in contexts}
        entries = {context: ids for context, ids in entries.items() if ids}
        if entries:
            found.append(Unused(Path(path), cases[0].suite, cases[0].suite_file, entries,
                                len(known), len({r.nodeid for r in cases})))
    return found


def prune_refusal(unused: Unused, results: Sequence[CaseResult], exitstatus: int) -> str | None:
    """Why pruning must not happen after this run, or None. Only a run that reported every case
    of the suite, none failing, may decide that an entry is no longer needed."""
    if exitstatus == 2:
        return "the run was interrupted"
    if unused.reported < unused.cases:
        return (f"the run reported {unused.reported} of the suite's {unused.cases} cases "
                f"(-k, deselection, -x or a crash); prune after a run of the whole suite")
    failing = [r.case for r in results if r.baseline_file == str(unused.path)
               and r.status in (Outcome.FAILED, Outcome.ERROR)]
    if failing or exitstatus != 0:
        what = f"{len(failing)} of its cases failed" if failing else "the session failed"
        return f"{what}; prune after a run in which every case passes"
    return None


def prune(unused: Unused, results: Sequence[CaseResult], exitstatus: int) -> tuple[bool, str]:
    """(pruned, the line that says what happened)."""
    why = prune_refusal(unused, results, exitstatus)
    if why is not None:
        return False, f"NOT PRUNED: baselines {unused.path}: {why}; the file is unchanged"
    removed = remove_entries(unused.path, unused.suite, unused.entries)
    return True, f"baselines {unused.path}: pruned {len(removed)} unused entries: " \
                 f"{', '.join(removed)}"
