"""Each case's metrics over runs, and drift: the last runs moving steadily one way.

Drift test: Kendall's S between run order and a metric's mean over seeds in the last
`window` runs, with its exact permutation p-value (ties counted as they fall). With 5 runs,
only a strictly monotone sequence reaches p <= 0.05 (p = 2/120 = 0.017 two-sided), so a metric
whose runs are exchangeable noise is flagged at most 1.7% of the time; a deterministic metric
that does not move has S = 0 and is never flagged. A drift is reported whether or not each
run passed its gate: that is its point, a move too slow for any one comparison to catch.

A curve (the analytic trajectory: log10 loss gaps at checkpoints, a mean over seeds per run)
has a test of its own, because a larger update moves some checkpoints up and others down,
and its tail sits on a floor where rounding decides: the sum over checkpoints of |S|, each
checkpoint's Kendall S against run order. Its p-value is exact too: the same reordering of
the runs is applied to every checkpoint, over all orderings, so the checkpoints' correlation
with one another costs nothing and exchangeable runs are flagged at most `alpha` of the time.
A curve that does not move has every S = 0 and is never flagged.
"""

from __future__ import annotations

import functools
import itertools
import math
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Sequence

DEFAULT_WINDOW = 5
DEFAULT_ALPHA = 0.05
MAX_EXACT = 8   # runs in a window whose permutations are enumerated (8! = 40320)


@dataclass(frozen=True)
class Point:
    run_id: int
    label: str
    mean: float
    low: float
    high: float
    # The baseline this run was gated against, and the gate's limits around it (None: none).
    baseline: float | None = None
    lower: float | None = None
    upper: float | None = None


@dataclass
class Series:
    suite: str
    case: str
    metric: str
    device_type: str
    points: list[Point] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return self.suite, self.case, self.metric, self.device_type


@dataclass(frozen=True)
class Drift:
    series: Series
    direction: str      # "up", "down", or "away" for a curve (its checkpoints move each their way)
    p_value: float
    runs: int
    change: float       # last mean - first mean of the window; a curve's largest move
    steady: int = 0     # a curve's checkpoints that move one way in every run
    checkpoints: int = 0

    def describe(self) -> str:
        if self.direction == "away":
            return (f"{self.series.case} {self.series.metric}: moves run by run over the last "
                    f"{self.runs} runs, by up to {self.change:.3g} from the first; "
                    f"{self.steady} of {self.checkpoints} checkpoints move one way in every run "
                    f"(Kendall's S summed over checkpoints, p = {self.p_value:.3f})")
        first, last = self.series.points[-self.runs].mean, self.series.points[-1].mean
        return (f"{self.series.case} {self.series.metric}: {self.direction} over the last "
                f"{self.runs} runs, {first:.6g} -> {last:.6g} (Kendall p = {self.p_value:.3f})")


def kendall_s(values: Sequence[float]) -> int:
    return sum((b > a) - (b < a) for a, b in itertools.combinations(values, 2))


def kendall_p(values: Sequence[float]) -> float:
    """Two-sided exact p-value of Kendall's S against run order, over every ordering of the
    values, each equally likely where nothing drifts (ties included as they are): the curve
    test's permutation p-value, for one column."""
    return _summed_kendall_p([[float(v) for v in values]])[0]


def _filters(contains: dict[str, str | None], since: str | None) -> tuple[str, list[str]]:
    """SQL conditions (the column's text contains the value; runs from `since` on) and their
    arguments; the column names are this module's own, never the user's."""
    where, arguments = "", []
    for column, value in contains.items():
        if value:
            where += f" AND instr({column}, ?) > 0"
            arguments.append(value)
    if since:
        where += " AND r.created >= ?"
        arguments.append(since)
    return where, arguments


def series(connection: sqlite3.Connection, suite: str | None = None, case: str | None = None,
           metric: str | None = None, device_type: str | None = None,
           since: str | None = None) -> list[Series]:
    """Every (suite, case, metric, device type) with a value, each run's mean and seed range,
    in run order; the filters keep names containing them (`since`: runs from that date on)."""
    query = """SELECT c.suite, c.case_id, m.metric, c.device_type, r.id, r.commit_sha,
                      r.created, AVG(m.value), MIN(m.value), MAX(m.value)
               FROM metrics m JOIN cases c ON c.run_id = m.run_id AND c.nodeid = m.nodeid
               JOIN runs r ON r.id = m.run_id
               WHERE m.value IS NOT NULL"""
    where, arguments = _filters({"c.suite": suite, "c.case_id": case, "m.metric": metric,
                                 "c.device_type": device_type}, since)
    query += where + " GROUP BY c.suite, c.case_id, m.metric, c.device_type, r.id ORDER BY r.id"
    found: dict[tuple[str, str, str, str], Series] = {}
    gated = _baselines(connection, suite, case, metric, device_type, since)
    for suite_name, case_id, name, device, run_id, commit, created, mean, low, high in \
            connection.execute(query, arguments):
        key = (suite_name, case_id, name, device or "?")
        label = f"#{run_id} " + (commit[:7] if commit else str(created)[:10])
        band = gated.get((*key, run_id), (None, None, None))
        found.setdefault(key, Series(*key)).points.append(
            Point(run_id, label, mean, low, high, *band))
    return [found[key] for key in sorted(found)]


def _baselines(connection: sqlite3.Connection, suite: str | None, case: str | None,
               metric: str | None, device_type: str | None, since: str | None,
               ) -> dict[tuple[str, str, str, str, int], tuple[Any, Any, Any]]:
    """(suite, case, metric, device, run) -> the baseline and limits of the gate's row, from
    the cases' own JSON; only rows whose value is the metric's mean over seeds (a curve's row
    holds its largest change instead, and has no baseline value)."""
    query = """SELECT c.suite, c.case_id, json_extract(j.value, '$.metric'), c.device_type,
                      c.run_id, json_extract(j.value, '$.baseline'),
                      json_extract(j.value, '$.lower'), json_extract(j.value, '$.upper'),
                      json_extract(j.value, '$.limit'), json_extract(j.value, '$.unit')
               FROM cases c JOIN runs r ON r.id = c.run_id, json_each(c.data, '$.rows') j
               WHERE json_valid(c.data) AND json_type(j.value, '$.baseline') IN ('real', 'integer')"""
    where, arguments = _filters({"c.suite": suite, "c.case_id": case,
                                 "json_extract(j.value, '$.metric')": metric,
                                 "c.device_type": device_type}, since)
    found: dict[tuple[str, str, str, str, int], tuple[Any, Any, Any]] = {}
    for suite_name, case_id, name, device, run_id, baseline, lower, upper, limit, unit in \
            connection.execute(query + where, arguments):
        if not isinstance(name, str):
            continue
        if lower is None and upper is None and not unit:
            lower, upper = limits_from_text(limit)
        found[(suite_name, case_id, name, device or "?", run_id)] = (baseline, lower, upper)
    return found


def limits_from_text(limit: Any) -> tuple[float | None, float | None]:
    """A row's limit from its text, for runs recorded before rows carried it as numbers:
    "<= x", ">= x" or "a..b" (a row with a unit shows scaled text and is not read)."""
    if not isinstance(limit, str):
        return None, None
    text = limit.strip()
    try:
        if text.startswith("<= "):
            return None, float(text[3:])
        if text.startswith(">= "):
            return float(text[3:]), None
        if ".." in text:
            low, high = text.split("..", 1)
            return float(low), float(high)
    except ValueError:
        pass
    return None, None


def drift(one: Series, window: int = DEFAULT_WINDOW, alpha: float = DEFAULT_ALPHA) -> Drift | None:
    points = one.points[-min(window, MAX_EXACT):]
    if len(points) < 3:
        return None
    values = [p.mean for p in points]
    if any(not math.isfinite(v) for v in values) or len(set(values)) == 1:
        return None
    p = kendall_p(values)
    if p > alpha:
        return None
    s = kendall_s(values)
    return Drift(one, "up" if s > 0 else "down", p, len(points), values[-1] - values[0])


@dataclass
class Curves:
    """One case's curve metric, its mean over seeds run by run."""

    suite: str
    case: str
    metric: str
    device_type: str
    runs: list[tuple[int, list[float | None]]] = field(default_factory=list)


def curves(connection: sqlite3.Connection, suite: str | None = None, case: str | None = None,
           metric: str | None = None, device_type: str | None = None,
           since: str | None = None) -> list[Curves]:
    """The curve metrics of every case, from the cases' own JSON, in run order."""
    import json

    query = """SELECT c.suite, c.case_id, c.device_type, c.run_id, c.data FROM cases c
               JOIN runs r ON r.id = c.run_id WHERE 1 = 1"""
    where, arguments = _filters({"c.suite": suite, "c.case_id": case,
                                 "c.device_type": device_type}, since)
    found: dict[tuple[str, str, str, str], Curves] = {}
    for suite_name, case_id, device, run_id, data in connection.execute(
            query + where + " ORDER BY c.run_id", arguments):
        for name, per_seed in (json.loads(data).get("metrics") or {}).items():
            seeds = [s for s in per_seed or [] if isinstance(s, list)]
            if not seeds or (metric and metric not in name):
                continue
            key = (suite_name, case_id, name, device or "?")
            found.setdefault(key, Curves(*key)).runs.append((run_id, _mean_curve(seeds)))
    return [found[key] for key in sorted(found)]


def _mean_curve(seeds: list[list[Any]]) -> list[float | None]:
    length = min(len(s) for s in seeds)
    mean: list[float | None] = []
    for i in range(length):
        values = [float(s[i]) for s in seeds if isinstance(s[i], (int, float))
                  and math.isfinite(s[i])]
        mean.append(sum(values) / len(values) if values else None)
    return mean


def curve_drift(one: Curves, window: int = DEFAULT_WINDOW,
                alpha: float = DEFAULT_ALPHA) -> Drift | None:
    """The curve's checkpoints moving run by run, each its own way (module docstring)."""
    runs = one.runs[-min(window, MAX_EXACT):]
    if len(runs) < 3:
        return None
    length = min(len(curve) for _, curve in runs)
    usable: list[list[float]] = []
    for i in range(length):
        column = [curve[i] for _, curve in runs]
        if all(v is not None and math.isfinite(v) for v in column):
            usable.append([float(v) for v in column if v is not None])
    if not usable:
        return None
    p, steady = _summed_kendall_p(usable)
    if p > alpha:
        return None
    distances = [max(abs(c[k] - c[0]) for c in usable) for k in range(len(runs))]
    shown = Series(one.suite, one.case, one.metric, one.device_type,
                   [Point(run_id, f"#{run_id}", d, d, d) for (run_id, _), d in zip(runs, distances)])
    return Drift(shown, "away", p, len(runs), distances[-1], steady, len(usable))


def _summed_kendall_p(columns: list[list[float]]) -> tuple[float, int]:
    """p-value of the sum over columns of |Kendall S| against run order, over every
    reordering of the runs (applied to all columns at once); and how many columns move one
    way in every run (|S| at its largest)."""
    import numpy as np

    values = np.asarray(columns, dtype=float)                      # checkpoints x runs
    signs = np.sign(values[:, None, :] - values[:, :, None])       # [k, a, b] = sign(x_b - x_a)
    orders = _orderings(values.shape[1])
    total = np.zeros((values.shape[0], len(orders)))
    for p, q in itertools.combinations(range(values.shape[1]), 2):
        total += signs[:, orders[:, p], orders[:, q]]
    statistic = np.abs(total).sum(axis=0)                          # one per ordering
    observed = statistic[0]                                        # the first is run order
    if observed == 0:
        return 1.0, 0
    pairs = values.shape[1] * (values.shape[1] - 1) // 2
    steady = int((np.abs(total[:, 0]) == pairs).sum())
    return float(np.mean(statistic >= observed - 1e-9)), steady


@functools.lru_cache(maxsize=None)
def _orderings(n: int) -> Any:
    import numpy as np

    return np.array(list(itertools.permutations(range(n))))


def drifts(found: Sequence[Series], window: int = DEFAULT_WINDOW,
           alpha: float = DEFAULT_ALPHA) -> list[Drift]:
    return [d for one in found if (d := drift(one, window, alpha)) is not None]

