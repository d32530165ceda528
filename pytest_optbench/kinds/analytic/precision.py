"""The lowest precision an optimizer's step computes in, observed rather than assumed.

A replica perturbs a run by rounding-sized amounts; the right size is the rounding of the
arithmetic the step actually does. Muon orthogonalises its update in bfloat16 whatever the
parameters' dtype, and another CPU's bfloat16 kernels round differently by bfloat16's units,
not float64's. So a few steps run under a function mode that notes the dtype of every tensor
the step makes; the coarsest floating dtype seen sets the replicas' perturbation.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch.overrides import TorchFunctionMode

WATCHED_STEPS = 3


class _DtypeWatch(TorchFunctionMode):
    def __init__(self) -> None:
        super().__init__()
        self.seen: set[torch.dtype] = set()

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        result = func(*args, **(kwargs or {}))
        for value in result if isinstance(result, (tuple, list)) else (result,):
            # Scalars are left out: torch.optim counts steps in a float32 scalar, exactly.
            if isinstance(value, torch.Tensor) and value.dtype.is_floating_point \
                    and value.dim() > 0:
                self.seen.add(value.dtype)
        return result


def coarsest_dtype(run: Callable[[], Any], dtype: torch.dtype) -> torch.dtype:
    """The floating dtype with the largest rounding unit among those `run` computes in, and
    `dtype` itself."""
    watch = _DtypeWatch()
    with watch:
        run()
    return max(watch.seen | {dtype}, key=lambda d: torch.finfo(d).eps)
