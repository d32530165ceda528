"""Runs one analytic case: every start point of every seed in one batched computation.

Knows nothing of pytest. The result holds per-start trajectories of the loss and of the
convergence criterion; `summary.py` turns them into per-seed metrics. Which isolation the batch
runs under is what `probe.py` finds exact.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from pytest_optbench.kinds.analytic.config import AnalyticConfig
from pytest_optbench.kinds.analytic.functions import FUNCTIONS, BoundFunction, bind_user_function
from pytest_optbench.kinds.analytic.history import Criterion, History
from pytest_optbench.kinds.analytic.layouts import StartLayout
from pytest_optbench.kinds.analytic.perturbation import Perturbation
from pytest_optbench.kinds.analytic.probe import Verdict, cache_key, decide, probe_starts
from pytest_optbench.kinds.analytic.stepping import Objective, Slot, drive
from pytest_optbench.suite.cases import OptimizerConfig
from pytest_optbench.suite.resolve import (OPTIMIZER_PER_START, SHARED_TENSOR, import_object,
                                           resolve_optimizer)

Tensor = torch.Tensor
START_SEED_STRIDE = 1_000_003


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
    verdict: Verdict              # the start isolation used, and how it was chosen
    probe_s: float = 0.0          # the probe's time in this case (0 when its verdict was cached)
    closure_ignored: bool = False  # `step` ignored its closure: gradients were computed first

    @property
    def isolation(self) -> str:
        return self.verdict.isolation


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


def start_seeds(seeds: tuple[int, ...], count: int) -> list[int]:
    """The RNG seed of each start, for optimizers that draw random numbers and so run alone."""
    per_seed = count // len(seeds)
    return [seeds[k // per_seed] * START_SEED_STRIDE + k % per_seed for k in range(count)]


def run_analytic(problem: AnalyticConfig, optimizer: OptimizerConfig, seeds: tuple[int, ...],
                 device: torch.device, verdicts: dict[str, Verdict] | None = None,
                 line: int = 0, perturbation: Perturbation | None = None,
                 update_scale: float = 1.0) -> AnalyticRun:
    """Run every start of every seed; `verdicts` caches the isolation probe across cases;
    `perturbation` makes the run a replica for a noise envelope, and `update_scale` scales
    every step's update, to measure the case's power (the probe sees neither)."""
    dtype = getattr(torch, problem.dtype)
    function = bind_function(problem)
    starts = start_points(problem, seeds).to(dtype=dtype, device=device)
    clean = Objective(function, maximize_sign(optimizer))
    objective = clean
    if perturbation is not None:
        starts = perturbation.starts(starts)
        objective = Objective(function, clean.sign, perturbation.gradient)
    optimizer_class = resolve_optimizer(optimizer.class_name)
    criterion = Criterion(problem.criterion, function, dtype, device)
    per_start_seeds = start_seeds(seeds, starts.shape[0])
    shape = function.shape or (function.dim,)

    def simulate(isolation: str, points: Tensor, seeding: list[int] | None, steps: int) -> Tensor:
        history = History(steps, points.shape[0], function.dim, dtype, device, criterion,
                          keep_points=True)
        _simulate(points, optimizer, optimizer_class, isolation, clean, history, steps,
                  seeding, function.shape)
        assert history.points is not None
        return history.points

    key = cache_key(optimizer, dtype, device, shape)
    verdicts = {} if verdicts is None else verdicts
    probed = key not in verdicts
    if probed:
        torch.manual_seed(seeds[0])
        few, few_seeds = probe_starts(starts, seeds, per_start_seeds)
        verdicts[key] = decide(optimizer, few, few_seeds, problem.steps, simulate, line)
    verdict = verdicts[key]

    torch.manual_seed(seeds[0])  # for optimizers that draw random numbers themselves
    count = starts.shape[0]
    history = History(problem.steps, count, problem.dim, dtype, device, criterion)
    began = time.perf_counter()
    steps_run, final, closure_ignored = _simulate(
        starts, optimizer, optimizer_class, verdict.isolation, objective, history, problem.steps,
        per_start_seeds if verdict.seeded else None, function.shape, update_scale)
    with torch.no_grad():
        criterion_values = history.criterion_values()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    wall = time.perf_counter() - began
    return AnalyticRun(function, tuple(seeds), count // len(seeds), starts, final, history.loss,
                       criterion_values, history.points, steps_run, wall, verdict,
                       verdict.seconds if probed else 0.0, closure_ignored)


def _simulate(starts: Tensor, config: OptimizerConfig, cls: type, isolation: str,
              objective: Objective, history: History, steps: int,
              seeding: list[int] | None, shape: tuple[int, ...] | None,
              update_scale: float = 1.0) -> tuple[int, Tensor, bool]:
    """Run `starts` under one isolation, recording into `history`; (steps run, final points,
    whether the optimizer ignored its closure).

    One optimizer per start runs the starts in turn, each evaluating only its own. An
    optimizer that treats all its parameters as one problem executes its own Python once per
    start whatever the runner does; interleaving the starts in threads so that their
    evaluations could be batched was measured slower than this on the CPU.
    """
    layout = StartLayout(starts, tuple(dict(g) for g in config.param_groups),
                         per_start=isolation != SHARED_TENSOR, shape=shape)
    with torch.no_grad():
        if isolation == OPTIMIZER_PER_START:
            ignored = False
            for i in range(layout.count):
                if seeding is not None:
                    torch.manual_seed(seeding[i])
                ignored |= drive(Slot(layout, i), config, cls, objective, history,
                                 steps, update_scale=update_scale).closure_ignored
            ran = steps
        else:
            drove = drive(Slot(layout), config, cls, objective, history, steps,
                          check_divergence=True, update_scale=update_scale)
            ran, ignored = drove.steps, drove.closure_ignored
        final = layout.points().clone()
        history.record(ran, final, objective.closed_form(final)[0])
    return ran, final, ignored
