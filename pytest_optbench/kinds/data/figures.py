"""Figures of real-data cases: learning curves, and accuracy against training time."""

from __future__ import annotations

import math
from functools import partial
from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from pytest_optbench.gate.record import CaseResult
from pytest_optbench.kinds.base import Figures
from pytest_optbench.report.plots import (BASELINE_LINE, LEGEND_ROWS, MARKERS, Style,
                                          attention_title, by_family, filename, label,
                                          legend_outside, panels, problem_groups, size_for_legend)

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402


def _seed_band(result: CaseResult, field: str,
               x_field: str) -> tuple[list[float], list[float], list[float], list[float]]:
    seeds = list(result.curves.get("seeds", {}).values())
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


def learning_curves(results: Sequence[CaseResult], colours: Mapping[str, Style]) -> Figure:
    """Test accuracy and train loss against epoch and against training time: the mean over
    seeds, a band from the lowest to the highest seed, and the stored baseline faded and marked."""
    figure, grid = plt.subplots(2, 2, figsize=size_for_legend(12, 7.5, len(results) + 1),
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
            style = colours[result.optimizer]
            axes.plot(xs, means, color=style.colour, ls=style.line, lw=1.6,
                      marker="o" if len(xs) < 12 else None, ms=3, label=label(result))
            axes.fill_between(xs, lows, highs, color=style.colour, alpha=band_alpha, lw=0)
            stored = result.baseline_curve or {}
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
    if any(r.baseline_curve for r in results):
        handles.append(plt.Line2D([], [], color="grey", **BASELINE_LINE))
        labels.append("stored baseline (mean)")
    figure.legend(handles, labels, loc="outside right upper", frameon=False, fontsize=8,
                  ncols=math.ceil(len(handles) / LEGEND_ROWS))
    figure.suptitle(f"{results[0].suite}: {results[0].problem} — mean over seeds, band from "
                    f"lowest to highest seed")
    return figure


def accuracy_against_time(results: Sequence[CaseResult], colours: Mapping[str, Style]) -> Figure:
    """Final test accuracy against training time, one point per optimizer configuration."""
    figure, axes = plt.subplots(figsize=(9, 5.5), layout="constrained")
    problems = sorted({r.problem for r in results})
    markers = {p: MARKERS[i % len(MARKERS)] for i, p in enumerate(problems)}
    for result in results:
        accuracy = [v for v in result.metrics.get("test_accuracy", []) if v is not None]
        times = [s["train_time_s"][-1] for s in result.curves["seeds"].values() if s["train_time_s"]]
        if not accuracy or not times:
            continue
        point = (sum(times) / len(times), sum(accuracy) / len(accuracy))
        style = colours[result.optimizer]
        axes.scatter(*point, s=48, color=style.colour, marker=markers[result.problem],
                     edgecolors="black", linewidths=0.4)
        if style.line != "-":  # a variant shares its base's colour: name it at its point
            axes.annotate(result.optimizer, point, xytext=(4, 3), textcoords="offset points",
                          fontsize=7, color=style.colour)
    for optimizer in sorted({r.optimizer for r in results}):
        if colours[optimizer].line == "-":
            axes.scatter([], [], color=colours[optimizer].colour, marker="o", label=optimizer)
    for problem in problems:
        axes.scatter([], [], color="white", edgecolors="black", marker=markers[problem],
                     label=f"problem: {problem}")
    times = [float(x) for collection in axes.collections
             for x in np.asarray(collection.get_offsets())[:, 0]]
    logarithmic = bool(times) and min(times) > 0 and max(times) / min(times) > 10
    if logarithmic:
        axes.set_xscale("log")
    axes.set_xlabel("training time (s, mean over seeds" + (", log scale)" if logarithmic else ")"))
    axes.set_ylabel("final test accuracy (mean over seeds)")
    axes.set_title(f"{results[0].suite}: accuracy against training time")
    axes.grid(True, which="both", alpha=0.3)
    legend_outside(axes)
    return figure


def effort_bars(results: Sequence[CaseResult], colours: Mapping[str, Style]) -> Figure:
    """The effort of each case (training seconds to the target per accuracy point), the mean
    over the seeds that reached the target, each seed a dot; a case none reached is named."""
    ordered = sorted(results, key=lambda r: (r.problem, r.optimizer))
    figure, axes = plt.subplots(figsize=(max(6.0, 0.45 * len(ordered) + 2), 4.8),
                                layout="constrained")
    names = []
    for index, result in enumerate(ordered):
        values = [v for v in result.metrics.get("effort", []) if v is not None]
        seeds = len(result.metrics.get("effort", []))
        names.append(f"{result.problem}\n{result.optimizer}" + (
            "" if len(values) == seeds else f"\n({seeds - len(values)} of {seeds} never)"))
        if not values:
            continue
        style = colours[result.optimizer]
        axes.bar(index, sum(values) / len(values), color=style.colour, alpha=0.7,
                 hatch=None if style.line == "-" else "//")
        axes.scatter([index] * len(values), values, color="black", s=8, zorder=3)
    axes.set_xticks(range(len(ordered)), names, rotation=90, fontsize=7)
    axes.set_ylabel("effort (training s to the target per accuracy point)")
    axes.set_title(f"{results[0].suite}: effort (lower is better)")
    axes.grid(True, axis="y", alpha=0.3)
    return figure


def figures(results: Sequence[CaseResult], styles: Mapping[str, Style]) -> Figures:
    planned: Figures = []
    for (suite, problem), members in problem_groups(results).items():
        # At most eight lines a panel: a problem with more configurations gets more figures.
        chunks = panels(members)
        for index, chunk in enumerate(chunks, 1):
            part = [str(index)] if len(chunks) > 1 else []
            title = f"{suite}: {problem}, learning curves" + (
                f" ({index} of {len(chunks)})" if part else "")
            planned.append((attention_title(chunk, title), filename(suite, problem, "curves", *part),
                            partial(learning_curves, chunk, styles)))
    suites: dict[str, list[CaseResult]] = {}
    for result in results:
        if result.metrics:
            suites.setdefault(result.suite, []).append(result)
    for suite, members in suites.items():
        planned.append((f"{suite}: accuracy against training time",
                        filename(suite, "accuracy-time"),
                        partial(accuracy_against_time, members, styles)))
        if any(v is not None for r in members for v in r.metrics.get("effort", [])):
            planned.append((f"{suite}: effort to the target accuracy", filename(suite, "effort"),
                            partial(effort_bars, members, styles)))
    return planned
