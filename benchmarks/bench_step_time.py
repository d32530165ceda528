"""Step times through the plugin (pytest-benchmark) against torch.utils.benchmark.Timer, and
the for-loop against the foreach implementation, measured side by side in one run.

Each case is timed by running pytest on a one-case suite (the plugin's real path, through
pytest-benchmark), then at once on the same parameters by torch.utils.benchmark.Timer. The
implementations of one optimizer are interleaved and the whole sweep repeated, so that drift of
a shared machine affects both sides alike; the table gives medians over the repeats.

    python benchmarks/bench_step_time.py [--device cpu] [--params 10M] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import pytest
import torch
import torch.utils.benchmark as torch_benchmark

from pytest_optbench.kinds.step_time.params import make_parameters, shapes_for
from pytest_optbench.kinds.step_time.timer import IMPLEMENTATION_FLAGS

OPTIMIZERS = {"adam": ("Adam", {"lr": 1e-3}), "sgd-momentum": ("SGD", {"lr": 0.01, "momentum": 0.9}),
              "rmsprop": ("RMSprop", {"lr": 1e-3})}

SUITE = """\
optbench: 1
suite: bench
device: {device}
optimizers:
  {key}: {{class: {cls}, {hyper}}}
problems:
  p:
    params: {{count: {count}}}
    implementations: [{implementation}]
"""


def plugin_median(folder: Path, device: str, key: str, count: str, implementation: str) -> tuple[float, str]:
    cls, hyper = OPTIMIZERS[key]
    suite = folder / "bench.yaml"
    suite.write_text(SUITE.format(device=device, key=key, cls=cls, count=count,
                                  implementation=implementation,
                                  hyper=", ".join(f"{k}: {v}" for k, v in hyper.items())))
    results = folder / "results.json"
    code = pytest.main([str(suite), "-q", "-p", "no:cacheprovider", "--benchmark-disable-gc",
                        "--optbench-baseline-dir", str(folder / "baselines"),
                        "--optbench-update-baselines", "--optbench-allow-ci-update",
                        "--optbench-json", str(results)])
    if code not in (0, 1):
        raise RuntimeError(f"pytest exited with {code}")
    (case,) = json.loads(results.read_text())["cases"]
    return case["timing"]["median_s"], case["timing"]["implementation"]


def torch_timer_median(device: torch.device, key: str, count: str, implementation: str) -> float:
    cls, hyper = OPTIMIZERS[key]
    params = make_parameters(shapes_for({"count": count}), torch.float32, device)
    optimizer = getattr(torch.optim, cls)(params, **hyper, **IMPLEMENTATION_FLAGS[implementation])
    for _ in range(3):
        optimizer.step()
    # Timer runs single-threaded unless told otherwise; the plugin, like training, uses them all.
    timer = torch_benchmark.Timer(stmt="optimizer.step()", globals={"optimizer": optimizer},
                                  num_threads=torch.get_num_threads())
    return timer.blocked_autorange(min_run_time=1.0).median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--params", default="10M")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--implementations", nargs="+", default=["for-loop", "foreach"])
    args = parser.parse_args()
    device = torch.device(args.device)
    plugin: dict = {}
    reference: dict = {}
    ran: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.repeats):
            for key in OPTIMIZERS:
                for implementation in args.implementations:
                    median, which = plugin_median(Path(folder), args.device, key, args.params,
                                                  implementation)
                    plugin.setdefault((key, implementation), []).append(median)
                    ran[(key, implementation)] = which
                    reference.setdefault((key, implementation), []).append(
                        torch_timer_median(device, key, args.params, implementation))
    print(f"\n{args.params} parameters on {device} ({torch.get_num_threads()} threads), "
          f"torch {torch.__version__}, medians of {args.repeats} interleaved repeats")
    print(f"{'optimizer':13s} {'implementation':15s} {'ran':9s} {'plugin':>10s} "
          f"{'torch Timer':>12s} {'difference':>11s}")
    for (key, implementation), values in plugin.items():
        mine = statistics.median(values)
        theirs = statistics.median(reference[(key, implementation)])
        print(f"{key:13s} {implementation:15s} {ran[(key, implementation)]:9s} "
              f"{mine * 1e3:8.2f}ms {theirs * 1e3:10.2f}ms {100 * (mine - theirs) / theirs:+10.1f}%")
    if "for-loop" in args.implementations and "foreach" in args.implementations:
        print(f"\n{'optimizer':13s} {'for-loop / foreach':>19s} (plugin figures; > 1: foreach faster)")
        for key in OPTIMIZERS:
            loop = statistics.median(plugin[(key, "for-loop")])
            each = statistics.median(plugin[(key, "foreach")])
            print(f"{key:13s} {loop / each:19.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
