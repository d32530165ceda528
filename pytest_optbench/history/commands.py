"""`optbench history` (the trend report), `optbench history add RESULTS.json...` and
`optbench history diff A B`. Exit statuses: 0 fine, 1 a drift or a difference outside the noise
(with --fail-on-drift / --fail-on-regression), 2 unusable input."""

from __future__ import annotations

import sys
from contextlib import closing
from pathlib import Path
from typing import Sequence

from pytest_optbench.history.store import HistoryError, append, connect, runs


def _error(text: str) -> int:
    print(f"error: {text}", file=sys.stderr)
    return 2


def add_command(db: Path, files: Sequence[Path]) -> int:
    """Import results files (CI artifacts, merged shard records) into the history."""
    from pytest_optbench.gate.results_file import ResultsFileError, read_results
    from pytest_optbench.history.where import where_now

    where = where_now(Path.cwd())
    try:
        documents = [(path, read_results(Path(path))) for path in files]
        for path, document in documents:
            run_id = append(db, document, source=str(path), where=where)
            print(f"{path}: " + (f"added as run #{run_id}" if run_id is not None
                                 else "already in the history"))
    except (ResultsFileError, HistoryError) as exc:
        return _error(str(exc))
    return 0


def report_command(db: Path, out: Path, suite: str | None = None, case: str | None = None,
                   metric: str | None = None, device: str | None = None,
                   since: str | None = None, window: int = 5, alpha: float = 0.05,
                   fail_on_drift: bool = False) -> int:
    from pytest_optbench.history.render import draw, markdown, page
    from pytest_optbench.history.trend import curve_drift, curves, drifts, series

    if not Path(db).is_file():
        return _error(f"{db}: no history here yet; record one with --optbench-history or "
                      f"optbench history add RESULTS.json")
    try:
        with closing(connect(db)) as connection:
            found = series(connection, suite, case, metric, device, since)
            shapes = curves(connection, suite, case, metric, device, since)
            count = len(runs(connection))
    except HistoryError as exc:
        return _error(str(exc))
    from pytest_optbench.report.ownership import ForeignFiles, check_folder, record

    try:
        check_folder(out)   # a folder of the user's is never written into
    except ForeignFiles as exc:
        return _error(str(exc))
    drifting = drifts(found, window, alpha)
    moved = {(d.series.suite, d.series.case, d.series.metric) for d in drifting}
    drifting += [d for one in shapes if (d := curve_drift(one, window, alpha)) is not None
                 and (one.suite, one.case, one.metric) not in moved]
    text = markdown(found, drifting, count)
    try:
        out.mkdir(parents=True, exist_ok=True)
        figures = draw(found, out, {d.series.key for d in drifting})
        (out / "trend.md").write_text(text, encoding="utf-8")
        (out / "index.html").write_text(page(found, drifting, count, figures, out),
                                        encoding="utf-8")
        record(out, ["trend.md", "index.html", *(figure.name for figure in figures)])
    except OSError as exc:
        return _error(f"{out}: cannot be written ({exc.strerror or exc})")
    for line in [d.describe() for d in drifting] or ["no drift in the last runs"]:
        print(f"DRIFT: {line}" if drifting else line)
    print(f"trend report written to {out}: trend.md, index.html and {len(figures)} plots")
    return 1 if fail_on_drift and drifting else 0


def diff_command(db: Path, old: str, new: str, fail_on_regression: bool = False,
                 verbose: bool = False) -> int:
    from pytest_optbench.history.diff import diff, resolve
    from pytest_optbench.report.compare import InputError, has_regression
    from pytest_optbench.report.table import render_table, summary_line

    try:
        with closing(connect(db)) as connection:
            before, after = resolve(connection, old), resolve(connection, new)
            compared = diff(connection, before, after)
    except (HistoryError, InputError) as exc:
        return _error(str(exc))
    table = render_table(compared, verbose=verbose)
    if table:
        print(table)
    print(summary_line(compared).replace("optbench:", f"history {before.label} -> {after.label}:"))
    outside = sorted({case.case for case in compared if case.status.value == "failed"})
    print(f"outside the noise: {len(outside)} cases" + (": " + ", ".join(outside) if outside else ""))
    return 1 if fail_on_regression and has_regression(compared) else 0
