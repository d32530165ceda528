"""The comparison table: case, metric, value, baseline, delta, limit, status."""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

from .checks import FAILING, IMPROVED, SEVERITY
from .metrics import format_value

HEADERS = ["case", "metric", "value", "baseline", "delta", "limit", "status"]
# Up to this many rows the table shows everything; above, only what needs attention.
FULL_TABLE_ROWS = 40
NOTABLE = FAILING | {IMPROVED}


def format_delta(delta: float | None) -> str:
    if delta is None:
        return "-"
    text = format_value(delta)
    return text if text.startswith("-") or delta == 0 else "+" + text


def _sort_key(result: dict) -> tuple:
    return (result.get("suite_file", ""), result.get("order", 0), result.get("case", ""))


def ordered_rows(results: Iterable[dict]) -> list[tuple[dict, dict]]:
    """(result, row) pairs: most severe status first, then in suite order."""
    pairs = [(result, row) for result in sorted(results, key=_sort_key) for row in result["rows"]]
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
                  format_value(row["value"]), format_value(row["baseline"]),
                  format_delta(row["delta"]), row["limit"] or "-", row["status"]]
                 for r, row in shown]
        lines.append(tabulate(table, headers=HEADERS, tablefmt="simple", disable_numparse=True))
    hidden = len(pairs) - len(shown)
    if hidden:
        quiet = len({r["nodeid"] for r, row in pairs} - {r["nodeid"] for r, row in shown})
        lines.append(f"... {hidden} passing rows not shown; {quiet} cases had nothing to report "
                     f"(-v shows every row)")
    return "\n".join(lines)


def summary_line(results: Sequence[dict]) -> str:
    statuses = Counter(r["status"] for r in results)
    row_statuses = Counter(row["status"] for r in results for row in r["rows"])
    parts = [f"{len(results)} cases", f"{statuses['passed']} passed"]
    for name in ("failed", "error", "skipped"):
        if statuses[name]:
            parts.append(f"{statuses[name]} {name}")
    text = "optbench: " + ", ".join(parts)
    problems = [f"{row_statuses[s]} {s}" for s in SEVERITY if s in FAILING and row_statuses[s]]
    if problems:
        text += " (" + ", ".join(problems) + ")"
    compared = sum(1 for r in results for row in r["rows"] if row.get("compared"))
    text += f"; {compared} metrics compared with a baseline"
    return text
