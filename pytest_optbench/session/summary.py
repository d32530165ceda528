"""The lines a run ends with, in the terminal (pytest's summary, `optbench merge`): the table,
the kinds' sections, the claims, the warnings and what was written, each with its colour."""

from __future__ import annotations

from typing import Any, Iterator

from pytest_optbench.session.conclude import Conclusion
from pytest_optbench.session.writer import Written
from pytest_optbench.settings import OptbenchOptions

RED = {"red": True, "bold": True}
YELLOW = {"yellow": True}
PLAIN: dict[str, bool] = {}

Line = tuple[str, dict[str, bool]]


def summary_lines(conclusion: Conclusion, written: Written, options: OptbenchOptions) -> list[Line]:
    """Under -q the table's notable rows and the summary line; under -qq the failures alone."""
    lines = [*_results(conclusion, options), *_claims(conclusion),
             *((w, RED) for w in conclusion.warnings), *_writes(conclusion, written, options)]
    if options.verbose <= -2:
        return [(text, markup) for text, markup in lines if markup is RED]
    return lines


def _results(conclusion: Conclusion, options: OptbenchOptions) -> Iterator[Line]:
    from pytest_optbench.contributions import notes, sections
    from pytest_optbench.gate.record import FAILING
    from pytest_optbench.report.table import (NOTABLE, device_line, render_section,
                                              render_table, summary_line)

    results = conclusion.record.results
    if not results:
        return   # the warnings say it all
    if options.verbose < 0:
        quietest = options.verbose <= -2
        table = render_table(results, columns=options.columns,
                             only=FAILING if quietest else frozenset(NOTABLE))
        yield from [(table, RED if quietest else PLAIN)] if table else []
        yield summary_line(results), PLAIN
        return
    texts = (render_table(results, verbose=options.verbose > 0, columns=options.columns),
             *(render_section(section) for section in sections(results)
               if section.terminal or options.verbose > 0),
             *notes(results), device_line(results), summary_line(results))
    yield from ((text, PLAIN) for text in texts if text)


def _claims(conclusion: Conclusion) -> Iterator[Line]:
    if conclusion.claims_deferred and any(i.claims for i in conclusion.record.suites.values()):
        yield f"claims: not judged in a shard; {conclusion.claims_deferred}", YELLOW
    if not conclusion.verdicts:
        return
    from pytest_optbench.report.claims import claims_section
    from pytest_optbench.report.table import render_section

    yield render_section(claims_section(conclusion.verdicts)[0]), PLAIN
    for verdict in conclusion.verdicts:
        if verdict.failed:
            yield f"CLAIM FAILED: {verdict.explanation()}", RED


def _writes(conclusion: Conclusion, written: Written, options: OptbenchOptions) -> Iterator[Line]:
    record = conclusion.record
    if options.update_baselines or options.add_baselines:
        yield from _baseline_lines(conclusion, written, options)
    yield from ((note, YELLOW) for note in written.notes)
    if written.results_path is not None:
        yield f"results written to {written.results_path}", PLAIN
    if written.history_run is not None:
        yield f"history {options.history_path}: added as run #{written.history_run}", PLAIN
    yield from ((failure, RED) for failure in written.failures)
    if written.report is not None:
        yield written.report.describe(), PLAIN
        if written.report.note:
            yield written.report.note, YELLOW
    if record.shard is not None and record.shard.count > 1:
        size = record.shard.size_of(record.shard.index)
        yield (f"{record.shard.label}: {size} of {sum(record.shard.sizes)} selected cases; "
               f"merge the shards' results files with: optbench merge SHARD.json... "
               f"--out merged.json"), PLAIN


def _baseline_lines(conclusion: Conclusion, written: Written,
                    options: OptbenchOptions) -> Iterator[Line]:
    if conclusion.record.interrupted:
        yield "baselines NOT written: the run was interrupted; the files are unchanged", PLAIN
        return
    if conclusion.baselines_deferred:
        yield conclusion.baselines_deferred, YELLOW
        return
    yield from ((line, PLAIN) for line in baseline_write_lines(written.baselines,
                                                                options.add_baselines))
    from pytest_optbench.gate.recording import recordable

    yield from ((line, PLAIN) for line in not_recorded_lines(recordable(
        conclusion.record.results)[1]))


def baseline_write_lines(summaries: list[Any], kept_as_stored: bool = False) -> list[str]:
    """What each baseline write changed: counts, and the cases whose values were replaced."""
    lines = []
    for summary in summaries:
        kept = ", kept as stored" if kept_as_stored else ""
        lines.append(f"baselines {summary.path}: {len(summary.added)} added, "
                     f"{len(summary.updated)} updated, {len(summary.unchanged)} unchanged{kept}")
        if summary.updated:
            # The table shows their old and new values, status "accepted".
            lines.append("  updated: " + ", ".join(summary.updated))
    return lines


def not_recorded_lines(refused: list[Any]) -> list[str]:
    from pytest_optbench.gate.record import Outcome

    lines = []
    for result in refused:
        why = "diverged" if result.divergence else \
            f"not timed: {result.reason}" if result.status is Outcome.NOT_TIMED else \
            "raised an error"
        lines.append(f"not recorded: {result.case} ({why})")
    return lines
