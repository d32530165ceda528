"""Timing `optimizer.step()` through pytest-benchmark, correctly on a GPU.

pytest-benchmark reads a clock around each round of calls. A CUDA step returns as soon as its
kernels are queued, so an unsynchronised clock measures launches, not work. Here every round is
many steps, and on CUDA the last step of each round waits for the device: the round's time is
the time the device took, without a synchronisation inside every step, and pytest-benchmark's
own clock needs no change. Gradients are fixed tensors made beforehand, so only the step is
measured.
"""

from __future__ import annotations

import math
import time
import weakref
from dataclasses import asdict, dataclass
from typing import Any, Callable

import torch

from pytest_optbench.kinds.step_time.bandwidth import bytes_per_parameter, device_bandwidth

ROUND_SECONDS = 0.02      # at least this long per round: clock resolution does not matter
MAX_SECONDS = 5.0         # per case, warm-up included, as far as the rounds allow
ROUNDS, MIN_ROUNDS, WARMUP_ROUNDS = 20, 5, 2

IMPLEMENTATION_FLAGS = {"default": {}, "for-loop": {"foreach": False}, "foreach": {"foreach": True},
                        "fused": {"fused": True}}


def _clock(device: torch.device) -> Callable[[], float]:
    """time.perf_counter, read after every queued kernel of `device` has finished."""
    if device.type != "cuda":
        return time.perf_counter

    def synchronized() -> float:
        torch.cuda.synchronize(device)
        return time.perf_counter()
    return synchronized


def round_synchronized(step: Callable[[], Any], iterations: int,
                       device: torch.device) -> Callable[[], None]:
    """`step`, made to wait for the device after every `iterations` calls: the end of each of
    pytest-benchmark's rounds (they run `iterations` calls between two readings of its clock)."""
    calls = 0
    if device.type != "cuda":
        def unsynchronized() -> None:
            step()
        return unsynchronized

    def run() -> None:
        nonlocal calls
        step()
        calls += 1
        if calls % iterations == 0:
            torch.cuda.synchronize(device)
    return run


@dataclass
class StepTiming:
    median_s: float | None        # per step; None when timing is disabled
    mean_s: float | None
    rounds: int
    steps_per_round: int
    implementation: str           # what actually ran: for-loop, foreach or fused
    parameters: int
    tensors: int
    bytes_per_parameter: float
    peak_memory_bytes: int        # memory the step itself allocates at most, beyond its inputs
    state_bytes: int              # the optimizer's state, as it stands after the warm-up
    bandwidth_limit: float        # bytes per second the device can move
    bandwidth_source: str         # where that limit comes from

    @property
    def params_per_s(self) -> float | None:
        return self.parameters / self.median_s if self.median_s else None

    @property
    def bytes_per_s(self) -> float | None:
        return self.parameters * self.bytes_per_parameter / self.median_s if self.median_s else None

    @property
    def bandwidth_share(self) -> float | None:
        rate = self.bytes_per_s
        return rate / self.bandwidth_limit if rate and self.bandwidth_limit else None

    def to_json(self) -> dict:
        return {**asdict(self), "params_per_s": self.params_per_s, "bytes_per_s": self.bytes_per_s,
                "bandwidth_share": self.bandwidth_share}


class StepProbe(torch.overrides.TorchFunctionMode):
    """Watches one step: which torch functions it calls, and the tensors it creates."""

    def __init__(self, existing: set[int]):
        super().__init__()
        self.functions: set[str] = set()
        self.known = set(existing)
        self.live = self.peak = 0

    def _freed(self, nbytes: int) -> None:
        self.live -= nbytes

    def __torch_function__(self, func, types, args=(), kwargs=None):
        from torch.utils._pytree import tree_leaves

        result = func(*args, **(kwargs or {}))
        self.functions.add(getattr(func, "__name__", str(func)))
        for tensor in tree_leaves(result):
            if not isinstance(tensor, torch.Tensor):
                continue
            pointer = tensor.untyped_storage().data_ptr()
            if pointer in self.known:  # an input, a parameter, a gradient or optimizer state
                continue
            self.known.add(pointer)
            nbytes = tensor.untyped_storage().nbytes()
            self.live += nbytes
            self.peak = max(self.peak, self.live)
            weakref.finalize(tensor, self._freed, nbytes)
        return result

    @property
    def implementation(self) -> str:
        if any("_fused_" in name for name in self.functions):
            return "fused"
        if any("_foreach_" in name for name in self.functions):
            return "foreach"
        return "for-loop"


def _storages(optimizer, params) -> set[int]:
    tensors = [t for p in params for t in (p, p.grad)]
    tensors += [v for state in optimizer.state.values() for v in state.values() if torch.is_tensor(v)]
    return {t.untyped_storage().data_ptr() for t in tensors}


def probe_step(optimizer, params, device: torch.device) -> tuple[str, int]:
    """(the implementation that ran, peak memory the step allocated) for one more step."""
    probe = StepProbe(_storages(optimizer, params))
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        before = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
    with probe:
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        return probe.implementation, torch.cuda.max_memory_allocated(device) - before
    return probe.implementation, probe.peak


def state_bytes(optimizer) -> int:
    return sum(v.numel() * v.element_size() for state in optimizer.state.values()
               for v in state.values() if torch.is_tensor(v))


def closure_required(optimizer: Any) -> bool:
    """Whether `step` cannot be called without a closure (LBFGS)."""
    import inspect

    try:
        parameter = inspect.signature(optimizer.step).parameters.get("closure")
    except (TypeError, ValueError):
        return False
    return parameter is not None and parameter.default is inspect.Parameter.empty


def time_step(benchmark, optimizer, params, device: torch.device,
              declared_bytes_per_parameter: float | None = None,
              bandwidth_gbps: float | None = None) -> StepTiming:
    """Time `optimizer.step()` on `params` (whose gradients are set) with pytest-benchmark."""
    step = optimizer.step
    if closure_required(optimizer):
        loss = torch.zeros((), device=device)
        step = lambda: optimizer.step(lambda: loss)  # noqa: E731 - the gradients are fixed
    clock = _clock(device)
    for _ in range(3):  # state creation, allocator warm-up, lazy imports
        step()
    implementation, peak = probe_step(optimizer, params, device)
    began = clock()
    step()
    one = max(clock() - began, 1e-7)
    steps_per_round = max(1, math.ceil(ROUND_SECONDS / one))
    rounds = max(MIN_ROUNDS, min(ROUNDS, int(MAX_SECONDS / (one * steps_per_round))))

    benchmark.pedantic(round_synchronized(step, steps_per_round, device), rounds=rounds,
                       iterations=steps_per_round, warmup_rounds=WARMUP_ROUNDS)
    count = sum(p.numel() for p in params)
    per_parameter = declared_bytes_per_parameter or bytes_per_parameter(optimizer, params)
    limit, source = device_bandwidth(device, bandwidth_gbps)
    stats = getattr(getattr(benchmark, "stats", None), "stats", None)
    if getattr(benchmark, "disabled", False) or stats is None:
        median = mean = None
    else:
        median, mean = float(stats.median), float(stats.mean)
    timing = StepTiming(median, mean, rounds, steps_per_round, implementation, count, len(params),
                        per_parameter, int(peak), state_bytes(optimizer), limit, source)
    if hasattr(benchmark, "extra_info"):
        benchmark.extra_info.update({
            "implementation": implementation, "parameters": count, "tensors": len(params),
            "bytes_per_parameter": per_parameter, "steps_per_round": steps_per_round,
            "peak_memory_bytes": int(peak), "bandwidth_share": timing.bandwidth_share})
    return timing
