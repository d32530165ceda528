"""Where a result came from: versions, device, precision, date."""

from __future__ import annotations

import datetime
import functools
import platform


@functools.lru_cache(maxsize=None)
def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def device_name(device) -> str:
    import torch

    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return cpu_name()


def provenance(device, dtype: str) -> dict:
    import torch

    from pytest_optbench import __version__

    return {
        "torch": torch.__version__.split("+")[0],
        "optbench": __version__,
        "python": platform.python_version(),
        "device": device_name(device),
        "device_type": device.type,
        "dtype": dtype,
        "recorded": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
