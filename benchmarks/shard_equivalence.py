"""A shipped suite run whole and as N shards merged must give the same cases, the same metrics
bitwise, the same row verdicts and the same claims.

    python benchmarks/shard_equivalence.py [--shards 4] [--out DIR] SUITE.yaml...

Prints, per suite: cases, metric values compared, differences (0 expected), the claims' verdicts
on both sides, and the wall times of the whole run and of each shard.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pytest_optbench.cli import main as optbench

NO_CACHE = ["-p", "no:cacheprovider"]


def pytest(*arguments: str) -> tuple[int, float]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", *arguments, "-q", *NO_CACHE],
                          capture_output=True, text=True, timeout=3600)
    return done.returncode, time.perf_counter() - start


def cases(path: Path) -> dict[str, dict]:
    return {c["nodeid"]: c for c in json.loads(path.read_text())["cases"]}


def compare(suite: str, shards: int, out: Path) -> int:
    whole = out / "whole.json"
    status, wall = pytest("--optbench", suite, "--optbench-json", str(whole))
    print(f"\n{suite}: whole run exit {status}, {wall:.1f} s")
    files = []
    for index in range(1, shards + 1):
        path = out / f"shard-{index}.json"
        status, wall = pytest("--optbench", suite, "--optbench-shard", f"{index}/{shards}",
                              "--optbench-json", str(path))
        files.append(str(path))
        print(f"  shard {index}/{shards}: exit {status}, {wall:.1f} s, "
              f"{len(cases(path))} cases")
    merged = out / "merged.json"
    status = optbench(["merge", *files, "--out", str(merged), "--fail-on-regression"])
    a, b = cases(whole), cases(merged)
    values = differences = 0
    for nodeid in sorted(set(a) | set(b)):
        if nodeid not in a or nodeid not in b:
            differences += 1
            print(f"  only in one run: {nodeid}")
            continue
        for metric, per_seed in a[nodeid]["metrics"].items():
            values += len(per_seed)
            if b[nodeid]["metrics"].get(metric) != per_seed:
                differences += 1
                print(f"  differs: {nodeid} {metric}")
        rows = lambda case: [(r["metric"], r["status"]) for r in case["rows"]]  # noqa: E731
        if rows(a[nodeid]) != rows(b[nodeid]) or a[nodeid]["fingerprint"] != b[nodeid]["fingerprint"]:
            differences += 1
            print(f"  verdict or fingerprint differs: {nodeid}")
    claims = lambda path: [(c["claim"]["name"], c["verdict"])  # noqa: E731
                           for c in json.loads(path.read_text()).get("claims", [])]
    print(f"  merge exit {status}; {len(a)} cases, {values} per-seed values compared, "
          f"{differences} differences")
    print(f"  claims whole:  {claims(whole)}\n  claims merged: {claims(merged)}")
    return differences + (claims(whole) != claims(merged))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suites", nargs="+")
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory() as scratch:
        for suite in args.suites:
            out = (args.out or Path(scratch)) / Path(suite).stem
            out.mkdir(parents=True, exist_ok=True)
            failures += compare(suite, args.shards, out)
    print(f"\n{'SAME' if not failures else 'DIFFERENT'}: {failures} differences in all")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
