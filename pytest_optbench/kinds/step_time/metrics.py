"""The metrics of a step-time case, and the implementations a step can be timed in."""

from __future__ import annotations

from pytest_optbench.gate.metrics import Metric

METRICS: dict[str, Metric] = {m.name: m for m in [
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

# Gated by default; the rates and the bandwidth share follow from the step time and are shown in
# the step-time table.
DEFAULT_GATED = ("step_time", "peak_memory")
IMPLEMENTATIONS = ("default", "for-loop", "foreach", "fused")
