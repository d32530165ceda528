"""Thresholds and baseline comparisons -> one row per metric, every violation at once."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from pytest_optbench.gate.averages import margin, mean, mean_curve, present, suite_tolerance
from pytest_optbench.gate.baseline_view import BaselineView, Values
from pytest_optbench.gate.envelope_checks import (compare_curve_envelope, curve_allowances,
                                                  envelope_allowance, tolerance_warnings)
from pytest_optbench.gate.expectations import BaselineCheck, Expectation
from pytest_optbench.gate.metrics import Metric, format_value, format_with_unit, stored_form
from pytest_optbench.gate.record import FAILING, BaselineState, Row, Status
from pytest_optbench.gate.statistics import DEFAULT_FALSE_ALARM_RATE, seed_margin

__all__ = ["BaselineView", "check_case", "check_metric", "failure_message", "margin", "mean",
           "mean_curve", "same_seeds", "tolerance_warnings"]

Bounds = tuple[float | None, float | None]


@dataclass(frozen=True)
class _Verdict:
    """The baseline comparison of one metric, before it is combined with the bounds."""

    status: Status
    base: float | None = None
    bounds: Bounds = (None, None)
    problems: tuple[str, ...] = ()
    compared: bool = False
    ungated: str = ""


def check_metric(case: str, metric: Metric, expectation: Expectation, values: Values,
                 baseline: BaselineView, relaxed: bool, updating: bool,
                 alpha: float = DEFAULT_FALSE_ALARM_RATE, seeds_ratio: float = 1.0) -> Row:
    """One metric's row; `alpha` is its share of the case's false-alarm probability;
    `seeds_ratio` is stored seeds over seeds run (an envelope widens for fewer).

    A failed bound (FAIL) outranks what the baseline says; the baseline's verdict outranks a
    plain pass; a relaxed convergence metric that passes is KNOWN.
    """
    if metric.curve:
        return _check_curve(case, metric, expectation, values, baseline, updating, seeds_ratio)
    value = mean(values)
    lower, upper = (None, None) if relaxed and metric.convergence else \
        (expectation.min, expectation.max)
    bound_problems = _bound_problems(value, lower, upper)
    verdict = _baseline_verdict(metric, expectation.baseline, value, values, baseline, updating,
                                alpha, seeds_ratio)
    if bound_problems:
        status = Status.FAIL
    elif verdict.status is not Status.PASS:
        status = verdict.status
    else:
        status = Status.KNOWN if relaxed and metric.convergence else Status.PASS
    lower, upper = _tighter(lower, upper, verdict.bounds)
    delta = value - verdict.base if value is not None and verdict.base is not None else None
    limit = _limit_text(lower, upper, metric.unit)
    return Row(case, metric.name, value, verdict.base, delta, limit,
               status, "; ".join([*bound_problems, *verdict.problems]), verdict.compared,
               metric.unit, verdict.ungated, _powerless(metric, lower, upper, limit),
               lower, upper)


def _powerless(metric: Metric, lower: float | None, upper: float | None, limit: str) -> str:
    """Why a limit cannot fail in the worse direction: it lies beyond every value the metric
    can take (an accuracy at chance, whose seed margin reaches below 0)."""
    show = functools.partial(format_with_unit, unit=metric.unit)
    if metric.higher_is_better and lower is not None and metric.lowest is not None \
            and lower <= metric.lowest:
        return f"cannot fail: its limit {limit} is at or below the lowest possible value " \
               f"{show(metric.lowest)}"
    if not metric.higher_is_better and upper is not None and metric.highest is not None \
            and upper >= metric.highest:
        return f"cannot fail: its limit {limit} is at or above the highest possible value " \
               f"{show(metric.highest)}"
    return ""


def _bound_problems(value: float | None, lower: float | None, upper: float | None) -> list[str]:
    problems = []
    if lower is not None and (value is None or value < lower):
        problems.append(f"below the minimum {format_value(lower)}")
    if upper is not None and (value is None or value > upper):
        problems.append(f"above the maximum {format_value(upper)}")
    return problems


def _baseline_verdict(metric: Metric, check: BaselineCheck | None, value: float | None,
                      values: Values, baseline: BaselineView, updating: bool,
                      alpha: float, seeds_ratio: float = 1.0) -> _Verdict:
    stored = baseline.metrics.get(metric.name) if baseline.metrics else None
    if check is None:
        return _Verdict(Status.PASS, mean(stored))
    if updating:
        return _accepted(metric, value, values, stored)
    if baseline.state is not BaselineState.OK:
        return _Verdict(baseline.state.status, problems=(baseline.detail,))
    base = mean(stored)
    noise = None
    if metric.noise_floor is not None and baseline.metrics:
        noise = seed_margin(present(values), present(stored), metric.noise_floor, alpha,
                            check.two_sided)
    measured = None if suite_tolerance(check) or noise is not None else \
        envelope_allowance(metric, check, baseline, base, seeds_ratio)
    if measured is not None and not measured.gated:
        assert baseline.envelope is not None
        free = baseline.envelope.describe_free()
        text = (f"{metric.name} {measured.describe('decades' if metric.log_scale else '')} "
                f"({baseline.envelope.replicas} replicas{'; ' + free if free else ''}): "
                f"not gated")
        return _Verdict(Status.NOT_GATED, base, problems=(text,), compared=True, ungated=text)
    status, bounds = _compare(metric, check, value, base, noise.margin if noise else 0.0,
                              measured.margin if measured is not None else None)
    problems: list[str] = []
    if status in (Status.REGRESSION, Status.CHANGED):
        if noise is not None:
            problems.append(noise.describe())
        if measured is not None:
            assert baseline.envelope is not None
            unit = " decades" if metric.log_scale else ""
            limit = "its noise envelope" if measured.spread else \
                "its resolution (it did not move under rounding)"
            problems.append(f"{'worse than' if status is Status.REGRESSION else 'changed from'} "
                            f"the baseline {format_with_unit(base, metric.unit)} by more than "
                            f"{limit}, {format_value(measured.margin)}{unit}; it "
                            f"{measured.describe(unit.strip())} in {baseline.envelope.replicas} "
                            f"replicas")
        else:
            problems.append(f"{'worse than' if status is Status.REGRESSION else 'changed from'} "
                            f"the baseline {format_with_unit(base, metric.unit)} by more than "
                            f"the tolerance")
    return _Verdict(status, base, bounds, tuple(problems), compared=True)


def _accepted(metric: Metric, value: float | None, values: Values,
              stored: Values | None) -> _Verdict:
    """An update: RECORDED where nothing was stored or the stored values stay; ACCEPTED, with
    the old and new values, where it replaces stored values with different ones."""
    base = mean(stored)
    if stored is None or stored_form(list(values)) == list(stored):
        return _Verdict(Status.RECORDED, base)
    show = functools.partial(format_with_unit, unit=metric.unit)
    return _Verdict(Status.ACCEPTED, base, problems=(
        f"accepted: the stored baseline {show(base)} is replaced by {show(value)}",))


def _check_curve(case: str, metric: Metric, expectation: Expectation, values: Values,
                 baseline: BaselineView, updating: bool, seeds_ratio: float = 1.0) -> Row:
    """A curve against the baseline's: its largest deviation, in the curve's own units,
    against the tolerance or, where the entry has one, each point's noise envelope."""
    check = expectation.baseline or BaselineCheck()
    limit = check.tolerance if check.tolerance is not None else metric.tolerance
    row = functools.partial(Row, case, metric.name, limit=f"<= {format_value(limit)}",
                            unit=metric.unit)
    if baseline.state is not BaselineState.OK and not updating:
        return row(None, None, None, status=baseline.state.status, detail=baseline.detail)
    points = curve_allowances(metric, check, baseline, seeds_ratio)
    current = mean_curve(values)
    if points is not None and len(points) == len(current):
        compared = compare_curve_envelope(current, baseline, metric, points, row)
    else:
        compared = _compare_curves(current, baseline, metric, limit, row)
    if not updating:
        return compared
    if compared.status is Status.CHANGED and baseline.metrics:
        return dataclasses.replace(compared, status=Status.ACCEPTED, compared=False,
                                   detail=f"accepted: {compared.detail}")
    return row(None, None, None, status=Status.RECORDED)


def _compare_curves(current: list[float | None], baseline: BaselineView, metric: Metric,
                    limit: float, row: Callable[..., Row]) -> Row:
    stored = mean_curve(baseline.metrics.get(metric.name) if baseline.metrics else None)
    if len(current) != len(stored):
        return row(None, None, None, status=Status.CHANGED, compared=True,
                   detail=f"{len(current)} points against {len(stored)} in the baseline")
    worst, where = 0.0, None
    for index, (now, then) in enumerate(zip(current, stored)):
        if now is None and then is None:
            continue
        gap = abs(now - then) if now is not None and then is not None else float("inf")
        if gap > worst:
            worst, where = gap, index
    if where is None or worst <= limit:
        return row(worst, None, None, status=Status.PASS, compared=True)
    # Said in words: a bare "2.687 against 1.862" does not say which is new, nor of what.
    detail = (f"{metric.description}: the largest change is at point {where + 1} of "
              f"{len(current)}, now {format_value(current[where])}, baseline "
              f"{format_value(stored[where])}: a change of {format_value(worst)}, more than the "
              f"tolerance {format_value(limit)}")
    return row(worst, None, None, status=Status.CHANGED, detail=detail, compared=True)


def _compare(metric: Metric, check: BaselineCheck, value: float | None,
             base: float | None, noise: float,
             envelope_margin: float | None = None) -> tuple[Status, Bounds]:
    """Verdict against the baseline, and the (low, high) bounds it implies. `envelope_margin`:
    the measured margin that replaces the fixed tolerance (decades for a log-scale metric)."""
    if base is None and value is None:
        return Status.PASS, (None, None)
    if base is None:
        # e.g. steps_to_converge: nothing converged before, something does now.
        return (Status.CHANGED if check.two_sided else Status.IMPROVED), (None, None)
    if value is None:
        return (Status.CHANGED if check.two_sided else Status.REGRESSION), (None, None)
    if metric.log_scale and envelope_margin is not None:
        floor = _floor(metric, check)
        anchored, factor = max(base, floor), 10.0 ** envelope_margin
        low, high = max(anchored / factor, floor), anchored * factor
        value = max(value, floor)
    elif metric.log_scale and value > 0 and base > 0:
        low, high = _ratio_bounds(metric, check, base)
        value = max(value, _floor(metric, check))   # below the floor, values count as equal
    elif envelope_margin is not None:
        low, high = base - envelope_margin, base + envelope_margin
    else:
        allowed = max(margin(metric, check, base), noise)
        low, high = base - allowed, base + allowed
    if check.two_sided:
        return (Status.PASS if low <= value <= high else Status.CHANGED), (low, high)
    if metric.higher_is_better:
        worse, better = value < low, value > high
        bounds: Bounds = (low, None)
    else:
        worse, better = value > high, value < low
        bounds = (None, high)
    return (Status.REGRESSION if worse else Status.IMPROVED if better else Status.PASS), bounds


def _floor(metric: Metric, check: BaselineCheck) -> float:
    return check.tolerance if check.tolerance is not None else metric.tolerance


def _ratio_bounds(metric: Metric, check: BaselineCheck, base: float) -> tuple[float, float]:
    """A log-scale metric's bounds: a factor (1 + rel_tolerance) either way of the baseline,
    both held to the floor, below which values count as equal."""
    factor = 1.0 + (check.rel_tolerance if check.rel_tolerance is not None
                    else metric.rel_tolerance)
    floor = _floor(metric, check)
    anchored = max(base, floor)
    return max(anchored / factor, floor), anchored * factor


def _tighter(lower: float | None, upper: float | None, bound: Bounds) -> Bounds:
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


def same_seeds(baseline: BaselineView, seeds: Sequence[int] | None,
               definitions: Mapping[str, Metric]) -> BaselineView:
    """The baseline as a run on `seeds` (fewer than were stored) should meet it.

    A deterministic metric (no noise floor) differs from seed to seed by design: its values are
    compared with the stored values of the same seeds. Seed-noisy metrics keep every stored
    seed: the seed statistic weighs how many ran against how many were stored.
    """
    stored = list(baseline.seeds or ())
    if not baseline.metrics or seeds is None or not stored or list(seeds) == stored \
            or not set(seeds) <= set(stored):
        return baseline
    index = [stored.index(seed) for seed in seeds]

    def subset(name: str, values: Values) -> Values:
        metric = definitions.get(name)
        if metric is None or metric.noise_floor is not None or len(values) != len(stored):
            return values
        return [values[i] for i in index]

    return dataclasses.replace(baseline, metrics={name: subset(name, values)
                                                  for name, values in baseline.metrics.items()})


def check_case(case: str, metrics: Mapping[str, Values], expect: Mapping[str, Expectation],
               definitions: Mapping[str, Metric], baseline: BaselineView,
               known_reason: str | None, updating: bool,
               false_alarm_rate: float = DEFAULT_FALSE_ALARM_RATE,
               seeds: Sequence[int] | None = None) -> list[Row]:
    """Every expectation of a case; `known_reason` says why it is not expected to converge;
    `seeds` are the seeds that ran, where they may be fewer than the stored ones.

    The case's false-alarm probability is split evenly over its seed-noisy baseline
    comparisons, so that the case as a whole fails an unchanged optimizer at most that often.
    """
    stored_seeds = len(baseline.seeds or ()) or len(seeds or ())
    seeds_ratio = stored_seeds / len(seeds) if seeds else 1.0
    baseline = same_seeds(baseline, seeds, definitions)
    noisy = sum(1 for name, e in expect.items()
                if e.baseline is not None and definitions[name].noise_floor is not None)
    alpha = false_alarm_rate / max(noisy, 1)
    rows = []
    for name, expectation in expect.items():
        row = check_metric(case, definitions[name], expectation, metrics.get(name, ()), baseline,
                           known_reason is not None, updating, alpha, seeds_ratio)
        if row.status is Status.KNOWN:
            row = dataclasses.replace(row, detail=f"not expected to converge: {known_reason}")
        rows.append(row)
    return rows


def failure_message(rows: Sequence[Row], divergence: str | None,
                    baseline: BaselineView) -> str | None:
    """The text a failing case shows: each violation with what was compared."""
    lines = [divergence] if divergence else []
    for row in rows:
        if row.status in FAILING and row.status is not Status.DIVERGED:  # stated once, above
            show = functools.partial(format_with_unit, unit=row.unit)
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


def provenance_text(provenance: Mapping[str, Any]) -> str:
    keys = ("torch", "optbench", "device", "cpu_capability", "threads", "dtype", "recorded")
    return ", ".join(f"{k} {provenance[k]}" for k in keys if provenance.get(k))
