"""Figures of a run, from its results records (the same records as results.json).

Needs matplotlib (`pip install pytest-optbench[plot]`); it is imported here only, with the
non-interactive Agg backend. Every function returns a Figure, so that tests can inspect it.
One optimizer has one style (colour, and a line style for variants) in every figure of a report.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import matplotlib

from pytest_optbench.gate.record import CaseResult

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

GAP_FLOOR = 1e-16  # losses are plotted as their gap to the minimum, on a log scale
MARKERS = "osD^vP*Xh<>"


# Distinct, saturated colours (pale ones vanish on white and on the contour plots), most
# distinct first: the base optimizers of a run take them in order.
DISTINCT_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                    "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#000080", "#e6ab02", "#c000c0",
                    "#006d5b", "#7f0000", "#66a61e", "#4b0082", "#ff4500", "#556b2f"]
# The stored baseline: thin, faded and marked, so it never reads as another optimizer.
BASELINE_LINE: dict[str, Any] = {"lw": 0.9, "alpha": 0.6, "marker": "x", "ms": 4}
VARIANT_LINES: list[str | tuple[Any, ...]] = ["--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2)), (0, (1, 3))]


@dataclass(frozen=True)
class Style:
    colour: str
    line: str | tuple = "-"


def _base_of(name: str, names: set[str]) -> str:
    """`adam-amsgrad` is a variant of `adam` when both ran: the longest other name it extends."""
    bases = [other for other in names if name.startswith(other + "-")]
    return max(bases, key=len) if bases else name


def palette(results: Iterable[CaseResult]) -> dict[str, Style]:
    """A style per optimizer (by its name in the suites), the same in every figure of a report.
    Base optimizers get distinct colours; a variant (`adam-amsgrad` next to `adam`) shares its
    base's colour with its own line style, so families read at a glance."""
    names = {r.optimizer for r in results}
    bases = sorted({_base_of(name, names) for name in names})
    colour = {base: DISTINCT_COLOURS[i % len(DISTINCT_COLOURS)] for i, base in enumerate(bases)}
    styles: dict[str, Style] = {}
    variants_seen: dict[str, int] = defaultdict(int)
    for name in sorted(names):
        base = _base_of(name, names)
        if base == name:
            styles[name] = Style(colour[name])
        else:
            styles[name] = Style(colour[base], VARIANT_LINES[variants_seen[base] % len(VARIANT_LINES)])
            variants_seen[base] += 1
    return styles


LEGEND_ROWS = 18  # a longer legend is split into columns, never taller than the figure


def legend_outside(axes) -> None:
    handles, labels = axes.get_legend_handles_labels()
    if handles:
        axes.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8,
                    frameon=False, borderaxespad=0.0, ncols=math.ceil(len(handles) / LEGEND_ROWS))


def size_for_legend(width: float, height: float, entries: int) -> tuple[float, float]:
    """A figure that leaves its plot room next to a legend of `entries` lines."""
    columns = math.ceil(entries / LEGEND_ROWS)
    rows = min(entries, LEGEND_ROWS)
    return width + 1.9 * (columns - 1), max(height, 0.19 * rows + 1.5)


def by_family(results: Sequence[CaseResult]) -> list[CaseResult]:
    """Each base optimizer followed by its variants, so that legends read as families."""
    names = {r.optimizer for r in results}

    def key(result: CaseResult) -> tuple[str, bool, str]:
        base = _base_of(result.optimizer, names)
        return base, result.optimizer != base, result.optimizer
    return sorted(results, key=key)


def label(result: CaseResult) -> str:
    return result.case.split("[", 1)[-1].rstrip("]")


# --- all figures of a run ---------------------------------------------------------------------

# Where the figures come from: given every result and the styles, (title, file name, draw).
FigureSource = Callable[[Sequence[CaseResult], Mapping[str, Style]],
                        list[tuple[str, str, Callable[[], "Figure | None"]]]]


def filename(*parts: str) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9._-]+", "_", p) for p in parts) + ".png"


def problem_groups(results: Sequence[CaseResult]) -> dict[tuple[str, str], list[CaseResult]]:
    """The measured results by (suite, problem), in the order they first appear."""
    groups: dict[tuple[str, str], list[CaseResult]] = defaultdict(list)
    for result in results:
        if result.metrics:
            groups[(result.suite, result.problem)].append(result)
    return dict(groups)


def draw_all(results: Sequence[CaseResult], folder: Path,
             source: FigureSource) -> list[tuple[str, str]]:
    """Every figure of the run as a PNG in `folder`: (title, file name) pairs, in order.
    Each figure is drawn, saved and closed before the next, so a large run holds one at a time."""
    folder = Path(folder)
    written = []
    folder.mkdir(parents=True, exist_ok=True)
    for title, name, draw in source(results, palette(results)):
        figure = draw()
        if figure is None:
            continue
        try:
            figure.savefig(folder / name, dpi=110)
        finally:
            plt.close(figure)
        written.append((title, name))
    return written
