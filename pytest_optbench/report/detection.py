"""The report's power tables: per case, its noise envelope and the smallest change of its
optimizer its gate detects (--optbench-power); per optimizer, its most sensitive case; and a
warning for an optimizer that no case protects from a 5% change."""

from __future__ import annotations

import textwrap
from typing import Any, Sequence

from pytest_optbench.gate.record import CaseResult
from pytest_optbench.report.section import Section

WANTED = 0.05   # an optimizer none of whose cases detects this change is reported
CASE_HEADERS = ["case", "optimizer", "smallest change detected", "first failing metric",
                "trajectory margin", "runs"]
OPTIMIZER_HEADERS = ["optimizer", "most sensitive case", "detects", "cases measured"]


def _measured(results: Sequence[CaseResult]) -> list[tuple[CaseResult, dict[str, Any]]]:
    return [(r, r.details["power"]) for r in results if isinstance(r.details.get("power"), dict)]


def _change(power: dict[str, Any]) -> str:
    delta = power.get("detected")
    if delta is None:
        return "none up to 10%"
    return f"{power.get('sign', '')}{100 * delta:g}%"


def _margin(result: CaseResult) -> str:
    for row in result.rows:
        if row.metric == "trajectory":
            return row.limit or "-"
    return "-"


def _rank(power: dict[str, Any]) -> float:
    delta = power.get("detected")
    return float("inf") if delta is None else float(delta)


def weakest_optimizers(results: Sequence[CaseResult]) -> list[tuple[str, list[str]]]:
    """Optimizers none of whose measured cases detects a WANTED change, with their cases."""
    by_optimizer: dict[str, list[tuple[CaseResult, dict[str, Any]]]] = {}
    for result, power in _measured(results):
        by_optimizer.setdefault(result.optimizer, []).append((result, power))
    return [(name, [r.case for r, _ in cases]) for name, cases in sorted(by_optimizer.items())
            if all(_rank(p) > WANTED for _, p in cases)]


def power_notes(results: Sequence[CaseResult]) -> list[str]:
    measured = _measured(results)
    if not measured:
        return []
    detected = sorted(_rank(p) for _, p in measured)
    small = sum(1 for d in detected if d <= 0.001)
    middle = detected[len(detected) // 2]
    median = _change({"detected": None if middle == float("inf") else middle})
    lines = [f"power: {small} of {len(measured)} cases detect a 0.1% change of their "
             f"optimizer's update; the median case detects {median}"]
    for name, cases in weakest_optimizers(results):
        lines.append(f"LOW POWER: no case of optimizer {name} detects a {100 * WANTED:g}% change "
                     f"of its update ({', '.join(cases)}): its cases may never come near a "
                     f"minimum; add one that does, or run it longer")
    return ["\n".join(textwrap.wrap(line, 100, subsequent_indent="  ")) for line in lines]


def power_sections(results: Sequence[CaseResult]) -> list[Section]:
    measured = _measured(results)
    if not measured:
        return []
    ordered = sorted(measured, key=lambda item: (-_rank(item[1]), item[0].case))
    rows = [[r.case, r.optimizer, _change(p), p.get("metric", "-"), _margin(r), str(p["runs"])]
            for r, p in ordered]
    best: dict[str, tuple[CaseResult, dict[str, Any], int]] = {}
    for result, power in measured:
        seen = best.get(result.optimizer)
        count = (seen[2] if seen else 0) + 1
        if seen is None or _rank(power) < _rank(seen[1]):
            best[result.optimizer] = (result, power, count)
        else:
            best[result.optimizer] = (seen[0], seen[1], count)
    per_optimizer = [[name, r.case, _change(p), str(n)]
                     for name, (r, p, n) in sorted(best.items(), key=lambda i: (-_rank(i[1][1]), i[0]))]
    note = ("Each case was run again with every step's update scaled by 1 ± δ, δ from 0.1% to "
            "10%, and checked against its baseline and noise envelope as a real run is; the "
            "smallest δ that failed is its power. Weakest first.")
    return [Section("Power per case", CASE_HEADERS, rows, CASE_HEADERS[:4], [note],
                    terminal=False),
            Section("Power per optimizer", OPTIMIZER_HEADERS, per_optimizer, OPTIMIZER_HEADERS,
                    power_notes(results)[1:], terminal=False)]
