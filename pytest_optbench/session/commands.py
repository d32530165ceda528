"""The `optbench` commands that work on run records: `report` (draw a saved run again), `merge`
(shards into one verdict) and `accept` (write the baselines a complete record measured). Each
goes through the same conclude() as a live session. Exit statuses: 0 fine, 1 the run's verdict
is not a pass, 2 unusable input."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

from pytest_optbench.session.record import OK, TESTS_FAILED, RunRecord
from pytest_optbench.settings import OptbenchOptions

UNUSABLE = 2


def _error(text: str) -> int:
    print(f"error: {text}", file=sys.stderr)
    return UNUSABLE


def read_record(path: Path) -> RunRecord:
    """ResultsFileError where the file is not a results file of this format."""
    from pytest_optbench.gate.results_file import ResultsFileError, read_results

    document = read_results(path)
    try:
        return RunRecord.from_json(document, source=str(path))
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ResultsFileError(f"{path}: found a malformed results file ({type(exc).__name__}: "
                               f"{exc}); expected one written with --optbench-json or "
                               f"--optbench-report") from None


def report_command(results: Path, out: Path) -> int:
    from pytest_optbench.gate.results_file import ResultsFileError
    from pytest_optbench.report.ownership import ForeignFiles
    from pytest_optbench.session.conclude import conclude
    from pytest_optbench.session.writer import write_report_of

    try:
        record = read_record(results)
    except ResultsFileError as exc:
        return _error(str(exc))
    conclusion = conclude(record, OptbenchOptions.for_files(report_dir=out), look_for_unused=False)
    try:
        report = write_report_of(conclusion, out)
    except ForeignFiles as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"{out}: cannot be written ({exc.strerror or exc})")
    print(report.describe())
    if report.note:
        print(report.note)
    return OK


def merge_command(files: Sequence[Path], out: Path, report: Path | None,
                  fail_on_regression: bool, verbose: bool) -> int:
    """The shards' results as one run: claims judged on the whole, unused entries named. Exits
    1 when the merge lacks a shard (or a shard was interrupted), and with --fail-on-regression
    whenever a full run would."""
    from pytest_optbench.gate.results_file import ResultsFileError
    from pytest_optbench.session.conclude import conclude
    from pytest_optbench.session.merge import MergeError, merge
    from pytest_optbench.session.summary import summary_lines
    from pytest_optbench.session.writer import carry_out

    try:
        records = [read_record(Path(path)) for path in files]
        merged = merge(records, as_shards=True)
    except (ResultsFileError, MergeError) as exc:
        return _error(str(exc))
    options = OptbenchOptions.for_files(json_path=out, report_dir=report, verbose=int(verbose))
    conclusion = conclude(merged, options)
    written = carry_out(conclusion, options)
    for text, _ in summary_lines(conclusion, written, options):
        print(text)
    if merged.missing or written.failures:
        return TESTS_FAILED
    return conclusion.exitstatus if fail_on_regression else OK


def accept_command(path: Path, baseline_dir: Path | None) -> int:
    """Write the baselines a complete record measured (shards run with
    --optbench-update-baselines, then merged), with the lock, atomic replace and listing of an
    in-session update. `baseline_dir`: write there, each file under its own name, instead of
    where the shards' jobs kept them."""
    from pytest_optbench.gate.recording import recordable, write_baselines
    from pytest_optbench.gate.results_file import ResultsFileError
    from pytest_optbench.session.summary import baseline_write_lines, not_recorded_lines
    from pytest_optbench.session.writer import Written

    try:
        record = read_record(path)
    except ResultsFileError as exc:
        return _error(str(exc))
    refusal = acceptance_refusal(record)
    if refusal:
        return _error(f"{path}: {refusal}; the baselines are unchanged")

    def where(stored: str) -> Path:
        return baseline_dir / Path(stored).name if baseline_dir is not None else Path(stored)

    written = Written()
    summaries = written.guarded("baselines", lambda: write_baselines(
        record.results, replace=True, where=where)) or []
    for line in baseline_write_lines(summaries) + not_recorded_lines(
            recordable(record.results)[1]):
        print(line)
    for failure in written.failures:
        print(failure, file=sys.stderr)
    return TESTS_FAILED if written.failures else OK


def acceptance_refusal(record: RunRecord) -> str:
    """Why a record's measurements must not become baselines, or ""."""
    if record.shard is not None and record.shard.count > 1:
        return (f"found {record.shard.label} alone; expected a merged record: merge every "
                f"shard with optbench merge SHARD.json... --out merged.json, then accept that")
    if record.missing:
        return f"found an incomplete merge ({'; '.join(record.missing)}); expected every shard"
    if record.interrupted or not record.complete:
        return "found an interrupted or incomplete run; expected one in which every selected " \
               "case reported"
    if not any(result.update for result in record.results):
        return ("found a run that recorded nothing; expected one run with "
                "--optbench-update-baselines (each shard job with it too)")
    return ""
