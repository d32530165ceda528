"""Cases: one problem under one optimizer configuration, with a stable id and a config hash."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from pytest_optbench.suite.spec import Expectation

# Bumped when the runner's semantics change in a way that changes results for the same
# configuration; every stored baseline then reads as stale rather than as a regression.
SEMANTICS_VERSION = 1


@dataclass(frozen=True)
class OptimizerConfig:
    key: str                                   # the suite's name for it: "adam"
    label: str                                 # its part of the test id: "adam-lr0.01"
    class_name: str                            # "Adam" or "package.module:Class"
    hyperparameters: Mapping[str, Any]
    param_groups: tuple[Mapping[str, Any], ...] = ()   # () means one group holding everything
    schedule: Mapping[str, Any] | None = None         # {"class": ..., **kwargs}
    isolation: str = "tensor-per-start"

    def identity(self) -> dict:
        """What determines the optimizer's behaviour (isolation does not: it is exact)."""
        return {"class": self.class_name, "hyperparameters": dict(self.hyperparameters),
                "param_groups": [dict(g) for g in self.param_groups],
                "schedule": dict(self.schedule) if self.schedule else None}


@dataclass(frozen=True)
class AnalyticConfig:
    function: str
    dim: int
    options: Mapping[str, Any]
    domain: tuple[tuple[float, float], ...]
    minima: tuple[tuple[float, ...], ...] | None   # only for user functions
    starts: int
    start_points: tuple[tuple[float, ...], ...] | None
    steps: int
    criterion: str
    tol: float
    dtype: str

    def identity(self) -> dict:
        return json.loads(json.dumps(asdict(self)))


@dataclass(frozen=True)
class DataConfig:
    dataset: str
    model: str                          # a built-in kind or "package.module:function"
    model_options: Mapping[str, Any]
    epochs: int | None                  # exactly one of epochs and steps
    steps: int | None
    batch_size: int                     # 0: full-batch descent
    eval_every: int | None              # steps between evaluations; None: every epoch
    train_subset: int | None
    test_subset: int | None
    crop: int                           # random-crop padding; 0: none
    flip: bool
    precision: str                      # float32 | bf16
    channels_last: bool
    target_accuracy: float | None

    def identity(self) -> dict:
        return json.loads(json.dumps(asdict(self)))


@dataclass(frozen=True)
class TimingConfig:
    params: Mapping[str, Any]            # {"preset": ...}, {"model": ..., "input": ...}, {"count": N}
    dtype: str
    implementation: str                  # default | for-loop | foreach | fused
    bytes_per_param: float | None        # declared; otherwise derived from the optimizer's state
    bandwidth_gbps: float | None         # declared; otherwise known or measured for the device

    def identity(self) -> dict:
        return json.loads(json.dumps(asdict(self)))


@dataclass(frozen=True)
class Case:
    suite: str
    case_id: str                      # "rosenbrock[adam-lr0.01]"
    problem_key: str                  # "rosenbrock"
    kind: str                         # "analytic", "data" or "timing"
    problem: AnalyticConfig | DataConfig | TimingConfig
    optimizer: OptimizerConfig
    seeds: tuple[int, ...]
    expect: Mapping[str, Expectation]
    line: int
    device: str = "auto"
    does_not_converge: str | None = None
    order: int = 0                    # position in the suite, for tables
    tier: str | None = None           # the budget tier the configuration comes from
    skip: str | None = None           # the suite says not to run it, for this reason
    config_hash: str = field(default="", compare=False)


def with_hash(case: Case) -> Case:
    return dataclasses.replace(case, config_hash=config_hash(case))


def config_hash(case: Case) -> str:
    """A short hash of everything that determines a case's results, seeds aside.

    Seeds are left out so that a quick run with fewer seeds is still compared with the stored
    distribution; expectations are left out so that changing a tolerance needs no re-recording.
    """
    payload = {"kind": case.kind, "problem": case.problem.identity(),
               "optimizer": case.optimizer.identity(), "semantics": SEMANTICS_VERSION}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def format_id_value(value: Any) -> str:
    """A hyperparameter value as it appears in a test id: short and usable with `-k`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, (list, tuple)):
        return "_".join(format_id_value(v) for v in value)
    return "".join(ch if ch.isalnum() or ch in "._+-" else "_" for ch in str(value))
