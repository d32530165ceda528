"""Do baselines recorded on one machine hold on another? Records the shipped deterministic
suites once, with noise envelopes, under the current setting, then checks them under the
settings that change a CPU's arithmetic, and prints how many cases fail in each column.

Another CPU cannot be had on one machine; its cheapest stand-in is another kernel path:
`ATEN_CPU_CAPABILITY=default` runs torch's scalar kernels, avx2 and avx512 the vectorised ones
(a capability the CPU lacks falls back to the best it has). Thread counts and xdist workers
change how reductions are split. The first column is the recording setting itself.

Also printed, from the same run: the recording's wall time against a check run's (recording
runs each case 1 + replicas times), and with --against REV a check run of the code at REV on
its own committed baselines, so that a check run's cost is compared with the code before.

    python benchmarks/portability.py [--suites ...] [--replicas 6] [--against REV]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tabulate import tabulate

ROOT = Path(__file__).resolve().parents[1]
SUITES = ["suites/analytic.yaml", "suites/third_party.yaml", "suites/contracts.yaml",
          "suites/articles/c_ackley.yaml"]
# (column, environment changes, extra pytest arguments)
SETTINGS: list[tuple[str, dict[str, str], list[str]]] = [
    ("as recorded", {}, []),
    ("ATEN default", {"ATEN_CPU_CAPABILITY": "default"}, []),
    ("ATEN avx2", {"ATEN_CPU_CAPABILITY": "avx2"}, []),
    ("ATEN avx512", {"ATEN_CPU_CAPABILITY": "avx512"}, []),
    ("OMP 1", {"OMP_NUM_THREADS": "1"}, []),
    ("OMP 2", {"OMP_NUM_THREADS": "2"}, []),
    ("-n 2", {}, ["-n", "2"]),
]
RUN_LIMIT_S = 3600   # one pytest run; a hung run fails the benchmark rather than the machine


def pytest_run(suites: list[str], baselines: Path, json_path: Path, env: dict[str, str],
               extra: list[str], cwd: Path = ROOT, python_path: str | None = None) -> float:
    """One pytest run over `suites`; its wall time. Its exit status is read from the JSON."""
    environment = {**os.environ, **env}
    if python_path:
        environment["PYTHONPATH"] = python_path
    command = [sys.executable, "-m", "pytest", "--optbench", *suites, "-q", "-p",
               "no:cacheprovider", "--optbench-baseline-dir", str(baselines),
               "--optbench-json", str(json_path), *extra]
    began = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=environment, stdout=subprocess.DEVNULL,
                   stderr=subprocess.STDOUT, timeout=RUN_LIMIT_S, check=False)
    return time.perf_counter() - began


def failing_by_suite(json_path: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Failing cases per suite, and their ids."""
    document = json.loads(json_path.read_text())
    counts: dict[str, int] = {}
    names: dict[str, list[str]] = {}
    for case in document["cases"]:
        counts.setdefault(case["suite"], 0)
        if case["status"] in ("failed", "error"):
            counts[case["suite"]] += 1
            names.setdefault(case["suite"], []).append(case["case"])
    return counts, names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suites", nargs="+", default=SUITES)
    parser.add_argument("--replicas", type=int, default=None,
                        help="replicas per recorded case (default: the plugin's)")
    parser.add_argument("--against", metavar="REV", default=None,
                        help="also time a check run of the code at REV, on its own baselines")
    parser.add_argument("--settings", nargs="+", default=None,
                        help="columns to run, by name (default: all)")
    args = parser.parse_args()
    settings = [s for s in SETTINGS if args.settings is None or s[0] in args.settings]

    work = Path(tempfile.mkdtemp(prefix="optbench-portability-"))
    baselines = work / "baselines"
    try:
        extra = ["--optbench-update-baselines", "--optbench-allow-ci-update"]
        if args.replicas is not None:
            extra += ["--optbench-replicas", str(args.replicas)]
        recorded = pytest_run(args.suites, baselines, work / "record.json", {}, extra)
        print(f"recorded {', '.join(args.suites)} in {recorded:.1f} s", flush=True)
        columns: dict[str, dict[str, int]] = {}
        failures: dict[str, dict[str, list[str]]] = {}
        times: dict[str, float] = {}
        for name, env, more in settings:
            out = work / f"check-{len(times)}.json"
            times[name] = pytest_run(args.suites, baselines, out, env, more)
            columns[name], failures[name] = failing_by_suite(out)
            print(f"  {name}: {sum(columns[name].values())} failing in {times[name]:.1f} s",
                  flush=True)
        suites = sorted({suite for column in columns.values() for suite in column})
        rows = [[suite, *(columns[name].get(suite, "-") for name, _, _ in settings)]
                for suite in suites]
        rows.append(["wall time (s)", *(f"{times[name]:.0f}" for name, _, _ in settings)])
        print()
        print(tabulate(rows, headers=["failing cases", *(name for name, _, _ in settings)]))
        for name, by_suite in failures.items():
            for suite, cases in by_suite.items():
                print(f"{name}: {suite}: {', '.join(cases)}")
        check = times[settings[0][0]]
        print(f"\nrecording with envelopes: {recorded:.1f} s; a check run: {check:.1f} s; "
              f"ratio {recorded / check:.2f}")
        if args.against:
            print(f"check run of {args.against}: {time_against(args.against, args.suites, work):.1f} s"
                  f" (this code: {check:.1f} s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def time_against(revision: str, suites: list[str], work: Path) -> float:
    """A check run of the code at `revision` on its own committed baselines, from a worktree
    (PYTHONPATH puts its package ahead of the installed one)."""
    tree = work / "against"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), revision], cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return pytest_run(suites, tree / "baselines", work / "against.json", {}, [], cwd=tree,
                          python_path=str(tree))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    sys.exit(main())
