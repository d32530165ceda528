"""What each metric means: which direction is better, default baseline tolerances, display."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool
    description: str
    tolerance: float          # default absolute slack against the baseline
    rel_tolerance: float      # default slack as a fraction of the baseline
    convergence: bool = False  # relaxed for cases the suite marks `does_not_converge`
    curve: bool = False       # per seed a list of values; compared point by point, both ways
    # Seed-noisy metrics are compared with the spread of the stored seeds (statistics.py); this
    # is the least spread assumed. None: the metric is deterministic, tolerances alone apply.
    noise_floor: float | None = None
    unit: str = ""            # "s", "B", "/s", "B/s" or "%": how the table shows values


ANALYTIC_METRICS: dict[str, Metric] = {m.name: m for m in [
    Metric("converged_fraction", True,
           "fraction of start points that meet the convergence criterion at the end",
           tolerance=0.05, rel_tolerance=0.0, convergence=True),
    Metric("final_loss", False, "median over start points of the loss after the last step",
           tolerance=1e-8, rel_tolerance=0.5, convergence=True),
    Metric("distance", False,
           "median over start points of the distance to the nearest global minimum at the end",
           tolerance=1e-3, rel_tolerance=0.25, convergence=True),
    Metric("steps_to_converge", False,
           "median over converged start points of the step from which the criterion holds",
           tolerance=5.0, rel_tolerance=0.1, convergence=True),
    # Deterministic runs reproduce their whole loss curve, so the curve is a fingerprint of the
    # optimizer's arithmetic: a changed learning rate or a dropped bias correction moves it even
    # where every end-of-run number stays the same. Values are decades (log10 of the loss gap).
    Metric("trajectory", False,
           "median over start points of log10(loss - minimum) at log-spaced steps, in decades",
           tolerance=0.1, rel_tolerance=0.0, curve=True),
]}


DATA_METRICS: dict[str, Metric] = {m.name: m for m in [
    Metric("test_accuracy", True, "accuracy on the test set after the last step",
           tolerance=0.0, rel_tolerance=0.0, convergence=True, noise_floor=0.001),
    Metric("test_loss", False, "mean cross-entropy on the test set after the last step",
           tolerance=0.0, rel_tolerance=0.0, convergence=True, noise_floor=0.005),
    Metric("train_loss", False, "mean training loss over the last epoch (or evaluation interval)",
           tolerance=0.0, rel_tolerance=0.0, convergence=True, noise_floor=0.005),
    Metric("epochs_to_target", False, "epochs until the test accuracy first reached the target",
           tolerance=0.0, rel_tolerance=0.0, convergence=True, noise_floor=0.25),
    Metric("time_to_target", False,
           "training seconds until the test accuracy first reached the target (device-bound)",
           tolerance=0.0, rel_tolerance=0.25, convergence=True, noise_floor=0.05),
]}

TIMING_METRICS: dict[str, Metric] = {m.name: m for m in [
    Metric("step_time", False, "median seconds per optimizer step", tolerance=0.0,
           rel_tolerance=0.25, unit="s"),
    Metric("params_per_s", True, "parameters updated per second", tolerance=0.0,
           rel_tolerance=0.25, unit="/s"),
    Metric("bytes_per_s", True, "bytes moved per second (reads and writes of parameters, "
           "gradients and state)", tolerance=0.0, rel_tolerance=0.25, unit="B/s"),
    Metric("bandwidth_share", True, "bytes per second as a share of the device's bandwidth",
           tolerance=0.0, rel_tolerance=0.25, unit="%"),
    Metric("peak_memory", False, "memory the step allocates at most, beyond its inputs and state",
           tolerance=float(2 ** 20), rel_tolerance=0.1, unit="B"),
]}

ALL_METRICS: dict[str, Metric] = {**ANALYTIC_METRICS, **DATA_METRICS, **TIMING_METRICS}


def format_with_unit(value: float | None, unit: str) -> str:
    """Times in us/ms/s, bytes in KiB/MiB/GiB, rates with k/M/G, shares in percent."""
    if value is None or not unit:
        return format_value(value)
    if unit == "%":
        return f"{100 * value:.1f}%"
    if unit == "s":
        for scale, suffix in ((1e-6, "us"), (1e-3, "ms")):
            if abs(value) < scale * 1000:
                return f"{value / scale:.3g} {suffix}"
        return f"{value:.3g} s"
    if unit == "B":
        for power, suffix in ((0, "B"), (10, "KiB"), (20, "MiB"), (30, "GiB")):
            if abs(value) < 2 ** (power + 10):
                return f"{value / 2 ** power:.3g} {suffix}"
        return f"{value / 2 ** 40:.3g} TiB"
    base = unit.removesuffix("/s")
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}{base}/s"
    return f"{value:.3g} {base}/s"


def format_value(value: float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e5 or magnitude < 1e-3:
        return f"{value:.3g}"
    if float(value).is_integer() and magnitude >= 10:
        return f"{int(value)}"
    return f"{value:.4g}"
