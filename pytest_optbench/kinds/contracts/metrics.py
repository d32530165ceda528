"""The metric of a contract case: whether its promise held."""

from __future__ import annotations

from pytest_optbench.gate.metrics import Metric

METRICS: dict[str, Metric] = {m.name: m for m in [
    Metric("violations", False, "ways the contract was found broken (0: it holds)",
           tolerance=0.0, rel_tolerance=0.0),
]}
