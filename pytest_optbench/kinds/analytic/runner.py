"""Runs one analytic case: every start point of every seed in one batched computation.

Knows nothing of pytest. The result holds per-start trajectories of the loss and of the
convergence criterion; `analytic_metrics.py` turns them into per-seed metrics.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass
from typing import Callable

import torch

from pytest_optbench.kinds.analytic.config import AnalyticConfig

from pytest_optbench.suite.cases import OptimizerConfig
from pytest_optbench.kinds.analytic.layouts import StartLayout
from pytest_optbench.kinds.analytic.functions import FUNCTIONS, BoundFunction, bind_user_function
from pytest_optbench.suite.resolve import (OPTIMIZER_PER_START, TENSOR_PER_START, construct_optimizer,
                                           construct_scheduler, import_object, resolve_optimizer)

Tensor = torch.Tensor
DIVERGENCE_CHECK_EVERY = 100


@dataclass
class AnalyticRun:
    """Histories of one run. Row t of a history is the state before step t; row T is the end."""

    function: BoundFunction
    seeds: tuple[int, ...]
    starts_per_seed: int
    start_points: Tensor          # (N, d)
    final_points: Tensor          # (N, d)
    loss: Tensor                  # (T + 1, N): the objective at each step
    criterion: Tensor             # (T + 1, N): the value compared with the tolerance
    points: Tensor | None         # (T + 1, N, d), unless too large to keep
    steps_run: int
    wall_time_s: float
    isolation: str


def bind_function(config: AnalyticConfig) -> BoundFunction:
    if ":" in config.function:
        value = import_object(config.function)
        return bind_user_function(config.function, value, config.dim,
                                  [list(m) for m in config.minima or ()], list(config.domain))
    return FUNCTIONS[config.function].bind(config.dim, dict(config.options), list(config.domain))


def start_points(config: AnalyticConfig, seeds: tuple[int, ...]) -> Tensor:
    """Starts for every seed, drawn on the CPU in float64 so that they match on every device."""
    if config.start_points:
        one = torch.tensor(config.start_points, dtype=torch.float64)
        return one.repeat(len(seeds), 1)
    box = torch.tensor(config.domain, dtype=torch.float64)
    low, width = box[:, 0], box[:, 1] - box[:, 0]
    draws = []
    for seed in seeds:
        generator = torch.Generator().manual_seed(seed)
        draws.append(low + width * torch.rand(config.starts, config.dim, generator=generator,
                                              dtype=torch.float64))
    return torch.cat(draws)


def maximize_sign(optimizer: OptimizerConfig) -> float:
    """-1 when the optimizer is configured to maximise: it is then handed the negated objective.

    This exercises `maximize=True` on a minimisation problem: an optimizer that ignores the flag
    climbs the objective and the case fails.
    """
    flags = {bool(optimizer.hyperparameters.get("maximize", False))}
    flags |= {bool(g.get("maximize", optimizer.hyperparameters.get("maximize", False)))
              for g in optimizer.param_groups}
    if len(flags) > 1:
        raise ValueError("parameter groups disagree on 'maximize'; one objective cannot be both "
                         "minimised and maximised")
    return -1.0 if flags.pop() else 1.0


class Criterion:
    """The per-start value compared with the tolerance: loss gap, distance, or step size."""

    def __init__(self, kind: str, function: BoundFunction, dtype, device):
        self.kind = kind
        self.f_min = function.f_min
        self.minima = torch.tensor(function.minima, dtype=dtype, device=device)

    def distance(self, points: Tensor) -> Tensor:
        """Distance to the nearest minimum; `points` has shape (..., d)."""
        diff = points.unsqueeze(-2) - self.minima
        return (diff * diff).sum(-1).min(-1).values.sqrt()

    def value(self, points: Tensor, previous: Tensor | None, loss: Tensor) -> Tensor:
        if self.kind == "loss":
            return loss - self.f_min
        if self.kind == "distance":
            return self.distance(points)
        if previous is None:
            return torch.full_like(loss, float("inf"))
        step = points - previous
        return (step * step).sum(-1).sqrt()

    def over_history(self, points: Tensor, loss: Tensor) -> Tensor:
        """The criterion at every step at once, from the recorded points."""
        if self.kind == "loss":
            return loss - self.f_min
        if self.kind == "distance":
            return torch.cat([self.distance(chunk) for chunk in points.split(256)])
        first = torch.full_like(loss[:1], float("inf"))
        step = points[1:] - points[:-1]
        return torch.cat([first, (step * step).sum(-1).sqrt()])


# Above this many recorded coordinates, the criterion is computed step by step instead.
POINT_HISTORY_LIMIT = 1 << 25


class History:
    """Loss and points at every step (or the criterion, for histories too large to keep)."""

    def __init__(self, steps: int, count: int, dim: int, dtype, device, criterion: Criterion):
        self.criterion = criterion
        self.loss = torch.full((steps + 1, count), float("nan"), dtype=dtype, device=device)
        keep = (steps + 1) * count * dim <= POINT_HISTORY_LIMIT
        self.points = torch.full((steps + 1, count, dim), float("nan"), dtype=dtype,
                                 device=device) if keep else None
        self.online = None if keep else torch.full_like(self.loss, float("nan"))
        self.last = torch.full((count, dim), float("nan"), dtype=dtype, device=device)

    def record(self, t: int, x: Tensor, value: Tensor, rows: slice = slice(None)) -> None:
        self.loss[t, rows] = value
        if self.points is not None:
            self.points[t, rows] = x
        else:
            assert self.online is not None
            previous = self.last[rows].clone() if t else None
            self.online[t, rows] = self.criterion.value(x, previous, value)
            self.last[rows] = x

    def criterion_values(self) -> Tensor:
        if self.points is None:
            assert self.online is not None
            return self.online
        return self.criterion.over_history(self.points, self.loss)


def run_analytic(problem: AnalyticConfig, optimizer: OptimizerConfig, seeds: tuple[int, ...],
                 device: torch.device) -> AnalyticRun:
    dtype = getattr(torch, problem.dtype)
    function = bind_function(problem)
    starts = start_points(problem, seeds).to(dtype=dtype, device=device)
    torch.manual_seed(seeds[0])  # for optimizers that draw random numbers themselves
    sign = maximize_sign(optimizer)

    def objective(points: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        value, grad = function.value_and_grad(points)
        return value, (value if sign > 0 else -value), (grad if sign > 0 else -grad)

    count = starts.shape[0]
    history = History(problem.steps, count, problem.dim, dtype, device,
                      Criterion(problem.criterion, function, dtype, device))
    layout = StartLayout(starts, tuple(dict(g) for g in optimizer.param_groups),
                         per_start=optimizer.isolation in (TENSOR_PER_START, OPTIMIZER_PER_START))
    optimizer_class = resolve_optimizer(optimizer.class_name)
    began = time.perf_counter()
    with torch.no_grad():
        run = _run_optimizer_per_start if optimizer.isolation == OPTIMIZER_PER_START \
            else _run_one_optimizer
        steps_run = run(layout, optimizer, optimizer_class, objective, history)
        final = layout.points().clone()
        value, _, _ = objective(final)
        history.record(steps_run, final, value)
        criterion = history.criterion_values()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    wall = time.perf_counter() - began
    return AnalyticRun(function, tuple(seeds), count // len(seeds), starts, final, history.loss,
                       criterion, history.points, steps_run, wall, optimizer.isolation)


def requires_closure(instance) -> bool:
    """Whether `step` must be given a closure (LBFGS). Optional closures are not passed: the
    gradient is already set, and evaluating again would only cost time."""
    parameter = inspect.signature(instance.step).parameters.get("closure")
    return parameter is not None and parameter.default is inspect.Parameter.empty


def _run_one_optimizer(layout: StartLayout, config: OptimizerConfig, cls: type,
                       objective: Callable, history: History) -> int:
    instance = construct_optimizer(cls, layout.param_groups(), config.hyperparameters)
    # Analytic problems have no epochs: a schedule steps every step, whatever its interval.
    scheduler, _ = construct_scheduler(config.schedule, instance)
    steps = history.loss.shape[0] - 1

    def closure():
        _, opt_value, grad = objective(layout.points())
        layout.set_grads(grad)
        return opt_value.sum()

    step = (lambda: instance.step(closure)) if requires_closure(instance) else instance.step
    for t in range(steps):
        if t and t % DIVERGENCE_CHECK_EVERY == 0 and not torch.isfinite(history.loss[t - 1]).any():
            return t  # every start has diverged: the rest would be NaN as well
        x = layout.points()
        value, _, grad = objective(x)
        history.record(t, x, value)
        layout.set_grads(grad)
        step()
        if scheduler is not None:
            scheduler.step()
    return steps


def _run_optimizer_per_start(layout: StartLayout, config: OptimizerConfig, cls: type,
                             objective: Callable, history: History) -> int:
    """One optimizer per start, run in turn, each evaluating only its own start.

    An optimizer that treats all its parameters as one problem (LBFGS) executes its own Python
    code once per start whatever the runner does. Interleaving the starts in threads so that
    their evaluations could be batched was measured slower than this on the CPU (thread
    hand-offs cost more than the evaluations they save).
    """
    steps = history.loss.shape[0] - 1
    for i in range(layout.count):
        instance = construct_optimizer(cls, layout.param_groups_of(i), config.hyperparameters)
        scheduler, _ = construct_scheduler(config.schedule, instance)
        rows = slice(i, i + 1)

        def closure(i=i):
            _, opt_value, grad = objective(layout.points_of(i))
            layout.set_grads_of(i, grad)
            return opt_value[0]

        step = (lambda: instance.step(closure)) if requires_closure(instance) else instance.step
        for t in range(steps):
            x = layout.points_of(i)
            value, _, grad = objective(x)
            history.record(t, x, value, rows)
            layout.set_grads_of(i, grad)
            step()
            if scheduler is not None:
                scheduler.step()
    return steps
