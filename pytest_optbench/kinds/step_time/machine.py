"""Which machines' step times may be compared: a CPU's name alone is not enough.

Two machines that report the same CPU name can differ in the threads torch uses, the torch build
and the memory bandwidth a step gets (a shared cloud host, another memory configuration), and
each of those moves a step's time by more than any tolerance. The baseline context names the
device, the threads and the torch build; the update bandwidth measured on each machine is kept
with the entry, and one more than BANDWIDTH_RATIO apart makes the machines not comparable.
"""

from __future__ import annotations

from typing import Any, Mapping

# Update bandwidths this far apart (either way) mean another class of machine: a step's time
# follows its bandwidth, so a baseline from it is not comparable.
BANDWIDTH_RATIO = 1.5


def machine_name(device: Any) -> str:
    """'AMD EPYC 7B13, 2 threads, torch 2.14.1+cu130', or 'NVIDIA H200, torch 2.14.1+cu130'."""
    import torch

    from pytest_optbench.provenance import device_name

    parts = [device_name(device)]
    if device.type == "cpu":
        parts.append(f"{torch.get_num_threads()} threads")
    parts.append(f"torch {torch.__version__}")
    # "|" and "@" delimit the parts of a stored context; a device name never needs them.
    return ", ".join(parts).replace("|", "/").replace("@", " at ")


def machine_provenance(bandwidth_bytes_per_s: float | None, source: str) -> dict[str, Any]:
    if not bandwidth_bytes_per_s:
        return {}
    return {"bandwidth_gbps": round(bandwidth_bytes_per_s / 1e9, 2), "bandwidth_source": source}


def not_comparable(stored: Mapping[str, Any] | None, now: Mapping[str, Any]) -> str | None:
    """Why a stored step time does not apply to this machine, or None."""
    before, after = (stored or {}).get("bandwidth_gbps"), now.get("bandwidth_gbps")
    if not isinstance(before, (int, float)) or not isinstance(after, (int, float)) \
            or before <= 0 or after <= 0:
        return None
    ratio = max(before, after) / min(before, after)
    if ratio <= BANDWIDTH_RATIO:
        return None
    return (f"the baseline was timed on a machine with {before:g} GB/s of update bandwidth and "
            f"this one has {after:g} GB/s ({ratio:.2f}x apart, more than {BANDWIDTH_RATIO:g}x): "
            f"step times are not comparable across such machines")
