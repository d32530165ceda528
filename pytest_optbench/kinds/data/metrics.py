"""The metrics of a real-data case."""

from __future__ import annotations

from pytest_optbench.gate.metrics import Metric

METRICS: dict[str, Metric] = {m.name: m for m in [
    Metric("test_accuracy", True, "accuracy on the test set after the last step",
           tolerance=0.0, rel_tolerance=0.0, convergence=True, noise_floor=0.001, lowest=0.0,
           highest=1.0),
    Metric("test_loss", False, "mean cross-entropy on the test set after the last step",
           tolerance=0.0, rel_tolerance=0.0, convergence=True, noise_floor=0.005),
    Metric("train_loss", False, "mean training loss over the last epoch (or evaluation interval)",
           tolerance=0.0, rel_tolerance=0.0, convergence=True, noise_floor=0.005),
    Metric("epochs_to_target", False, "epochs until the test accuracy first reached the target",
           tolerance=0.0, rel_tolerance=0.0, convergence=True, noise_floor=0.25),
    Metric("time_to_target", False,
           "training seconds until the test accuracy first reached the target (device-bound)",
           tolerance=0.0, rel_tolerance=0.25, convergence=True, noise_floor=0.05),
    Metric("effort", False,
           "training seconds to the target accuracy per percentage point of accuracy reached "
           "there (device-bound)", tolerance=0.0, rel_tolerance=0.25, convergence=True,
           noise_floor=0.001),
]}
