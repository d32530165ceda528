"""What each metric means: which direction is better, default baseline tolerances, display."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


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
    # Compared as a ratio: positive values move by more than a factor (1 + rel_tolerance) to
    # count, and values below `tolerance` count as equal to it (a floor, not a slack). A loss
    # that goes from 1e-19 to 1e-12 has moved by seven decades, which no absolute slack sees.
    log_scale: bool = False
    # Noise envelopes (envelope.py): the least margin allowed however still the replicas were
    # (absolute, and as a fraction of the baseline), in the compared units; and the widest
    # margin still worth gating (absolute, or as a fraction of the baseline, whichever is
    # larger). A metric that moves more than that under rounding alone is reported, not gated.
    resolution: float = 0.0
    rel_resolution: float = 0.0
    gateable: float | None = None
    gateable_rel: float = 0.0
    # The values the metric can take at all (an accuracy lies in [0, 1]): a limit beyond them
    # cannot fail, and the row says so.
    lowest: float | None = None
    highest: float | None = None


# Stored values keep this many significant digits: enough for any tolerance, small diffs.
SIGNIFICANT_DIGITS = 6


def stored_form(value: Any) -> Any:
    """A value (or a curve of values) as a baseline file keeps it."""
    if isinstance(value, (list, tuple)):
        return [stored_form(v) for v in value]
    return None if value is None else float(f"{value:.{SIGNIFICANT_DIGITS}g}")


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
        # The next unit from 1000 of this one on: 1023 KiB with 3 digits would read 1.02e+03.
        for power, suffix in ((0, "B"), (10, "KiB"), (20, "MiB"), (30, "GiB")):
            if abs(value) < 1000 * 2 ** power:
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
