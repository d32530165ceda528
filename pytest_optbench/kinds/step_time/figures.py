"""The figure of step-time cases: time per step against the bandwidth floor."""

from __future__ import annotations

from functools import partial
from typing import Any, Mapping, Sequence

from matplotlib.figure import Figure

from pytest_optbench.gate.record import CaseResult
from pytest_optbench.kinds.base import Figures
from pytest_optbench.report.plots import Style, filename, problem_groups

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

IMPLEMENTATION_HATCHES = {"default": "", "for-loop": "", "foreach": "//", "fused": "xx"}


def step_times(results: Sequence[CaseResult], colours: Mapping[str, Style]) -> Figure:
    """Time per step: a bar per optimizer and implementation, and the bandwidth floor (the
    bytes a step moves at the device's bandwidth) marked on each bar."""
    timed = [r for r in results if (r.details.get("timing") or {}).get("median_s")]
    optimizers = list(dict.fromkeys(r.optimizer for r in timed))
    implementations = list(dict.fromkeys(r.details["timing"]["implementation"] for r in timed))
    width = 0.8 / max(len(implementations), 1)
    figure, axes = plt.subplots(figsize=(max(7, 1.4 * len(optimizers) + 3), 5), layout="constrained")
    values = [r.details["timing"]["median_s"] for r in timed]
    scale, unit = (1e-3, "ms") if max(values, default=0) >= 1e-3 else (1e-6, "µs")
    for result in timed:
        t = result.details["timing"]
        x = optimizers.index(result.optimizer) + (
            implementations.index(t["implementation"]) - (len(implementations) - 1) / 2) * width
        axes.bar(x, t["median_s"] / scale, width * 0.92, color=colours[result.optimizer].colour,
                 hatch=IMPLEMENTATION_HATCHES.get(t["implementation"], ""), edgecolor="black",
                 linewidth=0.5)
        floor = t["parameters"] * t["bytes_per_parameter"] / t["bandwidth_limit"] / scale
        axes.hlines(floor, x - width * 0.46, x + width * 0.46, color="black", lw=2.2)
    first = timed[0].details["timing"] if timed else {}
    legend: list[Any] = [Patch(facecolor="white", edgecolor="black", label=implementation,
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
    axes.set_title(f"{results[0].suite}: {results[0].problem} — optimizer.step(), {parameters}")
    axes.grid(True, axis="y", alpha=0.3)
    axes.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8,
                frameon=False, borderaxespad=0.0)
    return figure


def figures(results: Sequence[CaseResult], styles: Mapping[str, Style]) -> Figures:
    return [(f"{suite}: {problem}, step time", filename(suite, problem, "steps"),
             partial(step_times, members, styles))
            for (suite, problem), members in problem_groups(results).items()]
