"""One optimizer driven over its starts for a number of steps, in the protocol it speaks.

A `Slot` is what one optimizer holds: every start of a batch, or one start alone. `drive` steps
it, recording the loss at each step's evaluation point, with the protocol the case resolved:

- closure: `step(closure)`, the closure evaluating loss and gradients where the optimizer asks
  (LBFGS's line search, SAM's perturbed point); the loss recorded is its first evaluation.
- train_eval: the gradient is taken in `train()` mode, the loss is measured in `eval()` mode
  (schedule-free methods average their iterates; the average is what they return).
- create_graph: gradients by autograd with their graph kept, for Hessian-vector products.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

import torch

from pytest_optbench.kinds.analytic.functions import BoundFunction
from pytest_optbench.kinds.analytic.history import History
from pytest_optbench.kinds.analytic.layouts import StartLayout
from pytest_optbench.kinds.base import CaseTrouble
from pytest_optbench.kinds.progress import PROGRESS
from pytest_optbench.suite.cases import OptimizerConfig
from pytest_optbench.suite.resolve import construct_optimizer, construct_scheduler

Tensor = torch.Tensor
DIVERGENCE_CHECK_EVERY = 100


@dataclass(frozen=True)
class Objective:
    """The function to minimise, negated for an optimizer configured to maximise."""

    function: BoundFunction
    sign: float
    # A replica's rounding-sized change of every gradient (perturbation.py); None in a real run.
    noise: Optional[Callable[[Tensor], Tensor]] = None

    def closed_form(self, points: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(value, value the optimizer sees, its gradient), without autograd."""
        value, grad = self.function.value_and_grad(points)
        if self.noise is not None:
            grad = self.noise(grad)
        return value, (value if self.sign > 0 else -value), (grad if self.sign > 0 else -grad)


@dataclass
class Slot:
    """The starts one optimizer holds: all of a layout's (`start` None) or one of them."""

    layout: StartLayout
    start: int | None = None

    @property
    def rows(self) -> slice:
        return slice(None) if self.start is None else slice(self.start, self.start + 1)

    def param_groups(self) -> list[dict[str, Any]]:
        return self.layout.param_groups() if self.start is None \
            else self.layout.param_groups_of(self.start)

    def points(self) -> Tensor:
        return self.layout.points() if self.start is None else self.layout.points_of(self.start)

    def live_points(self) -> Tensor:
        return self.layout.live_points() if self.start is None \
            else self.layout.live_points_of(self.start)

    def set_grads(self, grads: Tensor) -> None:
        if self.start is None:
            self.layout.set_grads(grads)
        else:
            self.layout.set_grads_of(self.start, grads)

    def clear_grads(self) -> None:
        for parameter in self.layout.parameters(self.start):
            parameter.grad = None


@dataclass(frozen=True)
class Drove:
    """What `drive` did: the steps it ran, and whether the optimizer ignored the closure it was
    given (it is then stepped on gradients computed beforehand, see `_ClosureIgnored`)."""

    steps: int
    closure_ignored: bool


class _ClosureIgnored(Exception):
    """The first `step(closure)` neither called the closure nor moved a parameter: the class
    accepts a closure but expects its gradients ready (many hand-written optimizers)."""


def drive(slot: Slot, config: OptimizerConfig, cls: type, objective: Objective,
          history: History, steps: int, check_divergence: bool = False,
          update_scale: float = 1.0) -> Drove:
    """Step one optimizer `steps` times (fewer if every start diverged). `update_scale`: each
    step's update is scaled by it (the parameters are put back that share of the way from
    where they were to where the optimizer moved them): the smallest change of an optimizer
    whose effect a case's gate can see is its power."""
    protocol = config.protocol
    instance, scheduler = _build(slot, config, cls)
    gradients = _autograd(slot, objective) if protocol.create_graph \
        else _closed_form(slot, objective)
    closure = protocol.closure
    ran = steps
    PROGRESS.begin(steps)
    for t in range(steps):
        PROGRESS.at(t)
        if check_divergence and t and t % DIVERGENCE_CHECK_EVERY == 0 \
                and not torch.isfinite(history.loss[t - 1]).any():
            ran = t  # every start has diverged: the rest would be NaN as well
            break
        if protocol.train_eval:
            instance.eval()
            x = slot.points().clone()
            instance.train()
            history.record(t, x, objective.closed_form(x)[0], slot.rows)
        else:
            x = slot.points().clone() if closure else slot.points()
        if closure:
            try:
                with _scaled_update(slot, update_scale):
                    first = _step_with_closure(instance, gradients, t, slot)
                if not protocol.train_eval:
                    history.record(t, x, first, slot.rows)
            except _ClosureIgnored:
                # Nothing moved, so starting over on a fresh optimizer is exact.
                instance, scheduler = _build(slot, config, cls)
                closure = False
        if not closure:
            value, _ = gradients()
            if not protocol.train_eval:
                history.record(t, x, value, slot.rows)  # before the step moves x in place
            with _scaled_update(slot, update_scale):
                instance.step()
        if protocol.create_graph:
            slot.clear_grads()  # a gradient with a graph holds its parameter: break the cycle
        if scheduler is not None:
            scheduler.step()
    if protocol.train_eval:
        instance.eval()  # the point reported is the evaluation point
    return Drove(ran, protocol.closure and not closure)


@contextlib.contextmanager
def _scaled_update(slot: Slot, scale: float) -> Iterator[None]:
    """The step inside moves every parameter by `scale` times its own update."""
    if scale == 1.0:
        yield
        return
    parameters = slot.layout.parameters(slot.start)
    before = [p.detach().clone() for p in parameters]
    yield
    with torch.no_grad():
        for parameter, was in zip(parameters, before):
            parameter.mul_(scale).add_(was, alpha=1.0 - scale)


def _build(slot: Slot, config: OptimizerConfig, cls: type) -> tuple[Any, Any]:
    instance = construct_optimizer(cls, slot.param_groups(), config.hyperparameters, config.wraps)
    # Analytic problems have no epochs: a schedule steps every step, whatever its interval.
    scheduler, _ = construct_scheduler(config.schedule, instance)
    if config.protocol.train_eval:
        instance.train()
    return instance, scheduler


def _step_with_closure(instance: Any, gradients: Callable[[], tuple[Tensor, Tensor]], t: int,
                       slot: Slot) -> Tensor:
    """`step(closure)`; the value of the closure's first evaluation."""
    evaluations: list[Tensor] = []

    def evaluate() -> Tensor:
        value, seen = gradients()
        evaluations.append(value)
        return seen.sum()

    before = slot.points().clone() if t == 0 else None

    def unmoved() -> bool:
        return before is not None and not evaluations and torch.equal(slot.points(), before)

    try:
        instance.step(evaluate)
    except Exception:
        # Stepping without gradients (p.grad is None) is a likely cause of the error: try
        # once more with gradients ready; a real fault raises again there.
        if unmoved():
            raise _ClosureIgnored() from None
        raise
    if evaluations:
        return evaluations[0]
    if unmoved():
        raise _ClosureIgnored()
    raise CaseTrouble(f"{type(instance).__name__}.step(closure) never called the closure "
                      f"(step {t}), so it stepped without gradients; give the optimizer "
                      f"`protocol: {{closure: false}}` in the suite")


def _closed_form(slot: Slot, objective: Objective) -> Callable[[], tuple[Tensor, Tensor]]:
    def gradients() -> tuple[Tensor, Tensor]:
        value, seen, grad = objective.closed_form(slot.points())
        slot.set_grads(grad)
        return value, seen
    return gradients


def _autograd(slot: Slot, objective: Objective) -> Callable[[], tuple[Tensor, Tensor]]:
    """Gradients through autograd with `create_graph`: second-order optimizers differentiate
    them again. Slower than the closed form, so only for optimizers that need it."""
    def gradients() -> tuple[Tensor, Tensor]:
        slot.clear_grads()
        with torch.enable_grad(), warnings.catch_warnings():
            # The cycle it warns of (a gradient holding its parameter) is broken after each
            # step: `drive` clears the gradients.
            warnings.filterwarnings("ignore", message="Using backward\\(\\) with create_graph")
            value = objective.function.value(slot.live_points())
            seen = value * objective.sign
            seen.sum().backward(create_graph=True)
        return value.detach(), seen.detach()
    return gradients
