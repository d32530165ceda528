"""Batched multi-start runs against the same starts run one at a time, measured side by side.

For each configuration it runs 64 start points once as one batch and once as 64 separate runs
(a batch of one each, through the same runner), checks that both give bitwise the same loss
histories, and prints the wall times and their ratio. Each timing is the best of --repeats runs,
which is the figure least disturbed by other work on the machine.

    python benchmarks/bench_multistart.py [--starts 64] [--steps 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

import torch

from pytest_optbench.kinds.analytic.runner import run_analytic, start_points
from pytest_optbench.kinds.analytic.config import AnalyticConfig
from pytest_optbench.suite.cases import OptimizerConfig
from pytest_optbench.kinds.analytic.functions import FUNCTIONS

CPU = torch.device("cpu")

CONFIGS = [
    # (function, optimizer class, hyperparameters, isolation, steps scale)
    ("rosenbrock", "Adam", {"lr": 0.02}, "shared-tensor", 1.0),
    ("ackley", "SGD", {"lr": 0.005, "momentum": 0.9}, "shared-tensor", 1.0),
    ("beale", "RMSprop", {"lr": 0.01, "centered": True}, "shared-tensor", 1.0),
    ("rosenbrock", "Adafactor", {"lr": 0.01}, "tensor-per-start", 1.0),
    ("rosenbrock", "LBFGS", {"lr": 1.0, "max_iter": 5}, "optimizer-per-start", 0.05),
]


def problem(function: str, starts: int, steps: int) -> AnalyticConfig:
    info = FUNCTIONS[function]
    dim = info.fixed_dim or 2
    return AnalyticConfig(function, dim, {}, tuple([info.domain] * dim), None, starts, None,
                          steps, "distance", 1e-3, "float64")


def best_time(fn, repeats: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        began = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - began)
    return best, result


def same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and bool(((a == b) | (a.isnan() & b.isnan())).all())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=64)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    seeds = (0,)
    print(f"{args.starts} starts, torch {torch.__version__}, {torch.get_num_threads()} thread, "
          f"best of {args.repeats}")
    header = f"{'problem':11s} {'optimizer':10s} {'isolation':20s} {'steps':>6s} " \
             f"{'batched':>9s} {'one by one':>11s} {'ratio':>7s}  identical"
    print(header)
    print("-" * len(header))
    # Warm up: the first optimizer step of a process imports torch._dynamo (about a second).
    run_analytic(problem("sphere", 2, 2), OptimizerConfig("w", "w", "SGD", {"lr": 0.1}), seeds, CPU)
    for function, name, hyper, isolation, scale in CONFIGS:
        steps = max(1, int(args.steps * scale))
        config = problem(function, args.starts, steps)
        optimizer = OptimizerConfig(name, name, name, hyper, (), None, isolation)
        batched_time, batched = best_time(lambda: run_analytic(config, optimizer, seeds, CPU),
                                          args.repeats)
        starts = start_points(config, seeds)

        def one_by_one():
            runs = []
            for row in starts.tolist():
                single = dataclasses.replace(config, starts=1, start_points=(tuple(row),))
                runs.append(run_analytic(single, optimizer, seeds, CPU))
            return runs

        single_time, singles = best_time(one_by_one, args.repeats)
        identical = all(same(batched.loss[:, i], run.loss[:, 0]) for i, run in enumerate(singles))
        print(f"{function:11s} {name:10s} {isolation:20s} {steps:6d} {batched_time:8.3f}s "
              f"{single_time:10.3f}s {single_time / batched_time:6.1f}x  {identical}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
