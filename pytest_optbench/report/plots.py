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


# Variants of one optimizer share its hue, each a shade of its own, darker and lighter in
# turn, and a line style of its own: families read at a glance, and members stay apart.
VARIANT_SHADES = [-0.45, 0.45, -0.7, 0.25, -0.25, 0.65]
LINES_PER_PANEL = 8  # more lines than this in one panel cannot be told apart


def shade(colour: str, amount: float) -> str:
    """`colour` mixed with black (amount < 0) or white (amount > 0) by |amount|."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    target = 0 if amount < 0 else 255
    mixed = [round(c + (target - c) * abs(amount)) for c in rgb]
    return "#" + "".join(f"{c:02x}" for c in mixed)


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
            index = variants_seen[base]
            styles[name] = Style(shade(colour[base], VARIANT_SHADES[index % len(VARIANT_SHADES)]),
                                 VARIANT_LINES[index % len(VARIANT_LINES)])
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


def panels(results: Sequence[CaseResult], limit: int = LINES_PER_PANEL) -> list[list[CaseResult]]:
    """The results in panels of at most `limit` lines, by family: a family that fits stays in
    one panel; a larger one fills panels of its own."""
    names = {r.optimizer for r in results}
    families: dict[str, list[CaseResult]] = defaultdict(list)
    for result in by_family(results):
        families[_base_of(result.optimizer, names)].append(result)
    grouped: list[list[CaseResult]] = []
    for members in families.values():
        if grouped and len(grouped[-1]) + len(members) <= limit:
            grouped[-1].extend(members)
            continue
        grouped += [members[i:i + limit] for i in range(0, len(members), limit)]
    return grouped


def failing(results: Iterable[CaseResult]) -> bool:
    return any(r.status.value not in ("passed", "skipped", "not timed") for r in results)


def label(result: CaseResult) -> str:
    return result.case.split("[", 1)[-1].rstrip("]")


# --- all figures of a run ---------------------------------------------------------------------

# Where the figures come from: given every result and the styles, (title, file name, draw).
FigureSource = Callable[[Sequence[CaseResult], Mapping[str, Style]],
                        list[tuple[str, str, Callable[[], "Figure | None"]]]]


def filename(*parts: str) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9._-]+", "_", p) for p in parts) + ".png"


def problem_groups(results: Sequence[CaseResult]) -> dict[tuple[str, str], list[CaseResult]]:
    """The measured results by (suite, problem): problems with a failing case first, so that a
    report opens on the figures that explain its failures; otherwise in the order they ran."""
    groups: dict[tuple[str, str], list[CaseResult]] = defaultdict(list)
    for result in results:
        if result.metrics:
            groups[(result.suite, result.problem)].append(result)
    ordered = sorted(groups.items(), key=lambda item: not failing(item[1]))
    return dict(ordered)


def attention_title(members: Sequence[CaseResult], title: str) -> str:
    """A figure's caption, marked where one of its cases failed."""
    if not failing(members):
        return title
    names = [label(r) for r in members if failing([r])]
    shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    return f"FAILING ({shown}): {title}"


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
            save_small(figure, folder / name)
        finally:
            plt.close(figure)
        written.append((title, name))
    return written


DPI = 90
PALETTE_COLOURS = 128


def save_small(figure: Figure, path: Path) -> None:
    """A PNG of PALETTE_COLOURS colours: plots have few colours, and the report embeds every
    one of them, so a palette image is a quarter of the size at no visible cost."""
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    figure.savefig(buffer, dpi=DPI, format="png")
    buffer.seek(0)
    with Image.open(buffer) as image:
        image.convert("RGB").quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT).save(
            path, format="PNG", optimize=True)
