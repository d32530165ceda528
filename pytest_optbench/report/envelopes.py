"""What a run learned beside its verdicts: whether each case reproduced its baseline bitwise,
what its noise envelope left ungated, what the run observed differently, and how this machine
differs from the one that recorded the baselines. Information only: none of it fails a case."""

from __future__ import annotations

import textwrap
from collections import Counter
from typing import Sequence

from pytest_optbench.gate.machine import machine_differences
from pytest_optbench.gate.record import FAILING, CaseResult, Outcome, Status
from pytest_optbench.report.section import Section

NOTE_WIDTH = 100
LISTED = 6   # cases named in a note before "and N more"

HEADERS = ["case", "metric", "what moves under rounding", "status"]


def _named(cases: Sequence[str]) -> str:
    more = f" and {len(cases) - LISTED} more" if len(cases) > LISTED else ""
    return ", ".join(cases[:LISTED]) + more


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(text, NOTE_WIDTH, subsequent_indent="  "))


def bitwise_note(results: Sequence[CaseResult]) -> str | None:
    """'bitwise: 190 of 198 cases reproduced their baselines exactly; 8 did not (...)'."""
    judged = [r for r in results if r.measured and "bitwise" in r.details]
    if not judged:
        return None
    differ = [r.case for r in judged if not r.details["bitwise"]]
    text = f"bitwise: {len(judged) - len(differ)} of {len(judged)} cases reproduced their " \
           f"baselines exactly"
    if differ:
        text += (f"; {len(differ)} did not, which is information, not a verdict (their rows say "
                 f"whether they stayed within their noise envelopes): {_named(differ)}")
    return _wrap(text)


def ungated_rows(results: Sequence[CaseResult]) -> list[tuple[CaseResult, str, str, str]]:
    """(result, metric, what moves, status) of every metric or trajectory point its envelope
    left ungated."""
    found = []
    for result in results:
        for row in result.rows:
            if row.ungated:
                found.append((result, row.metric, row.ungated, str(row.status)))
    return found


def ungated_note(results: Sequence[CaseResult]) -> str | None:
    found = ungated_rows(results)
    if not found:
        return None
    whole = [f"{r.case} {metric}" for r, metric, _, status in found
             if status == Status.NOT_GATED]
    partly = [f"{r.case} {metric}" for r, metric, _, status in found
              if status != Status.NOT_GATED]
    parts = []
    if whole:
        parts.append(f"{len(whole)} metrics move too much under rounding alone to gate and are "
                     f"reported, not gated: {_named(whole)}")
    if partly:
        parts.append(f"{len(partly)} trajectories are gated only on the points that hold under "
                     f"rounding: {_named(partly)}")
    return _wrap("noise envelopes: " + "; ".join(parts) + " (the report lists each)")


def observed_note(results: Sequence[CaseResult]) -> str | None:
    changed = [f"{r.case} ({r.details['observed_changes']})" for r in results
               if r.details.get("observed_changes")]
    if not changed:
        return None
    return _wrap(f"observed, not configured: {len(changed)} cases found the optimizer or the "
                 f"machine behaving differently from their baselines, and were judged on their "
                 f"metrics: {_named(changed)}")


def unmeasured_note(results: Sequence[CaseResult]) -> str | None:
    bare = [r for r in results if r.details.get("no_envelope")]
    if not bare:
        return None
    files = sorted({r.baseline_file for r in bare})
    return _wrap(f"{len(bare)} cases have baselines recorded without a noise envelope "
                 f"({', '.join(files)}): their fixed tolerances may not hold on another machine; "
                 f"record them again with --optbench-update-baselines to measure envelopes")


def tolerance_notes(results: Sequence[CaseResult]) -> list[str]:
    return [_wrap(f"TOLERANCE BELOW ROUNDING NOISE: {r.case}: {warning}")
            for r in results for warning in r.details.get("tolerance_warnings") or ()]


def machine_note(results: Sequence[CaseResult]) -> str | None:
    """One line per way this machine differs from the one that recorded the baselines."""
    counts: Counter[str] = Counter()
    failing: Counter[str] = Counter()
    for result in results:
        if not result.provenance or not result.baseline_provenance:
            continue
        differences = machine_differences(result.provenance, result.baseline_provenance)
        if differences:
            counts[differences] += 1
            failing[differences] += result.status is Outcome.FAILED
    if not counts:
        return None
    lines = [f"this machine differs from the one that recorded the baselines of {count} cases "
             f"({failing[text]} failing): {text}" for text, count in counts.most_common()]
    return "\n".join(_wrap(line) for line in lines)


def powerless_note(results: Sequence[CaseResult]) -> str | None:
    """Checks whose limit no value can cross: they detect nothing, whatever the optimizer."""
    # A case the suite declares non-converging has said so already.
    found = [f"{r.case} {row.metric} ({row.limit})" for r in results for row in r.rows
             if row.powerless and row.status not in FAILING and not r.does_not_converge]
    if not found:
        return None
    return _wrap(f"POWERLESS: {len(found)} checks have a limit beyond every value their metric "
                 f"can take, so they detect nothing: {_named(found)}; such a case sits at "
                 f"chance or never converges: give it a budget in which it learns, or declare "
                 f"it and gate it another way")


def notes(results: Sequence[CaseResult]) -> list[str]:
    found = [machine_note(results), bitwise_note(results), ungated_note(results),
             observed_note(results), unmeasured_note(results), powerless_note(results),
             *tolerance_notes(results)]
    return [note for note in found if note]


def envelope_section(results: Sequence[CaseResult]) -> list[Section]:
    """The report's list of what each case's noise envelope leaves ungated."""
    rows = [[result.case, metric, moves, status]
            for result, metric, moves, status in ungated_rows(results)]
    if not rows:
        return []
    failing = sum(1 for r in results for row in r.rows if row.status in FAILING and row.ungated)
    return [Section("Not gated under rounding", HEADERS, rows, HEADERS, [
        "Each stored value carries how far it moved when its case was re-run under "
        "rounding-sized perturbations (its noise envelope). A value that moves by more than is "
        "worth gating, such as a median of starts that changes basin, is listed here with its "
        "spread; the case is judged on the rest of its metrics and points."
        + (f" {failing} of these rows failed on their gated part." if failing else "")],
        terminal=False)]
