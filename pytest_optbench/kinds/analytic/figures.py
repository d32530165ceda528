"""Figures of analytic cases: loss against step, and paths over the contours."""

from __future__ import annotations

import math
from functools import partial
from typing import Mapping, Sequence

from matplotlib.figure import Figure

from pytest_optbench.gate.record import CaseResult
from pytest_optbench.kinds.analytic.summary import TRAJECTORY_FLOOR
from pytest_optbench.kinds.base import Figures
from pytest_optbench.report.plots import (BASELINE_LINE, GAP_FLOOR, Style, attention_title,
                                          failing, filename, label, panels, problem_groups)

import matplotlib.pyplot as plt  # noqa: E402  (report.plots chose the Agg backend)


def loss_curves(results: Sequence[CaseResult], colours: Mapping[str, Style]) -> Figure:
    """Loss (its gap to the minimum) against step: median over starts, band between quartiles,
    and the stored baseline's trajectory under it, faded and marked with ×. At most eight lines
    a panel, a family to a panel where it fits."""
    grouped = panels(results)
    columns = 1 if len(grouped) == 1 else 2
    rows = math.ceil(len(grouped) / columns)
    figure, grid = plt.subplots(rows, columns, figsize=(7.5 * columns, 3.6 * rows + 0.5),
                                squeeze=False, sharex=True, sharey=True, layout="constrained")
    with_baseline = False
    for axes, members in zip(grid.flat, grouped):
        for result in members:
            with_baseline |= _draw_loss(axes, result, colours[result.optimizer])
        axes.set_yscale("log")
        axes.grid(True, which="major", alpha=0.3)
        axes.legend(fontsize=7, loc="upper right", frameon=False, ncols=2 if len(members) > 4 else 1)
        if failing(members):
            axes.set_title("FAILING: " + ", ".join(label(r) for r in members if failing([r])),
                           fontsize=9, color="#b00020", loc="left")
    for axes in list(grid.flat)[len(grouped):]:
        axes.set_visible(False)
    for axes in grid[-1]:
        axes.set_xlabel("step")
    for axes in grid[:, 0]:
        axes.set_ylabel("loss − minimum")
    baseline = " ×: the stored baseline's trajectory (mean over its seeds)." if with_baseline else ""
    figure.suptitle(f"{results[0].suite}: {results[0].problem} — loss against step, median over "
                    f"starts (band: quartiles).{baseline}", fontsize=10)
    return figure


def _draw_loss(axes, result: CaseResult, style: Style) -> bool:
    """One case's curve and band, and its stored baseline where there is one (then True)."""
    curve = result.curves
    # Older results files kept the loss itself.
    f_min = 0.0 if curve.get("of") == "gap" else result.details.get("f_min") or 0.0
    if not curve.get("step"):
        return False
    # Held to the trajectory's floor, as the stored baseline is: gaps below it are rounding.
    gap = lambda values: [max(v - f_min, TRAJECTORY_FLOOR) if v is not None  # noqa: E731
                          else math.nan for v in values]
    axes.plot(curve["step"], gap(curve["median"]), color=style.colour, ls=style.line, lw=1.5,
              label=label(result))
    axes.fill_between(curve["step"], gap(curve["q25"]), gap(curve["q75"]), color=style.colour,
                      alpha=0.12, lw=0)
    stored = result.baseline_curve or {}
    if not stored.get("log10_gap"):
        return False
    points = [(step, 10.0 ** value) for step, value in zip(stored["step"], stored["log10_gap"])
              if value is not None]
    axes.plot([p[0] for p in points], [p[1] for p in points], color=style.colour, ls=style.line,
              **BASELINE_LINE)
    return True


GRID = 120  # points a side of the contour background


def trajectories(results: Sequence[CaseResult], colours: Mapping[str, Style]) -> Figure | None:
    """Each optimizer's paths over the function's contours, starts and minima marked."""
    import torch

    from pytest_optbench.kinds.analytic.config import AnalyticConfig
    from pytest_optbench.kinds.analytic.runner import bind_function

    drawn = [r for r in results if r.details.get("trajectories")]
    if not drawn:
        return None
    sample = drawn[0].details["trajectories"]
    config = drawn[0].config["problem"]
    function = bind_function(AnalyticConfig(**{**config, "domain": tuple(map(tuple, config["domain"]))}))
    (x0, x1), (y0, y1) = sample["domain"]
    xs = torch.linspace(x0, x1, GRID, dtype=torch.float64)
    ys = torch.linspace(y0, y1, GRID, dtype=torch.float64)
    grid = torch.cartesian_prod(xs, ys)
    with torch.no_grad():
        heights = function.value(grid).view(GRID, GRID).T
    log_gap = torch.log10((heights - function.f_min).clamp_min(GAP_FLOOR)).numpy()
    # Flat bands, as filled contours would draw them: a few grey levels compress to little.
    low, high = float(log_gap.min()), float(log_gap.max())
    bands = ((log_gap - low) / max(high - low, 1e-12) * 12).round()
    columns = min(5, len(drawn))
    rows = math.ceil(len(drawn) / columns)
    figure, grid_axes = plt.subplots(rows, columns, figsize=(2.7 * columns, 2.5 * rows + 0.6),
                                     squeeze=False, layout="constrained", sharex=True, sharey=True)
    for axes, result in zip(grid_axes.flat, drawn):
        paths = result.details["trajectories"]
        # An image, not filled contours: one panel per optimizer, and a suite draws hundreds.
        axes.imshow(bands, origin="lower", extent=(x0, x1, y0, y1), cmap="Greys", alpha=0.3,
                    aspect="auto", interpolation="nearest")
        axes.contour(xs.numpy(), ys.numpy(), log_gap, levels=8, colors="grey", linewidths=0.3)
        colour = colours[result.optimizer].colour  # one optimizer a panel: solid paths
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
        broken = failing([result])
        axes.set_title(("FAILING: " if broken else "") + label(result), fontsize=8,
                       color="#b00020" if broken else "black")
    for axes in list(grid_axes.flat)[len(drawn):]:
        axes.set_visible(False)
    for axes in grid_axes[-1]:
        axes.set_xlabel("x₁")
    for axes in grid_axes[:, 0]:
        axes.set_ylabel("x₂")
    handles, labels = grid_axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False, fontsize=8)
    figure.suptitle(f"{drawn[0].suite}: {drawn[0].problem} — paths of "
                    f"{len(sample['paths'])} starts over log10(loss − minimum)")
    return figure


def figures(results: Sequence[CaseResult], styles: Mapping[str, Style]) -> Figures:
    planned: Figures = []
    for (suite, problem), members in problem_groups(results).items():
        planned.append((attention_title(members, f"{suite}: {problem}, loss against step"),
                        filename(suite, problem, "loss"), partial(loss_curves, members, styles)))
        planned.append((attention_title(members, f"{suite}: {problem}, paths"),
                        filename(suite, problem, "paths"), partial(trajectories, members, styles)))
    return planned
