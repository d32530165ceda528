"""The comparison in GitHub Markdown: for a pull request or a CI job summary."""

from __future__ import annotations

import html
import re
from typing import Any, Sequence

from pytest_optbench.gate.record import CaseResult, Outcome
from pytest_optbench.report.section import Section
from pytest_optbench.report.provenance import HEADERS as PROVENANCE_HEADERS, provenance_rows
from pytest_optbench.report.table import (DETAIL, HEADERS, TableCase, device_line,
                                          first_run_lines, run_warnings, split_cells,
                                          summary_line)

NOTABLE_FIRST_LIMIT = 200   # rows listed in the open; the rest go under a <details> fold


# The characters that can start Markdown markup anywhere in a line, in GitHub's renderer;
# an underscore only at a word's edge (inside a word it never emphasises), and the bracket or
# parenthesis that would turn "[text]" into a link or image. HTML is escaped
# as entities. Text from suites, optimizers, exceptions and results files renders as text.
_MARKUP = re.compile(r"([\\`*|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|(?<=\])[(\[])")
# Markup that only counts at the start of a line: headings, lists, rules.
_LINE_START = re.compile(r"^(\s*)(?:([#=+-])|(\d+)([.)]))")


def _escape(text: str) -> str:
    """`text` (a name, a message, a value) inert inside a line of Markdown or a table cell:
    no HTML, link, image, emphasis, table cell break or line break can come from it."""
    inert = html.escape(str(text), quote=False).replace("\r", " ").replace("\n", " ")
    return _MARKUP.sub(r"\\\1", inert)


def _escape_line(text: str) -> str:
    """`text` as a line of its own: also no heading or list from its first characters."""
    def escaped(match: re.Match[str]) -> str:
        space, mark, number, dot = match.groups()
        return f"{space}\\{mark}" if mark else f"{space}{number}\\{dot}"

    return _LINE_START.sub(escaped, _escape(text))


def _code(text: str) -> str:
    """`text` in a code span whose fence no run of backticks in it can close."""
    text = str(text).replace("\r", " ").replace("\n", " ").replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def pipe_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(_escape(h) for h in headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
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
                    warnings: Sequence[str] | None = None) -> str:
    warnings = run_warnings(results) if warnings is None else warnings
    lines = [f"## {_escape(title)}", "", f"**{_escape(summary_line(results))}**", ""]
    for warning in warnings:
        lines += ["> [!WARNING]", f"> {_escape_line(warning)}", ""]
    failing = [r for r in results if r.status in (Outcome.FAILED, Outcome.ERROR)]
    if failing:
        lines.append("Failing cases: " + ", ".join(_code(r.nodeid) for r in failing[:30])
                     + (f" and {len(failing) - 30} more" if len(failing) > 30 else ""))
        lines.append("")
    lines += [f"**{_escape(line)}**\n" for line in first_run_lines(results)]
    table = markdown_table(results)
    if table:
        lines += [table, ""]
    for section in sections:
        lines += [f"### {_escape(section.title)}", "",
                  pipe_table(section.headers, section.rows), ""]
        lines += [f"<sub>{_escape(note)}</sub>" for note in section.notes]
        lines += [""] if section.notes else []
    provenance = provenance_rows(results)
    if provenance:
        lines += ["<details><summary>Provenance: this run and its baselines</summary>", "",
                  pipe_table(PROVENANCE_HEADERS, provenance), "", "</details>", ""]
    environments = sorted({_environment(r.provenance) for r in results if r.provenance})
    devices = device_line(results)
    if devices:
        lines += ["<sub>" + _escape(devices) + "</sub>", ""]
    if environments:
        lines += ["<sub>" + _escape("; ".join(environments)) + "</sub>", ""]
    if plots_note:
        lines += [plots_note, ""]   # the plugin's own sentence
    return "\n".join(lines)


def _environment(p: dict[str, Any]) -> str:
    return f"torch {p.get('torch')}, {p.get('device')} ({p.get('device_type')}), " \
           f"pytest-optbench {p.get('optbench')}"
