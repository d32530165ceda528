"""Device requests of suites and options (`auto`, `cpu`, `cuda`, `cuda:N`) -> torch devices."""

from __future__ import annotations

import re
from typing import Any

DEVICE_PATTERN = r"^(auto|cpu|cuda(:[0-9]+)?)$"
DEVICE_RE = re.compile(DEVICE_PATTERN)


class DeviceUnavailable(Exception):
    """The case asks for a device this machine does not have."""


def device_type_of(request: str) -> str:
    """cpu or cuda, for a device request; `auto` means CUDA when it is available."""
    if request == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return request.split(":")[0]


def resolve_device(request: str) -> Any:
    """The torch.device for a request; DeviceUnavailable when this machine lacks it."""
    import torch

    if request == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(request)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceUnavailable(f"the case asks for {request}, but CUDA is not available here")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceUnavailable(f"the case asks for {request}, but only "
                                    f"{torch.cuda.device_count()} CUDA device(s) exist")
    return device
