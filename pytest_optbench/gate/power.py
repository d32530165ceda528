"""What the seed comparison of each seed-noisy metric can see: the smallest change it detects
with 90% probability, given the seeds that ran, the seeds stored and the false-alarm rate."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from pytest_optbench.gate.averages import present as _present
from pytest_optbench.gate.baseline_view import BaselineView
from pytest_optbench.gate.expectations import Expectation
from pytest_optbench.gate.metrics import Metric
from pytest_optbench.gate.statistics import DETECTION_POWER, detectable_change, seed_margin


def sensitivity(metrics: Mapping[str, Sequence[Any]], expect: Mapping[str, Expectation],
                definitions: Mapping[str, Metric], baseline: BaselineView,
                false_alarm_rate: float) -> dict[str, dict[str, Any]]:
    """Per seed-noisy metric compared with a baseline: seeds (new, stored), the false-alarm
    share, the spread used (sd of one seed), and the detectable change in sd and in units.
    The false-alarm rate is split over the noisy metrics exactly as check_case splits it."""
    noisy = [name for name, e in expect.items()
             if e.baseline is not None and definitions[name].noise_floor is not None]
    if not noisy or not baseline.metrics:
        return {}
    alpha = false_alarm_rate / len(noisy)
    found: dict[str, dict[str, Any]] = {}
    for name in noisy:
        metric, check = definitions[name], expect[name].baseline
        assert check is not None and metric.noise_floor is not None
        current, stored = _present(metrics.get(name)), _present(baseline.metrics.get(name))
        margin = seed_margin(current, stored, metric.noise_floor, alpha, check.two_sided)
        in_sd = detectable_change(len(current), len(stored), alpha, check.two_sided)
        if margin is None or in_sd is None:
            continue
        found[name] = {"seeds": [len(current), len(stored)], "alpha": alpha,
                       "sd": margin.spread, "detectable_sd": round(in_sd, 3),
                       "detectable": in_sd * margin.spread, "power": DETECTION_POWER,
                       "unit": metric.unit}
    return found
