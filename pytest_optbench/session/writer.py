"""Carrying out a conclusion's writes: baselines, pruning, the results file and the report.

Each file is written on its own: one that fails (a full disk, a folder made read-only during
the run, a lock held too long) never costs the others, and is one clear line at the end of the
summary with a non-zero exit status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pytest_optbench.session.conclude import Conclusion
from pytest_optbench.session.record import OK, TESTS_FAILED
from pytest_optbench.settings import OptbenchOptions


@dataclass
class Written:
    baselines: list[Any] = field(default_factory=list)   # gate.baselines.WriteSummary
    notes: list[str] = field(default_factory=list)        # unused entries, what pruning did
    failures: list[str] = field(default_factory=list)     # NOT WRITTEN lines
    results_path: Path | None = None                      # the results file, once written
    report: Any = None                                    # report.files.ReportFiles
    history_run: int | None = None                        # the run's id in the history

    def guarded(self, what: str, write: Callable[[], Any]) -> Any:
        from pytest_optbench.gate.baselines import BaselineFileError, LockTimeout

        try:
            return write()
        except (OSError, BaselineFileError, LockTimeout, ValueError) as exc:
            cause = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
            self.failures.append(f"NOT WRITTEN: {what}{where}: {cause}")
            return None


def carry_out(conclusion: Conclusion, options: OptbenchOptions) -> Written:
    """Writes what `conclusion` decided; a write that fails turns an OK exit status into 1."""
    from pytest_optbench.gate.recording import write_baselines

    record, written = conclusion.record, Written()
    if conclusion.write_baselines:
        replace = options.update_baselines
        written.baselines = written.guarded(
            "baselines", lambda: write_baselines(record.results, replace=replace)) or []
    _prune_or_note(conclusion, written)
    record.exitstatus = conclusion.exitstatus   # as the run will end, unless a write fails
    if options.json_path:
        path = options.json_path
        written.guarded(f"results {path}", lambda: write_results(record.to_json(), path))
        if not any(f.startswith("NOT WRITTEN: results") for f in written.failures):
            written.results_path = path
    if options.history_path and record.cases and not record.interrupted:
        history = options.history_path
        written.history_run = written.guarded(f"history {history}", lambda: add_to_history(
            record.to_json(), history, options.rootdir))
    if options.report_dir:
        folder = options.report_dir
        written.report = written.guarded(f"report {folder}", lambda: write_report_of(
            conclusion, folder, options.results_in_report))
    if written.failures and conclusion.exitstatus == OK:
        conclusion.exitstatus = TESTS_FAILED
    return written


def _prune_or_note(conclusion: Conclusion, written: Written) -> None:
    """Say which stored entries no case uses; remove them where pruning was asked for and the
    run allows it (a refusal fails the run)."""
    from pytest_optbench.gate.unused import prune

    results = conclusion.record.results
    for entry in conclusion.unused:
        if not conclusion.prune:
            written.notes.append(entry.describe())
            continue
        outcome = written.guarded("baselines (pruning)",
                                  lambda: prune(entry, results, conclusion.exitstatus))
        if outcome is not None:
            pruned, line = outcome
            (written.notes if pruned else written.failures).append(line)
    if conclusion.prune and not conclusion.unused and conclusion.record.cases:
        written.notes.append("baselines: no unused entries to prune")


def add_to_history(document: dict[str, Any], path: Path, rootdir: Path) -> int | None:
    from pytest_optbench.history.store import append
    from pytest_optbench.history.where import where_now

    return append(path, document, source="session", where=where_now(rootdir))


def write_results(document: dict[str, Any], path: Path) -> None:
    from pytest_optbench.gate.baselines import atomic_write, compact_dumps

    atomic_write(Path(path), compact_dumps(document))


def write_report_of(conclusion: Conclusion, folder: Path,
                    also: frozenset[str] = frozenset()) -> Any:
    from pytest_optbench.contributions import contributions
    from pytest_optbench.report.files import write_report

    record = conclusion.record
    return write_report(record.results, folder, contributions(conclusion.verdicts),
                        document=record.to_json(), warnings=conclusion.warnings, also=also)
