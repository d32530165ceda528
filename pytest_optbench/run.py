"""Run one case end to end: device, data, runner, metrics, baseline, checks -> a result record.

Knows nothing of pytest; the plugin turns a result into a pass, a failure or a skip.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from pytest_optbench.gate.baselines import BaselineFileError, baseline_path, read, view
from pytest_optbench.suite.cases import Case
from pytest_optbench.gate.checks import DIVERGED, ERROR, NOT_TIMED, BaselineView, Row, check_case, failure_message
from pytest_optbench.gate.metrics import ANALYTIC_METRICS, DATA_METRICS, TIMING_METRICS
from pytest_optbench.options import OptbenchOptions


class DeviceUnavailable(Exception):
    """The case asks for a device this machine does not have."""


@dataclass
class CaseOutcome:
    result: dict            # JSON-ready record of the case, for the table, files and baselines
    failure: str | None     # the text of the failure, when the case fails


def device_type_of(request: str) -> str:
    """cpu or cuda, for a device request; `auto` means CUDA when it is available."""
    if request == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return request.split(":")[0]


def resolve_device(request: str):
    import torch

    if request == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(request)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceUnavailable(f"the case asks for {request}, but CUDA is not available here")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceUnavailable(f"the case asks for {request}, but only "
                                    f"{torch.cuda.device_count()} CUDA device(s) exist")
    return device


class BaselineCache:
    """Each baseline file is read once per process."""

    def __init__(self):
        self._files: dict[Path, dict] = {}

    def get(self, path: Path, suite: str) -> dict:
        if path not in self._files:
            self._files[path] = read(path, suite)
        return self._files[path]


class DataCache:
    """Each dataset is loaded once per process, and put on each device once."""

    def __init__(self):
        self._loaded: dict[tuple, object] = {}
        self._placed: dict[tuple, object] = {}

    def get(self, name: str, options: OptbenchOptions, device):
        from pytest_optbench.kinds.data.datasets import load_dataset
        from pytest_optbench.kinds.data.runner import DeviceData

        folder = (options.dataset_folders or {}).get(name)
        key = (name, str(folder or options.data_dir))
        if key not in self._loaded:
            self._loaded[key] = load_dataset(name, options.data_dir, folder, options.download,
                                             options.cache_dir)
        placed = key + (str(device),)
        if placed not in self._placed:
            self._placed[placed] = DeviceData.put(self._loaded[key], device)
        return self._placed[placed]


@dataclass
class Caches:
    baselines: BaselineCache
    data: DataCache


def record_command(case: Case, nodeid: str, options: OptbenchOptions) -> str:
    parts = ["pytest", "--optbench", shlex.quote(nodeid), "--optbench-update-baselines"]
    if options.baseline_dir != options.rootdir / "baselines":
        parts += ["--optbench-baseline-dir", shlex.quote(str(options.baseline_dir))]
    if options.cli_device:
        parts += ["--optbench-device", options.cli_device]
    if options.tier:
        parts += ["--optbench-tier", options.tier]
    dataset = getattr(case.problem, "dataset", None)
    if dataset in options.folders_from_cli:
        folder = options.dataset_folders[dataset]
        parts += ["--optbench-dataset-folder", shlex.quote(f"{dataset}={folder}")]
    if options.data_dir_from_cli:
        parts += ["--optbench-data-dir", shlex.quote(str(options.data_dir))]
    return " ".join(parts)


def base_result(case: Case, nodeid: str, suite_file: str, options: OptbenchOptions) -> dict:
    return {
        "suite": case.suite, "suite_file": suite_file, "case": case.case_id, "nodeid": nodeid,
        "line": case.line, "order": case.order, "tier": case.tier,
        "kind": case.kind, "problem": case.problem_key, "optimizer": case.optimizer.key,
        "optimizer_class": case.optimizer.class_name, "config_hash": case.config_hash,
        "config": {"problem": case.problem.identity(), "optimizer": case.optimizer.identity()},
        "expect": {name: e.model_dump(exclude_none=True) for name, e in case.expect.items()},
        "does_not_converge": case.does_not_converge,
        "baseline_file": str(baseline_path(options.baseline_dir, case.suite)),
        "update": options.update_baselines,
    }


def run_case(case: Case, nodeid: str, suite_file: str, options: OptbenchOptions,
             caches: Caches, benchmark=None) -> CaseOutcome:
    """Run a case; timing cases need pytest-benchmark's `benchmark` fixture."""
    from pytest_optbench.provenance import device_name, provenance

    result = base_result(case, nodeid, suite_file, options)
    device = resolve_device(options.device_for(case.device))
    seeds = case.seeds[:options.seeds] if options.seeds else case.seeds
    if case.kind == "timing":
        context = f"{device.type}@{device_name(device)}"
        measured = _run_timing(case, seeds, device, benchmark)
        details, definitions, dtype = {}, TIMING_METRICS, case.problem.dtype
        if measured.metrics["step_time"] == [None]:
            return _not_timed(result, device, measured)
    elif case.kind == "data":
        data = caches.data.get(case.problem.dataset, options, device)
        context = f"{device.type}|{data.data.label}"
        measured = _run_data(case, seeds, device, data)
        details = {"precision": case.problem.precision, "data": {
            "dataset": case.problem.dataset, "source": data.data.source,
            "location": data.data.location, "fingerprint": data.data.fingerprint}}
        definitions, dtype = DATA_METRICS, case.problem.precision
    else:
        context = device.type
        measured = _run_analytic(case, seeds, device)
        details, definitions, dtype = {}, ANALYTIC_METRICS, case.problem.dtype
    try:
        stored = caches.baselines.get(Path(result["baseline_file"]), case.suite)
        baseline = view(stored, context, case.case_id, case.config_hash,
                        record_command(case, nodeid, options),
                        other_devices_not_comparable=case.kind == "timing")
    except BaselineFileError as exc:
        if not options.update_baselines:
            return _error(result, f"baseline file unusable: {exc}")
        baseline = BaselineView("missing", detail=str(exc))
    rows = check_case(case.case_id, measured.metrics, case.expect, definitions, baseline,
                      known_reason=case.does_not_converge, updating=options.update_baselines,
                      false_alarm_rate=options.false_alarm_rate)
    if measured.divergence:
        rows.insert(0, Row(case.case_id, "loss", None, None, None, "finite", DIVERGED,
                           measured.divergence_text))
    failure = failure_message(rows, measured.divergence_text, baseline)
    result.update({
        "device": str(device), "device_type": device.type, "baseline_context": context,
        "seeds": list(seeds), "status": "failed" if failure else "passed",
        "metrics": measured.metrics, "rows": [r.to_json() for r in rows],
        "divergence": measured.divergence, "curves": measured.curves,
        "wall_time_s": round(measured.wall_time_s, 4), "steps_run": measured.steps_run,
        "provenance": {**provenance(device, dtype), **details},
        "baseline_provenance": dict(baseline.provenance) if baseline.provenance else None,
        "baseline_curve": dict(baseline.curve) if baseline.curve else None,
        **measured.extra,
    })
    return CaseOutcome(result, failure)


@dataclass
class _Measured:
    metrics: dict
    divergence: dict | None
    divergence_text: str | None
    curves: dict
    wall_time_s: float
    steps_run: int
    extra: dict


def _run_analytic(case: Case, seeds, device) -> _Measured:
    from pytest_optbench.kinds.analytic.summary import summarize, trajectory_sample
    from pytest_optbench.kinds.analytic.runner import run_analytic

    run = run_analytic(case.problem, case.optimizer, seeds, device)
    outcome = summarize(run, case.problem.tol)
    text = None
    if outcome.divergence:
        d = outcome.divergence
        text = (f"DIVERGED: the loss became NaN or infinite at step {d['step']} (seed {d['seed']}, "
                f"start {d['start']}); {d['starts']} of {d['of']} starts diverged")
    return _Measured(outcome.metrics, outcome.divergence, text, outcome.curves,
                     outcome.wall_time_s, outcome.steps_run,
                     {"isolation": outcome.isolation, "starts": outcome.starts,
                      "f_min": run.function.f_min, "trajectories": trajectory_sample(run)})


def _run_data(case: Case, seeds, device, data) -> _Measured:
    from pytest_optbench.kinds.data.summary import summarize
    from pytest_optbench.kinds.data.runner import run_data

    outcome = summarize(run_data(case.problem, case.optimizer, seeds, device, data))
    text = None
    if outcome.divergence:
        d = outcome.divergence
        text = (f"DIVERGED: the loss became NaN or infinite at epoch {d['epoch']}, step "
                f"{d['step']} (seed {d['seed']}); {d['seeds']} of {d['of']} seeds diverged")
    return _Measured(outcome.metrics, outcome.divergence, text, outcome.curves,
                     outcome.wall_time_s, outcome.steps_run,
                     {"parameters": outcome.parameters})


def _run_timing(case: Case, seeds, device, benchmark) -> _Measured:
    import torch

    from pytest_optbench.suite.resolve import resolve_optimizer
    from pytest_optbench.kinds.step_time.params import make_parameters, shapes_for
    from pytest_optbench.kinds.step_time.timer import IMPLEMENTATION_FLAGS, time_step

    config = case.problem
    params = make_parameters(shapes_for(dict(config.params)), getattr(torch, config.dtype), device,
                             seed=seeds[0])
    optimizer = resolve_optimizer(case.optimizer.class_name)(
        params, **case.optimizer.hyperparameters, **IMPLEMENTATION_FLAGS[config.implementation])
    timing = time_step(benchmark, optimizer, params, device, config.bytes_per_param,
                       config.bandwidth_gbps)
    metrics = {"step_time": [timing.median_s], "params_per_s": [timing.params_per_s],
               "bytes_per_s": [timing.bytes_per_s], "bandwidth_share": [timing.bandwidth_share],
               "peak_memory": [float(timing.peak_memory_bytes)]}
    return _Measured(metrics, None, None, {}, timing.median_s or 0.0, timing.rounds,
                     {"timing": timing.to_json()})


def _not_timed(result: dict, device, measured: _Measured) -> CaseOutcome:
    """pytest-benchmark is disabled (under xdist, or --benchmark-disable): the step ran once."""
    reason = "pytest-benchmark is disabled (xdist or --benchmark-disable): the step ran untimed"
    result.update({"device": str(device), "device_type": device.type, "status": "not timed",
                   "reason": reason, "metrics": {}, **measured.extra,
                   "rows": [Row(result["case"], "step_time", None, None, None, "", NOT_TIMED,
                                reason).to_json()]})
    return CaseOutcome(result, None)


def _error(result: dict, message: str) -> CaseOutcome:
    result.update({"status": "error", "rows": [Row(result["case"], "-", None, None, None, "",
                                                   ERROR, message).to_json()]})
    return CaseOutcome(result, message)


def error_result(case: Case, nodeid: str, suite_file: str, options: OptbenchOptions,
                 exc: BaseException) -> dict:
    """The record of a case whose run raised (a crashing optimizer, missing data, no memory)."""
    return _error(base_result(case, nodeid, suite_file, options),
                  f"{type(exc).__name__}: {exc}").result


def skipped_result(case: Case, nodeid: str, suite_file: str, options: OptbenchOptions,
                   reason: str) -> dict:
    result = base_result(case, nodeid, suite_file, options)
    result.update({"status": "skipped", "reason": reason, "rows": []})
    return result
