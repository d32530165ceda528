"""How a batch of N independent start points is handed to an optimizer.

What differs between the choices is what the optimizer sees, and each is exact for a class of
optimizers:

- shared-tensor: one (N, d) tensor per parameter group. Exact for optimizers whose update of an
  element depends only on that element's history and per-step scalars (SGD, Adam, RMSprop, ...).
  Fastest: a step is a handful of vectorised kernels whatever N is.
- tensor-per-start: N tensors of shape (d,) per group in one optimizer. Exact for optimizers that
  treat each parameter tensor on its own, even through norms or factorisations (LAMB's trust
  ratio, Adafactor's factored moments).
- optimizer-per-start: N optimizers, one per start, run in turn on their own start. Exact for
  optimizers that treat all their parameters as one problem (LBFGS: one line search, one
  curvature history); no faster than separate runs, since such an optimizer's own code must
  run once per start.

Each is exact only for its class of optimizers, so the runner does not assume: a probe
(`probe.py`) checks on a few steps that the layout it uses reproduces each start run alone,
bitwise, and falls back to the next one when it does not.

A problem whose parameter is a matrix (`shape`) gives each per-start tensor that shape; the shared
tensor stays (N, d), which is exact only for element-wise optimizers, as the probe finds.
"""

from __future__ import annotations

from typing import Any

import torch

Tensor = torch.Tensor


class StartLayout:
    def __init__(self, start_points: Tensor, groups: tuple[dict[str, Any], ...], per_start: bool,
                 shape: tuple[int, ...] | None = None):
        count, dim = start_points.shape
        self.count, self.dim, self.per_start = count, dim, per_start
        self.columns = [list(g["dims"]) for g in groups] or [list(range(dim))]
        self.options = [{k: v for k, v in g.items() if k != "dims"} for g in groups] or [{}]
        order = [c for cols in self.columns for c in cols]
        self.inverse = None
        if order != list(range(dim)):
            self.inverse = torch.argsort(torch.tensor(order, device=start_points.device))
        # One group in coordinate order: the optimizer's tensor *is* the batch of points.
        self.whole = len(self.columns) == 1 and self.inverse is None
        # Only a problem's single whole parameter has a matrix shape; groups split coordinates.
        self.shape = shape if shape is not None and self.whole else None
        blocks = [start_points[:, cols].clone() for cols in self.columns]
        if per_start:
            self.tensors: list[Any] = [[self._shaped(row.clone()).requires_grad_(True)
                                        for row in block.unbind(0)] for block in blocks]
        else:
            self.tensors = [block.requires_grad_(True) for block in blocks]

    def _shaped(self, row: Tensor) -> Tensor:
        return row.reshape(self.shape) if self.shape is not None else row

    def _flat(self, tensors: list[Tensor]) -> Tensor:
        stacked = torch.stack(tensors)
        return stacked.reshape(len(tensors), -1) if self.shape is not None else stacked

    def param_groups(self) -> list[dict[str, Any]]:
        """Parameter groups for one optimizer over every start."""
        return [{"params": list(t) if self.per_start else [t], **opts}
                for t, opts in zip(self.tensors, self.options)]

    def param_groups_of(self, start: int) -> list[dict[str, Any]]:
        """Parameter groups for an optimizer of start `start` alone (per-start layouts only)."""
        return [{"params": [t[start]], **opts} for t, opts in zip(self.tensors, self.options)]

    def points(self) -> Tensor:
        """The current points, shape (N, d). May share storage with the parameters: read only."""
        with torch.no_grad():
            return self.live_points().detach()

    def live_points(self) -> Tensor:
        """The current points as a function of the parameters, for autograd (create_graph)."""
        blocks = [self._flat(t) if self.per_start else t for t in self.tensors]
        if self.whole:
            return blocks[0]
        joined = torch.cat(blocks, dim=1)
        return joined if self.inverse is None else joined[:, self.inverse]

    def live_points_of(self, start: int) -> Tensor:
        blocks = [t[start].reshape(-1) for t in self.tensors]
        row = blocks[0] if self.whole else torch.cat(blocks)
        if self.inverse is not None:
            row = row[self.inverse]
        return row.unsqueeze(0)

    def parameters(self, start: int | None = None) -> list[Tensor]:
        if start is not None:
            return [t[start] for t in self.tensors]
        return [p for t in self.tensors for p in (t if self.per_start else [t])]

    def set_grads(self, grads: Tensor) -> None:
        for tensors, cols in zip(self.tensors, self.columns):
            block = grads if self.whole else grads[:, cols]
            if self.per_start:
                for tensor, row in zip(tensors, block.unbind(0)):
                    tensor.grad = self._shaped(row)
            else:
                tensors.grad = block

    def points_of(self, start: int) -> Tensor:
        """Start `start`'s current point alone, shape (1, d) (per-start layouts only)."""
        with torch.no_grad():
            return self.live_points_of(start).detach()

    def set_grads_of(self, start: int, grads: Tensor) -> None:
        """Give start `start`'s tensors its gradient, shape (1, d)."""
        row = grads[0]
        for tensors, cols in zip(self.tensors, self.columns):
            tensors[start].grad = self._shaped(row) if self.whole else row[cols]
