"""Baseline comparisons within a measured noise envelope (gate/envelope.py): the margins an
entry's envelope allows, a curve compared point by point within them, and the suite
tolerances that cannot hold on another machine."""

from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

from pytest_optbench.gate.averages import margin, mean, mean_curve, suite_tolerance
from pytest_optbench.gate.baseline_view import BaselineView
from pytest_optbench.gate.envelope import Allowance, allowance, compared_value, point_allowances
from pytest_optbench.gate.expectations import BaselineCheck, Expectation
from pytest_optbench.gate.metrics import Metric, format_value
from pytest_optbench.gate.record import BaselineState, Row, Status


def envelope_allowance(metric: Metric, check: BaselineCheck, baseline: BaselineView,
                       base: float | None, seeds_ratio: float = 1.0) -> Allowance | None:
    """The margin a scalar metric's envelope allows, where the entry has one for it and the
    suite set no tolerance of its own."""
    envelope = baseline.envelope
    if envelope is None or suite_tolerance(check) or metric.name not in envelope.spread \
            or metric.curve:
        return None
    spread = envelope.spread[metric.name]
    if isinstance(spread, list):
        return None
    anchor = compared_value(metric, [base]) if base is not None else None
    return allowance(metric, spread, envelope.replicas, anchor, seeds_ratio,
                     envelope.band.get(metric.name, 0.0))


def curve_allowances(metric: Metric, check: BaselineCheck, baseline: BaselineView,
                     seeds_ratio: float = 1.0) -> list[Allowance] | None:
    """Each point's allowance from the entry's envelope; None without one, or where the suite
    set its own tolerance."""
    envelope = baseline.envelope
    if envelope is None or suite_tolerance(check):
        return None
    spread = envelope.spread.get(metric.name)
    if not isinstance(spread, list):
        return None
    band = envelope.band.get(metric.name)
    return point_allowances(metric, spread, envelope.replicas, seeds_ratio,
                            band if isinstance(band, list) else None)


def ungated_points(points: Sequence[Allowance]) -> str:
    """'points 12-16 of 16 not gated: rounding alone may move them by up to 5.5'."""
    left = [i for i, a in enumerate(points) if not a.gated]
    if not left:
        return ""
    widest = max(points[i].margin for i in left)
    how = "without bound" if math.isinf(widest) else f"by up to {format_value(widest)}"
    where = f"point {left[0] + 1}" if len(left) == 1 else \
        f"points {ranges([i + 1 for i in left])}"
    return f"{where} of {len(points)} not gated: rounding alone may move them {how}"


def ranges(numbers: Sequence[int]) -> str:
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans)


def compare_curve_envelope(current: list[float | None], baseline: BaselineView,
                            metric: Metric, points: Sequence[Allowance],
                            row: Callable[..., Row]) -> Row:
    """Point by point within each point's envelope, leaving out the points not worth gating."""
    assert baseline.envelope is not None
    stored = mean_curve(baseline.metrics.get(metric.name) if baseline.metrics else None)
    ungated = ungated_points(points)
    if len(current) != len(stored):
        return row(None, None, None, status=Status.CHANGED, compared=True,
                   detail=f"{len(current)} points against {len(stored)} in the baseline")
    gated = [i for i, a in enumerate(points) if a.gated]
    if not gated:
        return row(None, None, None, status=Status.NOT_GATED, compared=True, ungated=ungated,
                   detail=f"{metric.name}: {ungated}", limit="not gated")
    worst, where = -1.0, gated[0]
    for index in gated:
        now, then = current[index], stored[index]
        if now is None and then is None:
            continue
        gap = abs(now - then) if now is not None and then is not None else float("inf")
        excess = gap / points[index].margin
        if excess > worst:
            worst, where = excess, index
    now, then = current[where], stored[where]
    gap = abs(now - then) if now is not None and then is not None else (
        0.0 if now is None and then is None else float("inf"))
    allowed = points[where].margin
    limit = f"<= {format_value(allowed)}"
    if gap <= allowed:
        return row(gap, None, None, status=Status.PASS, compared=True, ungated=ungated,
                   limit=limit, detail=ungated)
    spread = points[where].spread
    moved = "did not move" if not spread else f"moves by {format_value(spread)} (rms)"
    detail = (f"{metric.description}: the largest change against the noise envelope is at "
              f"point {where + 1} of {len(current)}, now {format_value(now)}, baseline "
              f"{format_value(then)}: a change of {format_value(gap)}, more than the "
              f"{format_value(allowed)} allowed there (the point {moved} under rounding in "
              f"{baseline.envelope.replicas} replicas)")
    if ungated:
        detail += f"; {ungated}"
    return row(gap, None, None, status=Status.CHANGED, detail=detail, compared=True,
               ungated=ungated, limit=limit)


def tolerance_warnings(expect: Mapping[str, Expectation], definitions: Mapping[str, Metric],
                       baseline: BaselineView) -> list[str]:
    """Tolerances a suite set below what its metric moves under rounding alone: they cannot
    hold on another machine."""
    if baseline.envelope is None or baseline.state is not BaselineState.OK:
        return []
    warnings = []
    for name, expectation in expect.items():
        check, metric = expectation.baseline, definitions.get(name)
        if check is None or metric is None or not suite_tolerance(check):
            continue
        base = mean(baseline.metrics.get(name)) if baseline.metrics and not metric.curve \
            else None
        free = check.model_copy(update={"tolerance": None, "rel_tolerance": None})
        if metric.curve:
            points = curve_allowances(metric, free, baseline) or []
            measured = max((a.margin for a in points if a.gated), default=0.0)
            own = check.tolerance if check.tolerance is not None else metric.tolerance
        else:
            found = envelope_allowance(metric, free, baseline, base)
            if found is None:
                continue
            measured = found.margin
            if metric.log_scale:
                # the suite's factor (1 + rel_tolerance), in decades
                own = math.log10(1.0 + (check.rel_tolerance if check.rel_tolerance is not None
                                        else metric.rel_tolerance))
            else:
                own = margin(metric, check, base or 0.0)
        if own < measured:
            unit = " decades" if metric.log_scale or metric.curve else ""
            warnings.append(f"{name}: the suite's tolerance {format_value(own)}{unit} is below "
                            f"what it moves under rounding alone ({format_value(measured)}{unit} "
                            f"from {baseline.envelope.replicas} replicas): it cannot hold on "
                            f"another machine; remove it to use the measured envelope")
    return warnings
