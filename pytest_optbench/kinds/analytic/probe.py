"""Which start isolation is exact for a case, found by trying, not assumed from the class.

Batching many start points into one optimizer is exact only when the optimizer treats them
independently, and no class name says whether it does: Prodigy and D-Adaptation estimate one
step size over every tensor they hold, Muon orthogonalises whole matrices, LBFGS runs one line
search. So before a case's batched run, a few starts of two seeds are run for a few steps each
alone (one optimizer per start), and then under each cheaper isolation in turn; the first whose
every point at every step is bitwise the alone run's is used.

An optimizer that draws random numbers gives different points alone under two RNG states: it
runs one optimizer per start, each seeded from its seed and start, so that every start's run
is reproducible by itself. A suite's explicit `start_isolation` is checked the same way, and one
that is not exact is an error that says by how much it differs.

Verdicts are cached for the process by everything that can change them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from pytest_optbench.kinds.base import CaseTrouble
from pytest_optbench.suite.cases import OptimizerConfig
from pytest_optbench.suite.resolve import OPTIMIZER_PER_START, SHARED_TENSOR, TENSOR_PER_START

Tensor = torch.Tensor
# Eleven steps reach the second refresh of a preconditioner or Hessian estimate that is
# recomputed every tenth step (SOAP, Shampoo and SophiaH by default); coupling through it shows
# only then. Three starts: two of the first seed and one of the second.
PROBE_STEPS = 11
PROBE_STARTS = (2, 1)   # of the first seed, of the second
CHEAPEST_FIRST = (SHARED_TENSOR, TENSOR_PER_START)
OTHER_RNG_STATE = 0x5EED  # a second RNG state, to tell a random optimizer from a deterministic one

# (isolation, starts, per-start seeds or None) -> the points at every step, (steps + 1, n, d)
Simulate = Callable[[str, Tensor, "list[int] | None", int], Tensor]


@dataclass(frozen=True)
class Verdict:
    isolation: str
    seeded: bool                 # one optimizer per start, each with its own RNG seed
    chosen_by: str               # "probe", or "suite" for an explicit start_isolation
    tried: dict[str, str] = field(default_factory=dict)   # isolation -> "exact" or how it differs
    seconds: float = 0.0

    def identity(self) -> dict[str, Any]:
        """What of the verdict changes results: part of the case's configuration hash."""
        return {"isolation": self.isolation, **({"per_start_seeding": True} if self.seeded else {})}

    def describe(self) -> str:
        how = "its suite's choice, verified" if self.chosen_by == "suite" else "probed"
        seeding = "; the optimizer draws random numbers, so each start is seeded alone" \
            if self.seeded else ""
        return f"{self.isolation} ({how}){seeding}"


@dataclass(frozen=True)
class Difference:
    start: int
    step: int
    size: float

    def __str__(self) -> str:
        if self.size == float("inf"):
            return f"start {self.start} is NaN or infinite in one run only after {self.step} steps"
        return f"start {self.start} differs by {self.size:.3g} after {self.step} steps"


def first_difference(found: Tensor, alone: Tensor) -> Difference | None:
    """Where two point histories (steps + 1, n, d) first differ, bitwise (NaN equals NaN)."""
    same = (found == alone) | (found.isnan() & alone.isnan())
    if bool(same.all()):
        return None
    step_start = (~same).any(-1)                     # (steps + 1, n)
    step = int(step_start.any(1).nonzero()[0])
    start = int(step_start[step].nonzero()[0])
    gap = (found - alone).abs().nan_to_num(nan=float("inf"))
    return Difference(start, step, float(gap[:, start].max()))


def cache_key(optimizer: OptimizerConfig, dtype: torch.dtype, device: torch.device,
              shape: tuple[int, ...]) -> str:
    return json.dumps([optimizer.identity(), optimizer.isolation, str(dtype), str(device),
                       list(shape)], sort_keys=True, default=str)


def probe_starts(starts: Tensor, seeds: tuple[int, ...], start_seeds: list[int]
                 ) -> tuple[Tensor, list[int]]:
    """A few starts of the first two seeds, with the RNG seeds those starts run with."""
    per_seed = starts.shape[0] // len(seeds)
    rows = [s * per_seed + j for s, count in enumerate(PROBE_STARTS[:len(seeds)])
            for j in range(min(count, per_seed))]
    if len(rows) < 2:  # one seed with one start: nothing can couple
        rows = list(range(min(2, starts.shape[0])))
    return starts[rows], [start_seeds[r] for r in rows]


def decide(optimizer: OptimizerConfig, starts: Tensor, start_seeds: list[int], steps: int,
           simulate: Simulate, line: int) -> Verdict:
    """The verdict for one configuration; `simulate` runs an isolation on some starts."""
    began = time.perf_counter()
    steps = max(1, min(PROBE_STEPS, steps))
    alone = simulate(OPTIMIZER_PER_START, starts, start_seeds, steps)
    other = simulate(OPTIMIZER_PER_START, starts, [s ^ OTHER_RNG_STATE for s in start_seeds],
                     steps)
    explicit = optimizer.isolation
    if first_difference(other, alone) is not None:
        again = first_difference(simulate(OPTIMIZER_PER_START, starts, start_seeds, steps), alone)
        tried = {OPTIMIZER_PER_START: "random: seeded per start" if again is None
                 else f"not reproducible even seeded alone: {again}"}
        if explicit not in (None, OPTIMIZER_PER_START):
            raise CaseTrouble(
                f"{_where(optimizer, line)}: found {explicit}, which is not exact for "
                f"{optimizer.class_name}: it draws random numbers, so starts that share it "
                f"change each other's draws; expected optimizer-per-start; use "
                f"optimizer-per-start, or leave start_isolation out to let the probe choose")
        return Verdict(OPTIMIZER_PER_START, True, "suite" if explicit else "probe", tried,
                       time.perf_counter() - began)
    tried = {}
    candidates = [explicit] if explicit else list(CHEAPEST_FIRST)
    for isolation in candidates:
        if isolation == OPTIMIZER_PER_START:
            break
        try:
            found = simulate(isolation, starts, None, steps)
        except Exception as exc:  # e.g. a matrix optimizer refusing a batch-shaped tensor
            tried[isolation] = f"raises {type(exc).__name__}: {exc}"
            continue
        difference = first_difference(found, alone)
        if difference is None:
            tried[isolation] = "exact"
            return Verdict(isolation, False, "suite" if explicit else "probe", tried,
                           time.perf_counter() - began)
        tried[isolation] = str(difference)
    if explicit and explicit != OPTIMIZER_PER_START:
        raise CaseTrouble(
            f"{_where(optimizer, line)}: found {explicit}, which is not exact for "
            f"{optimizer.class_name}: {tried[explicit]}, against each start run alone; "
            f"expected an isolation that reproduces each start bitwise; use "
            f"optimizer-per-start, or leave start_isolation out to let the probe choose the "
            f"cheapest exact one")
    tried[OPTIMIZER_PER_START] = "exact"
    return Verdict(OPTIMIZER_PER_START, False, "suite" if explicit else "probe", tried,
                   time.perf_counter() - began)


def _where(optimizer: OptimizerConfig, line: int) -> str:
    return optimizer.isolation_at or f"line {line}: start_isolation"
