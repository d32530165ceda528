"""Step time: how long `optimizer.step()` takes, timed through pytest-benchmark."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Mapping, cast

from pytest_optbench.gate.record import BaselineContext, CaseResult
from pytest_optbench.kinds.base import (ValidProblem, Figures, GroupRule, KindDefaults, Measured,
                                        Section)
from pytest_optbench.kinds.step_time.config import StepTimeConfig
from pytest_optbench.kinds.step_time.metrics import METRICS
from pytest_optbench.kinds.step_time.validation import validate_step_time_problem, implementations_of
from pytest_optbench.kinds.step_time.spec import StepTimeFields

if TYPE_CHECKING:
    from pytest_optbench.settings import OptbenchOptions
    from pytest_optbench.report.plots import Style
    from pytest_optbench.suite.build import BuildContext
    from pytest_optbench.suite.cases import Case, OptimizerConfig
    from pytest_optbench.suite.errors import Finding
    from pytest_optbench.suite.loader import Document, KeyPath
    from pytest_optbench.suite.optimizers import ResolvedOptimizer
    from pytest_optbench.suite.spec import SuiteHeader

UNTIMED = "pytest-benchmark is disabled (xdist or --benchmark-disable): the step ran untimed"


class StepTimeKind(KindDefaults):
    name = "step_time"
    marker = "params"
    title = "a step to time"
    description = "an optbench case that times optimizer.step()"
    fields = StepTimeFields
    metrics = METRICS
    uses_benchmark = True
    other_devices_not_comparable = True

    def validate_problem(self, doc: Document, path: KeyPath, raw: dict[str, Any],
                      header: SuiteHeader | None, context: BuildContext,
                      findings: list[Finding]) -> ValidProblem | None:
        return validate_step_time_problem(doc, path, raw, findings)

    def group_rule(self, valid: ValidProblem) -> GroupRule | None:
        return None  # a timed step has no coordinates or names to group by

    def variants(self, doc: Document, path: KeyPath, key: str, valid: ValidProblem,
                 optimizer: ResolvedOptimizer, config: OptimizerConfig,
                 findings: list[Finding]) -> list[tuple[str, Any]]:
        """One case per implementation timed."""
        variants = []
        for requested, problem in valid.configs.items():
            for name in implementations_of(optimizer.cls, requested):
                flag = {"foreach": "foreach", "fused": "fused"}.get(name)
                if flag and flag not in optimizer.accepted and not optimizer.open_ended:
                    findings.append(doc.finding(path + ("implementations",),
                                                f"'{name}', which {optimizer.class_name} does "
                                                f"not have",
                                                "implementations the class offers (or 'auto')"))
                    continue
                if name != "default" and {"foreach", "fused"} & set(config.hyperparameters):
                    findings.append(doc.finding(("optimizers", optimizer.key), "foreach or fused "
                                                "set on an optimizer that is timed by "
                                                "implementation",
                                                "the implementation chosen by "
                                                "'implementations:'"))
                    continue
                suffix = "" if name == "default" else f"-{name}"
                variants.append((f"step_time[{key}-{config.label}{suffix}]",
                                 dataclasses.replace(problem, implementation=name)))
        return variants

    def keywords(self, case: Case) -> set[str]:
        return {case.problem_key, case.optimizer.key, case.optimizer.class_name, case.suite}

    def benchmark_settings(self, case: Case, device_type: str) -> dict[str, Any]:
        return {"group": f"{case.suite}: {case.problem_key}"}

    def measure(self, case: Case, seeds: tuple[int, ...], device: Any,
                options: OptbenchOptions, cache: dict[str, Any], benchmark: Any) -> Measured:
        from pytest_optbench.kinds.step_time.machine import machine_name, machine_provenance
        from pytest_optbench.kinds.step_time.measure import time_optimizer

        config = cast(StepTimeConfig, case.problem)
        timing = time_optimizer(case.optimizer.class_name, config.params,
                                case.optimizer.hyperparameters, device, benchmark,
                                dtype=config.dtype, implementation=config.implementation,
                                seed=seeds[0], bytes_per_param=config.bytes_per_param,
                                bandwidth_gbps=config.bandwidth_gbps,
                                wraps=case.optimizer.wraps,
                                train_mode=case.optimizer.protocol.train_eval)
        metrics: dict[str, list[Any]] = {"step_time": [timing.median_s], "params_per_s": [timing.params_per_s],
                   "bytes_per_s": [timing.bytes_per_s],
                   "bandwidth_share": [timing.bandwidth_share],
                   "peak_memory": [float(timing.peak_memory_bytes)]}
        return Measured(metrics, BaselineContext(device.type, device_name=machine_name(device)),
                        timing.median_s or 0.0, timing.rounds,
                        details={"timing": timing.to_json()}, dtype=config.dtype,
                        provenance=machine_provenance(timing.bandwidth_limit,
                                                      timing.bandwidth_source),
                        unmeasured=UNTIMED if timing.median_s is None else None)

    def not_comparable(self, stored: Mapping[str, Any] | None,
                       measured: Measured) -> str | None:
        from pytest_optbench.kinds.step_time.machine import not_comparable

        return not_comparable(stored, measured.provenance)

    def sections(self, results: list[CaseResult]) -> list[Section]:
        from pytest_optbench.kinds.step_time.section import sections

        return sections(results)

    def notes(self, results: list[CaseResult]) -> list[str]:
        from pytest_optbench.kinds.step_time.section import not_timed_note

        return not_timed_note(results)

    def figures(self, results: list[CaseResult], styles: Mapping[str, Style]) -> Figures:
        from pytest_optbench.kinds.step_time.figures import figures

        return figures(results, styles)


KIND = StepTimeKind()
