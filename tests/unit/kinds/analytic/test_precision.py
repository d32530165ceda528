"""The replicas perturb by the rounding unit of the coarsest dtype an optimizer computes in."""

import torch

from pytest_optbench.kinds.analytic.precision import coarsest_dtype


def one_step(cls, **options):
    def run():
        param = torch.nn.Parameter(torch.randn(4, 4, dtype=torch.float64))
        optimizer = cls([param], **options)
        param.grad = torch.randn(4, 4, dtype=torch.float64)
        optimizer.step()
    return run


def test_adam_computes_in_its_parameters_dtype():
    # Its float32 step counter is a scalar, counted exactly: it does not count.
    assert coarsest_dtype(one_step(torch.optim.Adam, lr=0.1), torch.float64) == torch.float64


def test_muon_orthogonalises_in_bfloat16():
    assert coarsest_dtype(one_step(torch.optim.Muon, lr=0.02), torch.float64) == torch.bfloat16
