"""Replicas of an analytic run under rounding-sized perturbations: stand-ins for another
machine's arithmetic, from which a baseline's noise envelope is measured.

Another CPU or kernel path changes a run by a rounding difference somewhere (often one at the
first or second step) that the dynamics then carry or amplify. A replica moves every start
point and every gradient the optimizer sees by a few units in the last place, with its own
random draws: a difference of that size at every step, which covers one at any single step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from pytest_optbench.kinds.analytic.rounding import MIXES, ULPS

Tensor = torch.Tensor
REPLICA_SEED = 0x0E5EED


@dataclass
class Perturbation:
    """One replica's perturbation; its draws are reproducible from the replica's number."""

    replica: int
    ulps: float = ULPS
    # The rounding unit to perturb by where the step computes in a coarser dtype than the
    # case's (precision.py); None: the case's own dtype.
    coarsest: torch.dtype | None = None
    _generator: torch.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._generator = torch.Generator().manual_seed(REPLICA_SEED + 7919 * self.replica)

    def _scaled(self, values: Tensor) -> Tensor:
        eps = torch.finfo(values.dtype).eps
        if self.coarsest is not None and torch.finfo(self.coarsest).eps > eps:
            # One rounding of the coarse dtype: its arithmetic, not its storage, differs.
            eps = torch.finfo(self.coarsest).eps / self.ulps
        draw = torch.rand(values.shape, generator=self._generator, dtype=torch.float64)
        factor = 1.0 + self.ulps * eps * (2.0 * draw - 1.0)
        return values * factor.to(dtype=values.dtype, device=values.device)

    def starts(self, points: Tensor) -> Tensor:
        return self._scaled(points)

    def gradient(self, grad: Tensor) -> Tensor:
        return self._scaled(grad)


MIX_SEED = 0x3A1C


def mixes(starts: int, replicas: int, count: int = MIXES) -> list[Tensor]:
    """For each mixed machine, which run each start comes from (0: the recorded run, k: the
    k-th replica), drawn reproducibly."""
    if replicas < 1:
        return []
    generator = torch.Generator().manual_seed(MIX_SEED)
    return [torch.randint(0, replicas + 1, (starts,), generator=generator) for _ in range(count)]
