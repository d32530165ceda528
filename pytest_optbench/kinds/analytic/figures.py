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
    """Loss (its gap to the minimum) against step, as the gate compares it: each seed's median
    over its starts, averaged over the seeds, the band spanning the seeds; the stored baseline's
    same statistic under it, faded and marked with ×. At most eight lines a panel, a family to
    a panel where it fits."""
    grouped = panels(results)
    columns = 1 if len(grouped) == 1 else 2
    rows = math.ceil(len(grouped) / columns)
    figure, grid = plt.subplots(rows, columns, figsize=(7.5 * columns, 3.6 * rows + 0.5),
                                squeeze=False, sharex=True, sharey=True, layout="constrained")
    with_baseline = False
    for axes, members in zip(grid.flat, grouped):
        for result in members:
            # Bands of more than a few lines merge into one mass: the lines alone then.
            with_baseline |= _draw_loss(axes, result, colours[result.optimizer],
                                        band=len(members) <= 4)
        axes.set_xscale("log")   # the checkpoints are log-spaced: early steps differ most
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
    baseline = "; ×: the stored baseline, the same statistic" if with_baseline else ""
    figure.suptitle(f"{results[0].suite}: {results[0].problem} — loss gap against step\n"
                    f"mean over seeds of each seed's median over starts (band: the seeds' "
                    f"range){baseline}", fontsize=9, wrap=True)
    return figure


def seed_trajectory(result: CaseResult) -> tuple[list[int], list[float], list[float],
                                                 list[float]] | None:
    """(steps, mean, lowest, highest) of the per-seed median log10 gaps at the checkpoints:
    the `trajectory` metric the gate compares, as gaps."""
    from pytest_optbench.kinds.analytic.summary import checkpoints

    per_seed = [t for t in (result.metrics or {}).get("trajectory") or [] if isinstance(t, list)]
    if not per_seed or result.steps_run is None:
        return None
    steps = checkpoints(result.steps_run)
    if any(len(t) != len(steps) for t in per_seed):
        return None
    mean, low, high = [], [], []
    for i in range(len(steps)):
        values = [t[i] for t in per_seed if t[i] is not None]
        mean.append(10.0 ** (sum(values) / len(values)) if values else math.nan)
        low.append(10.0 ** min(values) if values else math.nan)
        high.append(10.0 ** max(values) if values else math.nan)
    return steps, mean, low, high


def _draw_loss(axes, result: CaseResult, style: Style, band: bool = True) -> bool:
    """One case's curve and band, and its stored baseline where there is one (then True)."""
    drawn = seed_trajectory(result)
    if drawn is None:
        return False
    steps, mean, low, high = drawn
    floor = lambda values: [max(v, TRAJECTORY_FLOOR) for v in values]  # noqa: E731
    axes.plot(steps, floor(mean), color=style.colour, ls=style.line, lw=1.5, label=label(result))
    if band and len(result.metrics.get("trajectory") or []) > 1:
        axes.fill_between(steps, floor(low), floor(high), color=style.colour, alpha=0.12, lw=0)
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
