"""`optbench history diff A B`: what changed between two runs of the history, judged with the
gate's own rules (report/compare.py): B's expectations, A's values and noise envelopes."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from pytest_optbench.history.store import HistoryError, Run, case_documents, runs


def resolve(connection: sqlite3.Connection, ref: str) -> Run:
    """A run by its id (`12` or `#12`), or the latest run whose commit starts with `ref` or
    whose branch is `ref`; `latest` and `first` name the ends."""
    found = runs(connection)
    if not found:
        raise HistoryError("the history holds no run yet")
    text = ref.strip().lstrip("#")
    if text in ("latest", "last"):
        return found[-1]
    if text == "first":
        return found[0]
    if text.isdigit():
        by_id = [run for run in found if run.id == int(text)]
        if by_id:
            return by_id[0]
    matching = [run for run in found if (run.commit and len(text) >= 4
                                         and run.commit.startswith(text)) or run.branch == text]
    if not matching:
        raise HistoryError(f"found no run '{ref}'; expected a run id (1 to {found[-1].id}), a "
                           f"commit or a branch the history holds, or latest / first")
    return matching[-1]


def diff(connection: sqlite3.Connection, old: Run, new: Run) -> list[Any]:
    """The compared cases (report.compare.ComparedCase), as `optbench compare` shows them."""
    from pytest_optbench.kinds import metric_definitions
    from pytest_optbench.report.compare import compare, records_of_cases

    where = Path(f"history run #{old.id}")
    before = records_of_cases(list(case_documents(connection, old.id)), where)
    after = records_of_cases(list(case_documents(connection, new.id)),
                             Path(f"history run #{new.id}"))
    return compare(before, after, metric_definitions())
