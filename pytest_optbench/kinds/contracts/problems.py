"""Small, deterministic problems that contracts step optimizers on, and the tools to run them.

Every run starts from the same parameters and sees the same gradients, so two runs that ought to
agree can be compared bitwise. The loss is separable by tensor and element (a shifted quadratic
with a sine term, so that optimizer state matters), which makes the results of a group, a
tensor or an element depend on it alone.
"""

from __future__ import annotations

import inspect
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

import torch

# A scalar, a vector, a matrix and a small conv-like kernel.
SHAPES: tuple[tuple[int, ...], ...] = ((), (5,), (4, 3), (2, 3, 3, 3))


# The device a contract's tensors live on: the case's device, set by `on_device` around a check,
# so that every problem a contract builds is on it without each check passing it along.
_DEVICE: ContextVar[torch.device] = ContextVar("contract_device", default=torch.device("cpu"))


@contextmanager
def on_device(device: str | torch.device) -> Iterator[torch.device]:
    token = _DEVICE.set(torch.device(device))
    try:
        yield _DEVICE.get()
    finally:
        _DEVICE.reset(token)


def current_device() -> torch.device:
    return _DEVICE.get()


class NotApplicable(Exception):
    """The contract does not apply to this optimizer; the message says why."""


class Broken(Exception):
    """The contract does not hold; the message is the smallest example that breaks it."""


@dataclass
class Factory:
    """Builds the case's optimizer on given parameters, with extra or changed options."""

    build: Callable[..., Any]               # build(params, **overrides) -> optimizer
    cls: type
    options: tuple[str, ...]                # constructor keywords the class takes
    takes_closure: bool
    hyperparameters: dict[str, Any] = field(default_factory=dict)   # the suite's
    elementwise: bool = False               # each element's update depends on it alone
    rejected_shapes: dict[tuple[int, ...], str] = field(default_factory=dict)
    # Implementations ("foreach", "fused", "capturable") the suite says agree with the for-loop
    # bitwise, not only within the dtype's tolerance.
    bitwise: frozenset[str] = frozenset()
    # What a check found that the baseline keeps: which implementations agree bitwise (an
    # observation of this machine, reported when it differs), and anything else (part of the
    # case's identity: a later run that finds otherwise is a change, shown old -> new).
    recorded: dict[str, Any] = field(default_factory=dict)

    def __call__(self, params: Any, **overrides: Any) -> Any:
        return self.build(params, **overrides)

    def has(self, option: str) -> bool:
        return option in self.options


def options_of(cls: type) -> tuple[str, ...]:
    try:
        parameters = inspect.signature(cls.__init__).parameters  # type: ignore[misc]
    except (TypeError, ValueError):
        return ()
    return tuple(name for name in parameters if name not in ("self", "params"))


def initial(shapes: Sequence[tuple[int, ...]], dtype: torch.dtype = torch.float32,
            device: str | torch.device | None = None, seed: int = 0) -> list[torch.Tensor]:
    """Fresh leaf parameters on `device` (the contract's device by default), the same values
    for every call with the same arguments, whatever the device."""
    generator = torch.Generator().manual_seed(seed)
    where = current_device() if device is None else device
    return [torch.randn(shape, generator=generator, dtype=torch.float64).to(dtype=dtype, device=where)
            .requires_grad_() for shape in shapes]


def targets_like(params: Sequence[torch.Tensor], seed: int = 1) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(p.shape, generator=generator, dtype=torch.float64).to(p.dtype).to(p.device)
            for p in params]


def loss_of(params: Sequence[torch.Tensor], targets: Sequence[torch.Tensor],
            sign: float = 1.0) -> torch.Tensor:
    total = sum(((0.5 * (p - t) ** 2 + 0.1 * torch.sin(3 * p)).sum() for p, t in zip(params, targets)),
                torch.zeros(()))
    return sign * total


def step_once(optimizer: Any, params: Sequence[torch.Tensor], targets: Sequence[torch.Tensor],
              takes_closure: bool, sign: float = 1.0, grad_of: Callable[..., Any] | None = None) -> Any:
    """One step: gradients from the loss (or `grad_of`), then `step`, with a closure where the
    class takes one."""
    def closure() -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        with torch.enable_grad():
            loss = loss_of(params, targets, sign)
            loss.backward()
        if grad_of is not None:
            grad_of(params)
        return loss
    if takes_closure:
        return optimizer.step(closure)
    closure()
    return optimizer.step()


def run(factory: Factory, params: list[torch.Tensor], steps: int, *, sign: float = 1.0,
        targets: list[torch.Tensor] | None = None, optimizer: Any = None,
        **overrides: Any) -> tuple[list[torch.Tensor], Any]:
    """`steps` steps from `params` (which it changes); the parameters and the optimizer."""
    targets = targets if targets is not None else targets_like(params)
    optimizer = optimizer if optimizer is not None else factory(params, **overrides)
    for _ in range(steps):
        step_once(optimizer, params, targets, factory.takes_closure, sign)
    return params, optimizer


def first_difference(expected: Sequence[torch.Tensor], found: Sequence[torch.Tensor],
                     rtol: float = 0.0, atol: float = 0.0) -> str | None:
    """Where two lists of tensors first disagree (beyond the tolerances), in words; None if
    they agree. Bitwise when both tolerances are 0."""
    for index, (a, b) in enumerate(zip(expected, found)):
        a, b = a.detach(), b.detach()
        if a.shape != b.shape:
            return f"tensor {index}: expected shape {tuple(a.shape)}, found {tuple(b.shape)}"
        if a.dtype != b.dtype:
            return f"tensor {index}: expected dtype {a.dtype}, found {b.dtype}"
        if rtol == 0 and atol == 0:
            differs = ~((a == b) | (torch.isnan(a) & torch.isnan(b)))
        else:
            differs = ~torch.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
        if bool(differs.any()):
            where = tuple(int(i) for i in differs.nonzero()[0]) if a.dim() else ()
            how = "bitwise" if rtol == 0 and atol == 0 else f"within rtol {rtol:g}, atol {atol:g}"
            return (f"tensor {index} (shape {tuple(a.shape)}, {str(a.dtype).removeprefix('torch.')})"
                    f", element {list(where)}: expected {float(a[where]):.9g}, found "
                    f"{float(b[where]):.9g} (compared {how}; {int(differs.sum())} of "
                    f"{a.numel()} elements differ)")
    return None


def accepted_shapes(factory: Factory) -> list[tuple[int, ...]]:
    """The shapes of SHAPES the optimizer steps on; each rejected one and why are kept in
    `factory.rejected_shapes` (a class for matrices alone rejects vectors, say)."""
    kept = []
    for shape in SHAPES:
        params = initial([shape])
        try:
            run(factory, params, 1)
        except Exception as exc:  # noqa: BLE001 - the class's own reason is the message
            factory.rejected_shapes[shape] = f"{type(exc).__name__}: {exc}"[:200]
            continue
        kept.append(shape)
    if not kept:
        reasons = "; ".join(f"{shape}: {why}" for shape, why in factory.rejected_shapes.items())
        raise NotApplicable(f"it steps on none of the shapes {list(SHAPES)} ({reasons})")
    return kept
