"""Which results of a run may become baselines, and writing them: the one path by which a
session (--optbench-update-baselines, --optbench-add-baselines) and `optbench accept` record."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Sequence

from pytest_optbench.gate.baselines import WriteSummary, make_entry, write_entries
from pytest_optbench.gate.record import CaseResult, Outcome


def recordable(results: Sequence[CaseResult]) -> tuple[list[CaseResult], list[CaseResult]]:
    """Results that may become baselines, and those that may not (diverged, errored)."""
    good, bad = [], []
    for result in results:
        if result.measured and not result.divergence:
            good.append(result)
        elif result.status is not Outcome.SKIPPED:
            bad.append(result)
    return good, bad


def write_baselines(results: Sequence[CaseResult], replace: bool = True,
                    where: Callable[[str], Path] = Path) -> list[WriteSummary]:
    """Entries for the results recorded in this run (`update`); `replace`: False keeps any
    entry already stored (--optbench-add-baselines), even one another process wrote.
    `where`: the file to write for a result's baseline_file (accept maps them to a folder)."""
    good = [result for result in recordable(results)[0] if result.update]
    by_file: dict[str, dict[str, dict[str, Any]]] = defaultdict(lambda: defaultdict(dict))
    suites: dict[str, str] = {}
    for result in good:
        assert result.baseline_context is not None and result.provenance is not None
        # A mean learning curve, where the kind records one, is kept for plots.
        entry = make_entry(result.config_hash, result.seeds, result.metrics,
                           result.provenance, result.curves.get("mean"), result.config,
                           result.envelope, result.fingerprint, result.observed)
        by_file[result.baseline_file][result.baseline_context.format()][result.case] = entry
        suites[result.baseline_file] = result.suite
    return [write_entries(where(path), suites[path], updates, replace=replace)
            for path, updates in sorted(by_file.items())]
