"""Analytic problems whose parameter is a matrix, for optimizers with matrix code paths.

Muon orthogonalises each 2-D update, Shampoo and SOAP precondition rows and columns: on vector
problems those paths never run. Here each start's parameter has the problem's (rows, cols)
shape. Points still travel as (N, rows * cols) batches, flattened row by row.

Every product with a fixed matrix is written as a sum of scaled rows: unlike a BLAS matmul, each
start's result is then bitwise independent of how many other starts share the batch, so a
batched run can be exact (the isolation probe checks that it is).
"""

from __future__ import annotations

from typing import Any

import torch

from pytest_optbench.kinds.analytic.quadratic_forms import spd_matrix

Tensor = torch.Tensor
FIXED_SEED = 20261202  # the problems' fixed matrices, the same on every machine


def _fixed(rows: int, cols: int, salt: int) -> list[list[float]]:
    generator = torch.Generator().manual_seed(FIXED_SEED + salt)
    return torch.randn(rows, cols, generator=generator, dtype=torch.float64).tolist()


class _Constants:
    """Fixed matrices, made once per dtype and device."""

    def __init__(self, **values: list[list[float]]):
        self.values, self.made = values, {}  # type: ignore[var-annotated]

    def get(self, like: Tensor) -> dict[str, Tensor]:
        key = (like.dtype, like.device)
        if key not in self.made:
            self.made[key] = {name: torch.tensor(v, dtype=like.dtype, device=like.device)
                              for name, v in self.values.items()}
        return self.made[key]


def left(A: Tensor, X: Tensor) -> Tensor:
    """A @ X for a fixed A (p, m) and a batch X (N, m, n), as a sum over A's columns."""
    out = A[:, 0].view(1, -1, 1) * X[:, 0:1, :]
    for k in range(1, A.shape[1]):
        out = out + A[:, k].view(1, -1, 1) * X[:, k:k + 1, :]
    return out


def right(X: Tensor, B: Tensor) -> Tensor:
    """X @ B for a batch X (N, m, n) and a fixed B (n, q), as a sum over B's rows."""
    out = X[:, :, 0:1] * B[0].view(1, 1, -1)
    for k in range(1, B.shape[0]):
        out = out + X[:, :, k:k + 1] * B[k].view(1, 1, -1)
    return out


def _frobenius(R: Tensor) -> Tensor:
    return (R * R).flatten(1).sum(1)


def _least_squares(dim: int, opts: dict[str, Any]):
    """0.5 ||A W - B||^2 over W (rows x cols), with A (2 rows x rows) and B = A W*."""
    m, n = opts["rows"], opts["cols"]
    a = _fixed(2 * m, m, 1)
    target = _fixed(m, n, 2)
    b = (torch.tensor(a, dtype=torch.float64) @ torch.tensor(target, dtype=torch.float64)).tolist()
    constants = _Constants(A=a, B=b, At=torch.tensor(a, dtype=torch.float64).T.tolist())

    def value_and_grad(X: Tensor):
        c = constants.get(X)
        W = X.view(-1, m, n)
        R = left(c["A"], W) - c["B"]
        return 0.5 * _frobenius(R), left(c["At"], R).reshape(X.shape)

    return (lambda X: value_and_grad(X)[0]), value_and_grad, \
        [[v for row in target for v in row]], 0.0


def _low_rank(dim: int, opts: dict[str, Any]):
    """0.5 ||U V^T - M||^2 over X = [U; V] ((rows + cols) x rank), M of that rank. Its minima
    are not isolated (U R, V R^-T for any invertible R): gate it on the loss."""
    m, n, r = opts["rows"], opts["cols"], opts["rank"]
    u, v = _fixed(m, r, 3), _fixed(n, r, 4)
    M = (torch.tensor(u, dtype=torch.float64) @ torch.tensor(v, dtype=torch.float64).T).tolist()
    constants = _Constants(M=M)

    def value_and_grad(X: Tensor):
        c = constants.get(X)
        P = X.view(-1, m + n, r)
        U, V = P[:, :m], P[:, m:]
        R = _outer_sum(U, V) - c["M"]
        dU = _contract(R, V)                     # R V: (N, m, r)
        dV = _contract(R.transpose(1, 2), U)     # R^T U: (N, n, r)
        return 0.5 * _frobenius(R), torch.cat((dU, dV), 1).reshape(X.shape)

    return (lambda X: value_and_grad(X)[0]), value_and_grad, \
        [[x for row in u + v for x in row]], 0.0


def _outer_sum(U: Tensor, V: Tensor) -> Tensor:
    """U V^T for batches U (N, m, r) and V (N, n, r), as a sum over the rank."""
    out = U[:, :, 0:1] * V[:, None, :, 0]
    for k in range(1, U.shape[2]):
        out = out + U[:, :, k:k + 1] * V[:, None, :, k]
    return out


def _contract(R: Tensor, V: Tensor) -> Tensor:
    """R V for batches R (N, m, n) and V (N, n, r), as a sum over n."""
    out = R[:, :, 0:1] * V[:, 0:1, :]
    for j in range(1, R.shape[2]):
        out = out + R[:, :, j:j + 1] * V[:, j:j + 1, :]
    return out


def _matrix_quadratic(dim: int, opts: dict[str, Any]):
    """0.5 <D, P D Q> with D = W - W*, P and Q rotated and ill-conditioned (each with the
    given condition number): curvature that couples rows and columns."""
    m, n, condition = opts["rows"], opts["cols"], float(opts["condition"])
    target = _fixed(m, n, 5)
    constants = _Constants(P=spd_matrix(m, condition), Q=spd_matrix(n, condition), T=target)

    def value_and_grad(X: Tensor):
        c = constants.get(X)
        D = X.view(-1, m, n) - c["T"]
        G = right(left(c["P"], D), c["Q"])
        return 0.5 * (D * G).flatten(1).sum(1), G.reshape(X.shape)

    return (lambda X: value_and_grad(X)[0]), value_and_grad, \
        [[v for row in target for v in row]], 0.0


MATRIX_SPECS: list[dict[str, Any]] = [
    dict(name="matrix-least-squares", title="Matrix least squares", fixed_dim=None,
         default_dim=24, domain=(-3.0, 3.0), build=_least_squares,
         option_defaults={"rows": 6, "cols": 4},
         shape_of=lambda o: (o["rows"], o["cols"])),
    dict(name="low-rank-factorization", title="Low-rank matrix factorisation", fixed_dim=None,
         default_dim=22, domain=(-2.0, 2.0), build=_low_rank,
         option_defaults={"rows": 6, "cols": 5, "rank": 2},
         shape_of=lambda o: (o["rows"] + o["cols"], o["rank"])),
    dict(name="matrix-quadratic", title="Ill-conditioned matrix quadratic", fixed_dim=None,
         default_dim=24, domain=(-3.0, 3.0), build=_matrix_quadratic,
         option_defaults={"rows": 6, "cols": 4, "condition": 30.0},
         shape_of=lambda o: (o["rows"], o["cols"])),
]
