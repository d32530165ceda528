"""Where a result came from: versions, device, precision, the machine's arithmetic, date."""

from __future__ import annotations

import datetime
import functools
import platform

from pytest_optbench.gate.machine import machine_differences

__all__ = ["arithmetic", "cpu_name", "device_name", "machine_differences", "provenance"]


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
        **arithmetic(),
    }


def arithmetic() -> dict:
    """What decides how a CPU rounds: its model, the kernel path torch dispatches to
    (ATEN_CPU_CAPABILITY picks a narrower one), the intra-op threads and the exact build."""
    import torch

    capability = getattr(torch.backends.cpu, "get_cpu_capability", lambda: "unknown")()
    # Plain str and int: results cross to the xdist controller, which takes no torch types.
    return {"cpu": cpu_name(), "cpu_capability": str(capability),
            "threads": int(torch.get_num_threads()), "torch_build": str(torch.__version__)}
