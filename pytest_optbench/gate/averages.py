"""What a baseline comparison makes of per-seed values, and the fixed tolerances."""

from __future__ import annotations

import math
from typing import Sequence

from pytest_optbench.gate.expectations import BaselineCheck
from pytest_optbench.gate.metrics import Metric


def mean(values: Sequence[float | None] | None) -> float | None:
    found = present(values)
    return sum(found) / len(found) if found else None


def present(values: Sequence[float | None] | None) -> list[float]:
    return [v for v in values or () if v is not None and math.isfinite(v)]


def margin(metric: Metric, check: BaselineCheck, baseline: float) -> float:
    """How far a value may move from its baseline before it counts, seed noise aside."""
    absolute = check.tolerance if check.tolerance is not None else metric.tolerance
    relative = check.rel_tolerance if check.rel_tolerance is not None else metric.rel_tolerance
    return max(absolute, relative * abs(baseline))


def suite_tolerance(check: BaselineCheck) -> bool:
    """The suite set its own tolerance: it is used as written, envelope or not."""
    return check.tolerance is not None or check.rel_tolerance is not None


def mean_curve(curves: Sequence[Sequence[float | None] | None] | None) -> list[float | None]:
    """Point by point mean over seeds of per-seed curves."""
    present = [c for c in curves or () if c is not None]
    if not present or len({len(c) for c in present}) != 1:
        return []
    return [mean(points) for points in zip(*present)]
