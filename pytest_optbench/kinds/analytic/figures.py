"""Figures of analytic cases: loss against step, and paths over the contours."""

from __future__ import annotations

import math
from functools import partial
from typing import Mapping, Sequence

from matplotlib.figure import Figure

from pytest_optbench.gate.record import CaseResult
from pytest_optbench.kinds.base import Figures
from pytest_optbench.report.plots import (GAP_FLOOR, Style, by_family, filename, label,
                                          legend_outside, problem_groups, size_for_legend)

import matplotlib.pyplot as plt  # noqa: E402  (report.plots chose the Agg backend)


def loss_curves(results: Sequence[CaseResult], colours: Mapping[str, Style]) -> Figure:
    """Loss (its gap to the minimum) against step: median over starts, band between quartiles."""
    figure, axes = plt.subplots(figsize=size_for_legend(9, 5, len(results)), layout="constrained")
    band_alpha = 0.15 if len(results) <= 8 else 0.07  # many overlapping bands turn to mud
    for result in by_family(results):
        curve, f_min = result.curves, result.details.get("f_min") or 0.0
        if not curve.get("step"):
            continue
        gap = lambda values: [max(v - f_min, GAP_FLOOR) if v is not None else math.nan  # noqa: E731
                              for v in values]
        style = colours[result.optimizer]
        axes.plot(curve["step"], gap(curve["median"]), color=style.colour, ls=style.line, lw=1.5,
                  label=label(result))
        axes.fill_between(curve["step"], gap(curve["q25"]), gap(curve["q75"]), color=style.colour,
                          alpha=band_alpha, lw=0)
    axes.set_yscale("log")
    axes.set_xlabel("step")
    axes.set_ylabel("loss − minimum (median over starts)")
    axes.set_title(f"{results[0].suite}: {results[0].problem} — loss against step "
                   f"(band: quartiles over starts)")
    axes.grid(True, which="major", alpha=0.3)
    legend_outside(axes)
    return figure


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
    xs, ys = torch.linspace(x0, x1, 200, dtype=torch.float64), torch.linspace(y0, y1, 200, dtype=torch.float64)
    grid = torch.cartesian_prod(xs, ys)
    with torch.no_grad():
        heights = function.value(grid).view(200, 200).T
    log_gap = torch.log10((heights - function.f_min).clamp_min(GAP_FLOOR)).numpy()
    columns = min(5, len(drawn))
    rows = math.ceil(len(drawn) / columns)
    figure, grid_axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 3.0 * rows + 0.6),
                                     squeeze=False, layout="constrained", sharex=True, sharey=True)
    for axes, result in zip(grid_axes.flat, drawn):
        paths = result.details["trajectories"]
        axes.contourf(xs.numpy(), ys.numpy(), log_gap, levels=20, cmap="Greys", alpha=0.3)
        axes.contour(xs.numpy(), ys.numpy(), log_gap, levels=10, colors="grey", linewidths=0.3)
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
        axes.set_title(label(result), fontsize=9)
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
        planned.append((f"{suite}: {problem}, paths", filename(suite, problem, "paths"),
                        partial(trajectories, members, styles)))
        planned.append((f"{suite}: {problem}, loss against step", filename(suite, problem, "loss"),
                        partial(loss_curves, members, styles)))
    return planned
