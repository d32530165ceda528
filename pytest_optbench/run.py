"""Run one case end to end through its kind: device, measurement, baseline, checks -> a
CaseResult.

Knows nothing of pytest; the plugin turns a result into a pass, a failure or a skip.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_optbench.devices import resolve_device
from pytest_optbench.gate.baselines import BaselineFileError, baseline_path, read, view
from pytest_optbench.gate.checks import BaselineView, check_case, failure_message
from pytest_optbench.gate.record import BaselineState, CaseResult, Outcome, Row, Status
from pytest_optbench.kinds import kind
from pytest_optbench.kinds.base import CaseTrouble, Measured
from pytest_optbench.settings import OptbenchOptions
from pytest_optbench.suite.cases import Case, config_hash


class OptimizerRejected(CaseTrouble):
    """The optimizer's constructor raised on its configuration when the suite was collected."""


@dataclass
class CaseOutcome:
    result: CaseResult      # the record of the case, for the table, files and baselines
    failure: str | None     # the text of the failure, when the case fails


@dataclass
class Caches:
    """What lives as long as the process: baseline files read, and each kind's own cache."""

    baselines: dict[Path, dict[str, Any]] = field(default_factory=dict)
    kinds: dict[str, dict[str, Any]] = field(default_factory=dict)
    torch_state: Any = None   # the global torch state every case starts from (torch_state.py)

    def baseline_file(self, path: Path, suite: str) -> dict[str, Any]:
        """Each baseline file is read once per process."""
        if path not in self.baselines:
            self.baselines[path] = read(path, suite)
        return self.baselines[path]


def record_command(case: Case, nodeid: str, options: OptbenchOptions) -> str:
    parts = ["pytest", "--optbench", shlex.quote(nodeid), "--optbench-update-baselines"]
    if options.baseline_dir != options.rootdir / "baselines":
        parts += ["--optbench-baseline-dir", shlex.quote(str(options.baseline_dir))]
    if options.cli_device:
        parts += ["--optbench-device", options.cli_device]
    if options.tier:
        parts += ["--optbench-tier", options.tier]
    dataset = getattr(case.problem, "dataset", None)
    if dataset in options.folders_from_cli and options.dataset_folders:
        folder = options.dataset_folders[dataset]
        parts += ["--optbench-dataset-folder", shlex.quote(f"{dataset}={folder}")]
    if options.data_dir_from_cli:
        parts += ["--optbench-data-dir", shlex.quote(str(options.data_dir))]
    return " ".join(parts)


def base_result(case: Case, nodeid: str, suite_file: str, options: OptbenchOptions) -> CaseResult:
    """What is known of a case before it runs."""
    return CaseResult(
        suite=case.suite, suite_file=suite_file, case=case.case_id, nodeid=nodeid,
        line=case.line, order=case.order, tier=case.tier, kind=case.kind,
        problem=case.problem_key, optimizer=case.optimizer.key,
        optimizer_class=case.optimizer.class_name, config_hash=case.config_hash,
        config={"problem": case.problem.identity(), "optimizer": case.optimizer.identity()},
        expect={name: e.model_dump(exclude_none=True) for name, e in case.expect.items()},
        does_not_converge=case.does_not_converge,
        baseline_file=str(baseline_path(options.baseline_dir, case.suite)),
        update=options.update_baselines)


def run_case(case: Case, nodeid: str, suite_file: str, options: OptbenchOptions,
             caches: Caches, benchmark: Any = None) -> CaseOutcome:
    """Run a case; kinds that time steps need pytest-benchmark's `benchmark` fixture."""
    from pytest_optbench.provenance import provenance

    of_kind = kind(case.kind)
    if case.optimizer.rejected:
        raise OptimizerRejected(case.optimizer.rejected)
    result = base_result(case, nodeid, suite_file, options)
    device = resolve_device(options.device_for(case.device))
    seeds = case.seeds[:options.seeds] if options.seeds else case.seeds
    measured = of_kind.measure(case, seeds, device, options,
                               caches.kinds.setdefault(case.kind, {}), benchmark)
    result.device, result.device_type = str(device), device.type
    result.details = measured.details
    result.config_hash = config_hash(case, measured.identity)
    if measured.identity:
        # Kept with the configuration, so that a stale entry names what the run decided
        # differently (a default that changed).
        result.config = {**result.config, "run": dict(measured.identity)}
    result.observed, result.fingerprint = measured.observed, measured.fingerprint
    if measured.unmeasured:
        return _unmeasured(result, next(iter(of_kind.metrics)), measured.unmeasured)
    # Entries recorded when observations were part of the configuration still apply.
    earlier_hash = config_hash(case, {**(measured.identity or {}), **measured.observed},
                               earlier=True) if measured.observed else None
    baseline = _baseline(case, nodeid, result, measured, options, caches,
                         of_kind.other_devices_not_comparable, earlier_hash)
    if isinstance(baseline, CaseOutcome):
        return baseline
    unlike = of_kind.not_comparable(baseline.provenance, measured) \
        if baseline.state is BaselineState.OK else None
    if unlike:
        baseline = BaselineView(BaselineState.NOT_COMPARABLE, provenance=baseline.provenance,
                                detail=f"{unlike}; record one for this machine with: "
                                       f"{record_command(case, nodeid, options)}")
    # --optbench-add-baselines records the cases that have no baseline and checks the rest; a
    # diverged case is never recorded, so it is checked against what is stored.
    updating = (options.update_baselines or (
        options.add_baselines and baseline.state in (BaselineState.MISSING,
                                                     BaselineState.NOT_COMPARABLE))) \
        and not measured.divergence
    result.update = updating
    if updating and of_kind.perturbation and options.replicas:
        result.envelope = _envelope(case, of_kind, seeds, device, options, caches, measured)
    rows = check_case(case.case_id, measured.metrics, case.expect, of_kind.metrics, baseline,
                      known_reason=case.does_not_converge, updating=updating,
                      false_alarm_rate=options.false_alarm_rate, seeds=seeds)
    rows = _explained(rows, measured.explanations, of_kind.stale_is_change)
    if measured.divergence:
        rows.insert(0, Row(case.case_id, "loss", None, None, None, "bounded", Status.DIVERGED,
                           measured.divergence_text or ""))
    if not updating and baseline.state is BaselineState.OK:
        from pytest_optbench.gate.checks import same_seeds
        from pytest_optbench.gate.power import sensitivity

        found = sensitivity(measured.metrics, case.expect, of_kind.metrics,
                            same_seeds(baseline, seeds, of_kind.metrics),
                            options.false_alarm_rate)
        if found:
            result.details["sensitivity"] = found
    if not updating and baseline.state is BaselineState.OK:
        _observations(result, measured, baseline, case, of_kind.metrics)
        if options.power and of_kind.perturbation and not measured.divergence:
            from pytest_optbench.detect import smallest_detected

            result.details["power"] = smallest_detected(
                case, seeds, device, options, caches.kinds.setdefault(case.kind, {}), of_kind,
                baseline)
    result.provenance = {**provenance(device, measured.dtype), **measured.provenance}
    rows = _beside_failures(rows, result.provenance, baseline.provenance)
    failure = failure_message(rows, measured.divergence_text, baseline)
    result.baseline_context = measured.context
    result.seeds = list(seeds)
    result.status = Outcome.FAILED if failure else Outcome.PASSED
    result.metrics, result.rows = measured.metrics, rows
    result.divergence, result.curves = measured.divergence, measured.curves
    result.wall_time_s, result.steps_run = round(measured.wall_time_s, 4), measured.steps_run
    result.baseline_provenance = dict(baseline.provenance) if baseline.provenance else None
    result.baseline_curve = dict(baseline.curve) if baseline.curve else \
        of_kind.stored_curve(baseline.metrics, measured) if baseline.metrics else None
    return CaseOutcome(result, failure)


def _envelope(case: Case, of_kind: Any, seeds: tuple[int, ...], device: Any,
              options: OptbenchOptions, caches: Caches, measured: Measured) -> dict[str, Any]:
    """The case's noise envelope, from `options.replicas` perturbed re-runs."""
    from pytest_optbench.gate.envelope import measure

    cache = caches.kinds.setdefault(case.kind, {})
    found = of_kind.replicate(case, seeds, device, options, cache, options.replicas)
    assert of_kind.perturbation is not None
    return measure(of_kind.metrics, measured.metrics, found.samples,
                   found.perturbation or of_kind.perturbation, found.runs, found.corners,
                   (found.free, found.starts)).to_json()


def _observations(result: CaseResult, measured: Measured, baseline: BaselineView,
                  case: Case, definitions: Any) -> None:
    """What a check learns beside its verdict: whether it reproduced the baseline bitwise,
    what the run observed differently, and tolerances that cannot hold on another machine."""
    from pytest_optbench.gate.baselines import config_changes
    from pytest_optbench.gate.checks import tolerance_warnings

    if measured.fingerprint and baseline.fingerprint:
        result.details["bitwise"] = measured.fingerprint == baseline.fingerprint
    if measured.observed and baseline.observed and measured.observed != baseline.observed:
        result.details["observed_changes"] = config_changes(baseline.observed, measured.observed)
    if baseline.envelope is None and kind(case.kind).perturbation:
        result.details["no_envelope"] = True
    warnings = tolerance_warnings(case.expect, definitions, baseline)
    if warnings:
        result.details["tolerance_warnings"] = warnings


def _baseline(case: Case, nodeid: str, result: CaseResult, measured: Measured,
              options: OptbenchOptions, caches: Caches,
              other_devices_not_comparable: bool,
              earlier_hash: str | None = None) -> BaselineView | CaseOutcome:
    """The stored baseline to compare with; an error outcome if its file is unusable."""
    try:
        stored = caches.baseline_file(Path(result.baseline_file), case.suite)
        return view(stored, measured.context, case.case_id, result.config_hash,
                    record_command(case, nodeid, options), other_devices_not_comparable,
                    result.config, earlier_hash)
    except BaselineFileError as exc:
        if not options.update_baselines:
            return _error(result, f"baseline file unusable: {exc}")
        return BaselineView(BaselineState.MISSING, detail=str(exc))


def _beside_failures(rows: list[Row], now: dict[str, Any],
                     then: Any) -> list[Row]:
    """Failing rows that compared with a baseline say how this machine differs from the one
    that recorded it: a failure on a new runner is then diagnosed at a glance."""
    import dataclasses

    from pytest_optbench.gate.record import FAILING
    from pytest_optbench.gate.machine import machine_differences

    differences = machine_differences(now, then) if then else ""
    if not differences:
        return rows
    return [dataclasses.replace(row, detail=f"{row.detail}; machine: {differences}".lstrip("; "))
            if row.status in FAILING and row.compared else row for row in rows]


def _explained(rows: list[Row], explanations: dict[str, str], stale_is_change: bool) -> list[Row]:
    """Failing rows with the kind's own explanation; STALE read as CHANGED where the kind
    says a changed configuration is a change of behaviour."""
    import dataclasses

    from pytest_optbench.gate.record import FAILING

    explained = []
    for row in rows:
        if stale_is_change and row.status is Status.STALE:
            row = dataclasses.replace(row, status=Status.CHANGED)
        if row.metric in explanations and row.status in FAILING:
            row = dataclasses.replace(row, detail=explanations[row.metric])
        explained.append(row)
    return explained


def _unmeasured(result: CaseResult, metric: str, reason: str) -> CaseOutcome:
    """The case ran but produced nothing to check (a step timed with pytest-benchmark off)."""
    result.status, result.reason = Outcome.NOT_TIMED, reason
    result.rows = [Row(result.case, metric, None, None, None, "", Status.NOT_TIMED, reason)]
    return CaseOutcome(result, None)


def _error(result: CaseResult, message: str) -> CaseOutcome:
    result.status = Outcome.ERROR
    result.rows = [Row(result.case, "-", None, None, None, "", Status.ERROR, message)]
    return CaseOutcome(result, message)


def error_result(case: Case, nodeid: str, suite_file: str, options: OptbenchOptions,
                 exc: BaseException, hint: str | None = None) -> CaseResult:
    """The record of a case whose run raised (a crashing optimizer, missing data, no memory);
    `hint`: what would fix it, where that is known."""
    return _error(base_result(case, nodeid, suite_file, options),
                  f"{type(exc).__name__}: {exc}" + (f"; {hint}" if hint else "")).result


def skipped_result(case: Case, nodeid: str, suite_file: str, options: OptbenchOptions,
                   reason: str) -> CaseResult:
    result = base_result(case, nodeid, suite_file, options)
    result.status, result.reason = Outcome.SKIPPED, reason
    return result


def skip_reason(report: Any) -> str:
    """The reason in a pytest skip report."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "skipped")


def crashed_result(nodeid: str, text: str) -> CaseResult:
    """The record of a case whose process died, or that failed before it could run: all the
    controlling process knows of it is its node id and pytest's report."""
    suite_file, _, case_id = nodeid.partition("::")
    result = CaseResult(
        suite=Path(suite_file).stem, suite_file=suite_file, case=case_id, nodeid=nodeid, line=0,
        order=0, tier=None, kind="", problem=case_id.split("[")[0],
        optimizer=case_id.partition("[")[2].rstrip("]"), optimizer_class="", config_hash="",
        config={}, expect={}, does_not_converge=None, baseline_file="", update=False)
    return _error(result, text).result
