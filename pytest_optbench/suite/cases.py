"""Cases: one problem under one optimizer configuration, with a stable id and a config hash."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol

from pytest_optbench.gate.expectations import Expectation

# Bumped when the runner's semantics change in a way that changes results for the same
# configuration; every stored baseline then reads as stale rather than as a regression.
SEMANTICS_VERSION = 1
# The name a kind is hashed under, where it differs from its name today: the step-time kind was
# called "timing" when its baselines were first recorded, and renaming must not make them stale.
HASHED_KIND_NAMES = {"step_time": "timing"}


class ProblemConfig(Protocol):
    """A kind's configuration of one problem: frozen, and hashable through its identity."""

    def identity(self) -> dict[str, Any]:
        """What determines the problem's results, as plain JSON."""
        ...


@dataclass(frozen=True)
class StepProtocol:
    """How a runner drives an optimizer beyond `zero_grad`, `backward` and `step`."""

    closure: bool = True         # `step` is given a closure that re-evaluates loss and gradients
    train_eval: bool = False     # `optimizer.train()` before stepping, `.eval()` before measuring
    create_graph: bool = False   # gradients keep their graph, for Hessian-vector products

    def identity(self) -> list[str]:
        """The settings that differ from a plain optimizer's, by name: [] for most classes."""
        plain = StepProtocol()
        return sorted(name for name in ("closure", "train_eval", "create_graph")
                      if getattr(self, name) != getattr(plain, name))

    def describe(self, closure_ignored: bool = False) -> str:
        """The protocol as run; `closure_ignored` where `step` took a closure but never called
        it, so that the runner computed gradients before each step instead."""
        closure = "gradients before step (closure ignored)" if closure_ignored else "closure"
        used = [name for name, on in ((closure, self.closure), ("train/eval", self.train_eval),
                                      ("create_graph", self.create_graph)) if on]
        return ", ".join(used) or "plain step"


@dataclass(frozen=True)
class OptimizerConfig:
    key: str                                   # the suite's name for it: "adam"
    label: str                                 # its part of the test id: "adam-lr0.01"
    class_name: str                            # "Adam" or "package.module:Class"
    hyperparameters: Mapping[str, Any]
    param_groups: tuple[Mapping[str, Any], ...] = ()   # () means one group holding everything
    schedule: Mapping[str, Any] | None = None         # {"class": ..., **kwargs}
    # How a batch of starts is handed to the optimizer; None: the cheapest that a probe finds
    # exact (see kinds/analytic/probe.py). One the suite writes is part of the case's hash; one
    # the probe finds is an observation, kept in the baseline entry and reported when it differs.
    isolation: str | None = None
    protocol: StepProtocol = StepProtocol()
    wraps: Mapping[str, Any] | None = None             # {"class": ..., **kwargs} of an inner one
    # Not None: constructing it on a trial parameter raised, located in the suite; its cases
    # fail with this message (other cases still run).
    rejected: str | None = field(default=None, compare=False)
    # Where an explicit isolation is written ("suites/x.yaml:12: optimizers.lamb.start_isolation"),
    # for the error when the probe finds it inexact.
    isolation_at: str | None = field(default=None, compare=False)

    def identity(self, written_isolation: bool = True) -> dict[str, Any]:
        """What determines the optimizer's behaviour. A protocol, a wrapped optimizer or a
        start isolation the suite writes is named only when there is one, so that the hashes
        of plain optimizers stay what they were. `written_isolation`: False for the hash the
        configuration had before a written isolation was part of it."""
        identity: dict[str, Any] = {
            "class": self.class_name, "hyperparameters": dict(self.hyperparameters),
            "param_groups": [dict(g) for g in self.param_groups],
            "schedule": dict(self.schedule) if self.schedule else None}
        if self.protocol.identity():
            identity["protocol"] = self.protocol.identity()
        if self.wraps:
            identity["wraps"] = dict(self.wraps)
        if self.isolation and written_isolation:
            identity["start_isolation"] = self.isolation
        return identity


@dataclass(frozen=True)
class Case:
    suite: str
    case_id: str                      # "rosenbrock[adam-lr0.01]"
    problem_key: str                  # "rosenbrock"
    kind: str                         # the name of its kind: "analytic", "data", "step_time"
    problem: ProblemConfig           # the kind's own frozen configuration
    optimizer: OptimizerConfig
    seeds: tuple[int, ...]
    expect: Mapping[str, Expectation]
    line: int
    device: str = "auto"
    does_not_converge: str | None = None
    order: int = 0                    # position in the suite, for tables
    tier: str | None = None           # the budget tier the configuration comes from
    skip: str | None = None           # the suite says not to run it, for this reason
    timeout: float | None = None      # seconds the case may run (--optbench-timeout beats it)
    config_hash: str = field(default="", compare=False)


def with_hash(case: Case) -> Case:
    return dataclasses.replace(case, config_hash=config_hash(case))


def config_hash(case: Case, measured: Mapping[str, Any] | None = None,
                earlier: bool = False) -> str:
    """A short hash of everything that determines a case's results, seeds aside.

    Seeds are left out so that a quick run with fewer seeds is still compared with the stored
    distribution; expectations are left out so that changing a tolerance needs no re-recording.
    `measured` is what the run itself decided and that changes its results (a default the class
    filled in); kinds that decide nothing leave it out, and their hashes stay as they were.
    `earlier`: the hash as it was computed when a written start isolation was not part of the
    optimizer's identity (and observations were part of `measured`), for entries recorded then.
    """
    payload = {"kind": HASHED_KIND_NAMES.get(case.kind, case.kind), "problem": case.problem.identity(),
               "optimizer": case.optimizer.identity(written_isolation=not earlier),
               "semantics": SEMANTICS_VERSION}
    if measured:
        payload["run"] = dict(measured)
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
