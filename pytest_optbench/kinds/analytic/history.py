"""What an analytic run keeps of every step: the loss, the points, and the convergence criterion."""

from __future__ import annotations

import torch

from pytest_optbench.kinds.analytic.functions import BoundFunction

Tensor = torch.Tensor


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

    def __init__(self, steps: int, count: int, dim: int, dtype, device, criterion: Criterion,
                 keep_points: bool = False):
        self.criterion = criterion
        self.loss = torch.full((steps + 1, count), float("nan"), dtype=dtype, device=device)
        keep = keep_points or (steps + 1) * count * dim <= POINT_HISTORY_LIMIT
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
