"""Run one case end to end: device, runner, metrics, baseline, checks -> a result record.

Knows nothing of pytest; the plugin turns a result into a pass, a failure or a skip.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from .baseline import BaselineFileError, baseline_path, read, view
from .cases import Case
from .checks import DIVERGED, ERROR, BaselineView, Row, check_case, divergence_text, \
    failure_message
from .metrics import ANALYTIC_METRICS
from .options import OptbenchOptions


class DeviceUnavailable(Exception):
    """The case asks for a device this machine does not have."""


@dataclass
class CaseOutcome:
    result: dict            # JSON-ready record of the case, for the table, files and baselines
    failure: str | None     # the text of the failure, when the case fails


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


def record_command(nodeid: str, options: OptbenchOptions) -> str:
    parts = ["pytest", "--optbench", shlex.quote(nodeid), "--optbench-update-baselines"]
    if options.baseline_dir != options.rootdir / "baselines":
        parts += ["--optbench-baseline-dir", shlex.quote(str(options.baseline_dir))]
    if options.cli_device:
        parts += ["--optbench-device", options.cli_device]
    return " ".join(parts)


def base_result(case: Case, nodeid: str, suite_file: str, options: OptbenchOptions) -> dict:
    return {
        "suite": case.suite, "suite_file": suite_file, "case": case.case_id, "nodeid": nodeid,
        "line": case.line, "order": case.order,
        "kind": case.kind, "problem": case.problem_key, "optimizer": case.optimizer.key,
        "optimizer_class": case.optimizer.class_name, "config_hash": case.config_hash,
        "config": {"problem": case.problem.identity(), "optimizer": case.optimizer.identity()},
        "expect": {name: e.model_dump(exclude_none=True) for name, e in case.expect.items()},
        "does_not_converge": case.does_not_converge,
        "baseline_file": str(baseline_path(options.baseline_dir, case.suite)),
        "update": options.update_baselines,
    }


def run_case(case: Case, nodeid: str, suite_file: str, options: OptbenchOptions,
             baselines: BaselineCache) -> CaseOutcome:
    from .analytic_metrics import summarize
    from .analytic_runner import run_analytic
    from .provenance import provenance

    result = base_result(case, nodeid, suite_file, options)
    device = resolve_device(options.device_for(case.device))
    seeds = case.seeds[:options.seeds] if options.seeds else case.seeds
    try:
        stored = baselines.get(Path(result["baseline_file"]), case.suite)
        baseline = view(stored, device.type, case.case_id, case.config_hash,
                        record_command(nodeid, options))
    except BaselineFileError as exc:
        baseline = BaselineView("missing", detail=str(exc))
        if not options.update_baselines:
            return _error(result, f"baseline file unusable: {exc}")
    run = run_analytic(case.problem, case.optimizer, seeds, device)
    outcome = summarize(run, case.problem.tol)
    rows = check_case(case.case_id, outcome.metrics, case.expect, ANALYTIC_METRICS, baseline,
                      known_reason=case.does_not_converge, updating=options.update_baselines)
    if outcome.divergence:
        rows.insert(0, Row(case.case_id, "loss", None, None, None, "finite", DIVERGED,
                           divergence_text(outcome.divergence)))
    failure = failure_message(rows, outcome.divergence, baseline)
    result.update({
        "device": str(device), "device_type": device.type, "seeds": list(seeds),
        "status": "failed" if failure else "passed",
        "metrics": outcome.metrics, "rows": [r.to_json() for r in rows],
        "divergence": outcome.divergence, "curves": outcome.curves,
        "wall_time_s": round(outcome.wall_time_s, 4), "steps_run": outcome.steps_run,
        "isolation": outcome.isolation, "starts": outcome.starts,
        "provenance": provenance(device, case.problem.dtype),
        "baseline_provenance": dict(baseline.provenance) if baseline.provenance else None,
    })
    return CaseOutcome(result, failure)


def _error(result: dict, message: str) -> CaseOutcome:
    result.update({"status": "error", "rows": [Row(result["case"], "-", None, None, None, "",
                                                   ERROR, message).to_json()]})
    return CaseOutcome(result, message)


def error_result(case: Case, nodeid: str, suite_file: str, options: OptbenchOptions,
                 exc: BaseException) -> dict:
    """The record of a case whose run raised (a crashing optimizer, a bad user function)."""
    return _error(base_result(case, nodeid, suite_file, options),
                  f"{type(exc).__name__}: {exc}").result


def skipped_result(case: Case, nodeid: str, suite_file: str, options: OptbenchOptions,
                   reason: str) -> dict:
    result = base_result(case, nodeid, suite_file, options)
    result.update({"status": "skipped", "reason": reason, "rows": []})
    return result

