"""The comparison table: case, metric, value, baseline, delta, limit, status."""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

from .checks import FAILING, IMPROVED, NOT_TIMED, SEVERITY
from .metrics import ALL_METRICS, format_value, format_with_unit

HEADERS = ["case", "metric", "value", "baseline", "delta", "limit", "status"]
# Up to this many rows the table shows everything; above, only what needs attention.
FULL_TABLE_ROWS = 40
NOTABLE = FAILING | {IMPROVED}


def format_delta(delta: float | None, unit: str = "") -> str:
    if delta is None:
        return "-"
    text = format_with_unit(delta, unit) if unit != "%" else f"{100 * delta:+.1f}%"
    return text if text.startswith(("-", "+")) or delta == 0 else "+" + text


def _shown(value, metric: str) -> str:
    known = ALL_METRICS.get(metric)
    return format_with_unit(value, known.unit) if known else format_value(value)


def _sort_key(result: dict) -> tuple:
    return (result.get("suite_file", ""), result.get("order", 0), result.get("case", ""))


def ordered_rows(results: Iterable[dict]) -> list[tuple[dict, dict]]:
    """(result, row) pairs: most severe status first, then in suite order."""
    # Untimed step_time cases are summed up once, by not_timed_note, not listed.
    pairs = [(result, row) for result in sorted(results, key=_sort_key) for row in result["rows"]
             if row["status"] != NOT_TIMED]
    rank = {status: i for i, status in enumerate(SEVERITY)}
    return sorted(pairs, key=lambda pair: rank.get(pair[1]["status"], len(SEVERITY)))


def render_table(results: Sequence[dict], verbose: bool = False) -> str:
    from tabulate import tabulate

    pairs = ordered_rows(results)
    several_suites = len({r["suite"] for r in results}) > 1
    shown = pairs if verbose or len(pairs) <= FULL_TABLE_ROWS else \
        [p for p in pairs if p[1]["status"] in NOTABLE]
    lines = []
    if shown:
        table = [[(f"{r['suite']}::" if several_suites else "") + row["case"], row["metric"],
                  _shown(row["value"], row["metric"]), _shown(row["baseline"], row["metric"]),
                  format_delta(row["delta"], _unit(row["metric"])), row["limit"] or "-",
                  row["status"]]
                 for r, row in shown]
        lines.append(tabulate(table, headers=HEADERS, tablefmt="simple", disable_numparse=True))
    hidden = len(pairs) - len(shown)
    if hidden:
        quiet = len({r["nodeid"] for r, row in pairs} - {r["nodeid"] for r, row in shown})
        lines.append(f"... {hidden} passing rows not shown; {quiet} cases had nothing to report "
                     f"(-v shows every row)")
    return "\n".join(lines)


def _unit(metric: str) -> str:
    known = ALL_METRICS.get(metric)
    return known.unit if known else ""


STEP_HEADERS = ["case", "ran", "time/step", "params/s", "bytes/s", "of bandwidth", "peak memory",
                "status"]


def render_step_table(results: Sequence[dict]) -> str:
    """One row per timed case: what ran, how fast, how much of the device's bandwidth."""
    from tabulate import tabulate

    timed = [r for r in sorted(results, key=_sort_key) if r.get("kind") == "timing"
             and r.get("timing") and r["timing"].get("median_s")]
    if not timed:
        return ""
    rows = []
    for result in timed:
        t = result["timing"]
        step = next((row for row in result["rows"] if row["metric"] == "step_time"), None)
        rows.append([result["case"], t["implementation"], format_with_unit(t["median_s"], "s"),
                     format_with_unit(t["params_per_s"], "/s"), format_with_unit(t["bytes_per_s"], "B/s"),
                     f"{format_with_unit(t['bandwidth_share'], '%')} of "
                     f"{format_with_unit(t['bandwidth_limit'], 'B/s')} ({t['bandwidth_source']})",
                     format_with_unit(t["peak_memory_bytes"], "B"), step["status"] if step else "-"])
    return tabulate(rows, headers=STEP_HEADERS, tablefmt="simple", disable_numparse=True)


def not_timed_note(results: Sequence[dict]) -> str:
    count = sum(1 for r in results if r.get("status") == NOT_TIMED)
    if not count:
        return ""
    return (f"step timing disabled: {count} step_time cases ran once, untimed, because "
            f"pytest-benchmark is disabled (under xdist, or with --benchmark-disable)")


def summary_line(results: Sequence[dict]) -> str:
    statuses = Counter(r["status"] for r in results)
    row_statuses = Counter(row["status"] for r in results for row in r["rows"])
    parts = [f"{len(results)} cases", f"{statuses['passed']} passed"]
    for name in ("failed", "error", "skipped", NOT_TIMED):
        if statuses[name]:
            parts.append(f"{statuses[name]} {name}")
    text = "optbench: " + ", ".join(parts)
    problems = [f"{row_statuses[s]} {s}" for s in SEVERITY if s in FAILING and row_statuses[s]]
    if problems:
        text += " (" + ", ".join(problems) + ")"
    compared = sum(1 for r in results for row in r["rows"] if row.get("compared"))
    text += f"; {compared} metrics compared with a baseline"
    return text
