"""Analytic functions: closed-form gradients against autograd, and the known minima."""

import math

import pytest
import torch

from pytest_optbench.kinds.analytic.functions import FUNCTIONS, autograd_value_and_grad

CASES = [(name, dim) for name, info in FUNCTIONS.items()
         for dim in ([info.fixed_dim] if info.fixed_dim else [None] if info.shape_of else [2, 5])]
VECTOR_FUNCTIONS = [name for name, info in FUNCTIONS.items() if info.shape_of is None]
MATRIX_FUNCTIONS = [name for name, info in FUNCTIONS.items() if info.shape_of is not None]


@pytest.mark.parametrize("name, dim", CASES)
def test_gradient_matches_autograd(name, dim):
    bound = FUNCTIONS[name].bind(dim)
    box = torch.tensor(bound.domain, dtype=torch.float64)
    X = box[:, 0] + (box[:, 1] - box[:, 0]) * torch.rand(64, bound.dim, generator=torch.Generator().manual_seed(1),
                                                         dtype=torch.float64)
    value, grad = bound.value_and_grad(X)
    ref_value, ref_grad = autograd_value_and_grad(bound.value)(X)
    torch.testing.assert_close(value, ref_value, rtol=1e-12, atol=1e-9)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("name, dim", CASES)
def test_minima_are_stationary_with_the_stated_value(name, dim):
    bound = FUNCTIONS[name].bind(dim)
    minima = torch.tensor(bound.minima, dtype=torch.float64)
    value, grad = bound.value_and_grad(minima)
    assert torch.allclose(value, torch.full_like(value, bound.f_min), atol=1e-9)
    assert grad.abs().max() < 1e-8


@pytest.mark.parametrize("name", VECTOR_FUNCTIONS)
def test_no_point_of_a_fine_grid_beats_the_minimum(name):
    bound = FUNCTIONS[name].bind(2)
    (lo0, hi0), (lo1, hi1) = bound.domain
    xs = torch.linspace(lo0, hi0, 401, dtype=torch.float64)
    ys = torch.linspace(lo1, hi1, 401, dtype=torch.float64)
    grid = torch.cartesian_prod(xs, ys)
    assert bound.value(grid).min() >= bound.f_min - 1e-9


def test_known_values():
    assert FUNCTIONS["goldstein-price"].bind().f_min == 3.0
    assert math.isclose(FUNCTIONS["styblinski-tang"].bind(2).f_min, -78.33233140754284, rel_tol=1e-12)
    assert len(FUNCTIONS["himmelblau"].bind().minima) == 4


def test_quadratic_condition_number():
    from pytest_optbench.kinds.analytic.quadratic_forms import spd_matrix

    A = torch.tensor(spd_matrix(4, 1000.0, True), dtype=torch.float64)
    eig = torch.linalg.eigvalsh(A)
    assert math.isclose(float(eig.max() / eig.min()), 1000.0, rel_tol=1e-9)
    assert abs(float(A[0, 1])) > 1e-3  # rotated off the axes


@pytest.mark.parametrize("name", MATRIX_FUNCTIONS)
def test_matrix_problems_have_a_matrix_parameter_and_batch_invariant_values(name):
    """Each start's value and gradient are bitwise the same alone as in a batch: without that,
    no batched isolation could be exact on these problems."""
    bound = FUNCTIONS[name].bind()
    assert bound.shape is not None and len(bound.shape) == 2
    assert bound.dim == bound.shape[0] * bound.shape[1]
    X = torch.randn(9, bound.dim, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    value, grad = bound.value_and_grad(X)
    for i in range(9):
        one_value, one_grad = bound.value_and_grad(X[i:i + 1])
        assert torch.equal(one_value[0], value[i]) and torch.equal(one_grad[0], grad[i])
    assert float(value.min()) > bound.f_min  # random points are not minima


def test_matrix_shape_follows_the_options():
    bound = FUNCTIONS["low-rank-factorization"].bind(options={"rows": 4, "cols": 3, "rank": 2})
    assert bound.shape == (7, 2) and bound.dim == 14
