"""Every GPU measurement of the project in one run, written to one report of figures.

Runs on a CUDA machine, in the repository root, with the data prepared by `make gpu-data`
(.data/: MNIST and Fashion-MNIST as their .gz files, a CIFAR-10 subset as an ImageFolder copy)
and, where the machine lacks them, the wheels of `make gpu-wheels` (.whl/). It fails at once,
saying so, where there is no GPU. Each check has its own time budget; the report is rewritten
after every check, so a run cut short still returns what it measured.

    python benchmarks/gpu_check.py [--out DIR] [--only NAME ...] [--rehearse]

--rehearse runs every check on the CPU at toy sizes: it proves the script end to end before
device time is spent on it. Its figures mean nothing.

Writes DIR/report.md, DIR/report.json, DIR/log.txt and the baselines the check records
(DIR/<suite>.json, for mnist, fashion_mnist, cifar, step_time and contracts): at most 8 files,
what a device run sends back.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".data"
BASELINE_SUITES = ("mnist", "fashion_mnist", "cifar", "step_time", "contracts")


class Check:
    """One measurement: its name, what it shows, and its budget in seconds."""

    def __init__(self, name: str, what: str, budget_s: float, run: Callable[["Context"], dict]):
        self.name, self.what, self.budget_s, self.run = name, what, budget_s, run


class Context:
    def __init__(self, out: Path, rehearse: bool, deadline_s: float):
        self.out, self.rehearse = out, rehearse
        self.ends = time.monotonic() + deadline_s
        self.device = "cpu" if rehearse else "cuda"
        # Off $OUT: only the report, the log and the baselines go back (8 files at most).
        self.scratch = Path("/tmp/optbench-gpu-check")
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.data = self.scratch / "data"
        # Baselines are recorded into a copy of the committed ones: the working tree is never
        # changed, and the files recorded come back beside the report.
        self.baselines = self.scratch / "baselines"
        shutil.rmtree(self.baselines, ignore_errors=True)
        shutil.copytree(ROOT / "baselines", self.baselines)
        self.log = open(out / "log.txt", "a", encoding="utf-8")

    def left(self, wanted: float) -> float:
        """A subprocess's timeout: what it wants, or what is left of the whole run."""
        return max(5.0, min(wanted, self.ends - time.monotonic()))

    def first_case(self, suite: str) -> str:
        """A rehearsal runs one case of a suite: its node id."""
        from pytest_optbench.api import load_suite
        from pytest_optbench.suite.build import BuildContext

        loaded = load_suite(ROOT / suite, context=BuildContext(tier="cpu"))
        return f"{suite}::{loaded.cases[0].case_id}"

    def pytest(self, args: list[str], timeout: float) -> dict:
        """A pytest run of the plugin in a process of its own: wall time, exit code, summary."""
        env = {**os.environ, "OPTBENCH_DATA_DIR": str(self.data), "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                   "--optbench-no-download", "--optbench-baseline-dir", str(self.baselines),
                   "--optbench-dataset-folder", f"cifar10={self.data / 'CIFAR-10-images'}", *args]
        if self.rehearse:
            command += ["--optbench-device", "cpu"]
        began = time.perf_counter()
        try:
            done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                                  timeout=timeout)
            code, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as exc:
            code, output = "timeout", f"{exc.stdout or ''}{exc.stderr or ''}"
            output = output if isinstance(output, str) else output.decode(errors="replace")
        wall = time.perf_counter() - began
        self.log.write(f"$ {' '.join(command)}\n{output}\n")
        self.log.flush()
        tail = [line for line in output.splitlines() if line.strip()][-3:]
        return {"wall_s": round(wall, 2), "exit": code, "summary": tail}


def cases_of(path: Path, metric: str = "test_accuracy") -> dict:
    """Per case of a results file: the mean of `metric` over seeds, and the case's wall time."""
    if not path.is_file():
        return {}
    document = json.loads(path.read_text())
    found = {"counts": document.get("counts")}
    for case in document["cases"]:
        values = [v for v in (case.get("metrics") or {}).get(metric, []) if v is not None]
        found[case["case"]] = {metric: round(statistics.fmean(values), 4) if values else None,
                               "wall_s": case.get("wall_time_s"), "status": case.get("status")}
    return found


# --- the checks ------------------------------------------------------------------------------

def mnist_mlp(ctx: Context) -> dict:
    """The 300-100-10 MLP on MNIST to 97% test accuracy: training seconds to the target."""
    import torch

    from pytest_optbench.kinds.data.config import DataConfig
    from pytest_optbench.kinds.data.datasets import load_dataset
    from pytest_optbench.kinds.data.runner import DeviceData, run_data
    from pytest_optbench.suite.cases import OptimizerConfig

    device = torch.device(ctx.device)
    data = DeviceData.put(load_dataset("mnist", ctx.data, None, download=False), device)
    config = DataConfig("mnist", "mlp", {"hidden": [300, 100]}, 1 if ctx.rehearse else 8, None,
                        512, 30, 2000 if ctx.rehearse else None, None, 0, False, "float32",
                        False, 0.97)
    optimizer = OptimizerConfig("adam", "adam", "Adam", {"lr": 2e-3})
    run_data(replace(config, epochs=1), optimizer, (9,), device, data)   # warm-up
    runs = run_data(config, optimizer, (0, 1, 2), device, data).seeds
    times = [r.time_to_target for r in runs]
    reached = [t for t in times if t is not None]
    return {"seconds_to_97": times, "median_s": statistics.median(reached) if reached else None,
            "final_accuracy": [r.curve[-1]["test_accuracy"] for r in runs],
            "goal": "< 2 s per run", "anchor": "0.76 s, a known fast MNIST recipe on a laptop GPU"}


def gpu_baselines(ctx: Context) -> dict:
    """The real-data suites' GPU tiers and the step-time suite, recorded as baselines; the
    Fashion-MNIST suite's wall time is a figure of its own (8 optimizers x 3 seeds)."""
    figures = {}
    for suite in ("mnist", "fashion_mnist", "cifar", "step_time"):
        path = f"suites/{suite}.yaml"
        args = [ctx.first_case(path) if ctx.rehearse else path, "--optbench-update-baselines",
                "--optbench-allow-ci-update", "--optbench-json", str(ctx.scratch / f"results-{suite}.json")]
        figures[suite] = {**ctx.pytest(args, timeout=ctx.left(200)),
                          "cases": cases_of(ctx.scratch / f"results-{suite}.json")}
    figures["fashion_mnist_goal"] = "< 30 s for 8 optimizers x 3 seeds"
    return figures


def cifar_fastnet(ctx: Context) -> dict:
    """A fast CIFAR-10 net under seven optimizers: the suite's wall time."""
    suite = "benchmarks/gpu/cifar_fastnet.yaml"
    args = [ctx.first_case(suite) if ctx.rehearse else suite, "--optbench-allow-unchecked",
            "--optbench-json", str(ctx.scratch / "results-fastnet.json")]
    result = ctx.pytest(args, timeout=ctx.left(120))
    return {**result, "cases": cases_of(ctx.scratch / "results-fastnet.json"), "goal": "< 30 s (stretch 15 s)",
            "anchor": "airbench94: 94% in about 3 s per run on an A100 (full CIFAR-10)"}


def step_times(ctx: Context) -> dict:
    """Fused Adam at 100M parameters against the HBM roofline; foreach and for-loop steps; the
    plugin's step time against torch.utils.benchmark.Timer."""
    import torch

    from pytest_optbench.kinds.step_time.measure import time_optimizer

    count = "1M" if ctx.rehearse else "100M"

    class Rounds:   # pytest-benchmark's pedantic(), enough of it to time outside pytest
        def pedantic(self, target, rounds, iterations, warmup_rounds):
            for _ in range(warmup_rounds):
                for _ in range(iterations):
                    target()
            clock = (lambda: (torch.cuda.synchronize(), time.perf_counter())[1]) \
                if ctx.device == "cuda" else time.perf_counter
            samples = []
            for _ in range(rounds):
                began = clock()
                for _ in range(iterations):
                    target()
                samples.append((clock() - began) / iterations)
            self.stats = type("S", (), {"stats": type("T", (), {
                "median": statistics.median(samples), "mean": statistics.fmean(samples)})()})()

    device = torch.device(ctx.device)
    figures: dict[str, Any] = {}
    for implementation in ("fused", "foreach", "for-loop"):
        timing = time_optimizer("Adam", count, {"lr": 1e-3}, device, Rounds(),
                                implementation=implementation)
        figures[f"adam_{implementation}"] = {
            "median_ms": round(timing.median_s * 1e3, 4) if timing.median_s else None,
            "ran": timing.implementation, "bandwidth_share": timing.bandwidth_share,
            "bytes_per_parameter": timing.bytes_per_parameter,
            "bandwidth_limit_gbps": round(timing.bandwidth_limit / 1e9, 1),
            "bandwidth_source": timing.bandwidth_source}
        torch.cuda.empty_cache() if ctx.device == "cuda" else None
    figures["roofline"] = "28 bytes per parameter per step, about 0.58 ms at 4.8 TB/s; goal >= 60%"
    bench = [sys.executable, "benchmarks/bench_step_time.py", "--device", ctx.device,
             "--params", "1M" if ctx.rehearse else "100M", "--repeats", "1" if ctx.rehearse else "2"]
    began = time.perf_counter()
    done = subprocess.run(bench, cwd=ROOT, capture_output=True, text=True, timeout=ctx.left(240))
    ctx.log.write(f"$ {' '.join(bench)}\n{done.stdout}{done.stderr}\n")
    lines = done.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if " parameters on " in line), len(lines))
    table = "\n".join(lines[start:]) if done.returncode == 0 else done.stderr[-2000:]
    figures["plugin_against_torch_timer"] = {"wall_s": round(time.perf_counter() - began, 1),
                                             "exit": done.returncode, "table": table.splitlines()}
    return figures


def python_overhead(ctx: Context) -> dict:
    """Time lost to Python per training step: the step's wall time against the device time of
    its kernels (from the profiler), for the MNIST MLP at batch sizes 32 and 512."""
    import torch
    import torch.nn.functional as F
    from torch.profiler import ProfilerActivity, profile

    from pytest_optbench.kinds.models import build_model

    device = torch.device(ctx.device)
    figures = {}
    for batch in (32, 512):
        torch.manual_seed(0)
        model = build_model("mlp", {"hidden": [300, 100]}, (1, 28, 28), 10).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        x = torch.randn(batch, 1, 28, 28, device=device)
        y = torch.randint(0, 10, (batch,), device=device)

        def step() -> None:
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            optimizer.step()

        for _ in range(20):
            step()
        steps = 10 if ctx.rehearse else 200
        sync = torch.cuda.synchronize if ctx.device == "cuda" else (lambda: None)
        sync()
        began = time.perf_counter()
        for _ in range(steps):
            step()
        sync()
        wall = (time.perf_counter() - began) / steps
        activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if ctx.device == "cuda" else [])
        with profile(activities=activities) as prof:
            for _ in range(steps):
                step()
            sync()
        device_us = sum(e.self_device_time_total for e in prof.key_averages()) / steps \
            if ctx.device == "cuda" else 0.0
        figures[f"batch_{batch}"] = {
            "step_ms": round(wall * 1e3, 4), "device_ms": round(device_us / 1e3, 4),
            "python_share": round(1 - device_us / 1e6 / wall, 3) if ctx.device == "cuda" else None}
    return figures


def contracts_on_cuda(ctx: Context) -> dict:
    """The contracts suite on the device: fused and capturable kernels, resume across devices."""
    args = ["suites/contracts.yaml", "--optbench-update-baselines", "--optbench-allow-ci-update",
            "--optbench-json", str(ctx.scratch / "results-contracts.json")]
    if ctx.rehearse:
        args += ["-k", "adam"]
    result = ctx.pytest(args, timeout=ctx.left(150))
    document = ctx.scratch / "results-contracts.json"
    counts = json.loads(document.read_text()).get("counts") if document.is_file() else None
    return {**result, "counts": counts}


def reliability(ctx: Context) -> dict:
    """The GPU reliability tests (they skip without CUDA): out-of-memory recovery, the
    synchronised clock, deterministic runs in two processes, two xdist workers on one GPU."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs",
                           "tests/gpu"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=ctx.left(240))
    ctx.log.write(f"$ pytest tests/gpu\n{done.stdout}{done.stderr}\n")
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return {"wall_s": round(time.perf_counter() - began, 1), "exit": done.returncode,
            "summary": lines[-6:]}


CHECKS = [
    Check("mnist_mlp", "MNIST MLP to >= 97% test accuracy", 60, mnist_mlp),
    Check("step_times", "fused, foreach and for-loop Adam at 100M parameters; plugin against "
          "torch.utils.benchmark.Timer", 150, step_times),
    Check("python_overhead", "time lost to Python per training step", 30, python_overhead),
    Check("gpu_baselines", "GPU-tier baselines of mnist, fashion_mnist, cifar and step_time", 300,
          gpu_baselines),
    Check("cifar_fastnet", "a fast CIFAR-10 net, 7 optimizers", 90, cifar_fastnet),
    Check("contracts", "contracts on CUDA", 120, contracts_on_cuda),
    Check("reliability", "GPU reliability tests", 150, reliability),
]


# --- data, report ----------------------------------------------------------------------------

def place_data(target: Path, rehearse: bool) -> None:
    """The carried .gz files extracted beside themselves (torchvision reads the extracted
    files), in a folder off the working tree; CIFAR-10's copy is used where it lies."""
    source = DATA
    if not (DATA / "MNIST" / "raw").is_dir():
        raise SystemExit(f"{DATA}: no carried data; prepare it with `make gpu-data` and carry "
                         f".data to the GPU machine")
    for name in ("MNIST", "FashionMNIST"):
        raw = target / name / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        for packed in sorted((source / name / "raw").glob("*.gz")):
            shutil.copy2(packed, raw / packed.name)
            plain = raw / packed.name[:-3]
            if not plain.exists():
                with gzip.open(packed) as inp, open(plain, "wb") as out:
                    shutil.copyfileobj(inp, out)
    cifar = source / "CIFAR-10-images"
    link = target / "CIFAR-10-images"
    if cifar.is_dir() and not link.exists():
        link.symlink_to(cifar.resolve())


def machine() -> dict:
    import torch

    info = {"torch": torch.__version__, "cuda": torch.version.cuda, "python": sys.version.split()[0]}
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        info.update(gpu=props.name, memory_gib=round(props.total_memory / 2 ** 30, 1),
                    multiprocessors=props.multi_processor_count)
    return info


def write_report(out: Path, report: dict) -> None:
    (out / "report.json").write_text(json.dumps(report, indent=1, default=str))
    lines = [f"# GPU check, {report['started']}", "", f"machine: {report['machine']}", ""]
    for name, entry in report["checks"].items():
        lines += [f"## {name}: {entry['what']}", "", f"status: {entry['status']}, "
                  f"{entry['seconds']} s of a {entry['budget_s']} s budget", "", "```text",
                  json.dumps(entry.get("figures") or entry.get("error"), indent=1, default=str),
                  "```", ""]
    (out / "report.md").write_text("\n".join(lines))


def collect_baselines(recorded: Path, out: Path) -> None:
    for suite in BASELINE_SUITES:
        path = recorded / f"{suite}.json"
        if path.is_file():
            shutil.copy2(path, out / f"{suite}.json")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path,
                        default=Path(os.environ["OUT"]) if os.environ.get("OUT") else ROOT / "report" / "gpu-check")
    parser.add_argument("--only", nargs="+", choices=[c.name for c in CHECKS])
    parser.add_argument("--deadline", type=float, default=540.0,
                        help="seconds for the whole run; checks that would start later are skipped")
    parser.add_argument("--rehearse", action="store_true",
                        help="every check on the CPU at toy sizes, to prove the script")
    args = parser.parse_args()
    import torch

    from importlib.metadata import entry_points

    if not any(e.name == "optbench" for e in entry_points(group="pytest11")):
        print("pytest-optbench is not installed as a pytest plugin here: install it first, "
              "`python3 -m pip install --no-index --no-deps --no-build-isolation -e .`",
              file=sys.stderr)
        return 2
    if not args.rehearse and not torch.cuda.is_available():
        print("NO GPU: torch.cuda.is_available() is False on this machine (torch "
              f"{torch.__version__}). The GPU check measures nothing without one; run it on a "
              "CUDA machine, or with --rehearse to try the script on the CPU.", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    ctx = Context(args.out, args.rehearse, args.deadline)
    place_data(ctx.data, args.rehearse)
    report: dict[str, Any] = {"started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                              "machine": machine(), "rehearsal": args.rehearse, "checks": {}}
    for check in CHECKS:
        if args.only and check.name not in args.only:
            continue
        began = time.perf_counter()
        entry: dict[str, Any] = {"what": check.what, "budget_s": check.budget_s}
        if ctx.ends - time.monotonic() < 10:
            entry.update(status="skipped", seconds=0, error="out of time: the run's deadline passed")
            report["checks"][check.name] = entry
            write_report(args.out, report)
            continue
        print(f"[gpu-check] {check.name}: {check.what} ...", flush=True)
        try:
            entry["figures"] = check.run(ctx)
            entry["status"] = "done"
        except Exception as exc:  # noqa: BLE001 - one failed check must not cost the others
            entry["status"] = "error"
            entry["error"] = f"{type(exc).__name__}: {exc}"
            ctx.log.write(traceback.format_exc())
        entry["seconds"] = round(time.perf_counter() - began, 1)
        report["checks"][check.name] = entry
        print(f"[gpu-check] {check.name}: {entry['status']} in {entry['seconds']} s", flush=True)
        write_report(args.out, report)
    if not args.rehearse:
        collect_baselines(ctx.baselines, args.out)
    print(f"[gpu-check] report: {args.out / 'report.md'}")
    return 0 if all(e["status"] == "done" for e in report["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
