"""Contracts on an optimizer's state: resume, determinism."""

from __future__ import annotations

import copy
import io
from typing import Callable

import torch

from pytest_optbench.kinds.contracts.problems import (Broken, Factory, current_device,
                                                      first_difference, initial, run, targets_like)

BEFORE, AFTER = 3, 3  # steps before the state is saved, and after it is loaded


def resume(factory: Factory, shapes: list[tuple[int, ...]]) -> str:
    straight, _ = run(factory, initial(shapes), BEFORE + AFTER)
    ways: dict[str, Callable[[dict], dict]] = {
            "load_state_dict": lambda state: state,
            "a deep copy of the state dict": copy.deepcopy,
            "torch.save and torch.load through bytes": _through_bytes}
    for how, transform in ways.items():
        params = initial(shapes)
        targets = targets_like(params)
        _, first = run(factory, params, BEFORE, targets=targets)
        state = transform(first.state_dict())
        fresh = [p.detach().clone().requires_grad_() for p in params]
        second = factory(fresh)
        second.load_state_dict(state)
        run(factory, fresh, AFTER, targets=targets, optimizer=second)
        found = first_difference(straight, fresh)
        if found:
            raise Broken(f"resumed through {how} after {BEFORE} steps, then {AFTER} more: {found}; "
                         f"expected the result of {BEFORE + AFTER} uninterrupted steps")
    held = f"resumed after {BEFORE} of {BEFORE + AFTER} steps, {len(ways)} ways"
    here = current_device()
    if not torch.cuda.is_available():
        return held + "; across devices not checked: CUDA is not available"
    other = torch.device("cpu") if here.type == "cuda" else torch.device("cuda")
    return held + "; " + across_devices(factory, shapes, here, other)


def across_devices(factory: Factory, shapes: list[tuple[int, ...]], saved_on: torch.device,
                   resumed_on: torch.device) -> str:
    """k steps on one device, the state dict loaded into the same parameters on another, m more
    steps there: the result of k + m steps on the first device, within the float32 tolerance
    (the devices' kernels round differently)."""
    from pytest_optbench.kinds.contracts.numerics import AGREEMENT

    straight, _ = run(factory, initial(shapes, device=saved_on), BEFORE + AFTER)
    params = initial(shapes, device=saved_on)
    targets = targets_like(params)
    _, first = run(factory, params, BEFORE, targets=targets)
    state = _through_bytes(first.state_dict())
    moved = [p.detach().to(resumed_on).requires_grad_() for p in params]
    second = factory(moved)
    second.load_state_dict(state)   # moves the state to the parameters' device
    run(factory, moved, AFTER, targets=[t.to(resumed_on) for t in targets], optimizer=second)
    back = [p.detach().to(saved_on) for p in moved]
    found = first_difference(straight, back, *AGREEMENT[torch.float32])
    if found:
        raise Broken(f"saved on {saved_on.type} after {BEFORE} steps, resumed on "
                     f"{resumed_on.type} for {AFTER} more: {found}; expected the result of "
                     f"{BEFORE + AFTER} steps on {saved_on.type}")
    for value in (v for entry in second.state.values() for v in entry.values()):
        if torch.is_tensor(value) and value.dim() > 0 and value.device.type != resumed_on.type:
            raise Broken(f"the state loaded for parameters on {resumed_on.type} stayed on "
                         f"{value.device.type}; expected it moved with the parameters")
    return f"saved on {saved_on.type}, resumed on {resumed_on.type}"


def _through_bytes(state: dict) -> dict:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


def determinism(factory: Factory, shapes: list[tuple[int, ...]]) -> str:
    torch.manual_seed(1234)
    before = torch.get_rng_state()
    first, _ = run(factory, initial(shapes), 4)
    draws = not torch.equal(before, torch.get_rng_state())
    torch.manual_seed(1234)
    second, _ = run(factory, initial(shapes), 4)
    found = first_difference(first, second)
    if found:
        raise Broken(f"two identical runs of 4 steps{' after torch.manual_seed(1234)' if draws else ''}"
                     f" differ: {found}")
    return "draws random numbers and honours torch.manual_seed" if draws else \
        "draws no random numbers; identical runs are bitwise equal"
