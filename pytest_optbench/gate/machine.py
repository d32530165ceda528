"""How the machine of a run differs from the one that recorded its baseline, in words: read
beside a failure, it tells a new runner's CPU or kernel path from a change of the optimizer."""

from __future__ import annotations

from typing import Any, Mapping

# (provenance key, how it reads in a sentence)
MACHINE_KEYS = (("device", "device"), ("cpu", "CPU"), ("cpu_capability", "CPU kernel path"),
                ("threads", "threads"), ("torch_build", "torch build"), ("torch", "torch"))


def machine_differences(now: Mapping[str, Any], then: Mapping[str, Any]) -> str:
    """'CPU kernel path AVX512 -> DEFAULT; threads 2 -> 1': what of the machine changed since
    the baseline was recorded, or '' (keys a baseline did not record are not compared)."""
    changes = []
    for key, name in MACHINE_KEYS:
        if key == "cpu" and now.get("device") == now.get("cpu"):
            continue  # on the CPU, the device is the CPU: said once
        if key in now and key in then and now[key] != then[key]:
            changes.append(f"{name} {then[key]} -> {now[key]}")
    return "; ".join(changes)
