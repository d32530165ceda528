"""False-alarm rate and detection power of the seed-aware gate, by simulation.

Per-seed values of an unchanged optimizer and of the stored baseline are drawn from the same
normal distribution; then the current values are shifted down by a number of standard
deviations. The gate is the one the plugin applies (pytest_optbench.gate.statistics.seed_margin),
at the default false-alarm rate of 1e-3 per case.

    python benchmarks/seed_gate_power.py [--trials 200000]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from pytest_optbench.gate.statistics import DEFAULT_FALSE_ALARM_RATE, seed_margin


def fired(current: np.ndarray, baseline: np.ndarray, alpha: float, floor: float) -> float:
    n, k = current.shape[1], baseline.shape[1]
    squares = ((current - current.mean(1, keepdims=True)) ** 2).sum(1) + \
        ((baseline - baseline.mean(1, keepdims=True)) ** 2).sum(1)
    spread = np.maximum(np.sqrt(squares / (n + k - 2)), floor)
    unit = seed_margin([0.0] * n, [0.0] * k, 1.0, alpha)
    return float(((baseline.mean(1) - current.mean(1)) > unit.margin / unit.spread * spread).mean())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    alpha, sd, floor = DEFAULT_FALSE_ALARM_RATE, 1.0, 0.0
    shifts = [2, 4, 6, 8, 10]
    print(f"alpha {alpha} per comparison, {args.trials} trials per cell; shifts in seed sd")
    print(f"{'seeds (now+stored)':>19s} {'false alarms':>13s} " +
          " ".join(f"{f'power {s}sd':>11s}" for s in shifts))
    for n, k in ((2, 2), (3, 3), (5, 5), (10, 10)):
        baseline = rng.normal(0, sd, (args.trials, k))
        alarms = fired(rng.normal(0, sd, (args.trials, n)), baseline, alpha, floor)
        power = [fired(rng.normal(-s * sd, sd, (args.trials, n)), baseline, alpha, floor)
                 for s in shifts]
        print(f"{f'{n}+{k}':>19s} {alarms:13.5f} " + " ".join(f"{p:11.3f}" for p in power))
    return 0


if __name__ == "__main__":
    sys.exit(main())
