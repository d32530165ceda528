"""A report folder: report.md, results.json, index.html, the plots as PNG files, and the
manifest that marks them as the plugin's own (ownership.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from pytest_optbench.gate.baselines import atomic_write, compact_dumps
from pytest_optbench.gate.record import CaseResult
from pytest_optbench.report.section import Contributions
from pytest_optbench.report.table import run_warnings

PLOTS_MISSING = ("Plots need matplotlib: pip install 'pytest-optbench[plot]'. The tables, "
                 "report.md and results.json do not.")


@dataclass
class ReportFiles:
    folder: Path
    files: list[str] = field(default_factory=list)
    plots: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""

    def describe(self) -> str:
        plots = f" and {len(self.plots)} plots" if self.plots else ""
        return f"report written to {self.folder}: {', '.join(self.files[:3])}{plots}"


def write_report(results: Sequence[CaseResult], folder: Path, contributions: Contributions,
                 document: dict[str, Any], warnings: Sequence[str] | None = None,
                 also: frozenset[str] = frozenset()) -> ReportFiles:
    """Write every file of the report. `document`: the run's results file, copied in as
    results.json; `warnings`: what the run's conclusion says must not look like a pass (by
    default, what the results alone say); `also`: names in the folder the session itself
    wrote (its --optbench-json file)."""
    if warnings is None:
        warnings = run_warnings(results, document.get("selected"))
    from pytest_optbench.report.html import html_report
    from pytest_optbench.report.markdown import markdown_report

    from pytest_optbench.report.ownership import check_folder, record

    folder = Path(folder)
    check_folder(folder, also)   # again here: the folder may have changed while cases ran
    folder.mkdir(parents=True, exist_ok=True)
    report = ReportFiles(folder)
    atomic_write(folder / "results.json",
                 compact_dumps(document))
    try:
        from pytest_optbench.report.plots import draw_all
    except ImportError:
        report.note = PLOTS_MISSING
    else:
        report.plots = draw_all(results, folder, contributions.figures)
    sections = contributions.sections(results)
    atomic_write(folder / "report.md", markdown_report(
        results, sections, plots_note=report.note or ("Plots: see index.html beside this file."
                                                      if report.plots else ""),
        warnings=warnings))
    atomic_write(folder / "index.html", html_report(results, sections, report.plots, folder,
                                                    plots_note=report.note, warnings=warnings))
    report.files = ["report.md", "results.json", "index.html"] + [name for _, name in report.plots]
    record(folder, report.files)
    return report
