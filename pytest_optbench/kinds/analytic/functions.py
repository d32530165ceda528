"""Analytic test functions with their known global minima.

Every function works on a batch of points `X` of shape (N, d) and returns values of shape (N,).
Gradients are written out by hand: a step of autograd costs about three times as much as the
closed form at these sizes, and the shipped suite runs hundreds of thousands of steps. Tests check
each closed form against autograd.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from pytest_optbench.kinds.analytic.matrix_functions import MATRIX_SPECS
from pytest_optbench.kinds.analytic.quadratic_forms import spd_matrix

Tensor = torch.Tensor
ValueAndGrad = Callable[[Tensor], "tuple[Tensor, Tensor]"]


@dataclass(frozen=True)
class BoundFunction:
    """A function fixed to a dimension and options, ready to evaluate."""

    name: str
    dim: int
    value: Callable[[Tensor], Tensor]
    value_and_grad: ValueAndGrad
    minima: list[list[float]]
    f_min: float
    domain: list[tuple[float, float]]
    shape: tuple[int, ...] | None = None   # the parameter's shape, for matrix problems


@dataclass(frozen=True)
class FunctionInfo:
    """A named family of test functions."""

    name: str
    title: str
    fixed_dim: int | None
    default_dim: int
    domain: tuple[float, float]
    build: Callable[[int, dict], tuple[Callable, ValueAndGrad, list[list[float]], float]]
    option_defaults: dict[str, Any] = field(default_factory=dict)
    # For problems whose parameter is a matrix: its shape, from the options.
    shape_of: Callable[[dict], tuple[int, ...]] | None = None

    def bind(self, dim: int | None = None, options: dict | None = None,
             domain: list[tuple[float, float]] | None = None) -> BoundFunction:
        opts = {**self.option_defaults, **(options or {})}
        shape = self.shape_of(opts) if self.shape_of else None
        dim = math.prod(shape) if shape else dim or self.fixed_dim or self.default_dim
        value, value_and_grad, minima, f_min = self.build(dim, opts)
        box = domain or [self.domain] * dim
        return BoundFunction(self.name, dim, value, value_and_grad, minima, f_min, list(box),
                             shape)


def _xy(X: Tensor) -> tuple[Tensor, Tensor]:
    return X[:, 0], X[:, 1]


def _pair(gx: Tensor, gy: Tensor) -> Tensor:
    return torch.stack((gx, gy), dim=1)


# --- any dimension -------------------------------------------------------------------------

def _sphere(dim: int, opts: dict):
    def value(X):
        return (X * X).sum(1)

    def value_and_grad(X):
        return (X * X).sum(1), 2.0 * X

    return value, value_and_grad, [[0.0] * dim], 0.0


def _quadratic(dim: int, opts: dict):
    rows = spd_matrix(dim, float(opts["condition"]), bool(opts["rotated"]))
    matrices: dict[tuple, Tensor] = {}

    def grad(X):
        # X @ A written as a sum over columns: unlike a BLAS matmul, each row's result is then
        # bitwise independent of how many other rows share the batch.
        key = (X.dtype, X.device)
        if key not in matrices:
            matrices[key] = torch.tensor(rows, dtype=X.dtype, device=X.device)
        A = matrices[key]
        g = X[:, :1] * A[0]
        for j in range(1, dim):
            g = g + X[:, j:j + 1] * A[j]
        return g

    def value(X):
        return 0.5 * (grad(X) * X).sum(1)

    def value_and_grad(X):
        g = grad(X)
        return 0.5 * (g * X).sum(1), g

    return value, value_and_grad, [[0.0] * dim], 0.0


def _rosenbrock(dim: int, opts: dict):
    def value(X):
        a, b = X[:, :-1], X[:, 1:]
        return (100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2).sum(1)

    def value_and_grad(X):
        a, b = X[:, :-1], X[:, 1:]
        t = b - a * a
        u = 1.0 - a
        f = (100.0 * t * t + u * u).sum(1)
        g = torch.zeros_like(X)
        g[:, :-1] = -400.0 * a * t - 2.0 * u
        g[:, 1:] += 200.0 * t
        return f, g

    return value, value_and_grad, [[1.0] * dim], 0.0


def _ackley(dim: int, opts: dict):
    a, b, c = 20.0, 0.2, 2.0 * math.pi

    def value(X):
        r = torch.sqrt((X * X).sum(1) / dim)
        return -a * torch.exp(-b * r) - torch.exp(torch.cos(c * X).sum(1) / dim) + a + math.e

    def value_and_grad(X):
        r = torch.sqrt((X * X).sum(1) / dim)
        e1 = torch.exp(-b * r)
        e2 = torch.exp(torch.cos(c * X).sum(1) / dim)
        f = -a * e1 - e2 + a + math.e
        # The first term has a cusp at the origin; its subgradient there is taken as zero.
        radial = (a * b / dim) * e1 / r.clamp_min(1e-300)
        g = radial.unsqueeze(1) * X + (c / dim) * e2.unsqueeze(1) * torch.sin(c * X)
        return f, g

    return value, value_and_grad, [[0.0] * dim], 0.0


def _rastrigin(dim: int, opts: dict):
    A, c = 10.0, 2.0 * math.pi

    def value(X):
        return A * dim + (X * X - A * torch.cos(c * X)).sum(1)

    def value_and_grad(X):
        f = A * dim + (X * X - A * torch.cos(c * X)).sum(1)
        return f, 2.0 * X + (A * c) * torch.sin(c * X)

    return value, value_and_grad, [[0.0] * dim], 0.0


def _styblinski_root() -> float:
    """The coordinate of the minimum: the smallest root of 2x^3 - 16x + 2.5 = 0, by Newton."""
    x = -2.9
    for _ in range(50):
        x -= (2 * x ** 3 - 16 * x + 2.5) / (6 * x ** 2 - 16)
    return x


_ST_ROOT = _styblinski_root()


def _styblinski_tang(dim: int, opts: dict):
    def value(X):
        X2 = X * X
        return 0.5 * (X2 * X2 - 16.0 * X2 + 5.0 * X).sum(1)

    def value_and_grad(X):
        X2 = X * X
        f = 0.5 * (X2 * X2 - 16.0 * X2 + 5.0 * X).sum(1)
        return f, 2.0 * X2 * X - 16.0 * X + 2.5

    x = _ST_ROOT
    f_min = dim * 0.5 * (x ** 4 - 16 * x ** 2 + 5 * x)
    return value, value_and_grad, [[x] * dim], f_min


# --- two dimensions ------------------------------------------------------------------------

def _beale(dim: int, opts: dict):
    def parts(X):
        x, y = _xy(X)
        y2 = y * y
        y3 = y2 * y
        t1 = 1.5 - x + x * y
        t2 = 2.25 - x + x * y2
        t3 = 2.625 - x + x * y3
        return x, y, y2, y3, t1, t2, t3

    def value(X):
        _, _, _, _, t1, t2, t3 = parts(X)
        return t1 * t1 + t2 * t2 + t3 * t3

    def value_and_grad(X):
        x, y, y2, y3, t1, t2, t3 = parts(X)
        f = t1 * t1 + t2 * t2 + t3 * t3
        gx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))
        gy = 2.0 * x * (t1 + 2.0 * t2 * y + 3.0 * t3 * y2)
        return f, _pair(gx, gy)

    return value, value_and_grad, [[3.0, 0.5]], 0.0


def _booth(dim: int, opts: dict):
    def value(X):
        x, y = _xy(X)
        return (x + 2.0 * y - 7.0) ** 2 + (2.0 * x + y - 5.0) ** 2

    def value_and_grad(X):
        x, y = _xy(X)
        t1 = x + 2.0 * y - 7.0
        t2 = 2.0 * x + y - 5.0
        return t1 * t1 + t2 * t2, _pair(2.0 * t1 + 4.0 * t2, 4.0 * t1 + 2.0 * t2)

    return value, value_and_grad, [[1.0, 3.0]], 0.0


HIMMELBLAU_MINIMA = [
    [3.0, 2.0],
    [-2.805118086952745, 3.131312518250573],
    [-3.779310253377747, -3.283185991286170],
    [3.584428340330492, -1.848126526964404],
]


def _himmelblau(dim: int, opts: dict):
    def value(X):
        x, y = _xy(X)
        return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2

    def value_and_grad(X):
        x, y = _xy(X)
        t1 = x * x + y - 11.0
        t2 = x + y * y - 7.0
        return t1 * t1 + t2 * t2, _pair(4.0 * x * t1 + 2.0 * t2, 2.0 * t1 + 4.0 * y * t2)

    return value, value_and_grad, [list(m) for m in HIMMELBLAU_MINIMA], 0.0


def _goldstein_price(dim: int, opts: dict):
    def parts(X):
        x, y = _xy(X)
        s1 = x + y + 1.0
        p1 = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
        s2 = 2.0 * x - 3.0 * y
        p2 = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
        A = 1.0 + s1 * s1 * p1
        B = 30.0 + s2 * s2 * p2
        return x, y, s1, p1, s2, p2, A, B

    def value(X):
        *_, A, B = parts(X)
        return A * B

    def value_and_grad(X):
        x, y, s1, p1, s2, p2, A, B = parts(X)
        dp1 = -14.0 + 6.0 * x + 6.0 * y  # d p1/dx and d p1/dy coincide
        dA = 2.0 * s1 * p1 + s1 * s1 * dp1
        dBx = 4.0 * s2 * p2 + s2 * s2 * (-32.0 + 24.0 * x - 36.0 * y)
        dBy = -6.0 * s2 * p2 + s2 * s2 * (48.0 - 36.0 * x + 54.0 * y)
        return A * B, _pair(dA * B + A * dBx, dA * B + A * dBy)

    return value, value_and_grad, [[0.0, -1.0]], 3.0


def _matyas(dim: int, opts: dict):
    def value(X):
        x, y = _xy(X)
        return 0.26 * (x * x + y * y) - 0.48 * x * y

    def value_and_grad(X):
        x, y = _xy(X)
        f = 0.26 * (x * x + y * y) - 0.48 * x * y
        return f, _pair(0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x)

    return value, value_and_grad, [[0.0, 0.0]], 0.0


def _three_hump_camel(dim: int, opts: dict):
    def value(X):
        x, y = _xy(X)
        x2 = x * x
        return 2.0 * x2 - 1.05 * x2 * x2 + x2 * x2 * x2 / 6.0 + x * y + y * y

    def value_and_grad(X):
        x, y = _xy(X)
        x2 = x * x
        f = 2.0 * x2 - 1.05 * x2 * x2 + x2 * x2 * x2 / 6.0 + x * y + y * y
        gx = 4.0 * x - 4.2 * x2 * x + x2 * x2 * x + y
        return f, _pair(gx, x + 2.0 * y)

    return value, value_and_grad, [[0.0, 0.0]], 0.0


FUNCTIONS: dict[str, FunctionInfo] = {info.name: info for info in [
    FunctionInfo("sphere", "Sphere", None, 2, (-5.12, 5.12), _sphere),
    FunctionInfo("quadratic", "Ill-conditioned quadratic", None, 2, (-5.0, 5.0), _quadratic,
                 {"condition": 100.0, "rotated": True}),
    FunctionInfo("rosenbrock", "Rosenbrock", None, 2, (-2.0, 2.0), _rosenbrock),
    FunctionInfo("ackley", "Ackley", None, 2, (-5.0, 5.0), _ackley),
    FunctionInfo("rastrigin", "Rastrigin", None, 2, (-5.12, 5.12), _rastrigin),
    FunctionInfo("styblinski-tang", "Styblinski-Tang", None, 2, (-5.0, 5.0), _styblinski_tang),
    FunctionInfo("beale", "Beale", 2, 2, (-4.5, 4.5), _beale),
    FunctionInfo("booth", "Booth", 2, 2, (-10.0, 10.0), _booth),
    FunctionInfo("himmelblau", "Himmelblau", 2, 2, (-5.0, 5.0), _himmelblau),
    FunctionInfo("goldstein-price", "Goldstein-Price", 2, 2, (-2.0, 2.0), _goldstein_price),
    FunctionInfo("matyas", "Matyas", 2, 2, (-10.0, 10.0), _matyas),
    FunctionInfo("three-hump-camel", "Three-hump camel", 2, 2, (-5.0, 5.0), _three_hump_camel),
    *(FunctionInfo(**spec) for spec in MATRIX_SPECS),
]}


def autograd_value_and_grad(value: Callable[[Tensor], Tensor]) -> ValueAndGrad:
    """Value and gradient of a user's function through autograd."""

    def value_and_grad(X: Tensor):
        with torch.enable_grad():
            leaf = X.detach().requires_grad_(True)
            f = value(leaf)
            (g,) = torch.autograd.grad(f.sum(), leaf)
        return f.detach(), g

    return value_and_grad


def bind_user_function(name: str, value: Callable[[Tensor], Tensor], dim: int,
                       minima: list[list[float]], domain: list[tuple[float, float]]) -> BoundFunction:
    """A user's function `f(X: (N, d)) -> (N,)` with its declared global minima. A function
    that returns another shape (a scalar: the sum over the batch) would couple the starts
    through their gradients and be recorded as if it were right: UserFunctionError."""
    points = torch.tensor(minima, dtype=torch.float64)
    trial = torch.cat([points, points[:1] + 0.5])   # one row more than there are minima
    values = value(trial)
    if not isinstance(values, Tensor) or values.shape != (trial.shape[0],):
        found = f"a {type(values).__name__}" if not isinstance(values, Tensor) else \
            f"a tensor of shape {tuple(values.shape)}"
        raise UserFunctionError(name, f"{found} for X of shape {tuple(trial.shape)}",
                                f"shape ({trial.shape[0]},): one value per row of X (do not "
                                f"sum or average over the rows)")
    f_min = float(value(points).min())
    return BoundFunction(name, dim, value, autograd_value_and_grad(value), minima, f_min, domain)


class UserFunctionError(ValueError):
    """A user's function does not map (N, d) points to (N,) values."""

    def __init__(self, name: str, found: str, expected: str):
        self.found, self.expected = found, expected
        super().__init__(f"{name} returned {found}; expected {expected}")
