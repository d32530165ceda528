"""How --optbench-shard's plan balances shards: predicted wall time per shard count, from the
durations pytest's cache holds after a real run of the shipped suites, against the ideal
(total / N) and against dealing the cases out by hash alone.

    python benchmarks/shard_balance.py [--cache .pytest_cache] [--suites suites/...]

The predicted wall time of a plan is its most loaded shard (start-up left out). The second
table grows the suite to 1000 cases by drawing from the measured durations, to show how the
balance behaves as a suite grows.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

from pytest_optbench.schedule import CACHE_KEY, valid_durations
from pytest_optbench.session.shards import plan_shards

COUNTS = (1, 2, 4, 8, 16)
SHIPPED = ["suites/analytic.yaml", "suites/third_party.yaml", "suites/contracts.yaml",
           "suites/articles/c_ackley.yaml", "suites/mnist.yaml", "suites/fashion_mnist.yaml",
           "suites/cifar.yaml"]


def collected(suites: list[str]) -> list[str]:
    out = subprocess.run([sys.executable, "-m", "pytest", "--optbench", *suites, "--collect-only",
                          "-q", "-p", "no:cacheprovider", "--optbench-tier", "cpu"],
                         capture_output=True, text=True, timeout=600).stdout
    return [line.strip() for line in out.splitlines() if ".yaml::" in line]


def loads(plan, durations) -> list[float]:
    totals = [0.0] * plan.count
    for case, shard in plan.shard_of.items():
        totals[shard - 1] += durations[case]
    return totals


def table(durations: dict[str, float], title: str) -> None:
    total, longest = sum(durations.values()), max(durations.values())
    print(f"\n{title}: {len(durations)} cases, {total:.1f} s in all, longest {longest:.1f} s")
    print(f"{'N':>3}  {'ideal s':>8}  {'by durations s':>14}  {'ratio':>6}  "
          f"{'by hash s':>9}  {'ratio':>6}  {'bound s':>8}")
    for count in COUNTS:
        ideal = total / count
        timed = max(loads(plan_shards(list(durations), count, durations), durations))
        hashed = max(loads(plan_shards(list(durations), count), durations))
        bound = max(ideal, longest)   # no plan beats its longest case
        print(f"{count:>3}  {ideal:>8.1f}  {timed:>14.1f}  {timed / ideal:>6.2f}  "
              f"{hashed:>9.1f}  {hashed / ideal:>6.2f}  {bound:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path(".pytest_cache"))
    parser.add_argument("--suites", nargs="*", default=SHIPPED)
    args = parser.parse_args()
    stored = valid_durations(json.loads((args.cache / "v" / CACHE_KEY).read_text()))
    ids = collected(args.suites)
    durations = {case: stored[case] for case in ids if case in stored}
    print(f"{len(ids)} cases collected from {len(args.suites)} suites; {len(durations)} timed "
          f"in {args.cache}")
    table(durations, "the shipped suites as timed")
    draw = random.Random(0)
    values = list(durations.values())
    grown = {f"grown::case{i}": draw.choice(values) for i in range(1000)}
    table(grown, "grown to 1000 cases (durations drawn from the measured ones)")


if __name__ == "__main__":
    main()
