"""A table a kind adds to reports, beside the comparison table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from pytest_optbench.gate.record import CaseResult


@dataclass(frozen=True)
class Section:
    """A table a kind adds to reports, beside the comparison table."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    terminal_headers: list[str]             # the columns that fit a terminal
    notes: list[str] = field(default_factory=list)
    # False: too long for every run's terminal; shown with -v, and always in the report files.
    terminal: bool = True

    @property
    def status_column(self) -> int | None:
        return self.headers.index("status") if "status" in self.headers else None


def _none(results: Sequence[CaseResult]) -> list[Any]:
    return []


@dataclass(frozen=True)
class Contributions:
    """What the kinds add to a report. The caller supplies it: reports know no kind."""

    sections: Callable[[Sequence[CaseResult]], list[Section]] = _none
    notes: Callable[[Sequence[CaseResult]], list[str]] = _none
    # (results, styles) -> [(title, file name, draw)]: see report.plots.FigureSource
    figures: Callable[[Sequence[CaseResult], Any], list[Any]] = lambda results, styles: []
