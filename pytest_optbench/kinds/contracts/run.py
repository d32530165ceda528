"""Running one contract on one optimizer configuration."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import torch

from pytest_optbench.kinds.contracts.catalogue import CONTRACTS
from pytest_optbench.kinds.contracts.config import ContractConfig
from pytest_optbench.kinds.contracts.defaults import recorded_defaults
from pytest_optbench.kinds.contracts.numerics import ELEMENTWISE
from pytest_optbench.kinds.contracts.problems import (Broken, Factory, NotApplicable,
                                                      accepted_shapes, on_device, options_of)


@dataclass
class Verdict:
    promise: str
    held: str = ""
    broken: str | None = None
    not_applicable: str | None = None
    identity: dict[str, Any] | None = None
    observed: dict[str, Any] | None = None
    shapes: list[list[int]] = field(default_factory=list)
    wall_time_s: float = 0.0

    def explanation(self) -> str:
        return f"{self.broken}. The contract: {self.promise}"


def factory_for(case: Any, problem: ContractConfig) -> Factory:
    from pytest_optbench.suite.resolve import construct_optimizer, resolve_optimizer, step_takes_closure

    cls = resolve_optimizer(case.optimizer.class_name)
    hyper = dict(case.optimizer.hyperparameters)
    wraps = case.optimizer.wraps

    def build(params: Any, **overrides: Any) -> Any:
        return construct_optimizer(cls, params, {**hyper, **overrides}, wraps)

    elementwise = case.optimizer.key in problem.elementwise or \
        case.optimizer.class_name in ELEMENTWISE
    bitwise = frozenset(flag for key, flag in problem.bitwise if key == case.optimizer.key)
    return Factory(build, cls, options_of(cls), step_takes_closure(cls), hyperparameters=hyper,
                   elementwise=elementwise, bitwise=bitwise)


def check(case: Any, problem: ContractConfig, device: Any) -> Verdict:
    contract = CONTRACTS[problem.contract]
    verdict = Verdict(contract.promise)
    started = time.perf_counter()
    factory = factory_for(case, problem)
    try:
        if contract.check is None:
            verdict.identity = {"defaults": recorded_defaults(factory)}
            verdict.held = "defaults recorded in the baseline entry"
        else:
            # Every tensor a contract builds is on the case's device; the random state of the
            # session is left as it was.
            with on_device(device), torch.random.fork_rng(devices=_cuda_devices(device)):
                shapes = accepted_shapes(factory) if contract.dense else []
                verdict.shapes = [list(s) for s in shapes]
                verdict.held = contract.check(factory, shapes)
            if factory.recorded:
                # Which kernels agree with the for-loop bitwise belongs to the CPU, not to the
                # optimizer: another machine's vector width changes it. It is reported, not
                # judged; a suite that needs bitwise agreement declares it (`bitwise:`).
                recorded = dict(factory.recorded)
                agreement = recorded.pop("agreement", None)
                verdict.identity = recorded or None
                if agreement is not None:
                    verdict.observed = {"agreement": agreement}
            if factory.rejected_shapes:
                verdict.held += "; shapes it rejects: " + ", ".join(
                    str(list(s)) for s in factory.rejected_shapes)
    except NotApplicable as exc:
        verdict.not_applicable = str(exc)
    except Broken as exc:
        verdict.broken = str(exc)
    verdict.wall_time_s = time.perf_counter() - started
    return verdict


def _cuda_devices(device: Any) -> list[int]:
    if getattr(device, "type", "cpu") != "cuda":
        return []
    return [device.index if device.index is not None else torch.cuda.current_device()]
