"""Which starts end elsewhere under rounding: their metrics are then bounded by bands."""

import math

import torch

from pytest_optbench.kinds.analytic.summary import PerStart


def starts(converged, final_point, margin=None):
    n = len(converged)
    return PerStart(torch.tensor(converged), torch.zeros(n, dtype=torch.long),
                    torch.zeros(n, dtype=torch.float64), torch.zeros(n, dtype=torch.float64),
                    torch.zeros(1, n, dtype=torch.float64),
                    torch.tensor(final_point, dtype=torch.float64),
                    None if margin is None else torch.tensor(margin, dtype=torch.float64))


def test_a_start_that_flips_or_moves_far_is_free():
    base = starts([True, True, False], [[0.0], [0.0], [5.0]])
    other = starts([True, False, False], [[0.0], [0.0], [5.5]])
    assert base.free([other], move=0.1).tolist() == [False, True, True]


def test_a_start_that_ends_bouncing_near_the_tolerance_is_free_though_no_replica_flipped():
    # Start 1 ends 0.17 decades below the tolerance and replicas move its final criterion by
    # about a decade: another machine may leave it above. Start 2 ends 6 decades below and
    # moves by 1e-15 decades: it stays converged anywhere.
    base = starts([True, True], [[0.0], [0.0]], margin=[-0.17, -6.0])
    replicas = [starts([True, True], [[0.0], [0.0]],
                       margin=[-0.17 + shift, -6.0 + 1e-15]) for shift in (-0.9, 0.0, -0.5)]
    assert base.free(replicas, move=0.1).tolist() == [False, False]      # the old rule
    assert base.free(replicas, move=0.1, reach=5.96).tolist() == [True, False]
    # A converged start at the floor (criterion 0: margin -inf) never counts as near.
    floor = starts([True], [[0.0]], margin=[-math.inf])
    assert floor.free([floor], move=0.1, reach=5.96).tolist() == [False]
