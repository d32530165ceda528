"""The trend report: trend.md (drifts first, then each case's latest values against its first),
index.html with one figure per problem and metric, each figure's lines one optimizer, its
points the runs, its bars the seeds' range."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from pytest_optbench.history.trend import Drift, Point, Series

MAX_LINES = 8   # optimizers a figure draws; more go to the next figure of the same metric
OPEN_SERIES = 60   # the table of every series is folded beyond this many rows


@dataclass(frozen=True)
class Figure:
    caption: str
    name: str        # the PNG's file name in the report folder
    drifting: bool   # holds a line the drift test flagged
    keys: frozenset[tuple[str, str, str, str]] = frozenset()   # the series it draws


def _figures(found: Sequence[Series]) -> dict[tuple[str, str, str, str], list[Series]]:
    """(suite, problem, metric, device) -> its series, at most MAX_LINES to a figure."""
    groups: dict[tuple[str, str, str, str], list[Series]] = {}
    for one in found:
        problem = one.case.split("[", 1)[0]
        groups.setdefault((one.suite, problem, one.metric, one.device_type), []).append(one)
    split: dict[tuple[str, str, str, str], list[Series]] = {}
    for (suite, problem, metric, device), members in groups.items():
        for start in range(0, len(members), MAX_LINES):
            part = f"{problem}" + (f" ({start // MAX_LINES + 1})" if len(members) > MAX_LINES else "")
            split[(suite, part, metric, device)] = members[start:start + MAX_LINES]
    return split


def draw(found: Sequence[Series], folder: Path,
         drifting: set[tuple[str, str, str, str]]) -> list[Figure]:
    """PNG files of every figure, drifting ones first; drifting lines are drawn thick."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.colors import to_hex
    except ImportError:
        return []
    drawn = []
    for (suite, problem, metric, device), members in sorted(_figures(found).items()):
        runs = sorted({(p.run_id, p.label) for one in members for p in one.points})
        position = {run_id: index for index, (run_id, _) in enumerate(runs)}
        figure, axes = plt.subplots(figsize=(max(6.0, 0.35 * len(runs) + 3), 3.6),
                                    layout="constrained")
        for one in members:
            x = [position[p.run_id] for p in one.points]
            means = [p.mean for p in one.points]
            # Clamped: SQLite's AVG and MIN of equal values may differ in the last bit.
            errors = [[max(0.0, p.mean - p.low) for p in one.points],
                      [max(0.0, p.high - p.mean) for p in one.points]]
            bold = one.key in drifting
            line = axes.errorbar(x, means, yerr=errors, marker="o", ms=3, capsize=2,
                                 lw=2.5 if bold else 1.0,
                                 label=one.case.split("[", 1)[-1].rstrip("]")
                                 + (" (drift)" if bold else ""))
            _baseline_band(axes, one, position, to_hex(line.lines[0].get_color()))
        if _spans_decades([p for one in members for p in one.points]):
            axes.set_yscale("log")   # else one optimizer's values flatten every other line
        step = max(1, len(runs) // 30)   # dozens of runs: every label still readable
        axes.set_xticks(range(0, len(runs), step))
        axes.set_xticklabels([label for _, label in runs][::step], rotation=60, ha="right",
                             fontsize=7)
        axes.set_ylabel(metric)
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=7, frameon=False, ncols=2 if len(members) > 4 else 1)
        axes.set_title(f"{suite}: {problem}, {metric} ({device}) over runs; bars: seeds' range"
                       + ("\ndashed: the baseline each run was gated against; shaded: up to "
                          "the gate's limit" if any(p.baseline is not None for one in members
                                                    for p in one.points) else ""),
                       fontsize=9, loc="left")
        name = f"{suite}-{problem}-{metric}-{device}".replace(" ", "_").replace("/", "_") \
            .replace("(", "").replace(")", "") + ".png"
        figure.savefig(folder / name, dpi=100)
        plt.close(figure)
        drawn.append(Figure(f"{suite}: {problem}, {metric} ({device})", name,
                            any(one.key in drifting for one in members),
                            frozenset(one.key for one in members)))
    return sorted(drawn, key=lambda figure: not figure.drifting)   # stable: drifting first


def _spans_decades(points: Sequence[Point]) -> bool:
    """Positive values more than two decades apart."""
    values = [v for p in points for v in (p.mean, p.low, p.baseline) if v is not None]
    return bool(values) and min(values) > 0 and max(values) / min(values) > 100


def _baseline_band(axes: Any, one: Series, position: dict[int, int], colour: str) -> None:
    """The baseline of each run as a dashed line, and the pass band between it and the gate's
    limit (one-sided limits band one side; a run with no baseline breaks the line)."""
    import math

    x = [position[p.run_id] for p in one.points]
    baseline = [p.baseline if p.baseline is not None else math.nan for p in one.points]
    if all(math.isnan(b) for b in baseline):
        return
    low = [p.lower if p.lower is not None else b for p, b in zip(one.points, baseline)]
    high = [p.upper if p.upper is not None else b for p, b in zip(one.points, baseline)]
    axes.plot(x, baseline, ls="--", lw=0.9, color=colour, alpha=0.8)
    axes.fill_between(x, low, high, color=colour, alpha=0.12, lw=0)


def markdown(found: Sequence[Series], drifting: Sequence[Drift], runs: int) -> str:
    lines = [f"## optbench history: {runs} runs, {len(found)} series", ""]
    if drifting:
        lines += ["**Drift** (the last runs move steadily one way; each run may still pass):", ""]
        lines += [f"- {d.describe()}" for d in drifting] + [""]
    else:
        lines += ["No drift in the last runs.", ""]
    lines += ["| case | metric | device | runs | first | latest | change |",
              "|---|---|---|---|---|---|---|"]
    for one in found:
        first, last = one.points[0].mean, one.points[-1].mean
        lines.append(f"| {one.case} | {one.metric} | {one.device_type} | {len(one.points)} | "
                     f"{first:.6g} | {last:.6g} | {last - first:+.3g} |")
    return "\n".join(lines) + "\n"


def page(found: Sequence[Series], drifting: Sequence[Drift], runs: int,
         figures: Sequence[Figure], folder: Path) -> str:
    """index.html: the drifts first, each linked to its figure; the figures, drifting ones
    first, two to a row; then every series' first and latest value. Self-contained."""
    from pytest_optbench.report.html import STYLE, html_table

    anchors = {figure.caption: f"figure-{index}" for index, figure in enumerate(figures)}
    parts = [f"<h1>optbench history</h1><p><b>{runs} runs, {len(found)} series, "
             f"{len(drifting)} drifting</b></p>",
             '<nav><a href="#drift">Drift</a><a href="#figures">Figures '
             f'({len(figures)})</a><a href="#series">Every series</a></nav>',
             '<h2 id="drift">Drift</h2><p class="note">The last runs move steadily one way; '
             "each run may still have passed its gate.</p>"]
    if drifting:
        items = []
        for d in drifting:
            caption = next((f.caption for f in figures if d.series.key in f.keys), None)
            link = f' <a href="#{anchors[caption]}">figure</a>' if caption else ""
            items.append(f"<li>{html.escape(d.describe())}{link}</li>")
        parts.append("<ul>" + "".join(items) + "</ul>")
    else:
        parts.append("<p>No drift in the last runs.</p>")
    parts.append('<h2 id="figures">Figures</h2><div class="grid">')
    for figure in figures:
        data = base64.b64encode((folder / figure.name).read_bytes()).decode("ascii")
        css = ' class="failing"' if figure.drifting else ""
        parts.append(f'<figure id="{anchors[figure.caption]}"{css}><img alt="'
                     f'{html.escape(figure.caption)}" src="data:image/png;base64,{data}">'
                     f"<figcaption>{'DRIFTING: ' if figure.drifting else ''}"
                     f"{html.escape(figure.caption)}</figcaption></figure>")
    parts.append("</div>")
    rows = [[one.case, one.metric, one.device_type, str(len(one.points)),
             f"{one.points[0].mean:.6g}", f"{one.points[-1].mean:.6g}",
             f"{one.points[-1].mean - one.points[0].mean:+.3g}"] for one in found]
    table = html_table(["case", "metric", "device", "runs", "first", "latest", "change"], rows, None)
    unfolded = " open" if len(rows) <= OPEN_SERIES else ""
    parts.append(f'<h2 id="series">Every series</h2><details{unfolded}>'
                 f"<summary>{len(rows)} series: first and latest run</summary>{table}</details>")
    style = STYLE + ".grid { display: grid; grid-template-columns: repeat(auto-fill, " \
        "minmax(600px, 1fr)); gap: 0 1.5rem; }\n"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>optbench "
            f"history</title><style>{style}</style></head><body>" + "\n".join(parts)
            + "</body></html>\n")
