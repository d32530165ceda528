"""The metrics of an analytic case."""

from __future__ import annotations

from pytest_optbench.gate.metrics import Metric

METRICS: dict[str, Metric] = {m.name: m for m in [
    Metric("converged_fraction", True,
           "fraction of start points that meet the convergence criterion at the end",
           tolerance=0.05, rel_tolerance=0.0, convergence=True),
    # Compared in log space above a floor of 1e-12, the floor of the trajectory as well:
    # a loss of 1e-19 that becomes 1.6e-12 fails, one of 1e-19 that becomes 1e-14 does not.
    Metric("final_loss", False, "median over start points of the loss after the last step",
           tolerance=1e-12, rel_tolerance=0.5, convergence=True, log_scale=True),
    Metric("distance", False,
           "median over start points of the distance to the nearest global minimum at the end",
           tolerance=1e-3, rel_tolerance=0.25, convergence=True),
    Metric("steps_to_converge", False,
           "median over converged start points of the step from which the criterion holds",
           tolerance=5.0, rel_tolerance=0.1, convergence=True),
    # Deterministic runs reproduce their whole loss curve, so the curve is a fingerprint of the
    # optimizer's arithmetic: a changed learning rate or a dropped bias correction moves it even
    # where every end-of-run number stays the same. Values are decades (log10 of the loss gap).
    Metric("trajectory", False,
           "median over start points of log10(loss - minimum) at log-spaced steps, in decades",
           tolerance=0.1, rel_tolerance=0.0, curve=True),
]}
