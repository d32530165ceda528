"""The comparison in GitHub Markdown: for a pull request or a CI job summary."""

from __future__ import annotations

from typing import Sequence

from pytest_optbench.report.table import HEADERS, STEP_HEADERS, run_warnings, split_cells, step_rows, summary_line

NOTABLE_FIRST_LIMIT = 200   # rows listed in the open; the rest go under a <details> fold


def _escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def pipe_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown_table(results: Sequence[dict]) -> str:
    """Rows that need attention in the open, every other row folded away."""
    attention, calm = split_cells(results)
    parts = []
    if attention:
        parts.append(pipe_table(HEADERS, attention[:NOTABLE_FIRST_LIMIT]))
    if len(attention) > NOTABLE_FIRST_LIMIT:
        rest = attention[NOTABLE_FIRST_LIMIT:]
        parts.append(f"<details><summary>{len(rest)} more rows that need attention</summary>\n\n"
                     + pipe_table(HEADERS, rest) + "\n\n</details>")
    if calm:
        parts.append(f"<details><summary>{len(calm)} passing rows</summary>\n\n"
                     + pipe_table(HEADERS, calm) + "\n\n</details>")
    return "\n\n".join(parts)


def markdown_report(results: Sequence[dict], title: str = "optbench", plots_note: str = "",
                    selected: int | None = None) -> str:
    warnings = run_warnings(results, selected)
    lines = [f"## {title}", "", f"**{summary_line(results)}**", ""]
    for warning in warnings:
        lines += ["> [!WARNING]", f"> {warning}", ""]
    failing = [r for r in results if r.get("status") in ("failed", "error")]
    if failing:
        lines.append("Failing cases: " + ", ".join(f"`{r['nodeid']}`" for r in failing[:30])
                     + (f" and {len(failing) - 30} more" if len(failing) > 30 else ""))
        lines.append("")
    table = markdown_table(results)
    if table:
        lines += [table, ""]
    steps = step_rows(results)
    if steps:
        lines += ["### Step time", "", pipe_table(STEP_HEADERS, steps), ""]
    environments = sorted({_environment(r) for r in results if r.get("provenance")})
    if environments:
        lines += ["<sub>" + "; ".join(environments) + "</sub>", ""]
    if plots_note:
        lines += [plots_note, ""]
    return "\n".join(lines)


def _environment(result: dict) -> str:
    p = result["provenance"]
    return f"torch {p.get('torch')}, {p.get('device')} ({p.get('device_type')}), " \
           f"pytest-optbench {p.get('optbench')}"
