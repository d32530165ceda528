"""Device requests of suites and options (`auto`, `cpu`, `cuda`, `cuda:N`) -> torch devices.

Under pytest-xdist on a machine with several GPUs, `auto` spreads the workers over them: worker
gwN uses cuda:(N mod count), so that eight workers on eight GPUs do not all share cuda:0. A
request that names a device (`cuda`, `cuda:1`) is taken as it is.
"""

from __future__ import annotations

import os
import re
from typing import Any


# pytest-xdist names each worker's process in this variable: gw0, gw1, ...
XDIST_WORKER_ENV = "PYTEST_XDIST_WORKER"
_WORKER_RE = re.compile(r"^gw([0-9]+)$")


class DeviceUnavailable(Exception):
    """The case asks for a device this machine does not have."""


def device_type_of(request: str) -> str:
    """cpu or cuda, for a device request; `auto` means CUDA when it is available."""
    if request == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return request.split(":")[0]


def auto_cuda_index(cuda_count: int, worker: str | None) -> int | None:
    """The CUDA device `auto` means for this process: None for the default device (one GPU, or
    not an xdist worker), else the worker's number modulo the number of GPUs."""
    match = _WORKER_RE.match(worker or "")
    if cuda_count < 2 or match is None:
        return None
    return int(match.group(1)) % cuda_count


def resolve_device(request: str) -> Any:
    """The torch.device for a request; DeviceUnavailable when this machine lacks it."""
    import torch

    if request == "auto":
        if not torch.cuda.is_available():
            return torch.device("cpu")
        index = auto_cuda_index(torch.cuda.device_count(), os.environ.get(XDIST_WORKER_ENV))
        return torch.device("cuda" if index is None else f"cuda:{index}")
    device = torch.device(request)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceUnavailable(f"the case asks for {request}, but CUDA is not available here")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceUnavailable(f"the case asks for {request}, but only "
                                    f"{torch.cuda.device_count()} CUDA device(s) exist")
    return device
