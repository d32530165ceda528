"""Checks of one step-time problem of a suite -> its configurations and expectations."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_optbench.suite.cases import TimingConfig
from pytest_optbench.suite.errors import Problem, describe, did_you_mean, one_of
from pytest_optbench.suite.loader import Document
from pytest_optbench.gate.metrics import TIMING_METRICS
from pytest_optbench.suite.spec import Expectation, TimingProblem, validate
from pytest_optbench.kinds.step_time.timer import IMPLEMENTATIONS

# Gated by default; the rates and the bandwidth share follow from the step time and are shown in
# the step-time table.
DEFAULT_EXPECT = {"step_time": Expectation(baseline=True), "peak_memory": Expectation(baseline=True)}
AUTO = "auto"


@dataclass
class CheckedTiming:
    configs: dict[str, TimingConfig]      # implementation -> configuration
    spec: TimingProblem
    expect: dict[str, Expectation]


def check_timing_problem(doc: Document, path: tuple, raw: dict,
                         problems: list[Problem]) -> CheckedTiming | None:
    before = len(problems)
    spec = validate(TimingProblem, raw, doc, path, problems)
    if spec is None:
        return None
    params = spec.params.model_dump(exclude_none=True)
    _check_params(doc, path + ("params",), params, problems)
    implementations = spec.implementations or ["default"]
    if implementations != AUTO:
        if isinstance(implementations, str):
            implementations = [implementations]
        for index, name in enumerate(implementations):
            if name not in IMPLEMENTATIONS:
                problems.append(doc.problem(path + ("implementations", index), describe(name),
                                            one_of(IMPLEMENTATIONS) + ", or 'auto' for every one "
                                            "the class has", did_you_mean(name, IMPLEMENTATIONS)))
    expect = dict(DEFAULT_EXPECT)
    for name, expectation in (spec.expect or {}).items():
        if name not in TIMING_METRICS:
            problems.append(doc.problem(path + ("expect", name), f"unknown metric '{name}'",
                                        one_of(TIMING_METRICS), did_you_mean(name, TIMING_METRICS)))
        expect[name] = expectation
    if len(problems) > before:
        return None
    configs = {name: TimingConfig(params, spec.dtype or "float32", name, spec.bytes_per_param,
                                  spec.bandwidth_gbps)
               for name in (implementations if implementations != AUTO else [AUTO])}
    return CheckedTiming(configs, spec, expect)


def _check_params(doc: Document, path: tuple, params: dict, problems: list[Problem]) -> None:
    from pytest_optbench.kinds.models import MODELS
    from pytest_optbench.kinds.step_time.params import PRESETS, parse_count

    ways = [k for k in ("preset", "model", "count") if k in params]
    if len(ways) != 1:
        problems.append(doc.problem(path, f"{describe(sorted(params))}",
                                    "exactly one of 'preset', 'model' or 'count'"))
        return
    if "preset" in params and params["preset"] not in PRESETS:
        problems.append(doc.problem(path + ("preset",), f"unknown preset '{params['preset']}'",
                                    one_of(PRESETS), did_you_mean(params["preset"], PRESETS)))
    if "model" in params:
        kind = params["model"].get("kind")
        if not isinstance(kind, str) or (":" not in kind and kind not in MODELS):
            problems.append(doc.problem(path + ("model", "kind"), describe(kind),
                                        one_of(MODELS) + ", or 'package.module:function'"))
    if "count" in params:
        try:
            parse_count(params["count"])
        except ValueError as exc:
            problems.append(doc.problem(path + ("count",), describe(params["count"]), str(exc)))


def implementations_of(cls: type, requested: str) -> list[str]:
    """`auto`: every implementation the class offers (for-loop, and foreach and fused where
    its constructor takes them)."""
    import inspect

    if requested != AUTO:
        return [requested]
    names = set(inspect.signature(cls.__init__).parameters)
    return ["for-loop"] + [flag for flag in ("foreach", "fused") if flag in names]
