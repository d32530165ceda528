"""Bytes an optimizer step moves, and how many bytes a second the device can move.

A step reads each parameter and its gradient and writes the parameter back; every state tensor
of the parameter's size (momentum, first and second moments) is read and written as well. In
fp32 that is 12 bytes per parameter for plain SGD, 20 with momentum, and 28 for Adam.
"""

from __future__ import annotations

import functools

# Peak memory bandwidth in GB/s (10^9 bytes), from the vendors' data sheets, by device name.
KNOWN_GPUS: tuple[tuple[str, float], ...] = (
    ("H200", 4800.0), ("H100 NVL", 3900.0), ("H100 PCIe", 2000.0), ("H100", 3350.0),
    ("GH200", 4000.0), ("B200", 8000.0), ("A100-SXM4-80GB", 2039.0), ("A100 80GB PCIe", 1935.0),
    ("A100", 1555.0), ("L40S", 864.0), ("L40", 864.0), ("L4", 300.0), ("A10G", 600.0),
    ("A10", 600.0), ("V100", 900.0), ("T4", 320.0), ("RTX 4090", 1008.0), ("RTX 3090", 936.0),
)


def bytes_per_parameter(optimizer, params) -> float:
    """Bytes moved per parameter and step, from the optimizer's state after a step."""
    import torch

    total = 0.0
    count = 0
    for p in params:
        size = p.element_size()
        state = optimizer.state.get(p, {})
        sized = [v for v in state.values() if torch.is_tensor(v) and v.numel() == p.numel()]
        # read parameter and gradient, write parameter; read and write each state tensor
        per = 3 * size + sum(2 * v.element_size() for v in sized)
        total += per * p.numel()
        count += p.numel()
    return total / count if count else 0.0


def device_bandwidth(device, declared_gbps: float | None = None) -> tuple[float, str]:
    """(bytes per second, where the figure comes from) for the device."""
    if declared_gbps:
        return declared_gbps * 1e9, "declared"
    if device.type == "cuda":
        import torch

        name = torch.cuda.get_device_name(device)
        for key, gbps in KNOWN_GPUS:
            if key in name:
                return gbps * 1e9, f"{name} data sheet"
    return measured_update_bandwidth(str(device)), "measured in-place update"


@functools.lru_cache(maxsize=None)
def measured_update_bandwidth(device: str, megabytes: int = 256, repeats: int = 5) -> float:
    """Bytes per second of in-place updates of large tensors, the access pattern of a step.

    A copy into a separate buffer understates it: writing lines that are not cached costs a
    read as well. The best of an in-place scale (read and write one tensor) and an in-place
    multiply-add of three tensors (read three, write one) is taken.
    """
    import time

    import torch

    target = torch.device(device)
    count = megabytes * 2 ** 20 // 4
    a, b, c = (torch.ones(count, dtype=torch.float32, device=target) for _ in range(3))
    kernels = ((lambda: a.mul_(1.0), 2), (lambda: a.addcmul_(b, c, value=0.0), 4))
    best = 0.0
    for kernel, tensors_moved in kernels:
        kernel()
        for _ in range(repeats):
            if target.type == "cuda":
                torch.cuda.synchronize(target)
            began = time.perf_counter()
            kernel()
            if target.type == "cuda":
                torch.cuda.synchronize(target)
            elapsed = time.perf_counter() - began
            best = max(best, tensors_moved * count * 4 / elapsed)
    return best
