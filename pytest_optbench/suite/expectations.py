"""A problem's `expect:` against its kind's metrics: unknown names, bounds that cross, and a
kind's own rules."""

from __future__ import annotations

from typing import Callable, Iterable, Mapping

from pytest_optbench.gate.expectations import BaselineCheck, Expectation
from pytest_optbench.gate.metrics import Metric
from pytest_optbench.suite.errors import Finding, did_you_mean, one_of
from pytest_optbench.suite.loader import Document, KeyPath

# (metric name, its expectation) -> None, or (what was found, what was expected)
Rule = Callable[[str, Expectation], "tuple[str, str] | None"]


def validate_expectations(doc: Document, path: KeyPath, given: Mapping[str, Expectation] | None,
                          metrics: Mapping[str, Metric], defaults: Iterable[str],
                          findings: list[Finding], rule: Rule | None = None
                          ) -> dict[str, Expectation]:
    """The expectations of problem `path`: those given, or a baseline check of each default."""
    if given is None:
        return {name: Expectation(baseline=BaselineCheck()) for name in defaults}
    for name, expectation in given.items():
        where = path + ("expect", name)
        broken = rule(name, expectation) if rule and name in metrics else None
        if name not in metrics:
            findings.append(doc.finding(where, f"unknown metric '{name}'", one_of(metrics),
                                        did_you_mean(name, metrics)))
        elif broken:
            findings.append(doc.finding(where, *broken))
        elif expectation.min is not None and expectation.max is not None \
                and expectation.min > expectation.max:
            findings.append(doc.finding(where, f"min {expectation.min} > max {expectation.max}",
                                        "min <= max"))
    return dict(given)
