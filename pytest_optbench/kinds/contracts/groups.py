"""Contracts on parameter groups, untouched parameters and closures."""

from __future__ import annotations

import torch

from pytest_optbench.kinds.contracts.problems import (Broken, Factory, NotApplicable,
                                                      first_difference, initial, run, step_once,
                                                      targets_like)

STEPS = 4
# Steps on which a closure may be called more than once, by class name: (fewest, most).
CLOSURE_CALLS = {"LBFGS": (1, 25)}
# Classes that move a parameter whose gradient is zero, and why (their documented decay).
DECAY_WITHOUT_GRADIENT = {"ASGD": "ASGD decays every parameter by lambd each step"}
# Classes that create state for every parameter when they are built (documented).
EAGER_STATE = {"Adagrad": "Adagrad creates its state for every parameter in its constructor"}
# Classes whose step does not vanish with lr 0 (documented).
MOVES_AT_LR_ZERO = {"Rprop": "Rprop holds its step sizes at or above step_sizes[0] (1e-6)"}


def _lr(factory: Factory, group: int) -> float:
    """The suite's learning rate for the first group, a third of it for the second."""
    return float(factory.hyperparameters.get("lr", 1e-2)) * (1.0 if group == 0 else 0.3)


def param_groups(factory: Factory, shapes: list[tuple[int, ...]]) -> str:
    if not factory.has("lr"):
        raise NotApplicable("it has no lr option to give each group its own")
    if len(shapes) < 2:
        raise NotApplicable("it steps on only one of the problem's shapes")
    half = max(1, len(shapes) // 2)
    first, second = shapes[:half], shapes[half:]
    lrs = [_lr(factory, 0), _lr(factory, 1)]
    params = initial(first, seed=0) + initial(second, seed=5)
    targets = targets_like(params)
    groups = [{"params": params[:half], "lr": lrs[0]}, {"params": params[half:], "lr": lrs[1]}]
    try:
        optimizer = factory(groups)
    except ValueError as exc:
        if "per-parameter options" in str(exc) or "param group" in str(exc):
            raise NotApplicable(f"it takes a single parameter group ({exc})") from None
        raise NotApplicable(f"its constructor refuses two groups with lr {lrs[0]:g} and "
                            f"{lrs[1]:g}, which this contract sets (not the suite): "
                            f"ValueError: {exc}") from None
    run(factory, params, STEPS, targets=targets, optimizer=optimizer)
    for index, (group_shapes, seed, lr) in enumerate(((first, 0, lrs[0]), (second, 5, lrs[1]))):
        alone = initial(group_shapes, seed=seed)
        part = slice(0, half) if index == 0 else slice(half, None)
        run(factory, alone, STEPS, targets=targets[part], lr=lr)
        found = first_difference(alone, params[part])
        if found:
            raise Broken(f"group {index} (lr {lr:g}) of two, after {STEPS} steps: {found}; "
                         f"expected the result of that group alone")
    # add_param_group after steps: the new group behaves as if it had started alone.
    late = initial(second, seed=5)
    early = initial(first, seed=0)
    optimizer = factory([{"params": early, "lr": lrs[0]}])
    run(factory, early, 2, targets=targets[:half], optimizer=optimizer)
    optimizer.add_param_group({"params": late, "lr": lrs[1]})
    run(factory, early + late, STEPS, targets=targets, optimizer=optimizer)
    alone = initial(second, seed=5)
    run(factory, alone, STEPS, targets=targets[half:], lr=lrs[1])
    found = first_difference(alone, late)
    if found:
        raise Broken(f"a group added with add_param_group after 2 steps, then {STEPS} steps: "
                     f"{found}; expected the result of that group alone")
    checked = f"two groups of {len(first)} and {len(second)} tensors, a late group"
    name = factory.cls.__name__
    if name in MOVES_AT_LR_ZERO:
        return f"{checked}; lr 0 not checked: {MOVES_AT_LR_ZERO[name]}"
    frozen = initial(shapes, seed=9)
    try:
        factory(frozen, lr=0.0)
    except (ValueError, TypeError) as exc:
        # Many constructors refuse lr 0; the suite never asked for it, this contract did.
        raise NotApplicable(f"its constructor refuses lr 0, which this contract sets (not the "
                            f"suite) to check that a frozen group stays put: "
                            f"{type(exc).__name__}: {exc}") from None
    still = [p.detach().clone() for p in frozen]
    run(factory, frozen, STEPS, lr=0.0)
    found = first_difference(still, frozen)
    if found:
        raise Broken(f"a group with lr 0 moved in {STEPS} steps: {found}; expected it to stay")
    return f"{checked}, lr 0"


def untouched(factory: Factory, shapes: list[tuple[int, ...]]) -> str:
    params = initial(shapes)
    idle = initial([shapes[0]], seed=7)[0]
    before = idle.detach().clone()
    optimizer = factory(params + [idle])
    targets = targets_like(params)
    for _ in range(STEPS):
        step_once(optimizer, params, targets, factory.takes_closure)
    if idle.grad is not None:
        raise Broken("the idle parameter has a gradient it was never given")
    found = first_difference([before], [idle])
    if found:
        raise Broken(f"a parameter whose grad is None moved in {STEPS} steps: {found}; expected "
                     f"it to stay")
    name = factory.cls.__name__
    if optimizer.state.get(idle) and name not in EAGER_STATE:
        raise Broken(f"a parameter whose grad is None got state: {sorted(optimizer.state[idle])}; "
                     f"expected none")
    decay = float(optimizer.param_groups[0].get("weight_decay") or 0.0)
    if name in DECAY_WITHOUT_GRADIENT or decay > 0:
        why = DECAY_WITHOUT_GRADIENT.get(name, f"weight decay {decay:g} moves every parameter")
        return f"grad None untouched; zero gradient not checked: {why}"
    zero = initial(shapes, seed=3)
    start = [p.detach().clone() for p in zero]
    optimizer = factory(zero)
    for _ in range(STEPS):
        def closure():
            optimizer.zero_grad(set_to_none=False)
            for p in zero:
                p.grad = torch.zeros_like(p)
            return torch.zeros(())
        optimizer.step(closure) if factory.takes_closure else (closure(), optimizer.step())
    found = first_difference(start, zero)
    if found:
        raise Broken(f"parameters whose gradient is zero moved in {STEPS} steps: {found}; "
                     f"expected them to stay")
    return "grad None: unchanged and no state; zero gradient: unchanged"


def closures(factory: Factory, shapes: list[tuple[int, ...]]) -> str:
    if not factory.takes_closure:
        raise NotApplicable("its step takes no closure")
    params = initial(shapes)
    targets = targets_like(params)
    optimizer = factory(params)
    fewest, most = CLOSURE_CALLS.get(factory.cls.__name__, (1, 1))
    for step in range(STEPS):
        calls = []

        def closure():
            optimizer.zero_grad(set_to_none=True)
            with torch.enable_grad():
                loss = sum(((p - t) ** 2).sum() for p, t in zip(params, targets))
                loss.backward()
            calls.append(float(loss.detach()))
            return loss
        returned = optimizer.step(closure)
        if not fewest <= len(calls) <= most:
            raise Broken(f"step {step + 1} called the closure {len(calls)} times; expected "
                         f"{fewest if fewest == most else f'{fewest} to {most}'}")
        if returned is None or float(returned.detach() if torch.is_tensor(returned) else returned) != calls[0]:
            raise Broken(f"step {step + 1} returned {returned!r}; expected the closure's loss "
                         f"{calls[0]!r} (its first call)")
    return f"returns the closure's loss; calls it {fewest if fewest == most else f'{fewest}-{most}'} times"
