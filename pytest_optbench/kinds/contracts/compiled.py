"""The compile contract: a step under torch.compile agrees with the eager step."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import torch

from pytest_optbench.kinds.contracts.numerics import (AGREEMENT, INTERNAL_PRECISION,
                                                      LOW_PRECISION_AGREEMENT, STEPS)
from pytest_optbench.kinds.contracts.problems import (Broken, Factory, NotApplicable,
                                                      first_difference, initial, run, targets_like)


def compiled(factory: Factory, shapes: list[tuple[int, ...]]) -> str:
    """The step under torch.compile agrees with the eager step."""
    import inspect

    from pytest_optbench.kinds.contracts.problems import step_once

    closure = inspect.signature(getattr(factory.cls, "step")).parameters.get("closure")
    if closure is not None and closure.default is inspect.Parameter.empty:
        raise NotApplicable("its step needs a closure, which a compiled step is not given")

    eager, _ = run(factory, initial(shapes), STEPS)
    params = initial(shapes)
    targets = targets_like(params)
    optimizer = factory(params)

    @torch.compile(fullgraph=False, dynamic=False)
    def compiled_step() -> None:
        optimizer.step()

    try:
        with _cache_for_this_kernel_path():
            for _ in range(STEPS):
                step_once(_Stepper(optimizer, compiled_step), params, targets, takes_closure=False)
    except Exception as exc:  # noqa: BLE001 - no compiler here, or a step dynamo cannot trace
        raise NotApplicable(f"torch.compile does not work here ({type(exc).__name__}: "
                            f"{str(exc).splitlines()[0][:150] if str(exc) else ''})") from None
    tolerance, why = AGREEMENT[torch.float32], ""
    if factory.cls.__name__ in INTERNAL_PRECISION:
        lower, why = INTERNAL_PRECISION[factory.cls.__name__]
        tolerance, why = LOW_PRECISION_AGREEMENT[lower], f" (to {lower}: {why})"
    found = first_difference(eager, params, *tolerance)
    if found:
        raise Broken(f"the step under torch.compile against the eager step, {STEPS} steps: "
                     f"{found}{why}")
    return f"the compiled step agrees with the eager one over {STEPS} steps{why}"


@contextlib.contextmanager
def _cache_for_this_kernel_path() -> Iterator[None]:
    """Compile into a cache kept apart per CPU kernel path (ATEN_CPU_CAPABILITY).

    Inductor's caches do not key on the kernel path: C++ generated for AVX-512 and reused in a
    process started with ATEN_CPU_CAPABILITY=default fails to build, and the contract would
    wrongly say that torch.compile does not work on the machine.
    """
    from torch._inductor.runtime.cache_dir_utils import cache_dir, temporary_cache_dir

    shared = cache_dir()
    path = os.path.join(shared, f"optbench-{torch.backends.cpu.get_cpu_capability().lower()}")
    with temporary_cache_dir(path):
        yield
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = shared  # as cache_dir() itself leaves it


class _Stepper:
    """An optimizer whose step is the compiled function: what step_once drives."""

    def __init__(self, optimizer: Any, step: Any):
        self.optimizer, self.compiled = optimizer, step

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def step(self, closure: Any = None) -> None:
        self.compiled()
