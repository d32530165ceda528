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
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

GAP_FLOOR = 1e-16  # losses are plotted as their gap to the minimum, on a log scale
IMPLEMENTATION_HATCHES = {"default": "", "for-loop": "", "foreach": "//", "fused": "xx"}
MARKERS = "osD^vP*Xh<>"


# Distinct, saturated colours (pale ones vanish on white and on the contour plots), most
# distinct first: the base optimizers of a run take them in order.
DISTINCT_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                    "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#000080", "#e6ab02", "#c000c0",
                    "#006d5b", "#7f0000", "#66a61e", "#4b0082", "#ff4500", "#556b2f"]
# The stored baseline: thin, faded and marked, so it never reads as another optimizer.
BASELINE_LINE = {"lw": 0.9, "alpha": 0.6, "marker": "x", "ms": 4}
VARIANT_LINES = ["--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2)), (0, (1, 3))]


@dataclass(frozen=True)
class Style:
    colour: str
    line: str | tuple = "-"


def _base_of(name: str, names: set[str]) -> str:
    """`adam-amsgrad` is a variant of `adam` when both ran: the longest other name it extends."""
    bases = [other for other in names if name.startswith(other + "-")]
    return max(bases, key=len) if bases else name


def palette(results: Iterable[dict]) -> dict[str, Style]:
    """A style per optimizer (by its name in the suites), the same in every figure of a report.
    Base optimizers get distinct colours; a variant (`adam-amsgrad` next to `adam`) shares its
    base's colour with its own line style, so families read at a glance."""
    names = {r["optimizer"] for r in results}
    bases = sorted({_base_of(name, names) for name in names})
    colour = {base: DISTINCT_COLOURS[i % len(DISTINCT_COLOURS)] for i, base in enumerate(bases)}
    styles, variants_seen = {}, defaultdict(int)
    for name in sorted(names):
        base = _base_of(name, names)
        if base == name:
            styles[name] = Style(colour[name])
        else:
            styles[name] = Style(colour[base], VARIANT_LINES[variants_seen[base] % len(VARIANT_LINES)])
            variants_seen[base] += 1
    return styles


LEGEND_ROWS = 18  # a longer legend is split into columns, never taller than the figure


def _legend_outside(axes) -> None:
    handles, labels = axes.get_legend_handles_labels()
    if handles:
        axes.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8,
                    frameon=False, borderaxespad=0.0, ncols=math.ceil(len(handles) / LEGEND_ROWS))


def _size_for_legend(width: float, height: float, entries: int) -> tuple[float, float]:
    """A figure that leaves its plot room next to a legend of `entries` lines."""
    columns = math.ceil(entries / LEGEND_ROWS)
    rows = min(entries, LEGEND_ROWS)
    return width + 1.9 * (columns - 1), max(height, 0.19 * rows + 1.5)


def by_family(results: Sequence[dict]) -> list[dict]:
    """Each base optimizer followed by its variants, so that legends read as families."""
    names = {r["optimizer"] for r in results}

    def key(result: dict) -> tuple:
        base = _base_of(result["optimizer"], names)
        return base, result["optimizer"] != base, result["optimizer"]
    return sorted(results, key=key)


def _label(result: dict) -> str:
    return result["case"].split("[", 1)[-1].rstrip("]")


# --- analytic problems --------------------------------------------------------------------

def loss_curves(results: Sequence[dict], colours: dict[str, Style]) -> Figure:
    """Loss (its gap to the minimum) against step: median over starts, band between quartiles."""
    figure, axes = plt.subplots(figsize=_size_for_legend(9, 5, len(results)), layout="constrained")
    band_alpha = 0.15 if len(results) <= 8 else 0.07  # many overlapping bands turn to mud
    for result in by_family(results):
        curve, f_min = result.get("curves") or {}, result.get("f_min") or 0.0
        if not curve.get("step"):
            continue
        gap = lambda values: [max(v - f_min, GAP_FLOOR) if v is not None else math.nan  # noqa: E731
                              for v in values]
        style = colours[result["optimizer"]]
        axes.plot(curve["step"], gap(curve["median"]), color=style.colour, ls=style.line, lw=1.5,
                  label=_label(result))
        axes.fill_between(curve["step"], gap(curve["q25"]), gap(curve["q75"]), color=style.colour,
                          alpha=band_alpha, lw=0)
    axes.set_yscale("log")
    axes.set_xlabel("step")
    axes.set_ylabel("loss − minimum (median over starts)")
    axes.set_title(f"{results[0]['suite']}: {results[0]['problem']} — loss against step "
                   f"(band: quartiles over starts)")
    axes.grid(True, which="major", alpha=0.3)
    _legend_outside(axes)
    return figure


def trajectories(results: Sequence[dict], colours: dict[str, Style]) -> Figure | None:
    """Each optimizer's paths over the function's contours, starts and minima marked."""
    import torch

    from pytest_optbench.kinds.analytic.runner import bind_function
    from pytest_optbench.suite.cases import AnalyticConfig

    drawn = [r for r in results if r.get("trajectories")]
    if not drawn:
        return None
    sample = drawn[0]["trajectories"]
    config = drawn[0]["config"]["problem"]
    function = bind_function(AnalyticConfig(**{**config, "domain": tuple(map(tuple, config["domain"]))}))
    (x0, x1), (y0, y1) = sample["domain"]
    xs, ys = torch.linspace(x0, x1, 200, dtype=torch.float64), torch.linspace(y0, y1, 200, dtype=torch.float64)
    grid = torch.cartesian_prod(xs, ys)
    with torch.no_grad():
        heights = function.value(grid).view(200, 200).T
    heights = torch.log10((heights - function.f_min).clamp_min(GAP_FLOOR)).numpy()
    columns = min(5, len(drawn))
    rows = math.ceil(len(drawn) / columns)
    figure, grid_axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 3.0 * rows + 0.6),
                                     squeeze=False, layout="constrained", sharex=True, sharey=True)
    for axes, result in zip(grid_axes.flat, drawn):
        paths = result["trajectories"]
        axes.contourf(xs.numpy(), ys.numpy(), heights, levels=20, cmap="Greys", alpha=0.3)
        axes.contour(xs.numpy(), ys.numpy(), heights, levels=10, colors="grey", linewidths=0.3)
        colour = colours[result["optimizer"]].colour  # one optimizer a panel: solid paths
        for path in paths["paths"]:
            points = [p for p in path if None not in p]
            if points:
                axes.plot([p[0] for p in points], [p[1] for p in points], color=colour, lw=1.2)
        axes.scatter(*zip(*paths["starts"]), s=18, facecolors="white", edgecolors=colour,
                     zorder=3, label="start")
        axes.scatter(*zip(*paths["minima"]), s=90, marker="*", color="gold", edgecolors="black",
                     linewidths=0.5, zorder=4, label="global minimum")
        axes.set_xlim(x0, x1)
        axes.set_ylim(y0, y1)
        axes.set_title(_label(result), fontsize=9)
    for axes in list(grid_axes.flat)[len(drawn):]:
        axes.set_visible(False)
    for axes in grid_axes[-1]:
        axes.set_xlabel("x₁")
    for axes in grid_axes[:, 0]:
        axes.set_ylabel("x₂")
    handles, labels = grid_axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False, fontsize=8)
    figure.suptitle(f"{drawn[0]['suite']}: {drawn[0]['problem']} — paths of "
                    f"{len(sample['paths'])} starts over log10(loss − minimum)")
    return figure


# --- real-data problems ---------------------------------------------------------------------

def _seed_band(result: dict, field: str, x_field: str):
    seeds = list((result.get("curves") or {}).get("seeds", {}).values())
    if not seeds:
        return [], [], [], []
    length = min(len(s[field]) for s in seeds)
    xs, means, lows, highs = [], [], [], []
    for i in range(length):
        values = [s[field][i] for s in seeds if s[field][i] is not None]
        positions = [s[x_field][i] for s in seeds if s[x_field][i] is not None]
        if not values or not positions:
            continue
        xs.append(sum(positions) / len(positions))
        means.append(sum(values) / len(values))
        lows.append(min(values))
        highs.append(max(values))
    return xs, means, lows, highs


def learning_curves(results: Sequence[dict], colours: dict[str, Style]) -> Figure:
    """Test accuracy and train loss against epoch and against training time: the mean over
    seeds, a band from the lowest to the highest seed, and the stored baseline faded and marked."""
    figure, grid = plt.subplots(2, 2, figsize=_size_for_legend(12, 7.5, len(results) + 1),
                                layout="constrained")
    band_alpha = 0.15 if len(results) <= 8 else 0.07
    panels = [(grid[0, 0], "test_accuracy", "epoch", "test accuracy", "epoch"),
              (grid[0, 1], "train_loss", "epoch", "train loss", "epoch"),
              (grid[1, 0], "test_accuracy", "train_time_s", "test accuracy", "training time (s)"),
              (grid[1, 1], "train_loss", "train_time_s", "train loss", "training time (s)")]
    spans_decades = False
    for axes, field, x_field, y_label, x_label in panels:
        for result in by_family(results):
            xs, means, lows, highs = _seed_band(result, field, x_field)
            if not xs:
                continue
            style = colours[result["optimizer"]]
            axes.plot(xs, means, color=style.colour, ls=style.line, lw=1.6,
                      marker="o" if len(xs) < 12 else None, ms=3, label=_label(result))
            axes.fill_between(xs, lows, highs, color=style.colour, alpha=band_alpha, lw=0)
            stored = result.get("baseline_curve") or {}
            if stored.get(field) and stored.get(x_field):
                axes.plot(stored[x_field], stored[field], color=style.colour, ls=style.line,
                          **BASELINE_LINE)
            if field == "train_loss" and min(means) > 0 and max(means) / min(means) > 10:
                spans_decades = True
        axes.set_xlabel(x_label)
        axes.set_ylabel(y_label)
        axes.grid(True, alpha=0.3)
        if x_field == "epoch":
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if spans_decades:
        grid[0, 1].set_yscale("log")
        grid[1, 1].set_yscale("log")
    handles, labels = grid[0, 0].get_legend_handles_labels()
    if any(r.get("baseline_curve") for r in results):
        handles.append(plt.Line2D([], [], color="grey", **BASELINE_LINE))
        labels.append("stored baseline (mean)")
    figure.legend(handles, labels, loc="outside right upper", frameon=False, fontsize=8,
                  ncols=math.ceil(len(handles) / LEGEND_ROWS))
    figure.suptitle(f"{results[0]['suite']}: {results[0]['problem']} — mean over seeds, band from "
                    f"lowest to highest seed")
    return figure


def accuracy_against_time(results: Sequence[dict], colours: dict[str, Style]) -> Figure:
    """Final test accuracy against training time, one point per optimizer configuration."""
    figure, axes = plt.subplots(figsize=(9, 5.5), layout="constrained")
    problems = sorted({r["problem"] for r in results})
    markers = {p: MARKERS[i % len(MARKERS)] for i, p in enumerate(problems)}
    for result in results:
        accuracy = [v for v in result["metrics"].get("test_accuracy", []) if v is not None]
        times = [s["train_time_s"][-1] for s in result["curves"]["seeds"].values() if s["train_time_s"]]
        if not accuracy or not times:
            continue
        point = (sum(times) / len(times), sum(accuracy) / len(accuracy))
        style = colours[result["optimizer"]]
        axes.scatter(*point, s=48, color=style.colour, marker=markers[result["problem"]],
                     edgecolors="black", linewidths=0.4)
        if style.line != "-":  # a variant shares its base's colour: name it at its point
            axes.annotate(result["optimizer"], point, xytext=(4, 3), textcoords="offset points",
                          fontsize=7, color=style.colour)
    for optimizer in sorted({r["optimizer"] for r in results}):
        if colours[optimizer].line == "-":
            axes.scatter([], [], color=colours[optimizer].colour, marker="o", label=optimizer)
    for problem in problems:
        axes.scatter([], [], color="white", edgecolors="black", marker=markers[problem],
                     label=f"problem: {problem}")
    times = [x for collection in axes.collections for x, _ in collection.get_offsets()]
    logarithmic = bool(times) and min(times) > 0 and max(times) / min(times) > 10
    if logarithmic:
        axes.set_xscale("log")
    axes.set_xlabel("training time (s, mean over seeds" + (", log scale)" if logarithmic else ")"))
    axes.set_ylabel("final test accuracy (mean over seeds)")
    axes.set_title(f"{results[0]['suite']}: accuracy against training time")
    axes.grid(True, which="both", alpha=0.3)
    _legend_outside(axes)
    return figure


# --- step time ------------------------------------------------------------------------------

def step_times(results: Sequence[dict], colours: dict[str, Style]) -> Figure:
    """Time per step: a bar per optimizer and implementation, and the bandwidth floor (the
    bytes a step moves at the device's bandwidth) marked on each bar."""
    timed = [r for r in results if (r.get("timing") or {}).get("median_s")]
    optimizers = list(dict.fromkeys(r["optimizer"] for r in timed))
    implementations = list(dict.fromkeys(r["timing"]["implementation"] for r in timed))
    width = 0.8 / max(len(implementations), 1)
    figure, axes = plt.subplots(figsize=(max(7, 1.4 * len(optimizers) + 3), 5), layout="constrained")
    values = [r["timing"]["median_s"] for r in timed]
    scale, unit = (1e-3, "ms") if max(values, default=0) >= 1e-3 else (1e-6, "µs")
    for result in timed:
        t = result["timing"]
        x = optimizers.index(result["optimizer"]) + (
            implementations.index(t["implementation"]) - (len(implementations) - 1) / 2) * width
        axes.bar(x, t["median_s"] / scale, width * 0.92, color=colours[result["optimizer"]].colour,
                 hatch=IMPLEMENTATION_HATCHES.get(t["implementation"], ""), edgecolor="black",
                 linewidth=0.5)
        floor = t["parameters"] * t["bytes_per_parameter"] / t["bandwidth_limit"] / scale
        axes.hlines(floor, x - width * 0.46, x + width * 0.46, color="black", lw=2.2)
    first = timed[0]["timing"] if timed else {}
    legend = [Patch(facecolor="white", edgecolor="black", label=implementation,
                    hatch=IMPLEMENTATION_HATCHES.get(implementation, ""))
              for implementation in implementations]
    if first:
        legend.insert(0, Line2D([], [], color="black", lw=2.2,
                                label=f"bandwidth floor ({first['bandwidth_limit'] / 1e9:.0f} GB/s, "
                                      f"{first['bandwidth_source']})"))
    axes.set_xticks(range(len(optimizers)), optimizers)
    if values and max(values) / max(min(values), 1e-12) > 20:
        axes.set_yscale("log")
    axes.set_xlabel("optimizer")
    axes.set_ylabel(f"time per step ({unit}, median)")
    parameters = f"{first['parameters']:,} parameters" if first else ""
    axes.set_title(f"{results[0]['suite']}: {results[0]['problem']} — optimizer.step(), {parameters}")
    axes.grid(True, axis="y", alpha=0.3)
    axes.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8,
                frameon=False, borderaxespad=0.0)
    return figure


# --- all figures of a run ---------------------------------------------------------------------

def _filename(*parts: str) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9._-]+", "_", p) for p in parts) + ".png"


def draw_all(results: Sequence[dict], folder: Path) -> list[tuple[str, str]]:
    """Every figure of the run as a PNG in `folder`: (title, file name) pairs, in order.
    Each figure is drawn, saved and closed before the next, so a large run holds one at a time."""
    folder = Path(folder)
    colours = palette(results)
    groups: dict[tuple, list] = defaultdict(list)
    for result in results:
        if result.get("metrics") or result.get("timing"):
            groups[(result["suite"], result["kind"], result["problem"])].append(result)
    planned: list[tuple[str, str, Callable[[], Figure | None]]] = []
    for (suite, kind, problem), members in groups.items():
        if kind == "analytic":
            planned.append((f"{suite}: {problem}, paths", _filename(suite, problem, "paths"),
                            partial(trajectories, members, colours)))
            planned.append((f"{suite}: {problem}, loss against step",
                            _filename(suite, problem, "loss"), partial(loss_curves, members, colours)))
        elif kind == "data":
            planned.append((f"{suite}: {problem}, learning curves",
                            _filename(suite, problem, "curves"),
                            partial(learning_curves, members, colours)))
        elif kind == "timing":
            planned.append((f"{suite}: {problem}, step time", _filename(suite, problem, "steps"),
                            partial(step_times, members, colours)))
    by_suite: dict[str, list] = defaultdict(list)
    for result in results:
        if result.get("kind") == "data" and result.get("metrics"):
            by_suite[result["suite"]].append(result)
    for suite, members in by_suite.items():
        planned.append((f"{suite}: accuracy against training time",
                        _filename(suite, "accuracy-time"),
                        partial(accuracy_against_time, members, colours)))
    written = []
    folder.mkdir(parents=True, exist_ok=True)
    for title, name, draw in planned:
        figure = draw()
        if figure is None:
            continue
        try:
            figure.savefig(folder / name, dpi=110)
        finally:
            plt.close(figure)
        written.append((title, name))
    return written
