"""One optimizer step timed on a parameter set: shared by suites and the fixture."""

from __future__ import annotations

from typing import Any, Mapping

import torch

from pytest_optbench.kinds.step_time.params import PRESETS, make_parameters, shapes_for
from pytest_optbench.kinds.step_time.timer import IMPLEMENTATION_FLAGS, StepTiming, time_step
from pytest_optbench.suite.resolve import construct_optimizer


def parameter_spec(params: Any) -> dict[str, Any]:
    """A mapping as in a suite, a preset's name ("resnet18") or a count ("10M", 10_000_000)."""
    if isinstance(params, Mapping):
        return dict(params)
    return {"preset": params} if params in PRESETS else {"count": params}


def time_optimizer(optimizer: str | type, params: Any, hyperparameters: Mapping[str, Any],
                   device: torch.device, benchmark: Any, *, dtype: str = "float32",
                   implementation: str = "default", seed: int = 0,
                   bytes_per_param: float | None = None,
                   bandwidth_gbps: float | None = None, wraps: Mapping[str, Any] | None = None,
                   train_mode: bool | None = None) -> StepTiming:
    """Build `optimizer` on fixed parameters and gradients, and time its step.

    The step alone is timed: gradients are fixed, so an optimizer that must be given a closure
    (LBFGS) gets one that only returns a loss. One with `train()`/`eval()` (schedule-free) is
    put in train mode first (`train_mode`: None detects it).
    """
    tensors = make_parameters(shapes_for(parameter_spec(params)), getattr(torch, dtype), device,
                              seed=seed)
    instance = construct_optimizer(optimizer, tensors,
                                   {**hyperparameters, **IMPLEMENTATION_FLAGS[implementation]},
                                   wraps)
    if train_mode is None:
        train_mode = callable(getattr(instance, "train", None)) \
            and callable(getattr(instance, "eval", None))
    if train_mode:
        instance.train()
    return time_step(benchmark, instance, tensors, device, bytes_per_param, bandwidth_gbps)
