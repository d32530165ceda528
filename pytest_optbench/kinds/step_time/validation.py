"""Validation of one step-time problem of a suite -> its configurations and expectations."""

from __future__ import annotations

from pytest_optbench.gate.expectations import BaselineCheck, Expectation
from pytest_optbench.kinds.step_time.config import StepTimeConfig
from pytest_optbench.kinds.step_time.metrics import DEFAULT_GATED, IMPLEMENTATIONS, METRICS
from pytest_optbench.kinds.step_time.spec import StepTimeProblem
from pytest_optbench.suite.expectations import validate_expectations
from pytest_optbench.suite.errors import Finding, describe, did_you_mean, one_of
from pytest_optbench.suite.loader import Document, KeyPath
from pytest_optbench.suite.problem_kind import ValidProblem
from pytest_optbench.suite.spec import validate

AUTO = "auto"


def validate_step_time_problem(doc: Document, path: KeyPath, raw: dict,
                         findings: list[Finding]) -> ValidProblem | None:
    before = len(findings)
    spec = validate(StepTimeProblem, raw, doc, path, findings)
    if spec is None:
        return None
    params = spec.params.model_dump(exclude_none=True)
    _validate_params(doc, path + ("params",), params, findings)
    implementations = spec.implementations or ["default"]
    if implementations != AUTO:
        if isinstance(implementations, str):
            implementations = [implementations]
        for index, name in enumerate(implementations):
            if name not in IMPLEMENTATIONS:
                findings.append(doc.finding(path + ("implementations", index), describe(name),
                                            one_of(IMPLEMENTATIONS) + ", or 'auto' for every one "
                                            "the class has", did_you_mean(name, IMPLEMENTATIONS)))
    # The gated metrics are always checked; the suite may add others or change these.
    expect = {**{name: Expectation(baseline=BaselineCheck()) for name in DEFAULT_GATED},
              **validate_expectations(doc, path, spec.expect or {}, METRICS, (), findings)}
    if len(findings) > before:
        return None
    configs = {name: StepTimeConfig(params, spec.dtype or "float32", name, spec.bytes_per_param,
                                  spec.bandwidth_gbps)
               for name in (implementations if implementations != AUTO else [AUTO])}
    return ValidProblem(configs, spec, expect)


def _validate_params(doc: Document, path: KeyPath, params: dict, findings: list[Finding]) -> None:
    from pytest_optbench.kinds.models import MODELS
    from pytest_optbench.kinds.step_time.params import PRESETS, parse_count

    ways = [k for k in ("preset", "model", "count") if k in params]
    if len(ways) != 1:
        findings.append(doc.finding(path, f"{describe(sorted(params))}",
                                    "exactly one of 'preset', 'model' or 'count'"))
        return
    if "preset" in params and params["preset"] not in PRESETS:
        findings.append(doc.finding(path + ("preset",), f"unknown preset '{params['preset']}'",
                                    one_of(PRESETS), did_you_mean(params["preset"], PRESETS)))
    if "model" in params:
        kind = params["model"].get("kind")
        if not isinstance(kind, str) or (":" not in kind and kind not in MODELS):
            findings.append(doc.finding(path + ("model", "kind"), describe(kind),
                                        one_of(MODELS) + ", or 'package.module:function'"))
    if "count" in params:
        try:
            parse_count(params["count"])
        except ValueError as exc:
            findings.append(doc.finding(path + ("count",), describe(params["count"]), str(exc)))


def implementations_of(cls: type, requested: str) -> list[str]:
    """`auto`: every implementation the class offers (for-loop, and foreach and fused where
    its constructor takes them)."""
    import inspect

    if requested != AUTO:
        return [requested]
    names = set(inspect.signature(cls.__init__).parameters)  # type: ignore[misc]
    return ["for-loop"] + [flag for flag in ("foreach", "fused") if flag in names]
