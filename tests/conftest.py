"""Shared set-up for the plugin's own tests."""

import os

# Hundreds of these tests record baselines in throw-away folders; under a CI service's CI=true
# the plugin refuses that without --optbench-allow-ci-update (tests/reliability/
# test_ci_update.py sets CI itself where it tests the refusal).
os.environ.pop("CI", None)

# pytester's in-process runs remove the modules each run imports. torch, and the torch._dynamo
# that an optimizer's first step imports lazily, abort when imported a second time in one
# process; loading them here, once, keeps them across runs (and makes each run faster).
import torch

import pytest_optbench.kinds.analytic.summary
import pytest_optbench.collect
import pytest_optbench.run
import pytest_optbench.suite.build

KEPT_LOADED = (pytest_optbench.kinds.analytic.summary, pytest_optbench.collect,
               pytest_optbench.run, pytest_optbench.suite.build)

# matplotlib's compiled parts (contourpy) cannot be registered twice in one process either.
try:
    import pytest_optbench.report.plots  # first: it chooses the non-interactive backend
    import contourpy  # loaded lazily by the first contour plot

    KEPT_LOADED += (pytest_optbench.report.plots, contourpy)
except ImportError:  # the plot extra is optional; its tests skip without it
    pass

_parameter = torch.zeros(1, requires_grad=True)
_parameter.grad = torch.ones(1)
torch.optim.SGD([_parameter], lr=0.1).step()
