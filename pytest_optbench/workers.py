"""What an xdist worker sets up for itself before it runs cases."""

from __future__ import annotations

import os

import pytest


def share_cores(config: pytest.Config) -> None:
    """An xdist worker takes its share of the cores for torch's threads: n workers each
    using every core would fight over them, and small models run fastest on one thread.
    A thread count the user set with OMP_NUM_THREADS is left alone. (Step-time baselines are
    keyed by the thread count, so a timing taken this way is compared only with its like.)"""
    if os.environ.get("OMP_NUM_THREADS"):
        return
    workers = int(config.workerinput.get("workercount", 0) or  # type: ignore[attr-defined]
                  os.environ.get("PYTEST_XDIST_WORKER_COUNT", 0) or 0)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if workers > 1 and cores:
        import torch

        torch.set_num_threads(max(1, cores // workers))
