"""Parameter sets to time an optimizer step on: a model's shapes, or a total count split into
realistic tensors, with fixed random gradients."""

from __future__ import annotations

import math
import re
from typing import Any

# Presets: the parameter shapes of the suites' models.
PRESETS: dict[str, dict[str, Any]] = {
    "mlp-300-100": {"model": {"kind": "mlp", "hidden": [300, 100]}, "input": [1, 28, 28]},
    "lenet5": {"model": {"kind": "lenet5"}, "input": [3, 32, 32]},
    "alexnet": {"model": {"kind": "alexnet"}, "input": [3, 32, 32]},
    "resnet18": {"model": {"kind": "resnet18"}, "input": [3, 32, 32]},
    "fastnet": {"model": {"kind": "fastnet"}, "input": [3, 32, 32]},
}
_COUNT = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([kKmMbBgG]?)\s*$")
_SCALE = {"": 1, "k": 10 ** 3, "m": 10 ** 6, "b": 10 ** 9, "g": 10 ** 9}


def parse_count(value: int | str) -> int:
    """10000000, "10M", "1.5B" -> a number of parameters."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise ValueError("a positive number of parameters")
        return value
    match = _COUNT.match(str(value))
    if not match:
        raise ValueError("a number of parameters such as 10000000, '10M' or '1.5B'")
    count = int(round(float(match.group(1)) * _SCALE[match.group(2).lower()]))
    if count < 1:
        raise ValueError("a positive number of parameters")
    return count


def split_count(count: int) -> list[tuple[int, ...]]:
    """Shapes of a transformer-like stack that hold exactly `count` parameters.

    Blocks of width d hold an attention projection (3d x d) and output (d x d), a 4x MLP
    (4d x d, d x 4d), their biases and two norms. d is the power of two that gives between 4 and
    about 16 blocks; an embedding table (v x d) and one vector take up the rest.
    """
    if count < 64:
        return [(count,)]
    width = 16
    while 12 * (2 * width) ** 2 * 4 <= count:
        width *= 2
    block = [(3 * width, width), (3 * width,), (width, width), (width,), (4 * width, width),
             (4 * width,), (width, 4 * width), (width,), (width,), (width,), (width,), (width,)]
    block_size = sum(math.prod(s) for s in block)
    blocks = max(0, min(count // block_size, 64))
    shapes = block * blocks
    rest = count - block_size * blocks
    if rest >= width:
        shapes.append((rest // width, width))
        rest -= (rest // width) * width
    if rest:
        shapes.append((rest,))
    return shapes


def model_shapes(model: dict[str, Any], input_shape: list[int], classes: int = 10) -> list[tuple[int, ...]]:
    from pytest_optbench.kinds.models import build_model

    options = {k: v for k, v in model.items() if k != "kind"}
    channels, height, width = input_shape
    built = build_model(model["kind"], options, (channels, height, width), classes)
    return [tuple(p.shape) for p in built.parameters()]


def shapes_for(spec: dict[str, Any]) -> list[tuple[int, ...]]:
    """`{preset: name}`, `{model: {...}, input: [C, H, W]}` or `{count: N}` -> shapes."""
    if "preset" in spec:
        preset = PRESETS[spec["preset"]]
        return model_shapes(preset["model"], preset["input"])
    if "model" in spec:
        return model_shapes(spec["model"], spec.get("input", [3, 32, 32]), spec.get("classes", 10))
    return split_count(parse_count(spec["count"]))


def make_parameters(shapes: list[tuple[int, ...]], dtype, device, seed: int = 0):
    """Parameters with fixed random gradients, created before any timing."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    params = []
    for shape in shapes:
        p = torch.randn(shape, generator=generator).to(dtype=dtype, device=device).requires_grad_()
        p.grad = torch.randn(shape, generator=generator).to(dtype=dtype, device=device)
        params.append(p)
    return params
