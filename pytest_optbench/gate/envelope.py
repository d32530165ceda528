"""Noise envelopes: how far each stored value moves under rounding alone, measured when it is
recorded, and the margin the gate allows for it.

Another CPU, another kernel path (`ATEN_CPU_CAPABILITY`) or another build rounds a few
operations differently. On smooth dynamics that moves a result by a few units in the last
place; on chaotic ones a single rounding difference at step 1 can send a start into another
basin and move a median by decades. No fixed tolerance is right for both. So when a baseline
is recorded, the case runs again a few times under perturbations that stand in for another
machine's rounding (the kind decides which), and the entry keeps, per metric and per trajectory
point, the root mean square of the replicas' deviations from the recorded run, in the units the
gate compares (decades for log-scale metrics).

A new machine's run deviates from the recorded one as a replica does, so the allowed change is a
prediction bound: Student's t quantile with `replicas` degrees of freedom at the envelope's
false-alarm rate, times that spread, and never less than the metric's resolution.

Some deviations are not Gaussian: a start that any replica sent into another basin may end
anywhere on another machine, and a median of starts jumps when one crosses over. For those the
kind also reports a band: how far the metric moves when those starts do their worst either way.
The margin is at least the band. A metric whose margin is wider than anything useful is not
gated: the row says so, with the spread.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from pytest_optbench.gate.metrics import Metric, format_value

# Per metric and case; about 1 in 10 cases of the shipped suites has a metric that moves under
# rounding at all, so a whole suite's false-alarm rate stays near this.
ENVELOPE_FALSE_ALARM_RATE = 1e-3
DEFAULT_REPLICAS = 6


@dataclass(frozen=True)
class Envelope:
    """A stored envelope: how many replicas measured it, under which perturbation, and per
    metric the spread (a number, or for a curve one per point; None where unbounded)."""

    replicas: int
    perturbation: str
    spread: Mapping[str, Any]
    # metric -> how far it moves when the starts that ended elsewhere in a replica do their
    # worst (None: unbounded); only metrics with such starts have one.
    band: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    free: tuple[int, int] = (0, 0)   # starts that ended elsewhere in a replica, of all starts

    def to_json(self) -> dict[str, Any]:
        data = {"replicas": self.replicas, "perturbation": self.perturbation,
                "spread": {name: rounded_up(value) for name, value in sorted(self.spread.items())}}
        # Bands of 0 (the free starts do not move the metric) are left out: most are.
        band = {name: rounded_up(value) for name, value in sorted(self.band.items())
                if value is None or (any(v != 0 for v in value) if isinstance(value, list)
                                     else value != 0)}
        if band:
            data["band"] = band
        if self.free[0]:
            data["free_starts"] = list(self.free)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Envelope | None:
        if not isinstance(data, Mapping):
            return None
        free = data.get("free_starts") or (0, 0)
        return cls(int(data.get("replicas") or 0), str(data.get("perturbation") or ""),
                   dict(data.get("spread") or {}), dict(data.get("band") or {}),
                   (int(free[0]), int(free[1])))

    def describe_free(self) -> str:
        return f"{self.free[0]} of {self.free[1]} starts end elsewhere under rounding" \
            if self.free[0] else ""


SPREAD_DIGITS = 2


def rounded_up(value: Any) -> Any:
    """A spread or band as a baseline file keeps it: two significant digits, rounded up, so
    that a stored margin is never narrower than the measured one and diffs stay small. Stable:
    a stored value rounds to itself."""
    if isinstance(value, (list, tuple)):
        return [rounded_up(v) for v in value]
    if value is None or value == 0:
        return value
    unit = 10.0 ** (math.floor(math.log10(abs(value))) - SPREAD_DIGITS + 1)
    return float(f"{math.ceil(value / unit * (1 - 1e-9)) * unit:.{SPREAD_DIGITS}g}")


def compared_value(metric: Metric, values: Sequence[Any] | None) -> float | None:
    """What the gate compares of a scalar metric: the mean over seeds, in decades for a
    log-scale metric (held to its floor, below which values count as equal)."""
    present = [v for v in values or () if v is not None and math.isfinite(v)]
    if not present:
        return None
    mean = float(sum(present) / len(present))
    if metric.log_scale:
        return math.log10(max(mean, metric.tolerance))
    return mean


def compared_curve(values: Sequence[Any] | None) -> list[float | None]:
    """A curve metric as the gate compares it: the point by point mean over seeds."""
    present = [c for c in values or () if c is not None]
    if not present or len({len(c) for c in present}) != 1:
        return []
    points = []
    for column in zip(*present):
        finite = [v for v in column if v is not None and math.isfinite(v)]
        points.append(sum(finite) / len(finite) if finite else None)
    return points


def _deviation(now: float | None, then: float | None) -> float:
    if now is None and then is None:
        return 0.0
    if now is None or then is None:
        return math.inf
    return abs(now - then)


def _rms(deviations: Sequence[float]) -> float | None:
    if any(math.isinf(d) for d in deviations):
        return None
    return math.sqrt(sum(d * d for d in deviations) / len(deviations))


def measure(definitions: Mapping[str, Metric], recorded: Mapping[str, Sequence[Any]],
            samples: Sequence[Mapping[str, Sequence[Any]]], perturbation: str,
            runs: int | None = None, corners: Sequence[Mapping[str, Sequence[Any]]] = (),
            free: tuple[int, int] = (0, 0)) -> Envelope:
    """The envelope of a recorded run from samples of what other machines would measure: the
    replicas' metrics, and any the kind drew from them. `runs`: how many of them are whole
    replica runs (the prediction bound's degrees of freedom); all of them by default.
    `corners`: the metrics with the `free` starts at their extremes, for the band. Metrics
    with a noise floor are judged by their seed statistics and left out."""
    spread: dict[str, Any] = {}
    band: dict[str, Any] = {}
    for name, values in recorded.items():
        metric = definitions.get(name)
        if metric is None or metric.noise_floor is not None:
            continue
        if metric.curve:
            base = compared_curve(values)
            curves = [compared_curve(r.get(name)) for r in samples]
            edges = [compared_curve(r.get(name)) for r in corners]
            if not base or any(len(c) != len(base) for c in [*curves, *edges]):
                continue
            spread[name] = [_rms([_deviation(c[i], base[i]) for c in curves])
                            for i in range(len(base))]
            if edges:
                band[name] = [_widest([_deviation(c[i], base[i]) for c in edges])
                              for i in range(len(base))]
        else:
            then = compared_value(metric, values)
            spread[name] = _rms([_deviation(compared_value(metric, r.get(name)), then)
                                 for r in samples])
            if corners:
                band[name] = _widest([_deviation(compared_value(metric, r.get(name)), then)
                                      for r in corners])
    return Envelope(len(samples) if runs is None else runs, perturbation, spread, band, free)


def _widest(deviations: Sequence[float]) -> float | None:
    widest = max(deviations, default=0.0)
    return None if math.isinf(widest) else widest


@functools.lru_cache(maxsize=None)
def prediction_factor(replicas: int, rate: float = ENVELOPE_FALSE_ALARM_RATE) -> float:
    """How many spreads a new machine's deviation stays within, but with probability `rate`."""
    from scipy import stats

    return float(stats.t.ppf(1.0 - rate / 2, max(replicas, 1)))


@dataclass(frozen=True)
class Allowance:
    """The margin a value may move by, and whether it is worth gating at all."""

    margin: float          # in the compared units (decades for log-scale metrics)
    spread: float | None   # the measured spread (None: unbounded)
    gated: bool
    band: float | None = 0.0   # how far the starts that end elsewhere move it (None: unbounded)

    def describe(self, unit: str = "") -> str:
        suffix = " decades" if unit == "decades" else ""
        if self.spread is None:
            return "a replica lost the value under rounding"
        if self.band is None:
            return "is unbounded when the starts that end elsewhere under rounding move"
        if self.band and self.band >= self.margin:
            return (f"moves by up to {format_value(self.band)}{suffix} with the starts that "
                    f"end elsewhere under rounding")
        return f"moves by {format_value(self.spread)}{suffix} (rms) under rounding"


def allowance(metric: Metric, spread: float | None, replicas: int, base: float | None,
              seeds_ratio: float = 1.0, band: float | None = 0.0) -> Allowance:
    """The allowed change for a measured spread and band. `seeds_ratio`: stored seeds over
    the seeds that ran; a mean over fewer seeds moves more: by the square root of the ratio
    under rounding noise, by the ratio itself when the free starts all sit in them."""
    if spread is None or band is None:
        return Allowance(math.inf, spread, False, band)
    # Rounding noise averages over seeds; free starts may all sit in the seeds that ran.
    ratio = max(seeds_ratio, 1.0)
    margin = max(prediction_factor(replicas) * spread * math.sqrt(ratio), band * ratio)
    margin = max(margin, metric.resolution, metric.rel_resolution * abs(base or 0.0))
    limit = metric.gateable if metric.gateable is not None else math.inf
    limit = max(limit, metric.gateable_rel * abs(base or 0.0))
    return Allowance(margin, spread, margin <= limit, band)


def point_allowances(metric: Metric, spread: Sequence[float | None], replicas: int,
                     seeds_ratio: float = 1.0,
                     band: Sequence[float | None] | None = None) -> list[Allowance]:
    """Each curve point's allowance, from the widest spread and band of the point and its
    neighbours (_widest_near). The step at which a rounding difference grows visible varies from machine to
    machine: held out replicas that the envelope never saw moved points next to noisy ones
    (4 of 594 case checks of the analytic suite failed so, none with this rule;
    benchmarks/envelope_statistics.py)."""
    bands = list(band) if band is not None and len(band) == len(spread) else [0.0] * len(spread)
    return [allowance(metric, _widest_near(spread, i), replicas, None, seeds_ratio,
                      _widest_near(bands, i)) for i in range(len(spread))]


def _widest_near(values: Sequence[float | None], i: int) -> float | None:
    """The largest of values[i - 1 : i + 3]: a point's own, the one before, and the two after,
    since on another machine the growth of a rounding difference may show two checkpoints
    early; None (unbounded) only where values[i] is."""
    if values[i] is None:
        return None
    near = [v for v in values[max(i - 1, 0):i + 3] if v is not None]
    return max(near)
