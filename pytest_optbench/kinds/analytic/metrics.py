"""The metrics of an analytic case.

Each has a fixed tolerance, used for baselines recorded without a noise envelope and where a
suite sets its own, and the resolution and gateable range its envelope margin is held to
(gate/envelope.py): analytic runs are deterministic, so how far a value may move is measured
when it is recorded rather than guessed.
"""

from __future__ import annotations

from pytest_optbench.gate.metrics import Metric

METRICS: dict[str, Metric] = {m.name: m for m in [
    # One start of the shipped suites' 96 is about 0.01: a resolution below that gates single
    # starts where the replicas never moved one.
    Metric("converged_fraction", True,
           "fraction of start points that meet the convergence criterion at the end",
           tolerance=0.05, rel_tolerance=0.0, convergence=True, resolution=1e-9, gateable=0.25,
           lowest=0.0, highest=1.0),
    # Compared in log space above a floor of 1e-12, the floor of the trajectory as well:
    # a loss of 1e-19 that becomes 1.6e-12 fails, one of 1e-19 that becomes 1e-14 does not.
    # Its envelope is in decades: 0.001 decades is a change of 0.23%.
    Metric("final_loss", False, "median over start points of the loss after the last step",
           tolerance=1e-12, rel_tolerance=0.5, convergence=True, log_scale=True,
           resolution=1e-3, gateable=1.0),
    Metric("distance", False,
           "median over start points of the distance to the nearest global minimum at the end",
           tolerance=1e-3, rel_tolerance=0.25, convergence=True, resolution=1e-12,
           rel_resolution=1e-3, gateable=0.1),
    Metric("steps_to_converge", False,
           "median over converged start points of the step from which the criterion holds",
           tolerance=5.0, rel_tolerance=0.1, convergence=True, resolution=0.5, gateable=5.0,
           gateable_rel=0.25),
    # Deterministic runs reproduce their whole loss curve, so the curve is a fingerprint of the
    # optimizer's arithmetic: a changed learning rate or a dropped bias correction moves it even
    # where every end-of-run number stays the same. Values are decades (log10 of the loss gap);
    # a point that moves by more than a decade under rounding alone is not gated.
    Metric("trajectory", False,
           "median over start points of log10(loss - minimum) at log-spaced steps, in decades",
           tolerance=0.1, rel_tolerance=0.0, curve=True, resolution=1e-3, gateable=1.0),
]}
