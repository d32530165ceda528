"""The comparison table (case, metric, value, baseline, delta, limit, status), the step-time
table, and the warnings a run must not hide. Used for the terminal, Markdown and HTML alike."""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

from pytest_optbench.gate.checks import FAILING, IMPROVED, NOT_TIMED, SEVERITY
from pytest_optbench.gate.metrics import ALL_METRICS, format_value, format_with_unit

HEADERS = ["case", "metric", "value", "baseline", "delta", "limit", "status"]
PER_SEED = "per seed"
# Up to this many rows the table shows everything; above, only what needs attention.
FULL_TABLE_ROWS = 40
TERMINAL_WIDTH = 100
MIN_NAME_WIDTH = 20  # below this a shortened case name stops being recognisable
NOTABLE = FAILING | {IMPROVED}
CALM = ("pass", "known", "recorded")


def _unit(metric: str) -> str:
    known = ALL_METRICS.get(metric)
    return known.unit if known else ""


def _shown(value, metric: str) -> str:
    unit = _unit(metric)
    return format_with_unit(value, unit) if unit else format_value(value)


def format_delta(delta: float | None, unit: str = "") -> str:
    if delta is None:
        return "-"
    text = format_with_unit(delta, unit) if unit != "%" else f"{100 * delta:+.1f}%"
    return text if text.startswith(("-", "+")) or delta == 0 else "+" + text


def _sort_key(result: dict) -> tuple:
    return (result.get("suite_file", ""), result.get("order", 0), result.get("case", ""))


def ordered_rows(results: Iterable[dict]) -> list[tuple[dict, dict]]:
    """(result, row) pairs: most severe status first, then in suite order. Untimed step_time
    cases are left out: not_timed_note sums them up once."""
    pairs = [(result, row) for result in sorted(results, key=_sort_key) for row in result["rows"]
             if row["status"] != NOT_TIMED]
    rank = {status: i for i, status in enumerate(SEVERITY)}
    return sorted(pairs, key=lambda pair: rank.get(pair[1]["status"], len(SEVERITY)))


def per_seed_text(result: dict, metric: str) -> str:
    values = (result.get("metrics") or {}).get(metric)
    if not values or isinstance(values[0], list):
        return "-"
    return " ".join(_shown(v, metric) for v in values)


def cell_values(result: dict, row: dict, several_suites: bool, per_seed: bool = False) -> list[str]:
    cells = [(f"{result['suite']}::" if several_suites else "") + row["case"], row["metric"],
             _shown(row["value"], row["metric"]), _shown(row["baseline"], row["metric"]),
             format_delta(row["delta"], _unit(row["metric"])), row["limit"] or "-", row["status"]]
    if per_seed:
        cells.append(per_seed_text(result, row["metric"]))
    return cells


def split_cells(results: Sequence[dict], per_seed: bool = False
                ) -> tuple[list[list[str]], list[list[str]]]:
    """The table's cells, split into rows that need attention and calm (passing) rows,
    each in table order: what Markdown and HTML show in the open and what they fold away."""
    pairs = ordered_rows(results)
    several = len({r["suite"] for r in results}) > 1
    attention, calm = [], []
    for result, row in pairs:
        (calm if row["status"] in CALM else attention).append(
            cell_values(result, row, several, per_seed=per_seed))
    return attention, calm


def _cut_middle(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


def _shorten(text: str, width: int) -> str:
    """Shorten a long case name to `width`. Its problem and the start and end of its
    "[optimizer-...]" part are what people look for, so the cut goes inside the brackets
    when the problem name leaves room, and into the problem name otherwise."""
    if len(text) <= width:
        return text
    bracket = text.find("[")
    if bracket >= 0 and bracket + 1 + 9 <= width:
        return text[:bracket + 1] + _cut_middle(text[bracket + 1:], width - bracket - 1)
    if bracket >= 0:
        problem_room = max(7, width // 2 - 1)
        return _cut_middle(text[:bracket], problem_room) + _cut_middle(text[bracket:],
                                                                       width - problem_room)
    return _cut_middle(text, width)


def _tabulate_within(rows: list[list[str]], headers: Sequence[str], width: int,
                     fit: int | None) -> str:
    """A plain-text table; when it is wider than `width`, the names in column `fit` are cut
    by the overflow (measured on the rendered table, since tabulate pads its headers)."""
    from tabulate import tabulate

    def draw() -> str:
        return tabulate(rows, headers=list(headers), tablefmt="simple", disable_numparse=True)

    text = draw()
    overflow = max(len(line) for line in text.splitlines()) - width
    if fit is not None and overflow > 0:
        room = max(MIN_NAME_WIDTH, max(len(row[fit]) for row in rows) - overflow)
        for row in rows:
            row[fit] = _shorten(row[fit], room)
        text = draw()
    return text


def render_table(results: Sequence[dict], verbose: bool = False,
                 columns: Sequence[str] | None = None, width: int = TERMINAL_WIDTH) -> str:
    pairs = ordered_rows(results)
    several = len({r["suite"] for r in results}) > 1
    shown = pairs if verbose or len(pairs) <= FULL_TABLE_ROWS else \
        [p for p in pairs if p[1]["status"] in NOTABLE]
    headers = HEADERS + ([PER_SEED] if verbose else [])
    chosen = [h for h in headers if columns is None or h in columns or (verbose and h == PER_SEED)]
    lines = []
    if shown:
        rows = [cell_values(r, row, several, per_seed=verbose) for r, row in shown]
        index = [headers.index(h) for h in chosen]
        rows = [[row[i] for i in index] for row in rows]
        fit = chosen.index("case") if "case" in chosen and not verbose else None
        lines.append(_tabulate_within(rows, chosen, width, fit))
    hidden = len(pairs) - len(shown)
    if hidden:
        quiet = len({r["nodeid"] for r, row in pairs} - {r["nodeid"] for r, row in shown})
        lines.append(f"... {hidden} passing rows not shown; {quiet} cases had nothing to report "
                     f"(-v shows every row)")
    return "\n".join(lines)


# Every row is a step_time[...] case: the first column shows what is inside the brackets,
# less the implementation when the "ran" column says the same.
STEP_HEADERS = ["step_time", "ran", "time/step", "params/s", "bytes/s", "bandwidth",
                "peak memory", "status"]
# The terminal leaves out params/s (time/step and bytes/s say as much) to fit 100 columns.
TERMINAL_STEP_HEADERS = [h for h in STEP_HEADERS if h != "params/s"]


def _timed(results: Sequence[dict]) -> list[dict]:
    return [r for r in sorted(results, key=_sort_key) if r.get("kind") == "timing"
            and r.get("timing") and r["timing"].get("median_s")]


def step_rows(results: Sequence[dict]) -> list[list[str]]:
    rows = []
    for result in _timed(results):
        t = result["timing"]
        step = next((row for row in result["rows"] if row["metric"] == "step_time"), None)
        name = result["case"].removeprefix("step_time[").removesuffix("]")
        name = name.removesuffix("-" + t["implementation"])
        rows.append([name, t["implementation"], format_with_unit(t["median_s"], "s"),
                     format_with_unit(t["params_per_s"], "/s"),
                     format_with_unit(t["bytes_per_s"], "B/s"),
                     format_with_unit(t["bandwidth_share"], "%"),
                     format_with_unit(t["peak_memory_bytes"], "B"), step["status"] if step else "-"])
    return rows


def bandwidth_notes(results: Sequence[dict]) -> list[str]:
    seen = {}
    for result in _timed(results):
        t = result["timing"]
        seen[result["device"]] = f"{format_with_unit(t['bandwidth_limit'], 'B/s')} " \
                                 f"({t['bandwidth_source']})"
    return [f"bandwidth: share of {limit} on {device}" for device, limit in seen.items()]


def render_step_table(results: Sequence[dict], width: int = TERMINAL_WIDTH) -> str:
    """One row per timed case: what ran, how fast, how much of the device's bandwidth."""
    rows = step_rows(results)
    if not rows:
        return ""
    keep = [STEP_HEADERS.index(h) for h in TERMINAL_STEP_HEADERS]
    rows = [[row[i] for i in keep] for row in rows]
    return "\n".join([_tabulate_within(rows, TERMINAL_STEP_HEADERS, width, 0),
                      *bandwidth_notes(results)])


def not_timed_note(results: Sequence[dict]) -> str:
    count = sum(1 for r in results if r.get("status") == NOT_TIMED)
    if not count:
        return ""
    return (f"step timing disabled: {count} step_time cases ran once, untimed, because "
            f"pytest-benchmark is disabled (under xdist, or with --benchmark-disable)")


def run_warnings(results: Sequence[dict], selected: int | None = None) -> list[str]:
    """What must not look like a pass: no case ran, or nothing met a stored baseline.
    `selected`: how many optbench cases the session selected, where known."""
    warnings = []
    ran = [r for r in results if r.get("status") not in ("skipped", NOT_TIMED)]
    if not ran:
        skipped = [r for r in results if r.get("status") == "skipped"]
        reasons = sorted({r.get("reason", "") for r in skipped} - {""})
        if skipped:
            detail = f": {len(skipped)} skipped ({'; '.join(reasons)})"
        elif selected is not None:
            cases = "1 optbench case was" if selected == 1 else f"{selected} optbench cases were"
            detail = f": {cases} selected and none reported a result"
        else:
            detail = ""
        warnings.append(f"NO CASE RAN{detail}. Nothing was checked.")
        return warnings
    recording = all(r.get("update") for r in ran)
    compared = sum(1 for r in ran for row in r["rows"] if row.get("compared"))
    if not compared and not recording:
        warnings.append("NOTHING WAS COMPARED WITH A STORED BASELINE: no case had one for this "
                        "device and data, or the suites ask for none. Only absolute thresholds "
                        "were checked; this run is not a regression gate.")
    return warnings


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
