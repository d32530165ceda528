"""Sweep the learning rate of each optimizer on each analytic problem; print the best settings.

This is how the learning rates in suites/analytic.yaml were chosen. For every (problem,
optimizer) pair it runs a log-spaced grid of learning rates on one seed (or all, --all-seeds)
and keeps the one that never diverges and has the highest converged fraction, breaking ties by
fewer steps to converge (or, where nothing converges, by the smallest distance to a minimum).
Run it again after changing a problem's budget or criterion:

    python benchmarks/tune_analytic.py suites/analytic.yaml [--problems rosenbrock,ackley]
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time

import torch

from pytest_optbench.kinds.analytic.summary import summarize
from pytest_optbench.kinds.analytic.runner import run_analytic
from pytest_optbench.api import load_suite


def grid(low: float, high: float, per_decade: int = 4) -> list[float]:
    count = int(round(math.log10(high / low) * per_decade)) + 1
    return [float(f"{low * 10 ** (i / per_decade):.3g}") for i in range(count)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite")
    parser.add_argument("--problems", default="")
    parser.add_argument("--optimizers", default="")
    parser.add_argument("--all-seeds", action="store_true",
                        help="tune on every seed of the suite (slower; the suite's own runs)")
    parser.add_argument("--low", type=float, default=1e-4)
    parser.add_argument("--high", type=float, default=10.0)
    parser.add_argument("--wide", default="adadelta:0.1:1000",
                        help="per-optimizer ranges that differ, as name:low:high[,...]")
    args = parser.parse_args()
    suite = load_suite(args.suite)
    wanted_problems = set(filter(None, args.problems.split(",")))
    wanted_optimizers = set(filter(None, args.optimizers.split(",")))
    torch.set_num_threads(1)
    ranges = {}
    for item in filter(None, args.wide.split(",")):
        name, low, high = item.split(":")
        ranges[name] = (float(low), float(high))
    best: dict[str, dict[str, float]] = {}
    for case in suite.cases:
        if wanted_problems and case.problem_key not in wanted_problems:
            continue
        if wanted_optimizers and case.optimizer.key not in wanted_optimizers:
            continue
        began = time.perf_counter()
        scores = []
        low, high = ranges.get(case.optimizer.key, (args.low, args.high))
        for lr in grid(low, high):
            hyper = {**case.optimizer.hyperparameters, "lr": lr}
            optimizer = dataclasses.replace(case.optimizer, hyperparameters=hyper)
            seeds = case.seeds if args.all_seeds else case.seeds[:1]
            run = run_analytic(case.problem, optimizer, seeds, torch.device("cpu"))
            outcome = summarize(run, case.problem.tol)
            fraction = sum(outcome.metrics["converged_fraction"]) / len(seeds)
            steps = max((s for s in outcome.metrics["steps_to_converge"] if s is not None),
                        default=math.inf)
            distances = [d for d in outcome.metrics["distance"] if d is not None]
            distance = max(distances) if distances else None
            diverged = outcome.divergence is not None
            # Most converged first; among equals, the fastest; where none converge, the closest.
            closeness = -steps if fraction > 0 else -(distance if distance is not None else math.inf)
            scores.append(((not diverged, round(fraction, 2), closeness), lr, fraction, steps,
                           diverged))
        scores.sort(reverse=True)
        _, lr, fraction, steps, diverged = scores[0]
        best.setdefault(case.problem_key, {})[case.optimizer.key] = lr
        note = "  DIVERGES at every lr tried" if diverged else ""
        print(f"{case.case_id:40s} lr={lr:<8g} converged={fraction:.3f} steps={steps:<8g} "
              f"({time.perf_counter() - began:.1f}s){note}", flush=True)
    print("\n# overrides")
    for problem, table in best.items():
        print(f"  {problem}:\n    overrides:")
        for key, lr in table.items():
            print(f"      {key}: {{lr: {lr:g}}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
