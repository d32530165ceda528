"""Shared set-up for the plugin's own tests."""

import os

# Hundreds of these tests record baselines in throw-away folders; under a CI service's CI=true
# the plugin refuses that without --optbench-allow-ci-update (tests/reliability/
# test_ci_update.py sets CI itself where it tests the refusal).
os.environ.pop("CI", None)

import pytest

# What xdist sets in its workers' environment (make test runs these tests under xdist).
XDIST_ENVIRONMENT = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID")


@pytest.fixture(autouse=True)
def _inner_runs_are_not_xdist_workers(monkeypatch):
    """The pytest runs a test starts, in-process or as subprocesses, are plain sessions of
    their own: they must not see this worker's environment (pytest-benchmark, for one,
    disables itself where it finds it)."""
    for name in XDIST_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)

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
