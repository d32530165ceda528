"""How each analytic optimizer was run: the start isolation its probe chose and the step
protocol it spoke. A batched run is only as trustworthy as its isolation, so reports show it
beside the numbers, not only in the JSON."""

from __future__ import annotations

import textwrap
from collections import Counter
from typing import Sequence

from pytest_optbench.gate.record import CaseResult
from pytest_optbench.report.section import Section

HEADERS = ["optimizer", "class", "start isolation", "protocol", "cases", "probe"]
TERMINAL_HEADERS = ["optimizer", "start isolation", "protocol", "cases"]
NOTE_WIDTH = 100  # the terminal table's width


def _ran(results: Sequence[CaseResult]) -> list[CaseResult]:
    ordered = sorted(results, key=lambda r: (r.suite_file, r.order, r.case))
    return [r for r in ordered if r.details.get("isolation")]


def run_rows(results: Sequence[CaseResult]) -> list[list[str]]:
    """One row per optimizer and way it ran; an optimizer whose probe chose differently on
    different problems (a matrix problem, another dtype) has a row for each."""
    groups: dict[tuple[str, str, str, str], list[CaseResult]] = {}
    for result in _ran(results):
        details = result.details
        key = (result.optimizer, result.optimizer_class,
               details.get("isolation_chosen") or details["isolation"],
               details.get("protocol") or "-")
        groups.setdefault(key, []).append(result)
    rows = []
    for (optimizer, cls, isolation, protocol), members in groups.items():
        probe = sum(float(r.details.get("isolation_probe_s") or 0.0) for r in members)
        rows.append([optimizer, cls, isolation, protocol, str(len(members)), f"{probe:.2f} s"])
    return rows


def sections(results: Sequence[CaseResult]) -> list[Section]:
    rows = run_rows(results)
    if not rows:
        return []
    return [Section("How each optimizer ran", HEADERS, rows, TERMINAL_HEADERS,
                    isolation_notes(results), terminal=False)]


def isolation_notes(results: Sequence[CaseResult]) -> list[str]:
    """One line: how many analytic cases ran under each start isolation, and the probe's
    share of their time (a case's wall time leaves out its probe)."""
    ran = _ran(results)
    if not ran:
        return []
    counts = Counter(r.details["isolation"] for r in ran)
    seeded = sum(1 for r in ran if r.details.get("isolation_seeded"))
    ignored = sum(1 for r in ran if "closure ignored" in (r.details.get("protocol") or ""))
    probe = sum(float(r.details.get("isolation_probe_s") or 0.0) for r in ran)
    wall = sum(float(r.wall_time_s or 0.0) for r in ran)
    parts = ", ".join(f"{name} {count}" for name, count in counts.most_common())
    extra = (f"; {seeded} seeded start by start (the optimizer draws random numbers)"
             if seeded else "")
    extra += (f"; {ignored} stepped on gradients computed first (step ignored its closure)"
              if ignored else "")
    share = f"; probe {probe:.1f} s, runs {wall:.1f} s" if wall > 0 else ""
    cases = "1 analytic case" if len(ran) == 1 else f"{len(ran)} analytic cases"
    text = f"start isolation (verified exact) of {cases}: {parts}{extra}{share}"
    return ["\n".join(textwrap.wrap(text, NOTE_WIDTH, subsequent_indent="  "))]
