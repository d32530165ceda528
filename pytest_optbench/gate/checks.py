"""Thresholds and baseline comparisons -> one row per metric, every violation at once."""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import asdict, dataclass
from typing import Mapping, Sequence

from pytest_optbench.gate.metrics import Metric, format_value, format_with_unit
from pytest_optbench.suite.spec import BaselineCheck, Expectation
from pytest_optbench.gate.statistics import DEFAULT_FALSE_ALARM_RATE, seed_margin

# Row statuses. Upper case ones fail the case.
PASS, IMPROVED, RECORDED, KNOWN = "pass", "improved", "recorded", "known"
NOT_COMPARABLE, NOT_TIMED = "not comparable", "not timed"
FAIL, REGRESSION, CHANGED = "FAIL", "REGRESSION", "CHANGED"
MISSING, STALE, DIVERGED, ERROR = "MISSING", "STALE", "DIVERGED", "ERROR"
FAILING = frozenset({FAIL, REGRESSION, CHANGED, MISSING, STALE, DIVERGED, ERROR})
# Table order: what needs attention first.
# "stale", "new" and "removed" are what `compare` says of cases it cannot or need not judge.
SEVERITY = [ERROR, DIVERGED, FAIL, REGRESSION, CHANGED, STALE, MISSING, "stale", "new", "removed",
            NOT_COMPARABLE, NOT_TIMED, IMPROVED, RECORDED, KNOWN, PASS]


@dataclass(frozen=True)
class BaselineView:
    """What the checks need to know about a case's stored baseline."""

    state: str                                   # ok | missing | stale
    metrics: Mapping[str, Sequence[float | None]] | None = None
    provenance: Mapping | None = None
    detail: str = ""
    curve: Mapping[str, list] | None = None      # the stored mean learning curve, for plots


@dataclass(frozen=True)
class Row:
    case: str
    metric: str
    value: float | None
    baseline: float | None
    delta: float | None
    limit: str
    status: str
    detail: str = ""
    compared: bool = False   # a baseline comparison happened (not recorded, missing or stale)

    def to_json(self) -> dict:
        return asdict(self)


def mean(values: Sequence[float | None] | None) -> float | None:
    present = [v for v in values or () if v is not None and math.isfinite(v)]
    return sum(present) / len(present) if present else None


def margin(metric: Metric, check: BaselineCheck, baseline: float) -> float:
    """How far a value may move from its baseline before it counts, seed noise aside."""
    absolute = check.tolerance if check.tolerance is not None else metric.tolerance
    relative = check.rel_tolerance if check.rel_tolerance is not None else metric.rel_tolerance
    return max(absolute, relative * abs(baseline))


def _present(values) -> list[float]:
    return [v for v in values or () if v is not None and math.isfinite(v)]


def check_metric(case: str, metric: Metric, expectation: Expectation,
                 values: Sequence, baseline: BaselineView, relaxed: bool,
                 updating: bool, alpha: float = DEFAULT_FALSE_ALARM_RATE) -> Row:
    """One metric's row; `alpha` is its share of the case's false-alarm probability."""
    if metric.curve:
        return _check_curve(case, metric, expectation, values, baseline, updating)
    value = mean(values)
    compared = False
    problems: list[str] = []
    status = PASS
    lower, upper = None, None
    if not (relaxed and metric.convergence):
        lower, upper = expectation.min, expectation.max
    if lower is not None and (value is None or value < lower):
        problems.append(f"below the minimum {format_value(lower)}")
    if upper is not None and (value is None or value > upper):
        problems.append(f"above the maximum {format_value(upper)}")
    if problems:
        status = FAIL

    base = mean(baseline.metrics.get(metric.name)) if baseline.metrics else None
    delta = value - base if value is not None and base is not None else None
    check = expectation.baseline
    if check is not None and updating:
        status = status if status == FAIL else RECORDED
    elif check is not None and baseline.state != "ok":
        problems.append(baseline.detail)
        base, delta = None, None
        if status != FAIL:
            status = {"stale": STALE, "not-comparable": NOT_COMPARABLE}.get(baseline.state, MISSING)
    elif check is not None:
        compared = True
        noise = None
        if metric.noise_floor is not None and baseline.metrics:
            noise = seed_margin(_present(values), _present(baseline.metrics.get(metric.name)),
                                metric.noise_floor, alpha, check.two_sided)
        verdict, bound = _compare(metric, check, value, base, noise.margin if noise else 0.0)
        if noise is not None and verdict in (REGRESSION, CHANGED):
            problems.append(noise.describe())
        if verdict in (REGRESSION, CHANGED):
            problems.append(f"{'worse than' if verdict == REGRESSION else 'changed from'} "
                            f"the baseline {format_with_unit(base, metric.unit)} by more than "
                            f"the tolerance")
            status = FAIL if status == FAIL else verdict
        elif verdict == IMPROVED and status == PASS:
            status = IMPROVED
        lower, upper = _tighter(metric, lower, upper, bound)
    if status == PASS and relaxed and metric.convergence:
        status = KNOWN
    return Row(case, metric.name, value, base, delta, _limit_text(lower, upper, metric.unit), status,
               "; ".join(problems), compared)


def mean_curve(curves: Sequence[Sequence[float | None]] | None) -> list[float | None]:
    """Point by point mean over seeds of per-seed curves."""
    curves = [c for c in curves or () if c is not None]
    if not curves or len({len(c) for c in curves}) != 1:
        return []
    return [mean(points) for points in zip(*curves)]


def _check_curve(case: str, metric: Metric, expectation: Expectation, values: Sequence,
                 baseline: BaselineView, updating: bool) -> Row:
    """A curve against the baseline's: its largest deviation, in the curve's own units."""
    check = expectation.baseline or BaselineCheck()
    limit = check.tolerance if check.tolerance is not None else metric.tolerance
    limit_text = f"<= {format_value(limit)}"
    if updating:
        return Row(case, metric.name, None, None, None, limit_text, RECORDED)
    if baseline.state != "ok":
        status = {"stale": STALE, "not-comparable": NOT_COMPARABLE}.get(baseline.state, MISSING)
        return Row(case, metric.name, None, None, None, limit_text, status, baseline.detail)
    current = mean_curve(values)
    stored = mean_curve(baseline.metrics.get(metric.name) if baseline.metrics else None)
    if len(current) != len(stored):
        return Row(case, metric.name, None, None, None, limit_text, CHANGED,
                   f"{len(current)} points against {len(stored)} in the baseline", compared=True)
    worst, where = 0.0, None
    for index, (now, then) in enumerate(zip(current, stored)):
        if now is None and then is None:
            continue
        gap = abs(now - then) if now is not None and then is not None else float("inf")
        if gap > worst:
            worst, where = gap, index
    if where is None or worst <= limit:
        return Row(case, metric.name, worst, None, None, limit_text, PASS, compared=True)
    detail = (f"largest change at point {where + 1} of {len(current)}: "
              f"{format_value(current[where])} against {format_value(stored[where])}")
    return Row(case, metric.name, worst, None, None, limit_text, CHANGED, detail, compared=True)


def _compare(metric: Metric, check: BaselineCheck, value: float | None,
             base: float | None, noise: float) -> tuple[str, tuple[float | None, float | None]]:
    """Verdict against the baseline, and the (low, high) bounds it implies."""
    if base is None and value is None:
        return PASS, (None, None)
    if base is None:
        # e.g. steps_to_converge: nothing converged before, something does now.
        return (CHANGED if check.two_sided else IMPROVED), (None, None)
    if value is None:
        return (CHANGED if check.two_sided else REGRESSION), (None, None)
    allowed = max(margin(metric, check, base), noise)
    low, high = base - allowed, base + allowed
    if check.two_sided:
        return (PASS if low <= value <= high else CHANGED), (low, high)
    if metric.higher_is_better:
        return (REGRESSION if value < low else IMPROVED if value > high else PASS), (low, None)
    return (REGRESSION if value > high else IMPROVED if value < low else PASS), (None, high)


def _tighter(metric, lower, upper, bound):
    low, high = bound
    if low is not None:
        lower = low if lower is None else max(lower, low)
    if high is not None:
        upper = high if upper is None else min(upper, high)
    return lower, upper


def _limit_text(lower: float | None, upper: float | None, unit: str = "") -> str:
    show = functools.partial(format_with_unit, unit=unit)
    if lower is not None and upper is not None:
        return f"{show(lower)}..{show(upper)}"
    if lower is not None:
        return f">= {show(lower)}"
    if upper is not None:
        return f"<= {show(upper)}"
    return ""


def check_case(case: str, metrics: Mapping[str, Sequence[float | None]],
               expect: Mapping[str, Expectation], definitions: Mapping[str, Metric],
               baseline: BaselineView, known_reason: str | None, updating: bool,
               false_alarm_rate: float = DEFAULT_FALSE_ALARM_RATE) -> list[Row]:
    """Every expectation of a case; `known_reason` says why it is not expected to converge.

    The case's false-alarm probability is split evenly over its seed-noisy baseline
    comparisons, so that the case as a whole fails an unchanged optimizer at most that often.
    """
    noisy = sum(1 for name, e in expect.items()
                if e.baseline is not None and definitions[name].noise_floor is not None)
    alpha = false_alarm_rate / max(noisy, 1)
    rows = []
    for name, expectation in expect.items():
        row = check_metric(case, definitions[name], expectation, metrics.get(name, ()), baseline,
                           known_reason is not None, updating, alpha)
        if row.status == KNOWN:
            row = dataclasses.replace(row, detail=f"not expected to converge: {known_reason}")
        rows.append(row)
    return rows


def failure_message(rows: Sequence[Row], divergence: str | None,
                    baseline: BaselineView) -> str | None:
    """The text a failing case shows: each violation with what was compared."""
    lines = []
    if divergence:
        lines.append(divergence)
    for row in rows:
        if row.status in FAILING and row.status != DIVERGED:  # stated once, above
            show = functools.partial(format_with_unit, unit=_unit_of(row.metric))
            text = f"{row.metric}: {row.status}: value {show(row.value)}"
            if row.baseline is not None:
                delta = show(row.delta)
                text += f", baseline {show(row.baseline)}, delta " \
                        f"{delta if delta.startswith('-') else '+' + delta}"
            if row.limit:
                text += f", limit {row.limit}"
            if row.detail:
                text += f" ({row.detail})"
            lines.append(text)
    if not lines:
        return None
    if baseline.provenance and any(r.baseline is not None for r in rows):
        lines.append("baseline recorded with " + provenance_text(baseline.provenance))
    return "\n".join(lines)


def _unit_of(metric: str) -> str:
    from pytest_optbench.gate.metrics import ALL_METRICS

    known = ALL_METRICS.get(metric)
    return known.unit if known else ""


def provenance_text(provenance: Mapping) -> str:
    keys = ("torch", "optbench", "device", "dtype", "recorded")
    return ", ".join(f"{k} {provenance[k]}" for k in keys if provenance.get(k))
