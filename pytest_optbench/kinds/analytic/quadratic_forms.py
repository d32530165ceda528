"""Fixed symmetric positive-definite matrices of a chosen condition number."""

from __future__ import annotations


def spd_matrix(dim: int, condition: float, rotated: bool = True) -> list[list[float]]:
    """Q diag(eigenvalues) Q^T with eigenvalues log-spaced in [1, condition].

    Q is a Householder reflection about (1, 2, ..., d): a fixed, exactly reproducible rotation that
    takes the problem off the coordinate axes, where diagonal preconditioners (Adam, Adagrad,
    RMSprop) would otherwise remove the ill-conditioning for free.
    """
    eig = [condition ** (i / (dim - 1)) if dim > 1 else 1.0 for i in range(dim)]
    v = [float(i + 1) for i in range(dim)]
    vv = sum(x * x for x in v)
    q = [[(1.0 if i == j else 0.0) - (2.0 * v[i] * v[j] / vv if rotated else 0.0)
          for j in range(dim)] for i in range(dim)]
    return [[sum(q[i][k] * eig[k] * q[j][k] for k in range(dim)) for j in range(dim)]
            for i in range(dim)]
