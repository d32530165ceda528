"""The trend report: trend.md (drifts first, then each case's latest values against its first),
index.html with one figure per problem and metric, each figure's lines one optimizer, its
points the runs, its bars the seeds' range."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Sequence

from pytest_optbench.history.trend import Drift, Series

MAX_LINES = 8   # optimizers a figure draws; more go to the next figure of the same metric


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


def draw(found: Sequence[Series], folder: Path, drifting: set[tuple[str, str, str, str]]) -> list[tuple[str, str]]:
    """PNG files of every figure, (caption, file name); drifting lines are drawn thick."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
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
            axes.errorbar(x, means, yerr=errors, marker="o", ms=3, capsize=2,
                          lw=2.5 if bold else 1.0, label=one.case.split("[", 1)[-1].rstrip("]")
                          + (" (drift)" if bold else ""))
        step = max(1, len(runs) // 30)   # dozens of runs: every label still readable
        axes.set_xticks(range(0, len(runs), step))
        axes.set_xticklabels([label for _, label in runs][::step], rotation=60, ha="right",
                             fontsize=7)
        axes.set_ylabel(metric)
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=7, frameon=False, ncols=2 if len(members) > 4 else 1)
        axes.set_title(f"{suite}: {problem}, {metric} ({device}) over runs; bars: seeds' range",
                       fontsize=9, loc="left")
        name = f"{suite}-{problem}-{metric}-{device}".replace(" ", "_").replace("/", "_") \
            .replace("(", "").replace(")", "") + ".png"
        figure.savefig(folder / name, dpi=100)
        plt.close(figure)
        drawn.append((f"{suite}: {problem}, {metric} ({device})", name))
    return drawn


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


def page(text: str, figures: Sequence[tuple[str, str]], folder: Path) -> str:
    parts = [f"<pre>{html.escape(text)}</pre>"]
    for caption, name in figures:
        data = base64.b64encode((folder / name).read_bytes()).decode("ascii")
        parts.append(f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,'
                     f'{data}"><figcaption>{html.escape(caption)}</figcaption></figure>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>optbench "
            "history</title></head><body>" + "\n".join(parts) + "</body></html>\n")
