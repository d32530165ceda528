"""Where this run's numbers and the baselines' came from, side by side: torch, the device or
CPU model, the CPU kernel path and threads (what decides rounding), and when."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from pytest_optbench.gate.record import CaseResult

HEADERS = ["", "cases", "torch", "device", "CPU kernel path", "threads", "recorded"]


def _key(p: Mapping[str, Any]) -> tuple[str, ...]:
    device = str(p.get("device") or "?")
    if p.get("device_type") == "cuda" and p.get("cpu"):
        device += f" (host {p.get('cpu')})"
    return (str(p.get("torch_build") or p.get("torch") or "?"), device,
            str(p.get("cpu_capability") or "-"), str(p.get("threads") or "-"),
            str(p.get("recorded") or "?")[:10])


def provenance_rows(results: Sequence[CaseResult]) -> list[list[str]]:
    """One row per distinct provenance of the run and of its baselines, with its case count;
    the date is the day (a run's cases differ by seconds)."""
    rows: list[list[str]] = []
    for which, field in (("this run", "provenance"), ("baseline", "baseline_provenance")):
        counts: dict[tuple[str, ...], int] = {}
        for result in results:
            found = getattr(result, field)
            if isinstance(found, dict) and found:
                key = _key(found)
                counts[key] = counts.get(key, 0) + 1
        rows += [[which, str(count), *key] for key, count in sorted(counts.items())]
    return rows
