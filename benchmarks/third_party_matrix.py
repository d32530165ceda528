"""Every optimizer of a suite (suites/third_party.yaml by default), one row each: does it run,
which start isolation the probe chose, how far any start is from that start run alone, which
protocol drove it, and whether an injected bug fails the gate against the committed baselines.

- alone: every start of the optimizer's first problem run by itself (one optimizer per start,
  seeded per start when the optimizer draws random numbers), for the case's full budget. The
  column is the largest |difference| of any coordinate at any step against the batched run
  (0 means bitwise), and beside it the same figure under the old fixed default,
  tensor-per-start, without the probe.
- injected bug: each step's update shrunk by 10% (the parameters put back at 90% of the way
  from where they were to where the optimizer moved them), swapped in under the class's own
  name, so that the configuration hash, and so the baseline, is the one committed.

    python benchmarks/third_party_matrix.py [suites/third_party.yaml] [--baselines baselines]
"""

from __future__ import annotations

import argparse
import importlib
import time
import warnings
from contextlib import contextmanager

import torch
from tabulate import tabulate

from pytest_optbench.api import load_suite, run_case
from pytest_optbench.gate.record import Outcome, Status
from pytest_optbench.kinds.analytic.config import AnalyticConfig
from pytest_optbench.kinds.analytic.history import Criterion, History
from pytest_optbench.kinds.analytic.runner import (_simulate, bind_function, maximize_sign,
                                                   run_analytic, start_points, start_seeds)
from pytest_optbench.kinds.analytic.stepping import Objective
from pytest_optbench.suite.resolve import OPTIMIZER_PER_START, TENSOR_PER_START, resolve_optimizer

CPU = torch.device("cpu")
SHRINK = 0.9


def shrunk(cls: type) -> type:
    """`cls` with every update shrunk by 10%: a bug that convergence alone may not show."""

    class Shrunk(cls):  # type: ignore[misc, valid-type]
        def step(self, closure=None, *args, **kwargs):  # type: ignore[no-untyped-def]
            params = [p for g in self.param_groups for p in g["params"]]
            before = [p.detach().clone() for p in params]
            loss = super().step(closure, *args, **kwargs)
            with torch.no_grad():
                for old, p in zip(before, params):
                    p.copy_(old + SHRINK * (p - old))
            return loss

    Shrunk.__name__ = Shrunk.__qualname__ = cls.__name__
    return Shrunk


@contextmanager
def swapped(class_name: str):
    """The class a suite names replaced by its shrunk twin, under the same name."""
    import torch.optim

    module_name, _, attribute = class_name.rpartition(":")
    module = importlib.import_module(module_name) if module_name else torch.optim
    real = getattr(module, attribute)
    setattr(module, attribute, shrunk(real))
    try:
        yield
    finally:
        setattr(module, attribute, real)


def points_of(config: AnalyticConfig, optimizer, isolation: str, seeded: bool) -> torch.Tensor:
    seeds = (0, 1)
    function = bind_function(config)
    dtype = getattr(torch, config.dtype)
    starts = start_points(config, seeds).to(dtype)
    history = History(config.steps, starts.shape[0], function.dim, dtype, CPU,
                      Criterion("loss", function, dtype, CPU), keep_points=True)
    torch.manual_seed(0)
    _simulate(starts, optimizer, resolve_optimizer(optimizer.class_name), isolation,
              Objective(function, maximize_sign(optimizer)), history, config.steps,
              start_seeds(seeds, starts.shape[0]) if seeded else None, function.shape)
    assert history.points is not None
    return history.points


def max_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    same = (a == b) | (a.isnan() & b.isnan())
    return 0.0 if bool(same.all()) else float((a - b).abs().nan_to_num(nan=float("inf")).max())


def row(cases, baselines: str) -> list:
    first = cases[0]
    config, optimizer = first.problem, first.optimizer
    try:
        run = run_analytic(config, optimizer, (0, 1), CPU)
    except Exception as exc:  # a row says what failed rather than ending the table
        return [optimizer.key, f"no: {type(exc).__name__}: {exc}"[:60], "", "", "", "", ""]
    verdict = run.verdict
    alone = points_of(config, optimizer, OPTIMIZER_PER_START, verdict.seeded)
    chosen = points_of(config, optimizer, verdict.isolation, verdict.seeded)
    try:
        old_default = f"{max_difference(points_of(config, optimizer, TENSOR_PER_START, False), alone):.3g}"
    except Exception as exc:
        old_default = f"raises {type(exc).__name__}"
    clean = [run_case(c, baseline_dir=baselines, device="cpu") for c in cases]
    with swapped(optimizer.class_name):
        buggy = [run_case(c, baseline_dir=baselines, device="cpu") for c in cases]
    caught = sum(o.result.status is Outcome.FAILED and not any(
        r.status is Status.STALE for r in o.result.rows) for o in buggy)
    clean_pass = sum(o.result.status is Outcome.PASSED for o in clean)
    return [optimizer.key, f"yes ({clean_pass}/{len(cases)} pass)",
            verdict.isolation + (" seeded" if verdict.seeded else ""),
            f"{max_difference(chosen, alone):.3g}", old_default, optimizer.protocol.describe()
            + (f", wraps {optimizer.wraps['class']}" if optimizer.wraps else ""),
            f"{caught}/{len(cases)} cases fail"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", nargs="?", default="suites/third_party.yaml")
    parser.add_argument("--baselines", default="baselines")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    suite = load_suite(args.suite)
    by_optimizer: dict[str, list] = {}
    for case in suite.cases:
        if case.skip is None:
            by_optimizer.setdefault(case.optimizer.key, []).append(case)
    began = time.perf_counter()
    rows = [row(cases, args.baselines) for cases in by_optimizer.values()]
    print(tabulate(rows, headers=["optimizer", "runs?", "isolation chosen",
                                  "max |Δ| vs alone", "same, old default", "protocol",
                                  "injected bug (update x0.9)"], tablefmt="github"))
    print(f"\n{len(rows)} optimizers, {time.perf_counter() - began:.0f} s on {CPU}")


if __name__ == "__main__":
    main()
