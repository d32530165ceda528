"""The comparison table (case, metric, value, baseline, delta, limit, status), the kinds' own
tables, and the warnings a run must not hide. Used for the terminal, Markdown and HTML alike."""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Protocol, Sequence

from pytest_optbench.gate.metrics import format_with_unit
from pytest_optbench.gate.record import FAILING, SEVERITY, CaseResult, Outcome, Row, Status
from pytest_optbench.report.columns import COLUMNS, PER_SEED
from pytest_optbench.report.section import Section

HEADERS = list(COLUMNS)


class TableCase(Protocol):
    """What the table reads of a case: a CaseResult, or a case of `compare`."""

    @property
    def suite(self) -> str: ...
    @property
    def suite_file(self) -> str: ...
    @property
    def order(self) -> int: ...
    @property
    def case(self) -> str: ...
    @property
    def nodeid(self) -> str: ...
    @property
    def status(self) -> Outcome: ...
    @property
    def rows(self) -> list[Row]: ...
    @property
    def metrics(self) -> dict[str, list[Any]]: ...
# Up to this many rows the table shows everything; above, only what needs attention.
FULL_TABLE_ROWS = 40
TERMINAL_WIDTH = 100
MIN_NAME_WIDTH = 20  # below this a shortened case name stops being recognisable
NOTABLE = FAILING | {Status.IMPROVED, Status.ACCEPTED}
CALM = (Status.PASS, Status.KNOWN, Status.RECORDED)


def format_delta(delta: float | None, unit: str = "") -> str:
    if delta is None:
        return "-"
    text = format_with_unit(delta, unit) if unit != "%" else f"{100 * delta:+.1f}%"
    return text if text.startswith(("-", "+")) or delta == 0 else "+" + text


def _sort_key(result: TableCase) -> tuple[str, int, str]:
    return (result.suite_file, result.order, result.case)


def ordered_rows(results: Iterable[TableCase]) -> list[tuple[TableCase, Row]]:
    """(result, row) pairs: most severe status first, then in suite order. Untimed step_time
    cases are left out: the step-time kind's note sums them up once; so are the rows of suites
    that have no baseline yet, which `first_run_lines` sums up in one line each."""
    results = list(results)
    unrecorded = unrecorded_rows(results)
    pairs = [(result, row) for result in sorted(results, key=_sort_key) for row in result.rows
             if row.status is not Status.NOT_TIMED and id(row) not in unrecorded]
    rank = {status: i for i, status in enumerate(SEVERITY)}
    return sorted(pairs, key=lambda pair: rank.get(pair[1].status, len(SEVERITY)))


NO_BASELINE = "no baseline for "
RECORD_WITH = "; record it with: "


def _first_run_groups(results: Sequence[TableCase]) -> dict[tuple[str, str], list[tuple[TableCase, Row]]]:
    """The MISSING rows of each suite in which no metric met a stored baseline, grouped by suite
    file and context: a first run, whose table would otherwise list every metric of every case."""
    by_suite: dict[str, list[TableCase]] = {}
    for result in results:
        by_suite.setdefault(result.nodeid.partition("::")[0], []).append(result)
    groups: dict[tuple[str, str], list[tuple[TableCase, Row]]] = {}
    for suite_file, cases in by_suite.items():
        rows = [(case, row) for case in cases for row in case.rows]
        if any(row.compared or row.status is Status.STALE for _, row in rows):
            continue
        for case, row in rows:
            if row.status is Status.MISSING and row.detail.startswith(NO_BASELINE) \
                    and RECORD_WITH in row.detail:
                where = row.detail[len(NO_BASELINE):].split(";")[0]
                groups.setdefault((suite_file, where), []).append((case, row))
    return groups


def unrecorded_rows(results: Sequence[TableCase]) -> set[int]:
    return {id(row) for rows in _first_run_groups(results).values() for _, row in rows}


def first_run_lines(results: Sequence[TableCase]) -> list[str]:
    """One line per suite with no stored baseline yet, with the command that records them all."""
    import shlex

    lines = []
    for (suite_file, where), rows in sorted(_first_run_groups(results).items()):
        case, row = rows[0]
        command = row.detail.split(RECORD_WITH, 1)[1].replace(
            shlex.quote(case.nodeid), shlex.quote(suite_file), 1)
        cases = len({c.nodeid for c, _ in rows})
        lines.append(f"MISSING: {suite_file} has no stored baseline for {where} yet "
                     f"({len(rows)} metrics of {cases} cases not compared); "
                     f"record them with: {command}")
    return lines


def device_line(results: Sequence[CaseResult]) -> str:
    """Which device the cases ran on, where they ran on more than one (xdist workers spread over
    several GPUs): '24 cases by device: cuda:0 12 (adam, sgd, ...), cuda:1 12 (...)'."""
    by_device: dict[str, list[str]] = {}
    for result in results:
        if result.device:
            by_device.setdefault(result.device, []).append(result.case)
    if len(by_device) < 2:
        return ""
    parts = [f"{device} {len(cases)} ({', '.join(cases[:3])}{', ...' if len(cases) > 3 else ''})"
             for device, cases in sorted(by_device.items())]
    return f"{sum(map(len, by_device.values()))} cases by device: " + ", ".join(parts)


def per_seed_text(result: TableCase, row: Row) -> str:
    values = result.metrics.get(row.metric)
    if not values or isinstance(values[0], list):
        return "-"
    return " ".join(format_with_unit(v, row.unit) for v in values)


def cell_values(result: TableCase, row: Row, several_suites: bool,
                per_seed: bool = False) -> list[str]:
    cells = [(f"{result.suite}::" if several_suites else "") + row.case, row.metric,
             format_with_unit(row.value, row.unit), format_with_unit(row.baseline, row.unit),
             format_delta(row.delta, row.unit), row.limit or "-", str(row.status)]
    if per_seed:
        cells.append(per_seed_text(result, row))
    return cells


DETAIL = "detail"


def split_cells(results: Sequence[TableCase], per_seed: bool = False
                ) -> tuple[list[list[str]], list[list[str]]]:
    """The table's cells, split into rows that need attention and calm (passing) rows,
    each in table order: what Markdown and HTML show in the open and what they fold away.
    The rows that need attention end with their full explanation (column DETAIL)."""
    pairs = ordered_rows(results)
    several = len({r.suite for r in results}) > 1
    attention: list[list[str]] = []
    calm: list[list[str]] = []
    for result, row in pairs:
        cells = cell_values(result, row, several, per_seed=per_seed)
        if row.status in CALM:
            calm.append(cells)
        else:
            attention.append([*cells, row.detail or "-"])
    return attention, calm


def _cut_middle(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


def _shorten(text: str, width: int, keep: str = "") -> str:
    """Shorten a long case name to `width`, keeping `keep` (the optimizer's name) whole where
    it fits: ids such as step_time[mlp-300-100-adam-for-loop] have it in the middle."""
    short = _shorten_around(text, width)
    at = text.rfind(keep) if keep else -1
    if at <= 0 or keep in short:
        return short
    head, tail = text[:at], text[at:]
    if len(tail) > width - 8:
        return short
    return _cut_middle(head, width - len(tail)) + tail


def _shorten_around(text: str, width: int) -> str:
    """Its problem and the start and end of its "[optimizer-...]" part are what people look
    for, so the cut goes inside the brackets when the problem name leaves room, and into the
    problem name otherwise."""
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
                     fit: int | None, keep: Sequence[str] = ()) -> str:
    """A plain-text table; when it is wider than `width`, the names in column `fit` are cut
    by the overflow (measured on the rendered table, since tabulate pads its headers)."""
    from tabulate import tabulate

    def draw() -> str:
        return tabulate(rows, headers=list(headers), tablefmt="simple", disable_numparse=True)

    text = draw()
    overflow = max(len(line) for line in text.splitlines()) - width
    if fit is not None and overflow > 0:
        room = max(MIN_NAME_WIDTH, max(len(row[fit]) for row in rows) - overflow)
        for index, row in enumerate(rows):
            row[fit] = _shorten(row[fit], room, keep[index] if index < len(keep) else "")
        text = draw()
    return text


def render_table(results: Sequence[TableCase], verbose: bool = False,
                 columns: Sequence[str] | None = None, width: int = TERMINAL_WIDTH,
                 only: frozenset[Status] | None = None) -> str:
    """`only`: show the rows of these statuses alone, however few rows there are (-q, -qq)."""
    pairs = ordered_rows(results)
    several = len({r.suite for r in results}) > 1
    if only is not None:
        shown = [p for p in pairs if p[1].status in only]
    else:
        shown = pairs if verbose or len(pairs) <= FULL_TABLE_ROWS else \
            [p for p in pairs if p[1].status in NOTABLE]
    headers = HEADERS + ([PER_SEED] if verbose else [])
    chosen = [h for h in headers if columns is None or h in columns or (verbose and h == PER_SEED)]
    lines = []
    if shown:
        rows = [cell_values(r, row, several, per_seed=verbose) for r, row in shown]
        index = [headers.index(h) for h in chosen]
        rows = [[row[i] for i in index] for row in rows]
        fit = chosen.index("case") if "case" in chosen and not verbose else None
        keep = [str(getattr(r, "optimizer", "") or "") for r, _ in shown]
        lines.append(_tabulate_within(rows, chosen, width, fit, keep))
    if only is not None and only <= FAILING:
        return "\n".join(lines)   # -qq: the failures alone
    lines += first_run_lines(results)
    hidden = len(pairs) - len(shown)
    if hidden:
        quiet = len({r.nodeid for r, row in pairs} - {r.nodeid for r, row in shown})
        lines.append(f"... {hidden} passing rows not shown; {quiet} cases had nothing to report "
                     f"(-v shows every row)")
    return "\n".join(lines)


def render_section(section: Section, width: int = TERMINAL_WIDTH) -> str:
    """A kind's table for the terminal: the columns that fit, then its notes."""
    keep = [section.headers.index(h) for h in section.terminal_headers]
    rows = [[row[i] for i in keep] for row in section.rows]
    return "\n".join([_tabulate_within(rows, section.terminal_headers, width, 0),
                      *section.notes])


def run_warnings(results: Sequence[CaseResult], selected: int | None = None) -> list[str]:
    """What must not look like a pass: no case ran, or nothing met a stored baseline.
    `selected`: how many optbench cases the session selected, where known."""
    warnings = []
    ran = [r for r in results if r.status not in (Outcome.SKIPPED, Outcome.NOT_TIMED)]
    if not ran:
        skipped = [r for r in results if r.status is Outcome.SKIPPED]
        reasons = sorted({r.reason or "" for r in skipped} - {""})
        if skipped:
            detail = f": {len(skipped)} skipped ({'; '.join(reasons)})"
        elif selected is not None:
            cases = "1 optbench case was" if selected == 1 else f"{selected} optbench cases were"
            detail = f": {cases} selected and none reported a result"
        else:
            detail = ""
        warnings.append(f"NO CASE RAN{detail}. Nothing was checked.")
        return warnings
    if selected and len(results) < selected:
        warnings.append(f"INCOMPLETE RUN: {len(results)} of {selected} selected optbench cases "
                        f"reported a result; the rest were not checked.")
    recording = all(r.update for r in ran)
    compared = sum(1 for r in ran for row in r.rows if row.compared)
    if not compared and not recording:
        warnings.append("NOTHING WAS COMPARED WITH A STORED BASELINE: no case had one for this "
                        "device and data, or the suites ask for none. Only absolute thresholds "
                        "were checked; this run is not a regression gate.")
    return warnings


def summary_line(results: Sequence[TableCase]) -> str:
    outcomes = Counter(r.status for r in results)
    row_statuses = Counter(row.status for r in results for row in r.rows)
    parts = [f"{len(results)} cases", f"{outcomes[Outcome.PASSED]} passed"]
    for outcome in (Outcome.FAILED, Outcome.ERROR, Outcome.SKIPPED, Outcome.NOT_TIMED):
        if outcomes[outcome]:
            parts.append(f"{outcomes[outcome]} {outcome}")
    text = "optbench: " + ", ".join(parts)
    failing = [f"{row_statuses[s]} {s}" for s in SEVERITY if s in FAILING and row_statuses[s]]
    if failing:
        text += " (" + ", ".join(failing) + ")"
    compared = sum(1 for r in results for row in r.rows if row.compared)
    text += f"; {compared} metrics compared with a baseline"
    return text
