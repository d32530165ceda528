"""How far a seed-noisy metric may move from its baseline before it counts.

The current run's n per-seed values are compared with the baseline's k per-seed values. If the
optimizer is unchanged, both are draws from the same distribution, and the difference of their
means, divided by its standard error, follows Student's t with n + k - 2 degrees of freedom.
The allowed change is that t quantile times the standard error, so that an unchanged optimizer
crosses it with probability alpha. The spread used is at least the metric's noise floor, which
keeps the margin sensible when every stored seed happens to agree, and without any spread
estimate (one seed on each side) the floor is used with the normal quantile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

DEFAULT_FALSE_ALARM_RATE = 1e-3


@dataclass(frozen=True)
class SeedMargin:
    margin: float        # allowed change of the mean
    spread: float        # standard deviation used (pooled, or the noise floor)
    quantile: float      # t (or normal) quantile used
    seeds: tuple[int, int]

    def describe(self) -> str:
        return (f"seed noise: sd {self.spread:.3g} over {self.seeds[0]}+{self.seeds[1]} seeds, "
                f"quantile {self.quantile:.3g}")


def seed_margin(current: Sequence[float], baseline: Sequence[float], noise_floor: float,
                alpha: float, two_sided: bool = False) -> SeedMargin | None:
    """The allowed change for a false-alarm probability `alpha`; None without values."""
    from scipy import stats

    n, k = len(current), len(baseline)
    if n == 0 or k == 0:
        return None
    tail = alpha / 2 if two_sided else alpha
    df = n + k - 2
    squares = _squares(current) + _squares(baseline)
    if df > 0:
        spread = max(math.sqrt(squares / df), noise_floor)
        quantile = float(stats.t.ppf(1.0 - tail, df))
    else:
        spread, quantile = noise_floor, float(stats.norm.ppf(1.0 - tail))
    return SeedMargin(quantile * spread * math.sqrt(1.0 / n + 1.0 / k), spread, quantile, (n, k))


def _squares(values: Sequence[float]) -> float:
    centre = sum(values) / len(values)
    return sum((v - centre) ** 2 for v in values)


DETECTION_POWER = 0.9


def detectable_change(n: int, k: int, alpha: float, two_sided: bool = False,
                      power: float = DETECTION_POWER) -> float | None:
    """The smallest shift of a metric's mean, in standard deviations of one seed, that the seed
    comparison above flags with probability `power`, given n new and k stored seeds and the
    false-alarm probability `alpha`: the noncentrality at which the noncentral t crosses the
    quantile that seed_margin uses, times the standard error of the difference. None without a
    spread estimate (fewer than three seeds in all)."""
    from scipy import optimize, stats

    df = n + k - 2
    if n < 1 or k < 1 or df < 1:
        return None
    tail = alpha / 2 if two_sided else alpha
    critical = float(stats.t.ppf(1.0 - tail, df))

    def missed(ncp: float) -> float:
        return float(stats.nct.sf(critical, df, ncp)) - power

    ncp = float(optimize.brentq(missed, 0.0, critical + 50.0))
    return ncp * math.sqrt(1.0 / n + 1.0 / k)
