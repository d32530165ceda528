"""The step-time table of reports: what ran, how fast, how much of the device's bandwidth."""

from __future__ import annotations

from typing import Sequence

from pytest_optbench.gate.metrics import format_with_unit
from pytest_optbench.gate.record import CaseResult, Outcome
from pytest_optbench.report.section import Section

# Every row is a step_time[...] case: the first column shows what is inside the brackets,
# less the implementation when the "ran" column says the same.
HEADERS = ["step_time", "ran", "time/step", "params/s", "bytes/s", "bandwidth", "peak memory",
           "status"]
# The terminal leaves out params/s (time/step and bytes/s say as much) to fit 100 columns.
TERMINAL_HEADERS = [h for h in HEADERS if h != "params/s"]


def _timed(results: Sequence[CaseResult]) -> list[CaseResult]:
    ordered = sorted(results, key=lambda r: (r.suite_file, r.order, r.case))
    return [r for r in ordered if (r.details.get("timing") or {}).get("median_s")]


def step_rows(results: Sequence[CaseResult]) -> list[list[str]]:
    rows = []
    for result in _timed(results):
        t = result.details["timing"]
        step = next((row for row in result.rows if row.metric == "step_time"), None)
        name = result.case.removeprefix("step_time[").removesuffix("]")
        name = name.removesuffix("-" + t["implementation"])
        rows.append([name, t["implementation"], format_with_unit(t["median_s"], "s"),
                     format_with_unit(t["params_per_s"], "/s"),
                     format_with_unit(t["bytes_per_s"], "B/s"),
                     format_with_unit(t["bandwidth_share"], "%"),
                     format_with_unit(t["peak_memory_bytes"], "B"),
                     str(step.status) if step else "-"])
    return rows


def bandwidth_notes(results: Sequence[CaseResult]) -> list[str]:
    seen = {}
    for result in _timed(results):
        t = result.details["timing"]
        seen[result.device] = f"{format_with_unit(t['bandwidth_limit'], 'B/s')} " \
                              f"({t['bandwidth_source']})"
    return [f"bandwidth: share of {limit} on {device}" for device, limit in seen.items()]


def sections(results: Sequence[CaseResult]) -> list[Section]:
    rows = step_rows(results)
    if not rows:
        return []
    return [Section("Step time", HEADERS, rows, TERMINAL_HEADERS, bandwidth_notes(results))]


def not_timed_note(results: Sequence[CaseResult]) -> list[str]:
    count = sum(1 for r in results if r.status is Outcome.NOT_TIMED)
    if not count:
        return []
    return [f"step timing disabled: {count} step_time cases ran once, untimed, because "
            f"pytest-benchmark is disabled (under xdist, or with --benchmark-disable)"]
