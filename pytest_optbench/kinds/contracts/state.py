"""Contracts on an optimizer's state: resume, determinism."""

from __future__ import annotations

import copy
import io
from typing import Callable

import torch

from pytest_optbench.kinds.contracts.problems import (Broken, Factory, first_difference, initial,
                                                      run, targets_like)

BEFORE, AFTER = 3, 3  # steps before the state is saved, and after it is loaded


def resume(factory: Factory, shapes: list[tuple[int, ...]]) -> str:
    straight, _ = run(factory, initial(shapes), BEFORE + AFTER)
    ways: dict[str, Callable[[dict], dict]] = {
            "load_state_dict": lambda state: state,
            "a deep copy of the state dict": copy.deepcopy,
            "torch.save and torch.load through bytes": _through_bytes}
    if torch.cuda.is_available():
        ways["the parameters moved to cuda and back"] = lambda state: state
    for how, transform in ways.items():
        params = initial(shapes)
        targets = targets_like(params)
        _, first = run(factory, params, BEFORE, targets=targets)
        state = transform(first.state_dict())
        fresh = [p.detach().clone().requires_grad_() for p in params]
        if how.startswith("the parameters moved"):
            fresh = [p.detach().cuda().cpu().requires_grad_() for p in fresh]
        second = factory(fresh)
        second.load_state_dict(state)
        run(factory, fresh, AFTER, targets=targets, optimizer=second)
        found = first_difference(straight, fresh)
        if found:
            raise Broken(f"resumed through {how} after {BEFORE} steps, then {AFTER} more: {found}; "
                         f"expected the result of {BEFORE + AFTER} uninterrupted steps")
    return f"resumed after {BEFORE} of {BEFORE + AFTER} steps, {len(ways)} ways"


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
