"""Drift in the run history, on the shipped analytic suite: five runs while Adam's update is
scaled by 1.00, 1.01, 1.02, 1.03 and 1.04, through a stand-in class read from the environment
(the suite and every configuration hash stay the same). Prints the trend report's drifts and
`optbench history diff first latest`, and counts the drifting series that are Adam's and those
that are not.

    python benchmarks/history_drift.py [--suite suites/analytic.yaml] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Loaded in the pytest process (-p): torch.optim.Adam becomes the tests' DriftingAdam (its
# update scaled by $OPTBENCH_DRIFT) under Adam's own name, before any suite resolves the name.
PLUGIN = '''
import torch

import optbench_testing


class Adam(optbench_testing.DriftingAdam):
    pass


torch.optim.Adam = Adam
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", default="suites/analytic.yaml")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="optbench-drift-"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "drift_plugin.py").write_text(PLUGIN)
    db, baselines = out / "history.sqlite", out / "baselines"
    env_path = os.pathsep.join([str(out), str(HERE.parent / "tests")])

    for run, scale in enumerate(("1.00", "1.01", "1.02", "1.03", "1.04")):
        env = {**os.environ, "OPTBENCH_DRIFT": scale,
               "PYTHONPATH": os.pathsep.join(filter(None, [env_path, os.environ.get("PYTHONPATH")]))}
        command = [sys.executable, "-m", "pytest", "--optbench", args.suite, "-q", "-p",
                   "no:cacheprovider", "-p", "drift_plugin", f"--optbench-history={db}",
                   "--optbench-baseline-dir", str(baselines), "--optbench-allow-unchecked"]
        if run == 0:
            command.append("--optbench-update-baselines")
        began = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
        summary = [line for line in done.stdout.splitlines() if line.startswith("optbench: ")]
        print(f"run {run + 1}, Adam's update x{scale}: exit {done.returncode}, "
              f"{time.perf_counter() - began:.1f} s; {summary[-1] if summary else done.stdout[-300:]}")
    from pytest_optbench.cli import main as optbench

    optbench(["history", "--db", str(db), "--out", str(out / "trend")])
    import sqlite3

    with sqlite3.connect(db) as connection:
        adam_cases = {row[0] for row in connection.execute(
            "SELECT case_id FROM cases WHERE run_id = 1 "
            "AND json_extract(data, '$.optimizer_class') = 'Adam'")}
    lines = (out / "trend" / "trend.md").read_text().splitlines()
    drifting = [line for line in lines if line.startswith("- ")]
    adam = [line for line in drifting if line[2:].split(" ", 1)[0] in adam_cases]
    cases = {line[2:].split(" ", 1)[0] for line in drifting}
    print(f"\nAdam's cases: {len(adam_cases)}; drifting series: {len(drifting)} in "
          f"{len(cases)} cases; of Adam's cases: {len(adam)} series in "
          f"{len(cases & adam_cases)} cases; of other cases: {len(drifting) - len(adam)}")
    for line in drifting[:12]:
        print(f"  {line}")
    print()
    optbench(["history", "--db", str(db), "diff", "first", "latest"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
