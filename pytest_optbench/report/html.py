"""One self-contained HTML page: tables and every plot embedded; it opens from disk."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Sequence

from pytest_optbench.gate.record import CaseResult
from pytest_optbench.report.columns import PER_SEED
from pytest_optbench.report.section import Section
from pytest_optbench.report.provenance import HEADERS as PROVENANCE_HEADERS, provenance_rows
from pytest_optbench.report.table import (DETAIL, HEADERS, device_line, first_run_lines,
                                          run_warnings, split_cells, summary_line)

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1600px; padding: 0 1rem; color: #222; }
nav { color: #555; } nav a { margin-right: 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 13px; margin: 0.5rem 0 1rem; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 9px; text-align: left; white-space: nowrap; }
td.detail { white-space: normal; min-width: 22rem; color: #444; }
td.seeds { white-space: normal; min-width: 9rem; }
th { background: #f4f4f4; }
td.FAIL, td.REGRESSION, td.CHANGED, td.MISSING, td.STALE, td.DIVERGED, td.ERROR { color: #b00020; font-weight: 600; }
td.improved { color: #1b7f3b; }
.warning { border-left: 4px solid #b00020; background: #fdecee; padding: 0.6rem 1rem; font-weight: 600; }
.note { color: #555; }
figure { margin: 1.5rem 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 13px; }
figure.failing figcaption { color: #b00020; font-weight: 600; }
summary { cursor: pointer; color: #555; margin: 0.5rem 0; }
"""


OPEN_ROWS = 20  # passing rows shown unfolded when nothing failed and they are this few


# Columns whose text wraps, by header: the rest stay on one line.
WRAPPING = {DETAIL: "detail", PER_SEED: "seeds"}


def html_table(headers: Sequence[str], rows: Sequence[Sequence[str]], status_column: int | None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for index, cell in enumerate(row):
            css = str(cell) if index == status_column else \
                WRAPPING.get(headers[index], "") if index < len(headers) else ""
            css = f' class="{html.escape(css)}"' if css else ""
            cells.append(f"<td{css}>{html.escape(str(cell))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def html_report(results: Sequence[CaseResult], sections: Sequence[Section],
                plots: Sequence[tuple[str, str]], folder: Path,
                title: str = "optbench report", plots_note: str = "",
                warnings: Sequence[str] | None = None) -> str:
    parts = [f"<h1>{html.escape(title)}</h1>", f"<p><b>{html.escape(summary_line(results))}</b></p>"]
    parts += [f'<p class="warning">{html.escape(w)}</p>' for w in (run_warnings(results) if warnings is None else warnings)]
    parts += [f'<p class="warning">{html.escape(w)}</p>' for w in first_run_lines(results)]
    parts += [f'<p class="note">{html.escape(line)}</p>' for line in [device_line(results)] if line]
    provenance = provenance_rows(results)
    if provenance:
        # Which machine and build each side comes from: a difference here explains a
        # difference in the numbers, and the envelopes say how much it may.
        parts.append('<details open><summary>Provenance: this run and its baselines</summary>'
                     + html_table(PROVENANCE_HEADERS, provenance, None) + '</details>')
    # Where the figures are, on a page whose failing rows may fill the first screens.
    links = [("checks", "Checks")] + ([("plots", f"Plots ({len(plots)})")] if plots else []) + \
        [(f"section-{i}", section.title) for i, section in enumerate(sections)]
    parts.append("<nav>" + "".join(f'<a href="#{anchor}">{html.escape(text)}</a>'
                                   for anchor, text in links) + "</nav>")
    attention, calm = split_cells(results, per_seed=True)
    if attention or calm:
        headers, status = HEADERS + [PER_SEED], HEADERS.index("status")
        parts.append('<h2 id="checks">Checks</h2>')
        if attention:
            parts.append(html_table([*headers, DETAIL], attention, status))
        if calm:
            # Folded, so that the page opens on what failed and on the plots.
            fold = " open" if not attention and len(calm) <= OPEN_ROWS else ""
            parts.append(f"<details{fold}><summary>{len(calm)} passing rows</summary>"
                         f"{html_table(headers, calm, status)}</details>")
    if plots:
        parts.append('<h2 id="plots">Plots</h2>')
    for caption, name in plots:  # those of failing problems come first
        data = base64.b64encode((Path(folder) / name).read_bytes()).decode("ascii")
        css = ' class="failing"' if caption.startswith("FAILING") else ""
        parts.append(f'<figure{css}><img alt="{html.escape(caption)}" '
                     f'src="data:image/png;base64,{data}">'
                     f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    if plots_note:
        parts.append(f'<p class="note">{html.escape(plots_note)}</p>')
    for index, section in enumerate(sections):
        parts += [f'<h2 id="section-{index}">{html.escape(section.title)}</h2>',
                  html_table(section.headers, section.rows, section.status_column)]
        parts += [f'<p class="note">{html.escape(n)}</p>' for n in section.notes]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")
