"""The comparison in GitHub Markdown: for a pull request or a CI job summary."""

from __future__ import annotations

from typing import Any, Sequence

from pytest_optbench.gate.record import CaseResult, Outcome
from pytest_optbench.report.section import Section
from pytest_optbench.report.table import (DETAIL, HEADERS, TableCase, first_run_lines, run_warnings,
                                          split_cells, summary_line)

NOTABLE_FIRST_LIMIT = 200   # rows listed in the open; the rest go under a <details> fold


def _escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def pipe_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown_table(results: Sequence[TableCase]) -> str:
    """Rows that need attention in the open, every other row folded away."""
    attention, calm = split_cells(results)
    parts = []
    headers = [*HEADERS, DETAIL]
    if attention:
        parts.append(pipe_table(headers, attention[:NOTABLE_FIRST_LIMIT]))
    if len(attention) > NOTABLE_FIRST_LIMIT:
        rest = attention[NOTABLE_FIRST_LIMIT:]
        parts.append(f"<details><summary>{len(rest)} more rows that need attention</summary>\n\n"
                     + pipe_table(headers, rest) + "\n\n</details>")
    if calm:
        parts.append(f"<details><summary>{len(calm)} passing rows</summary>\n\n"
                     + pipe_table(HEADERS, calm) + "\n\n</details>")
    return "\n\n".join(parts)


def markdown_report(results: Sequence[CaseResult], sections: Sequence[Section] = (),
                    title: str = "optbench", plots_note: str = "",
                    selected: int | None = None) -> str:
    warnings = run_warnings(results, selected)
    lines = [f"## {title}", "", f"**{summary_line(results)}**", ""]
    for warning in warnings:
        lines += ["> [!WARNING]", f"> {warning}", ""]
    failing = [r for r in results if r.status in (Outcome.FAILED, Outcome.ERROR)]
    if failing:
        lines.append("Failing cases: " + ", ".join(f"`{r.nodeid}`" for r in failing[:30])
                     + (f" and {len(failing) - 30} more" if len(failing) > 30 else ""))
        lines.append("")
    lines += [f"**{_escape(line)}**\n" for line in first_run_lines(results)]
    table = markdown_table(results)
    if table:
        lines += [table, ""]
    for section in sections:
        lines += [f"### {section.title}", "", pipe_table(section.headers, section.rows), ""]
        lines += [f"<sub>{note}</sub>" for note in section.notes]
        lines += [""] if section.notes else []
    environments = sorted({_environment(r.provenance) for r in results if r.provenance})
    if environments:
        lines += ["<sub>" + "; ".join(environments) + "</sub>", ""]
    if plots_note:
        lines += [plots_note, ""]
    return "\n".join(lines)


def _environment(p: dict[str, Any]) -> str:
    return f"torch {p.get('torch')}, {p.get('device')} ({p.get('device_type')}), " \
           f"pytest-optbench {p.get('optbench')}"
