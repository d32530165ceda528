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

from dataclasses import dataclass
from typing import Any, Callable

import torch

from pytest_optbench.kinds.analytic.functions import BoundFunction
from pytest_optbench.kinds.analytic.history import History
from pytest_optbench.kinds.analytic.layouts import StartLayout
from pytest_optbench.kinds.base import CaseTrouble
from pytest_optbench.suite.cases import OptimizerConfig
from pytest_optbench.suite.resolve import construct_optimizer, construct_scheduler

Tensor = torch.Tensor
DIVERGENCE_CHECK_EVERY = 100


@dataclass(frozen=True)
class Objective:
    """The function to minimise, negated for an optimizer configured to maximise."""

    function: BoundFunction
    sign: float

    def closed_form(self, points: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(value, value the optimizer sees, its gradient), without autograd."""
        value, grad = self.function.value_and_grad(points)
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


def drive(slot: Slot, config: OptimizerConfig, cls: type, objective: Objective,
          history: History, steps: int, check_divergence: bool = False) -> int:
    """Step one optimizer `steps` times; the number of steps run (fewer if all diverged)."""
    instance = construct_optimizer(cls, slot.param_groups(), config.hyperparameters, config.wraps)
    # Analytic problems have no epochs: a schedule steps every step, whatever its interval.
    scheduler, _ = construct_scheduler(config.schedule, instance)
    protocol = config.protocol
    gradients = _autograd(slot, objective) if protocol.create_graph \
        else _closed_form(slot, objective)
    if protocol.train_eval:
        instance.train()
    ran = steps
    for t in range(steps):
        if check_divergence and t and t % DIVERGENCE_CHECK_EVERY == 0 \
                and not torch.isfinite(history.loss[t - 1]).any():
            ran = t  # every start has diverged: the rest would be NaN as well
            break
        if protocol.train_eval:
            instance.eval()
            x = slot.points().clone()
            instance.train()
            history.record(t, x, objective.closed_form(x)[0], slot.rows)
            _step(instance, protocol.closure, gradients, t)
        elif protocol.closure:
            x = slot.points().clone()
            first = _step(instance, True, gradients, t)
            history.record(t, x, first if first is not None else objective.closed_form(x)[0],
                           slot.rows)
        else:
            x = slot.points()
            value, _ = gradients()
            history.record(t, x, value, slot.rows)
            instance.step()
        if protocol.create_graph:
            slot.clear_grads()  # a gradient with a graph holds its parameter: break the cycle
        if scheduler is not None:
            scheduler.step()
    if protocol.train_eval:
        instance.eval()  # the point reported is the evaluation point
    return ran


def _step(instance: Any, closure: bool, gradients: Callable[[], tuple[Tensor, Tensor]],
          t: int) -> Tensor | None:
    """One step; with a closure, the value of its first evaluation."""
    if not closure:
        gradients()
        instance.step()
        return None
    evaluations: list[Tensor] = []

    def evaluate() -> Tensor:
        value, seen = gradients()
        evaluations.append(value)
        return seen.sum()

    instance.step(evaluate)
    if not evaluations:
        raise CaseTrouble(f"{type(instance).__name__}.step(closure) never called the closure "
                          f"(step {t}), so it stepped without gradients; give the optimizer "
                          f"`protocol: {{closure: false}}` in the suite")
    return evaluations[0]


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
        with torch.enable_grad():
            value = objective.function.value(slot.live_points())
            seen = value * objective.sign
            seen.sum().backward(create_graph=True)
        return value.detach(), seen.detach()
    return gradients
